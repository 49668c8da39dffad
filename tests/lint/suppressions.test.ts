/**
 * Inline suppressions: `# nnspec-disable-next-line|line|file [ids] [-- reason]`, on check
 * diagnostics and rule problems alike; directives that silence nothing are reported as
 * lint/unused-suppression with a fix that removes them; unknown rule ids in a directive are
 * reported with a did-you-mean. In-process against the test catalogue, and through the built CLI.
 */
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/lint/config.js';
import { applyFixes, lintFile } from '../../src/lint/lint.js';
import { findDirectives } from '../../src/lint/suppressions.js';
import { SourceFile } from '../../src/language/source.js';
import { cli } from '../helpers.js';
import { codes, lintInProcess, problems } from './lint-runner.js';
import { at, HEAD, PYTHON, quietTmp, RELU, tmp, tree, UNKNOWN } from './tooling-kit.js';

vi.mock('../../src/lint/rules/index.js', async () => (await import('./tooling-kit.js')).testCatalogue());

/** Lints `text` as a Caffe file with the recommended preset; returns `code@line` of each problem. */
async function lint(text: string, name = 'net.prototxt'): Promise<string[]> {
  const file = join(tree(tmp(), { [name]: text }), name);
  return codes(await lintInProcess([file]));
}

/** The problems, and the text after applying every fix lint offers (as --fix does). */
async function lintAndFix(text: string): Promise<{ problems: { code: string; line: number; message: string; hint?: string }[]; fixed: string }> {
  const file = join(tree(tmp(), { 'net.prototxt': text }), 'net.prototxt');
  const result = await lintFile(file, await loadConfig(null));
  const fixed = applyFixes(text, [...result.fixes.values()]).text;
  return {
    problems: result.diagnostics.map((d) => ({ code: d.code, line: d.source.position(d.span.start).line, message: d.message, ...(d.hint ? { hint: d.hint } : {}) })),
    fixed,
  };
}

describe('directives', () => {
  it('disable-next-line silences the next line only, for the rules it names', async () => {
    expect(await lint(`${HEAD}${PYTHON()}\n`)).toEqual(['caffe/python-layer@3']);
    expect(await lint(`${HEAD}# nnspec-disable-next-line caffe/python-layer\n${PYTHON()}\n`)).toEqual([]);
    // Not the line after next.
    expect(await lint(`${HEAD}# nnspec-disable-next-line caffe/python-layer\n${RELU('r')}\n${PYTHON('py', 'r')}\n`)).toEqual(['lint/unused-suppression@3', 'caffe/python-layer@5']);
    // Not another rule's problem on that line.
    expect(await lint(`${HEAD}# nnspec-disable-next-line caffe/python-layer\n${UNKNOWN()}\n`)).toEqual(['lint/unused-suppression@3', 'caffe/unknown-layer-type@4']);
  });

  it('disable-line silences its own line', async () => {
    expect(await lint(`${HEAD}${PYTHON()}  # nnspec-disable-line caffe/python-layer\n`)).toEqual([]);
    expect(await lint(`${HEAD}${PYTHON()}\n${UNKNOWN()}  # nnspec-disable-line caffe/python-layer\n`)).toEqual(['caffe/python-layer@3', 'caffe/unknown-layer-type@4', 'lint/unused-suppression@4']);
  });

  it('disable-file silences the whole file, wherever it is written', async () => {
    const body = `${PYTHON('p1')}\n${RELU('r')}\n${PYTHON('p2')}\n`;
    expect(await lint(`# nnspec-disable-file caffe/python-layer\n${HEAD}${body}`)).toEqual([]);
    expect(await lint(`${HEAD}${body}# nnspec-disable-file caffe/python-layer -- at the end\n`)).toEqual([]);
  });

  it('a directive without ids silences every rule and check diagnostic', async () => {
    expect(await lint(`${HEAD}${PYTHON()} ${UNKNOWN()}\n`)).toEqual(['caffe/python-layer@3', 'caffe/unknown-layer-type@3']);
    expect(await lint(`${HEAD}# nnspec-disable-next-line\n${PYTHON()} ${UNKNOWN()}\n`)).toEqual([]);
    expect(await lint(`${HEAD}${PYTHON()} ${UNKNOWN()} # nnspec-disable-line -- both opaque on purpose\n`)).toEqual([]);
    expect(await lint(`# nnspec-disable-file\n${HEAD}${PYTHON()}\n${UNKNOWN()}\n`)).toEqual([]);
  });

  it('silences lint rule problems by rule id, several ids separated by commas', async () => {
    const text = (directive: string) => `${HEAD}${RELU('Relu')} ${PYTHON('py', 'Relu')} ${directive}\n`;
    expect(await lint(text(''))).toEqual(['style/lowercase-names@3', 'caffe/python-layer@3']);
    expect(await lint(text('# nnspec-disable-line style/lowercase-names'))).toEqual(['caffe/python-layer@3']);
    expect(await lint(text('# nnspec-disable-line style/lowercase-names,caffe/python-layer'))).toEqual([]);
    expect(await lint(text('# nnspec-disable-line style/lowercase-names , caffe/python-layer -- legacy names'))).toEqual([]);
  });

  it('reads the reason after `--` and does not take ids from it', async () => {
    const text = `${HEAD}# nnspec-disable-next-line caffe/python-layer -- not caffe/unknown-layer-type\n${PYTHON()} ${UNKNOWN()}\n`;
    expect(await lint(text)).toEqual(['caffe/unknown-layer-type@4']);
    const [d] = findDirectives(new SourceFile('x', '# nnspec-disable-next-line a/b, c/d -- the head is re-initialised\n'));
    expect(d).toMatchObject({ kind: 'next-line', line: 2, reason: 'the head is re-initialised', rules: [{ id: 'a/b' }, { id: 'c/d' }] });
    expect(findDirectives(new SourceFile('x', '# nnspec-disable-file'))[0]).toMatchObject({ kind: 'file', rules: [], reason: null });
  });

  it('ignores look-alikes: other words, a # inside a string', async () => {
    const src = (t: string) => findDirectives(new SourceFile('x', t));
    expect(src('# nnspec-disable-nextline a/b\n# nnspec-disabled-line\n# nnspec-enable-line\n')).toEqual([]);
    expect(src('layer { name: "# nnspec-disable-line" }\n')).toEqual([]);
    expect(src("layer { name: 'it''s # nnspec-disable-line' }\n")).toHaveLength(0);
    expect(src('layer { name: "a" } # nnspec-disable-line caffe/x\n')).toHaveLength(1);
  });

  it('works in CRLF files and in nnspec files', async () => {
    expect(await lint(`${HEAD}# nnspec-disable-next-line caffe/python-layer\r\n${PYTHON()}\r\n`.replace(/(?<!\r)\n/g, '\r\n'))).toEqual([]);
    const spec = 'nnspec: 1\nname: n\ninput { name: x shape: [1, 3, 8, 8] }\n# nnspec-disable-next-line style/lowercase-names\nReLU { name: Act }\nReLU { name: Act2 }\n';
    expect(await lint(spec, 'n.nnspec')).toEqual(['style/lowercase-names@6']);
  });

  it('never silences syntax errors', async () => {
    const r = await lint(`# nnspec-disable-file\n${HEAD}layer { name: "a" type: "ReLU" bottom: "data" top: "a"\n`);
    expect(r.some((c) => c.startsWith('syntax/'))).toBe(true);
  });
});

describe('unused directives', () => {
  it('reports a directive that silences nothing, with a fix that removes its line', async () => {
    const text = `${HEAD}# nnspec-disable-next-line caffe/python-layer -- stale\n${RELU('r')}\n`;
    const { problems: found, fixed } = await lintAndFix(text);
    expect(found).toEqual([{ code: 'lint/unused-suppression', line: 3, message: "this nnspec-disable-next-line directive silences nothing (no problem from 'caffe/python-layer' on its line)" }]);
    expect(fixed).toBe(`${HEAD}${RELU('r')}\n`);
    expect((await lintAndFix(fixed)).problems).toEqual([]);
  });

  it('removes a trailing directive and the blanks before it, keeping the layer', async () => {
    const text = `${HEAD}${RELU('r')}   # nnspec-disable-line\n`;
    const { problems: found, fixed } = await lintAndFix(text);
    expect(found.map((p) => p.message)).toEqual(['this nnspec-disable-line directive silences nothing (no problem from any rule on its line)']);
    expect(fixed).toBe(`${HEAD}${RELU('r')}\n`);
  });

  it('removes the whole line of a CRLF file, and an unused file directive', async () => {
    const text = `# nnspec-disable-file caffe/python-layer\r\ninput: "data"\r\ninput_shape { dim: 1 }\r\n`;
    const { problems: found, fixed } = await lintAndFix(text);
    expect(found.map((p) => p.message)).toEqual(["this nnspec-disable-file directive silences nothing (no problem from 'caffe/python-layer' in this file)"]);
    expect(fixed).toBe('input: "data"\r\ninput_shape { dim: 1 }\r\n');
  });

  it('reports each id of a directive that silences nothing, with a fix that removes just that id', async () => {
    const last = `${HEAD}${PYTHON()}  # nnspec-disable-line caffe/python-layer, caffe/unknown-layer-type -- both\n`;
    const a = await lintAndFix(last);
    expect(a.problems).toEqual([{ code: 'lint/unused-suppression', line: 3, message: "this directive silences nothing from 'caffe/unknown-layer-type'" }]);
    expect(a.fixed).toBe(`${HEAD}${PYTHON()}  # nnspec-disable-line caffe/python-layer -- both\n`);
    expect((await lintAndFix(a.fixed)).problems).toEqual([]);
    const first = `${HEAD}${PYTHON()}  # nnspec-disable-line caffe/unknown-layer-type, caffe/python-layer\n`;
    const b = await lintAndFix(first);
    expect(b.fixed).toBe(`${HEAD}${PYTHON()}  # nnspec-disable-line caffe/python-layer\n`);
    expect((await lintAndFix(b.fixed)).problems).toEqual([]);
  });

  it('reports an unknown rule id with a did-you-mean (and no unused report for it)', async () => {
    const text = `${HEAD}${RELU('Relu')} # nnspec-disable-line style/lowercase-name\n`;
    const { problems: found } = await lintAndFix(text);
    expect(found).toEqual([
      { code: 'style/lowercase-names', line: 3, message: "'Relu' has capitals", hint: "call it 'relu'" },
      { code: 'lint/unknown-rule', line: 3, message: "'style/lowercase-name' is not a rule id", hint: "did you mean 'style/lowercase-names'?" },
    ]);
    // Its position: the id itself.
    const run = await lintInProcess([join(tree(tmp(), { 'n.prototxt': text }), 'n.prototxt')]);
    const unknown = problems(run).find((p) => p.code === 'lint/unknown-rule')!;
    expect(`${unknown.line}:${unknown.column}`).toBe(at(text, 'style/lowercase-name'));
    expect(unknown.endColumn - unknown.column).toBe('style/lowercase-name'.length);
  });

  it('counts toward --max-warnings, and suppressions are not themselves suppressible', async () => {
    const file = join(tree(tmp(), { 'n.prototxt': `# nnspec-disable-file\n${HEAD}# nnspec-disable-next-line caffe/python-layer\n${RELU('r')}\n` }), 'n.prototxt');
    const run = await lintInProcess([file], { maxWarnings: 0 });
    expect(codes(run)).toEqual(['lint/unused-suppression@1', 'lint/unused-suppression@4']);
    expect(run.status).toBe(1);
    expect((await lintInProcess([file])).status).toBe(0);
  });
});

describe('nnspec lint (the built CLI) and suppressions', () => {
  it('silences a check diagnostic, and reports a stale directive as a warning', () => {
    const dir = tree(quietTmp(), {
      'quiet.prototxt': `${HEAD}# nnspec-disable-next-line caffe/python-layer -- exported separately\n${PYTHON()}\n`,
      'stale.prototxt': `${HEAD}# nnspec-disable-next-line caffe/python-layer\n${RELU('r')}\n`,
    });
    const quiet = cli(['lint', 'quiet.prototxt'], { cwd: dir });
    expect(quiet.status).toBe(0);
    expect(quiet.stdout).toBe('✔ 0 errors, 0 warnings in 1 file\n');
    const stale = cli(['lint', '--format', 'json', 'stale.prototxt'], { cwd: dir });
    expect(stale.status).toBe(0);
    expect(problems(stale)).toEqual([
      {
        file: 'stale.prototxt',
        line: 3,
        column: 1,
        endLine: 3,
        endColumn: 46,
        severity: 'warning',
        code: 'lint/unused-suppression',
        message: "this nnspec-disable-next-line directive silences nothing (no problem from 'caffe/python-layer' on its line)",
      },
    ]);
  });
});
