/**
 * The shared Caffe corpus linted with the recommended preset, as a reviewed golden: every
 * finding in golden/lint/corpus-recommended.txt has been checked by hand to be true of the
 * file (review additions to it the same way).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, CORPUS, CORPUS_SKIP_REASON, corpusFiles, ROOT } from '../helpers.js';

const files = corpusFiles();

describe.skipIf(files.length === 0)(`lint of the shared corpus${files.length === 0 ? ` (${CORPUS_SKIP_REASON})` : ''}`, () => {
  it('finds exactly the reviewed problems, and never fails', async () => {
    const r = cli(['lint', '--format', 'json', '--config', join(ROOT, 'tests/fixtures/lint/recommended.config.json'), '.'], { cwd: CORPUS });
    expect(r.stderr).not.toMatch(/\n\s+at |internal error/);
    expect([0, 1]).toContain(r.status);
    const found = JSON.parse(r.stdout) as { file: string; line: number; column: number; severity: string; code: string; message: string }[];
    expect(found.filter((d) => d.code === 'lint/rule-failed' || d.code === 'internal/analysis')).toEqual([]);
    const lines = found.map((d) => `${d.file}:${d.line}:${d.column}  ${d.severity}  ${d.code}  ${d.message}`).join('\n');
    await expect(`${lines}\n`).toMatchFileSnapshot(join(ROOT, 'golden/lint/corpus-recommended.txt'));
  });
});
