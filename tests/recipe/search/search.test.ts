/**
 * `nnspec search` end to end, in-process, on a tiny net and small synthetic images: resuming,
 * hopeless trials, the ranked table and the files written.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runSearchCommand, type SearchFlags } from '../../../src/cli/search.js';
import type { TrialRecord } from '../../../src/recipe/search/journal.js';

const TMP = mkdtempSync(join(tmpdir(), 'nnspec-search-'));
const SPEC = join(TMP, 'tiny.nnspec');
writeFileSync(
  SPEC,
  `nnspec: 1
name: tiny
input { name: data shape: [N, 1, 8, 8] scale: 0.00390625 }
Linear { name: fc1 out: 16 }
ReLU { }
Dropout { name: drop1 drop_prob: 0.2 }
Linear { name: fc2 out: 4 }
train { solver { lr: 0.1 momentum: 0.9 } batch_size: 16 loss: softmax_cross_entropy }
`,
);

async function search(flags: SearchFlags) {
  const lines: string[] = [];
  const errors: string[] = [];
  const code = await runSearchCommand(SPEC, { data: 'synthetic:160', threads: 2, seed: 5, iterations: 8, ...flags }, { out: (l) => lines.push(l), err: (l) => errors.push(l) });
  return { code, lines, errors, text: lines.join('\n') };
}

const trialFiles = (dir: string) => readdirSync(join(dir, 'trials')).filter((f) => f.endsWith('.json')).sort();
const readTrial = (dir: string, f: string) => JSON.parse(readFileSync(join(dir, 'trials', f), 'utf8')) as TrialRecord;

describe('nnspec search', () => {
  it('resumes: a second run with a larger budget skips the finished trials and runs only the new ones', async () => {
    const out = join(TMP, 'resume');
    const flags = { out, param: ['lr=log:1e-3:0.3', 'dropout:drop1=0:0.5'] };
    const first = await search({ ...flags, trials: 2 });
    expect(first.errors).toEqual([]);
    expect(first.code).toBe(0);
    expect(trialFiles(out)).toEqual(['trial-0001.json', 'trial-0002.json']);
    const before = trialFiles(out).map((f) => readFileSync(join(out, 'trials', f), 'utf8'));

    const second = await search({ ...flags, trials: 4 });
    expect(second.code).toBe(0);
    expect(second.text).toContain(`skipping 2 finished trials found in ${out}`);
    expect(second.text).toContain('2 trials run, 2 skipped');
    expect(second.lines.filter((l) => /^trial-000\d\/4 {2}lr/.test(l)).map((l) => l.slice(0, 10))).toEqual(['trial-0003', 'trial-0004']);
    expect(trialFiles(out)).toEqual(['trial-0001.json', 'trial-0002.json', 'trial-0003.json', 'trial-0004.json']);
    // The finished trials were not run again.
    expect(trialFiles(out).slice(0, 2).map((f) => readFileSync(join(out, 'trials', f), 'utf8'))).toEqual(before);
    // Each trial's values lie in the ranges asked for.
    for (const f of trialFiles(out)) {
      const t = readTrial(out, f);
      expect(t.params.lr).toBeGreaterThanOrEqual(1e-3);
      expect(t.params.lr).toBeLessThanOrEqual(0.3);
      expect(t.params['dropout:drop1']).toBeLessThanOrEqual(0.5);
    }

    // The table and the files are ranked by validation accuracy.
    const csv = readFileSync(join(out, 'trials.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('rank,trial,status,lr,dropout:drop1,val_top1,val_top5,val_loss,train_top1,train_loss,iterations,seconds');
    expect(csv).toHaveLength(5);
    const rows = csv.slice(1).map((l) => l.split(','));
    const completed = rows.filter((r) => r[2] === 'completed').map((r) => Number(r[5]));
    expect(completed).toEqual([...completed].sort((a, b) => b - a));
    const json = JSON.parse(readFileSync(join(out, 'trials.json'), 'utf8')) as { trials: (TrialRecord & { rank: number })[] };
    expect(json.trials.map((t) => t.id)).toEqual(rows.map((r) => r[1]));

    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).not.toMatch(/https?:/);
    expect(html).not.toMatch(/<script|<link/);
    expect(html).toContain('val_top1 against lr');
    expect(html).toContain('val_top1 against dropout:drop1');
    expect(html).toMatch(/grid: distinct values/);
    expect((html.match(/<svg/g) ?? []).length).toBe(4);
  }, 120_000);

  it('stops a hopeless trial (a huge learning rate) early and marks it', async () => {
    const out = join(TMP, 'hopeless');
    const r = await search({ out, grid: true, param: ['lr=choice:0.05,300'], iterations: 20 });
    expect(r.code).toBe(0);
    const trials = trialFiles(out).map((f) => readTrial(out, f));
    const huge = trials.find((t) => t.params.lr === 300)!;
    const sane = trials.find((t) => t.params.lr === 0.05)!;
    expect(sane.status).toBe('completed');
    expect(sane.iterations).toBe(20);
    expect(['stopped', 'diverged']).toContain(huge.status);
    expect(huge.iterations).toBeLessThan(20);
    expect(huge.message).toMatch(/diverg/);
    const csv = readFileSync(join(out, 'trials.csv'), 'utf8').trim().split('\n');
    expect(csv[1]).toMatch(/^1,trial-\d+,completed,0\.05,/);
    expect(csv[2]).toMatch(/^2,trial-\d+,(stopped \(diverging\)|diverged),300,/);
  }, 60_000);

  it('stops starting trials when the time budget is spent', async () => {
    const r = await search({ param: ['lr=log:1e-3:0.3'], trials: 5, maxMinutes: '1e-6' });
    expect(r.code).toBe(0);
    expect(r.text).toMatch(/^1 trial run, 0 skipped \(already finished\); the [0-9.e-]+-minute budget ran out$/m);
  });

  it('refuses a folder that holds another search, and says why', async () => {
    const out = join(TMP, 'resume');
    const r = await search({ out, param: ['lr=log:1e-3:0.3', 'dropout:drop1=0:0.5'], trials: 4, seed: 6 });
    expect(r.code).toBe(2);
    expect(r.errors.join('\n')).toMatch(/holds the trials of another search \(seed differs\)/);
  });

  it.each([
    [{}, /nothing to search/],
    [{ param: ['lr=log:0:1'] }, /positive bounds/],
    [{ param: ['dropout:drop9=0:0.5'] }, /no Dropout layer named 'drop9'/],
    [{ param: ['lr=log:1e-3:1'], metric: 'accuracy' }, /--metric expects one of/],
    [{ param: ['lr=log:1e-3:1'], trials: '0' }, /--trials expects a whole number/],
  ])('exits 2 with one line for bad usage %#', async (flags, message) => {
    const r = await search(flags as SearchFlags);
    expect(r.code).toBe(2);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(message);
  });
});
