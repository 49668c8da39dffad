/**
 * `nnspec lint` as CI runs it: exit codes (0 clean or warnings only, 1 errors or warnings above
 * --max-warnings, 2 usage, configuration or unreadable files), quoted glob patterns expanded by
 * nnspec itself, and never a stack trace. Through the built CLI on check diagnostics; a rule that
 * throws is tested in-process against the test catalogue.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { cli, ROOT } from '../helpers.js';
import { lintInProcess, problems } from './lint-runner.js';
import { CLEAN, HEAD, ONE_ERROR, ONE_WARNING, quiet, quietTmp, RELU, tmp, tree, UNPRIVILEGED } from './tooling-kit.js';

vi.mock('../../src/lint/rules/index.js', async () => (await import('./tooling-kit.js')).testCatalogue());

const NO_STACK = /\n\s+at |Error: |node:internal/;

/** A directory with a clean file, a file with one warning, one with one error, and one with a syntax error. */
function fixtures(): string {
  return tree(quietTmp(), { 'clean.prototxt': CLEAN, 'warn.prototxt': ONE_WARNING, 'warn2.prototxt': ONE_WARNING, 'error.prototxt': ONE_ERROR, 'syntax.prototxt': `${HEAD}layer { name: "a"\n` });
}

describe('exit codes', () => {
  it('0 for a clean file, and for warnings only', () => {
    const dir = fixtures();
    const clean = cli(['lint', 'clean.prototxt'], { cwd: dir });
    expect([clean.status, clean.stdout, clean.stderr]).toEqual([0, '✔ 0 errors, 0 warnings in 1 file\n', '']);
    const warn = cli(['lint', 'warn.prototxt', 'clean.prototxt'], { cwd: dir });
    expect(warn.status).toBe(0);
    expect(warn.stdout).toMatch(/⚠ 0 errors, 1 warning in 2 files\n$/);
  });

  it('1 for errors, syntax errors included', () => {
    const dir = fixtures();
    expect(cli(['lint', 'error.prototxt'], { cwd: dir }).status).toBe(1);
    const syntax = cli(['lint', '--format', 'json', 'syntax.prototxt'], { cwd: dir });
    expect(syntax.status).toBe(1);
    expect(problems(syntax)[0]!.code).toMatch(/^syntax\//);
    expect(cli(['lint', 'clean.prototxt', 'error.prototxt', 'warn.prototxt'], { cwd: dir }).status).toBe(1);
  });

  it('1 for more warnings than --max-warnings, 0 for as many', () => {
    const dir = fixtures();
    const over = cli(['lint', '--max-warnings', '1', 'warn.prototxt', 'warn2.prototxt'], { cwd: dir });
    expect(over.status).toBe(1);
    expect(over.stderr).toBe('nnspec: 2 warnings exceed --max-warnings 1\n');
    expect(cli(['lint', '--max-warnings', '2', 'warn.prototxt', 'warn2.prototxt'], { cwd: dir }).status).toBe(0);
    expect(cli(['lint', '--max-warnings', '0', '--format', 'github', 'warn.prototxt'], { cwd: dir }).status).toBe(1);
    expect(cli(['lint', '--max-warnings', '0', 'clean.prototxt'], { cwd: dir }).status).toBe(0);
  });

  it('2 for bad usage, without a stack trace', () => {
    const dir = fixtures();
    const cases: [string[], RegExp][] = [
      [['lint'], /missing required argument/],
      [['lint', '--format', 'xml', 'clean.prototxt'], /--format/],
      [['lint', '--frobnicate', 'clean.prototxt'], /unknown option/],
      [['lint', '--rule', 'no-colon', 'clean.prototxt'], /^nnspec: --rule: there is no rule 'no-colon'/],
      [['lint', '--max-warnings', 'many', 'clean.prototxt'], /^nnspec: --max-warnings expects a whole number of warnings, 0 or more\n$/],
      [['lint', '--max-warnings', '-1', 'clean.prototxt'], /^nnspec: --max-warnings expects a whole number/],
      [['lint', '--input-shape', 'data=1,x-3', 'clean.prototxt'], /^nnspec: --input-shape expects/],
      [['lint', 'no/such/file.prototxt'], /^nnspec: cannot read 'no\/such\/file\.prototxt': no such file or directory\n$/],
      [['lint', 'nothing/**/*.nnspec'], /^nnspec: no model files match 'nothing\/\*\*\/\*\.nnspec'\n$/],
    ];
    for (const [args, stderr] of cases) {
      const r = cli(args, { cwd: dir });
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(stderr);
      expect(r.stderr, args.join(' ')).not.toMatch(NO_STACK);
    }
  });

  it('2 for a configuration error, whatever the files hold', () => {
    const dir = tree(fixtures(), { 'nnspec.config.json': '{ "extends": "lenient" }' });
    for (const file of ['clean.prototxt', 'error.prototxt']) {
      const r = cli(['lint', '--format', 'json', file], { cwd: dir });
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain('nnspec.config.json:1:14  error  "extends" must be one of "recommended", "strict"  [config/invalid]');
      expect(r.stderr).not.toMatch(NO_STACK);
    }
  });

  it.skipIf(UNPRIVILEGED.skip !== null)('2 for an unreadable file, after linting the others', () => {
    const top = tmp();
    chmodSync(top, 0o755);
    const dir = tree(join(top, 'd'), { 'nnspec.config.json': quiet(), 'a.prototxt': ONE_WARNING, 'secret.prototxt': CLEAN });
    chmodSync(dir, 0o755);
    chmodSync(join(dir, 'secret.prototxt'), 0o000);
    symlinkSync('missing.prototxt', join(dir, 'dangling.prototxt'));
    const r = spawnSync(process.execPath, [join(ROOT, 'dist/cli/main.js'), 'lint', '--format', 'json', join(dir, 'a.prototxt'), join(dir, 'secret.prototxt')], {
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
      ...UNPRIVILEGED.options,
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`nnspec: cannot read '${join(dir, 'secret.prototxt')}': permission denied\n`);
    expect(problems(r).map((p) => p.code)).toEqual(['caffe/python-layer']);
    const dangling = cli(['lint', 'a.prototxt', 'dangling.prototxt'], { cwd: dir });
    expect(dangling.status).toBe(2);
    expect(dangling.stderr).toBe("nnspec: cannot read 'dangling.prototxt': no such file or directory\n");
  });

  it('never prints a stack trace, whatever the input', () => {
    const dir = tree(tmp(), {
      'garbage.prototxt': Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7919) % 256)).toString('latin1'),
      'deep.prototxt': `${'a { '.repeat(5000)}${'} '.repeat(5000)}`,
      'deep.nnspec': `x: ${'('.repeat(3000)}1${')'.repeat(3000)}`,
      'quotes.nnspec': '"'.repeat(1000),
      'directives.prototxt': `# nnspec-disable-file ,,, -- --\n# nnspec-disable-line --\n# nnspec-disable-next-line ${'x/'.repeat(200)}\n${HEAD}`,
    });
    for (const format of ['stylish', 'json', 'github', 'sarif']) {
      const r = cli(['lint', '--format', format, '.'], { cwd: dir });
      expect(r.status, format).toBe(1);
      expect(r.stderr, format).toBe('');
    }
  });
});

describe('glob patterns', () => {
  const nnspec = 'nnspec: 1\nname: n\ninput { name: x shape: [1, 3, 8, 8] }\nDropout { name: d drop_prob: 0.5 }\n';
  const layout = () =>
    tree(quietTmp(), {
      'specs/a.nnspec': nnspec,
      'specs/sub/deeper/b.nnspec': nnspec,
      'specs/.hidden/c.nnspec': nnspec,
      'specs/notes.nnspec.txt': 'not a model',
      'node_modules/pkg/d.nnspec': nnspec,
      'models/x.prototxt': ONE_WARNING,
      'models/y.prototxt': ONE_WARNING,
      'models/z.pbtxt': ONE_WARNING,
    });

  /** The files a run linted, as the stylish summary counts them, and those with problems (json). */
  const linted = (dir: string, ...patterns: string[]) => {
    const summary = cli(['lint', ...patterns], { cwd: dir });
    const json = cli(['lint', '--format', 'json', ...patterns], { cwd: dir });
    return { status: summary.status, count: Number(/in (\d+) files?\n$/.exec(summary.stdout)?.[1]), files: [...new Set(problems(json).map((p) => p.file))] };
  };

  it('expands quoted patterns (not the shell), skipping hidden folders and node_modules', () => {
    const dir = layout();
    expect(linted(dir, 'specs/**/*.nnspec')).toEqual({ status: 0, count: 2, files: [] });
    expect(linted(dir, 'models/**/*.prototxt')).toEqual({ status: 0, count: 2, files: ['models/x.prototxt', 'models/y.prototxt'] });
    expect(linted(dir, '**/*.{prototxt,pbtxt}')).toEqual({ status: 0, count: 3, files: ['models/x.prototxt', 'models/y.prototxt', 'models/z.pbtxt'] });
    expect(linted(dir, 'models/[xz].*')).toEqual({ status: 0, count: 2, files: ['models/x.prototxt', 'models/z.pbtxt'] });
  });

  it('lints a file matched twice once, and mixes patterns, files and directories', () => {
    const dir = layout();
    expect(linted(dir, 'models/*.prototxt', 'models/x.prototxt', 'models')).toEqual({ status: 0, count: 3, files: ['models/x.prototxt', 'models/y.prototxt', 'models/z.pbtxt'] });
    expect(linted(dir, 'specs/**/*.nnspec', 'models/*.prototxt').count).toBe(4);
  });

  it('takes absolute patterns, and accepts a pattern that matches nothing beside one that matches', () => {
    const dir = layout();
    expect(linted(ROOT, `${dir}/models/**/*.prototxt`).count).toBe(2);
    // The CI job lints *.prototxt and *.nnspec: a repository with only one kind passes.
    expect(linted(dir, 'models/**/*.prototxt', 'models/**/*.nnspec').count).toBe(2);
    const none = cli(['lint', 'models/**/*.nnspec'], { cwd: dir });
    expect(none.status).toBe(2);
    expect(none.stderr).toBe("nnspec: no model files match 'models/**/*.nnspec'\n");
  });
});

describe('a rule that fails (test catalogue, in-process)', () => {
  it('is reported as lint/rule-failed, an error, and the other rules still run', async () => {
    const file = join(tree(tmp(), { 'net.prototxt': `${HEAD}${RELU('boom')}\n${RELU('Loud')}\n` }), 'net.prototxt');
    const run = await lintInProcess([file], { rule: ['init/throws:warn'] });
    expect(run.status).toBe(1);
    expect(run.stderr).toBe('');
    expect(problems(run).map((p) => `${p.code} ${p.severity} ${p.message}`)).toEqual([
      'lint/rule-failed error rule init/throws failed on this file: boom; this is a bug in nnspec',
      "style/lowercase-names warning 'Loud' has capitals",
    ]);
  });
});
