/**
 * `nnspec fmt` as people and CI use it: in-place atomic rewrites that leave formatted files
 * alone, --check (exit 1 and the list of files that would change), --stdout, and files that
 * cannot be formatted reported without a stack trace.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, ROOT, STACK_TRACE } from '../helpers.js';

const MESSY = 'layer {  name: "a"   # the first\n  type: "ReLU" bottom: "x" top: "x" }\n';
const TIDY = 'layer {\n  name: "a" # the first\n  type: "ReLU"\n  bottom: "x"\n  top: "x"\n}\n';
const SPEC = 'nnspec: 1\nname: Tiny\ninput { name: data shape: [N, 3, 8, 8] }\nConv { name: c out: 4 kernel: 3 }\n';

function workspace(files: Record<string, string | Buffer>): string {
  const dir = mkdtempSync(join(tmpdir(), 'nnspec-fmt-'));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  return dir;
}

/** Inode, mtime and content: what "untouched" means. */
function fingerprint(path: string) {
  const s = statSync(path);
  return { ino: s.ino, mtime: s.mtimeMs, text: readFileSync(path, 'utf8') };
}

function aged(path: string): void {
  const past = new Date('2020-01-01T00:00:00Z');
  utimesSync(path, past, past);
}

describe('nnspec fmt', () => {
  it('rewrites files in place and leaves formatted ones untouched', () => {
    const dir = workspace({ 'messy.prototxt': MESSY, 'tidy.prototxt': TIDY, 'tiny.nnspec': SPEC });
    for (const f of ['messy.prototxt', 'tidy.prototxt', 'tiny.nnspec']) aged(join(dir, f));
    const tidyBefore = fingerprint(join(dir, 'tidy.prototxt'));
    const specBefore = fingerprint(join(dir, 'tiny.nnspec'));
    const r = cli(['fmt', 'messy.prototxt', 'tidy.prototxt', 'tiny.nnspec'], { cwd: dir });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('nnspec: reformatted 1 file, 2 already formatted\n');
    expect(readFileSync(join(dir, 'messy.prototxt'), 'utf8')).toBe(TIDY);
    expect(fingerprint(join(dir, 'tidy.prototxt'))).toEqual(tidyBefore);
    expect(fingerprint(join(dir, 'tiny.nnspec'))).toEqual(specBefore);
    // The atomic write leaves no temporary file behind.
    expect(readdirSync(dir).sort()).toEqual(['messy.prototxt', 'tidy.prototxt', 'tiny.nnspec']);
  });

  it('keeps the permissions of a file it rewrites', () => {
    const dir = workspace({ 'net.prototxt': MESSY });
    chmodSync(join(dir, 'net.prototxt'), 0o600);
    expect(cli(['fmt', 'net.prototxt'], { cwd: dir }).status).toBe(0);
    expect(statSync(join(dir, 'net.prototxt')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, 'net.prototxt'), 'utf8')).toBe(TIDY);
  });

  it('--check writes nothing, lists the files that would change and exits 1', () => {
    const dir = workspace({ 'a.prototxt': MESSY, 'b.prototxt': TIDY, 'sub/c.nnspec': 'Conv{name:c}\n', 'notes.txt': 'not a model' });
    const before = ['a.prototxt', 'b.prototxt', 'sub/c.nnspec'].map((f) => fingerprint(join(dir, f)));
    const r = cli(['fmt', '--check', '.'], { cwd: dir });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe(`${join('.', 'a.prototxt')}\n${join('sub', 'c.nnspec')}\n`);
    expect(r.stderr).toMatch(/2 files of 3 would be reformatted/);
    expect(['a.prototxt', 'b.prototxt', 'sub/c.nnspec'].map((f) => fingerprint(join(dir, f)))).toEqual(before);
  });

  it('--check exits 0 when every file is formatted, and takes glob patterns', () => {
    const dir = workspace({ 'a.prototxt': TIDY, 'b.nnspec': SPEC, 'c.prototxt': MESSY });
    const r = cli(['fmt', '--check', '*.nnspec', 'a.*'], { cwd: dir });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('nnspec: all 2 files are formatted\n');
  });

  it('--stdout prints the formatted text and writes nothing', () => {
    const dir = workspace({ 'a.prototxt': MESSY });
    const r = cli(['fmt', '--stdout', 'a.prototxt'], { cwd: dir });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(TIDY);
    expect(readFileSync(join(dir, 'a.prototxt'), 'utf8')).toBe(MESSY);
  });

  it('reports syntax errors as diagnostics, formats nothing of that file, and exits 1', () => {
    const broken = 'layer {\n  name: "a"\n  top: \n';
    const dir = workspace({ 'broken.prototxt': broken, 'ok.prototxt': MESSY });
    const r = cli(['fmt', 'broken.prototxt', 'ok.prototxt'], { cwd: dir });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^broken\.prototxt:\d+:\d+ {2}error {2}.*\[syntax\/[a-z-]+\]/m);
    expect(r.stderr).toContain("nnspec: not formatting 'broken.prototxt': it has");
    expect(r.stderr).not.toMatch(STACK_TRACE);
    expect(readFileSync(join(dir, 'broken.prototxt'), 'utf8')).toBe(broken);
    // The other files are still formatted.
    expect(readFileSync(join(dir, 'ok.prototxt'), 'utf8')).toBe(TIDY);
  });

  it('refuses a file that is not valid UTF-8 rather than lose its bytes', () => {
    const bytes = Buffer.concat([Buffer.from('name: "caf'), Buffer.from([0xe9]), Buffer.from('"\n')]);
    const dir = workspace({ 'latin1.prototxt': bytes });
    const r = cli(['fmt', 'latin1.prototxt'], { cwd: dir });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/not formatting 'latin1\.prototxt': it is not valid UTF-8/);
    expect(readFileSync(join(dir, 'latin1.prototxt'))).toEqual(bytes);
  });

  it('exits 2 for missing files and bad usage, without a stack trace', () => {
    const dir = workspace({ 'a.prototxt': MESSY });
    for (const args of [['fmt', 'missing.prototxt'], ['fmt'], ['fmt', '--check', '--stdout', 'a.prototxt'], ['fmt', 'no-match-*.nnspec']]) {
      const r = cli(args, { cwd: dir });
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).not.toMatch(STACK_TRACE);
    }
    expect(cli(['fmt', 'missing.prototxt'], { cwd: dir }).stderr).toBe("nnspec: cannot read 'missing.prototxt': no such file or directory\n");
    expect(readFileSync(join(dir, 'a.prototxt'), 'utf8')).toBe(MESSY);
  });

  it("follows the project's prettier configuration", () => {
    const dir = workspace({ '.prettierrc': '{ "tabWidth": 4 }\n', 'a.prototxt': MESSY });
    expect(cli(['fmt', '--stdout', 'a.prototxt'], { cwd: dir }).stdout).toBe(TIDY.replace(/^ {2}/gm, '    '));
  });

  it('gives the same text as prettier run with the plugin', () => {
    const dir = workspace({ 'a.prototxt': MESSY, 'b.nnspec': 'seq { name: stage BasicBlock { channels: 128 stride: 2 project: true } BasicBlock { channels: 128 } }' });
    const prettierBin = join(ROOT, 'node_modules/prettier/bin/prettier.cjs');
    for (const file of ['a.prototxt', 'b.nnspec']) {
      const viaPrettier = spawnSync(process.execPath, [prettierBin, '--plugin', join(ROOT, 'dist/format/prettier-plugin.js'), file], { cwd: dir, encoding: 'utf8' });
      expect(viaPrettier.stderr).toBe('');
      expect(viaPrettier.status).toBe(0);
      expect(cli(['fmt', '--stdout', file], { cwd: dir }).stdout).toBe(viaPrettier.stdout);
    }
  });

  it("passes prettier's --debug-check (the same syntax tree after formatting) on the goldens and specs", () => {
    const prettierBin = join(ROOT, 'node_modules/prettier/bin/prettier.cjs');
    const r = spawnSync(process.execPath, [prettierBin, '--plugin', './dist/format/prettier-plugin.js', '--debug-check', 'golden/format/*.input.*', 'specs/**/*.nnspec'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
