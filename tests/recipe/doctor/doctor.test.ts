/**
 * `nnspec doctor` end to end, in-process (one tfjs backend for the file), on tiny nets and small
 * synthetic data, each built to trip one step of the recipe: a last layer scaled ×100, a rate
 * of 0, frozen parameters, a diverging rate, a big net on few noisy examples, a linear model on
 * a hard task, and a healthy net that passes every step and writes the report.
 */
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runDoctor, type DoctorFlags } from '../../../src/cli/doctor.js';
import { compileText } from '../../../src/compile.js';
import { ROOT } from '../../helpers.js';
import { writeNoisyData } from './npy-data.js';

const FIXTURES = join(ROOT, 'tests/fixtures/doctor');
const TMP = mkdtempSync(join(tmpdir(), 'nnspec-doctor-'));

async function doctor(spec: string, flags: DoctorFlags = {}) {
  const lines: string[] = [];
  const errors: string[] = [];
  const code = await runDoctor(join(FIXTURES, spec), { data: 'synthetic:600', quick: true, threads: 2, seed: 1, ...flags }, { out: (l) => lines.push(l), err: (l) => errors.push(l) });
  const verdict = lines.find((l) => l.startsWith('doctor: ')) ?? '';
  return { code, lines, errors, verdict, text: lines.join('\n') };
}

let overfitData = '';
let hardData = '';
beforeAll(async () => {
  // Few examples with 40% of the labels random: a wide MLP memorises them and cannot generalise.
  overfitData = await writeNoisyData(join(TMP, 'noisy-labels'), { shape: [1, 8, 8], numClasses: 4, size: 100, noise: 60, labelNoise: 0.4, seed: 3 });
  // Heavy pixel noise: no straight line through pixel space separates the classes well.
  hardData = await writeNoisyData(join(TMP, 'noisy-pixels'), { shape: [1, 8, 8], numClasses: 4, size: 1000, noise: 150, labelNoise: 0, seed: 3 });
});

describe('nnspec doctor', () => {
  it('step 1: a last layer initialised ×100 too large gives a loss far above log(C), and is named', async () => {
    const r = await doctor('scaled-last-layer.nnspec');
    expect(r.errors).toEqual([]);
    expect(r.code).toBe(1);
    expect(r.verdict).toMatch(/^doctor: stopped at step 1 \(Initial loss\): initial loss \S+ is far above log\(4\)/);
    expect(r.text).toMatch(/the last layer 'classifier' \(weight init: gaussian std 10\)/);
    // The recipe stops there: nothing is trained.
    expect(r.text).not.toMatch(/\[2\/6\]/);
  }, 60_000);

  it('step 2: with a learning rate of 0 the net cannot overfit a small sample, and the rate is blamed first', async () => {
    const r = await doctor('healthy.nnspec', { lr: 0 });
    expect(r.code).toBe(1);
    expect(r.verdict).toMatch(/^doctor: stopped at step 2 \(Overfit a small sample\): cannot fit 32 examples/);
    const causes = r.lines.filter((l) => l.startsWith('  → likely cause:'));
    expect(causes[0]).toMatch(/the learning rate is 0/);
  }, 60_000);

  it('step 2: frozen parameters (lr_mult 0 everywhere) are named as the cause', async () => {
    const r = await doctor('frozen.nnspec');
    expect(r.code).toBe(1);
    expect(r.verdict).toMatch(/stopped at step 2/);
    expect(r.text).toMatch(/likely cause: every parameter is frozen \(lr_mult 0\): conv1\.weight/);
  }, 60_000);

  it('a diverging rate: overfitting retries smaller rates, the range test reports the divergence, and the search stays below it', async () => {
    const report = join(TMP, 'diverging');
    const r = await doctor('diverging.nnspec', { data: 'synthetic:400', trials: 2, epochs: 2, report });
    expect(r.errors).toEqual([]);
    expect(r.text).toMatch(/\[2\/6\] Overfit a small sample: pass/);
    expect(r.text).toMatch(/the spec's rate 5 diverged/);
    const range = /\[3\/6\] Learning-rate range test: pass — .*diverged at (\S+)/.exec(r.text);
    expect(range, r.text).not.toBeNull();
    const divergedAt = Number(range![1]);
    expect(divergedAt).toBeLessThan(5);
    const trialRates = [...r.text.matchAll(/ {2}(?:coarse|fine) \d+\/\d+ {2}lr (\S+)/g)].map((m) => Number(m[1]));
    expect(trialRates.length).toBeGreaterThan(0);
    for (const lr of trialRates) expect(lr).toBeLessThan(divergedAt);
    const md = readFileSync(join(report, 'report.md'), 'utf8');
    expect(md).toMatch(/the loss diverged at lr/);
    expect(md).toMatch(/the spec's rate 5 diverged/);
    const section = readFileSync(join(report, 'train-section.nnspec'), 'utf8');
    expect(Number(/lr: (\S+)/.exec(section)![1])).toBeLessThan(5);
  }, 120_000);

  it('step 6: a big net on few noisy examples is diagnosed as overfitting', async () => {
    const r = await doctor('big-mlp.nnspec', { data: overfitData, epochs: 10, trials: 2 });
    expect(r.code).toBe(1);
    expect(r.verdict, r.text).toMatch(/^doctor: stopped at step 6 \(Reading the curves\): overfitting/);
    expect(r.text).toMatch(/add regularisation \(weight decay, dropout, augmentation\) or more data/);
  }, 120_000);

  it('step 6: a linear model on a hard task is underfitting (or needs longer training)', async () => {
    const r = await doctor('linear.nnspec', { data: hardData, epochs: 2, trials: 2, batchSize: 64 });
    expect(r.code).toBe(1);
    expect(r.verdict, r.text).toMatch(/^doctor: stopped at step 6 \(Reading the curves\): .*(underfitting|still rising)/);
    expect(r.text).toMatch(/train longer/);
  }, 120_000);

  it('a healthy net passes every step and writes the report and a train section that compiles', async () => {
    const report = join(TMP, 'healthy');
    const r = await doctor('healthy.nnspec', { report, data: 'synthetic:600', epochs: 8, trials: 2 });
    expect(r.errors).toEqual([]);
    expect(r.code, r.text).toBe(0);
    expect(r.verdict).toMatch(/^doctor: all 6 steps passed/);
    for (let i = 1; i <= 6; i++) expect(r.text).toMatch(new RegExp(`\\[${i}/6\\] .*: pass`));
    expect(readdirSync(report).sort()).toEqual(['report.html', 'report.md', 'train-section.nnspec']);
    const html = readFileSync(join(report, 'report.html'), 'utf8');
    expect(html).not.toMatch(/https?:/);
    expect(html).not.toMatch(/<script|<link|src=/);
    expect(html.match(/<svg/g)?.length).toBeGreaterThanOrEqual(4);
    const md = readFileSync(join(report, 'report.md'), 'utf8');
    expect(md).toMatch(/\| 6\. Reading the curves \| pass \|/);
    const section = readFileSync(join(report, 'train-section.nnspec'), 'utf8');
    const spec = join(FIXTURES, 'healthy.nnspec');
    const replaced = readFileSync(spec, 'utf8').replace(/train \{[\s\S]*\}\s*$/, section);
    const back = await compileText(spec, replaced);
    expect(back.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const lr = Number(/lr (\S+) \(was/.exec(section)![1]);
    expect(back.model.train!.solver.base_lr).toBe(lr);
  }, 180_000);

  it('--max-minutes: past the deadline no further trial starts, but each search still runs one', async () => {
    const r = await doctor('healthy.nnspec', { data: 'synthetic:300', maxMinutes: 0.001, trials: 3, epochs: 2 });
    expect(r.lines.filter((l) => / {2}coarse \d\/3 /.test(l))).toHaveLength(1);
    expect(r.lines.filter((l) => / {2}fine \d\/2 /.test(l))).toHaveLength(1);
    expect(r.lines.filter((l) => l === '  time budget reached after 1 of 3 trials')).toHaveLength(1);
    expect(r.text).toMatch(/\[5\/6\] Fine search: (pass|FAIL)/);
    expect(r.text).toMatch(/train section to paste into the spec/);
  }, 120_000);

  it('bad flags are usage errors (exit 2)', async () => {
    const r = await doctor('healthy.nnspec', { trials: '0' });
    expect(r.code).toBe(2);
    expect(r.errors).toEqual(["nnspec: --trials expects a whole number ≥ 1, got '0'"]);
    const missing = await doctor('healthy.nnspec', { data: join(TMP, 'nowhere') });
    expect(missing.code).toBe(2);
  });
});
