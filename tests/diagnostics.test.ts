/**
 * Goldens for what people see: the diagnostics of deliberately broken inputs, code frames
 * included, exactly as `nnspec check` prints them (and as JSON for one of them). Review a
 * change to a golden like a change to code.
 */
import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, ROOT } from './helpers.js';

const FIXTURES = 'tests/fixtures/broken';
const files = readdirSync(join(ROOT, FIXTURES)).sort();

describe('diagnostics of broken inputs', () => {
  it.each(files)('%s', async (file) => {
    const r = cli(['check', '--no-color', `${FIXTURES}/${file}`]);
    expect(r.stderr).toBe('');
    const hasErrors = /✖ [1-9]/.test(r.stdout);
    expect(r.status).toBe(hasErrors ? 1 : 0);
    await expect(r.stdout).toMatchFileSnapshot(join(ROOT, 'golden/diagnostics', `${basename(file)}.txt`));
  });

  it('prints the same problems as JSON for tools', async () => {
    const r = cli(['check', '--format', 'json', `${FIXTURES}/caffe-semantics.prototxt`]);
    expect(r.status).toBe(1);
    const parsed = JSON.parse(r.stdout) as Record<string, unknown>[];
    for (const d of parsed) {
      expect(Object.keys(d).slice(0, 8)).toEqual(['file', 'line', 'column', 'endLine', 'endColumn', 'severity', 'code', 'message']);
    }
    await expect(JSON.stringify(parsed, null, 2)).toMatchFileSnapshot(join(ROOT, 'golden/diagnostics/caffe-semantics.json'));
  });
});
