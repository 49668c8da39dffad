/**
 * `nnspec lint --fix`: only fixes of fixable rules (and of unused suppressions) are applied,
 * never half a fix; the file is written atomically (a temporary file renamed over it, none left
 * behind), not at all when there is nothing to fix, and left as it was when it cannot be
 * written; a second lint no longer finds what was fixed. In-process against the test catalogue,
 * and through the built CLI.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { applyFixes } from '../../src/lint/lint.js';
import { cli, ROOT } from '../helpers.js';
import { codes, lintInProcess, problems } from './lint-runner.js';
import { CLEAN, DROPOUT, HEAD, ONE_WARNING, PYTHON, RELU, listAll, quiet, quietTmp, tmp, tree, UNPRIVILEGED } from './tooling-kit.js';

vi.mock('../../src/lint/rules/index.js', async () => (await import('./tooling-kit.js')).testCatalogue());

/** style/lowercase-names (fixable) twice, regularization/no-dropout (offers a fix, not fixable), caffe/python-layer. */
const NET = `${HEAD}${RELU('Relu1')}\n${RELU('Relu2', 'Relu1')}\n${DROPOUT('drop')}\n${PYTHON()}\n`;

describe('--fix (in-process, test catalogue)', () => {
  it('applies the fixes of fixable rules only, and reports what is left', async () => {
    const dir = tree(tmp(), { 'net.prototxt': NET });
    const file = join(dir, 'net.prototxt');
    const before = await lintInProcess([file]);
    expect(codes(before)).toEqual(['style/lowercase-names@3', 'style/lowercase-names@4', 'regularization/no-dropout@5', 'caffe/python-layer@6']);
    const fixed = await lintInProcess([file], { fix: true });
    expect(fixed.status).toBe(0);
    expect(codes(fixed)).toEqual(['regularization/no-dropout@5', 'caffe/python-layer@6']);
    // Only the names changed; the dropout layer the non-fixable rule offered to delete is still there.
    expect(readFileSync(file, 'utf8')).toBe(NET.replace('name: "Relu1"', 'name: "relu1"').replace('name: "Relu2"', 'name: "relu2"'));
    expect(listAll(dir)).toEqual(['net.prototxt']);
    expect(codes(await lintInProcess([file]))).toEqual(codes(fixed));
  });

  it('says what it fixed (stylish output)', async () => {
    const file = join(tree(tmp(), { 'net.prototxt': NET }), 'net.prototxt');
    const run = await lintInProcess([file], { fix: true, format: 'stylish' });
    expect(run.stderr).toBe(`nnspec: fixed 2 problems in ${file}\n`);
    expect(run.stdout).toContain('⚠ 0 errors, 2 warnings in 1 file');
  });

  it('fixes a problem found in only some of the nets of a train/val file', async () => {
    const text = `${HEAD}layer { name: "TrainOnly" type: "ReLU" bottom: "data" top: "t" include { phase: TRAIN } }\nlayer { name: "test_only" type: "ReLU" bottom: "data" top: "u" include { phase: TEST } }\n`;
    const file = join(tree(tmp(), { 'net.prototxt': text }), 'net.prototxt');
    const before = problems(await lintInProcess([file]));
    expect(before.map((p) => p.message)).toEqual(["'TrainOnly' has capitals (in the TRAIN net)"]);
    const fixed = await lintInProcess([file], { fix: true });
    expect(codes(fixed)).toEqual([]);
    expect(readFileSync(file, 'utf8')).toBe(text.replace('"TrainOnly"', '"trainonly"'));
  });

  it('does not touch a file with nothing to fix', async () => {
    const dir = tree(tmp(), { 'net.prototxt': `${HEAD}${DROPOUT('drop')}\n` });
    const file = join(dir, 'net.prototxt');
    const stat = statSync(file);
    await new Promise((r) => setTimeout(r, 20));
    const run = await lintInProcess([file], { fix: true, format: 'stylish' });
    expect(run.stderr).toBe('');
    expect(statSync(file).mtimeMs).toBe(stat.mtimeMs);
    expect(statSync(file).ino).toBe(stat.ino);
    expect(listAll(dir)).toEqual(['net.prototxt']);
  });

  it('does not fix a file that is not valid UTF-8: its bytes stay as they were', async () => {
    const dir = tmp();
    const file = join(dir, 'net.prototxt');
    // A Latin-1 'é' in a comment: decoding and re-encoding would replace it with U+FFFD.
    const bytes = Buffer.concat([Buffer.from('# caf'), Buffer.from([0xe9]), Buffer.from(`\n${HEAD}${RELU('Relu')}\n`)]);
    writeFileSync(file, bytes);
    const run = await lintInProcess([file], { fix: true });
    // The check reports the bad byte as an error, and nothing in the file is rewritten.
    expect(run.status).toBe(1);
    expect(codes(run)).toEqual(['syntax/invalid-utf8@1']);
    expect(readFileSync(file).equals(bytes)).toBe(true);
    expect(listAll(dir)).toEqual(['net.prototxt']);
  });

  it('fixes a rule problem and a stale suppression in one run; a second run finds neither', async () => {
    const text = `${HEAD}${RELU('Relu')}\n# nnspec-disable-next-line caffe/python-layer\n${RELU('r')}\n`;
    const file = join(tree(tmp(), { 'net.prototxt': text }), 'net.prototxt');
    expect(codes(await lintInProcess([file]))).toEqual(['style/lowercase-names@3', 'lint/unused-suppression@4']);
    const fixed = await lintInProcess([file], { fix: true });
    expect(codes(fixed)).toEqual([]);
    expect(readFileSync(file, 'utf8')).toBe(`${HEAD}${RELU('Relu').replace('"Relu"', '"relu"')}\n${RELU('r')}\n`);
    expect(codes(await lintInProcess([file]))).toEqual([]);
  });
});

describe('applyFixes', () => {
  const text = 'abcdefghij';
  it('applies non-overlapping fixes, whole', () => {
    expect(applyFixes(text, [[{ start: 0, end: 1, text: 'A' }], [{ start: 2, end: 3, text: 'C' }, { start: 9, end: 10, text: 'J' }]])).toEqual({ text: 'AbCdefghiJ', applied: [true, true] });
  });

  it('never applies half a fix: one that overlaps a fix taken before it waits, all of its edits', () => {
    const r = applyFixes(text, [[{ start: 0, end: 3, text: 'XYZ' }], [{ start: 8, end: 9, text: 'I' }, { start: 2, end: 4, text: '--' }]]);
    expect(r).toEqual({ text: 'XYZdefghij', applied: [true, false] });
    // Two insertions at one place: only the first.
    expect(applyFixes(text, [[{ start: 5, end: 5, text: '1' }], [{ start: 5, end: 5, text: '2' }]])).toEqual({ text: 'abcde1fghij', applied: [true, false] });
    // An edit outside the text is refused.
    expect(applyFixes(text, [[{ start: 5, end: 50, text: '' }]]).applied).toEqual([false]);
  });
});

describe('nnspec lint --fix (the built CLI)', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) chmodSync(d, 0o755);
  });

  it('removes a stale suppression atomically, and the next lint is clean', () => {
    const text = `${HEAD}# nnspec-disable-next-line caffe/python-layer -- stale\n${RELU('r')}\n`;
    const dir = tree(quietTmp(), { 'models/net.prototxt': text, 'models/other.prototxt': ONE_WARNING });
    const run = cli(['lint', '--fix', 'models'], { cwd: dir });
    expect(run.status).toBe(0);
    expect(run.stderr).toBe('nnspec: fixed 1 problem in models/net.prototxt\n');
    expect(run.stdout).toContain('models/other.prototxt:3:');
    expect(run.stdout).not.toContain('models/net.prototxt');
    expect(readFileSync(join(dir, 'models/net.prototxt'), 'utf8')).toBe(`${HEAD}${RELU('r')}\n`);
    expect(readFileSync(join(dir, 'models/other.prototxt'), 'utf8')).toBe(ONE_WARNING);
    expect(listAll(dir)).toEqual(['models/net.prototxt', 'models/other.prototxt', 'nnspec.config.json']);
    const again = cli(['lint', '--format', 'json', 'models/net.prototxt'], { cwd: dir });
    expect(again.status).toBe(0);
    expect(problems(again)).toEqual([]);
  });

  it('leaves a file with nothing to fix as it was', () => {
    const dir = tree(quietTmp(), { 'net.prototxt': CLEAN });
    const before = statSync(join(dir, 'net.prototxt'));
    const run = cli(['lint', '--fix', 'net.prototxt'], { cwd: dir });
    expect(run.status).toBe(0);
    expect(run.stderr).toBe('');
    const after = statSync(join(dir, 'net.prototxt'));
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
    expect(listAll(dir)).toEqual(['net.prototxt', 'nnspec.config.json']);
  });

  it.skipIf(UNPRIVILEGED.skip !== null)('exits 2 and leaves the file unchanged when its directory is read-only', () => {
    const text = `${HEAD}# nnspec-disable-next-line caffe/python-layer\n${RELU('r')}\n`;
    const top = tmp();
    const dir = tree(join(top, 'ro'), { 'nnspec.config.json': quiet(), 'net.prototxt': text });
    chmodSync(top, 0o755);
    chmodSync(dir, 0o555);
    dirs.push(dir);
    const r = spawnSync(process.execPath, [join(ROOT, 'dist/cli/main.js'), 'lint', '--fix', join(dir, 'net.prototxt')], {
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
      ...UNPRIVILEGED.options,
    });
    expect(r.error).toBeUndefined();
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`nnspec: cannot write '${join(dir, 'net.prototxt')}': permission denied\n`);
    expect(readFileSync(join(dir, 'net.prototxt'), 'utf8')).toBe(text);
    expect(listAll(dir)).toEqual(['net.prototxt', 'nnspec.config.json']);
  });

  it('removes just the unused id of a directive that is partly used', () => {
    const text = `${HEAD}${PYTHON()}  # nnspec-disable-line caffe/python-layer, caffe/unknown-layer-type\n`;
    const dir = tree(quietTmp(), { 'net.prototxt': text });
    expect(cli(['lint', '--fix', 'net.prototxt'], { cwd: dir }).status).toBe(0);
    expect(readFileSync(join(dir, 'net.prototxt'), 'utf8')).toBe(`${HEAD}${PYTHON()}  # nnspec-disable-line caffe/python-layer\n`);
  });
});
