/** The recipe commands as a user runs them: registered, wired to their flags, exit codes kept. */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, ROOT, STACK_TRACE } from '../helpers.js';

const LENET = join(ROOT, 'specs/lenet.nnspec');
const TMP = mkdtempSync(join(tmpdir(), 'nnspec-recipe-cli-'));

describe('recipe commands on the command line', () => {
  it('train --ensemble N trains N members and reports their ensemble', async () => {
    const out = join(TMP, 'ensemble');
    const r = cli(['train', LENET, '--data', 'synthetic:200', '--iterations', '4', '--batch-size', '32', '--ensemble', '2', '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/ensemble of 2: validation top-1 \d/);
    const json = JSON.parse(readFileSync(join(out, 'ensemble.json'), 'utf8')) as { members: unknown[] };
    expect(json.members).toHaveLength(2);
    const bad = cli(['train', LENET, '--ensemble', '1']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--ensemble expects a whole number ≥ 2/);
  }, 120_000);

  it('search --param runs the trials and writes its table', async () => {
    const out = join(TMP, 'search');
    const r = cli(['search', LENET, '--data', 'synthetic:200', '--trials', '2', '--iterations', '3', '--param', 'lr=log:1e-3:1e-1', '--param', 'momentum=0.8:0.95', '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    const rows = readFileSync(join(out, 'trials.csv'), 'utf8').trim().split('\n');
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatch(/lr/);
    expect(rows[0]).toMatch(/momentum/);
  }, 120_000);

  it('doctor and init-report refuse bad flags with exit code 2 and no stack trace', async () => {
    for (const args of [['doctor', LENET, '--trials', 'x'], ['init-report', LENET, '--init', 'nonsense']]) {
      const r = cli(args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^nnspec: /m);
      expect(r.stderr).not.toMatch(STACK_TRACE);
    }
  }, 60_000);
});
