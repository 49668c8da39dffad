/**
 * The doctor's decision rules on hand-made inputs (no training): the curve reading, the range
 * test's choice, the search boxes and the printed train section.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileText } from '../../../src/compile.js';
import { readCurves } from '../../../src/recipe/doctor/curves.js';
import { initialLossTolerance } from '../../../src/recipe/doctor/initial-loss.js';
import { analyseRange } from '../../../src/recipe/doctor/lr-range.js';
import { coarseBox, fineBox, rankTrials, sampleBox } from '../../../src/recipe/doctor/search.js';
import { CURVES, RANGE_TEST } from '../../../src/recipe/doctor/settings.js';
import { printTrainSection } from '../../../src/recipe/doctor/train-section.js';
import type { RangePoint, Trial } from '../../../src/recipe/doctor/types.js';
import type { EpochMetrics } from '../../../src/train/loop.js';
import { ROOT } from '../../helpers.js';

const LOG4 = Math.log(4);

/** Epochs from per-epoch (train loss, train top-1, val loss, val top-1). */
const curves = (rows: [number, number, number, number][]): EpochMetrics[] =>
  rows.map(([tl, ta, vl, va], i) => ({ epoch: i + 1, iteration: 10 * (i + 1), lr: 0.1, train_loss: tl, train_top1: ta, val_loss: vl, val_top1: va, val_top5: null, seconds: 1, images_per_second: 100 }));

describe('reading the curves', () => {
  it('healthy: converged, small gap, high accuracy', () => {
    const h = curves([[1, 0.6, 0.8, 0.7], [0.4, 0.9, 0.35, 0.92], [0.2, 0.96, 0.2, 0.96], [0.15, 0.97, 0.17, 0.965], [0.12, 0.975, 0.16, 0.97], [0.1, 0.98, 0.15, 0.97]]);
    expect(readCurves(h, LOG4).findings).toEqual([]);
  });

  it('overfitting: a large train/validation gap, or a validation loss climbing back', () => {
    const gap = curves([[1, 0.5, 1, 0.45], [0.5, 0.8, 0.9, 0.55], [0.2, 0.95, 1.0, 0.6], [0.05, 1, 1.2, 0.6]]);
    const r = readCurves(gap, LOG4);
    expect(r.findings).toContain('overfitting');
    expect(r.advice.join(' ')).toMatch(/regularisation .* or more data/);
    const climb = curves([[1, 0.5, 1, 0.5], [0.5, 0.8, 0.5, 0.78], [0.3, 0.85, 0.4, 0.82], [0.2, 0.86, 0.75, 0.8]]);
    expect(readCurves(climb, LOG4).findings).toContain('overfitting');
  });

  it('underfitting: a small gap with low accuracy', () => {
    const h = curves([[1.2, 0.45, 1.2, 0.46], [1.1, 0.52, 1.1, 0.53], [1.05, 0.55, 1.06, 0.55], [1.04, 0.56, 1.05, 0.56], [1.04, 0.56, 1.05, 0.56], [1.03, 0.56, 1.05, 0.565]]);
    const r = readCurves(h, LOG4);
    expect(r.findings).toEqual(['underfitting']);
    expect(r.advice[0]).toMatch(/train longer, use a bigger model/);
  });

  it('still rising: validation accuracy still climbing at the end → train longer', () => {
    const h = curves([[1.2, 0.5, 1.1, 0.5], [0.9, 0.7, 0.8, 0.7], [0.7, 0.8, 0.6, 0.8], [0.5, 0.86, 0.45, 0.87], [0.4, 0.9, 0.35, 0.91], [0.3, 0.93, 0.28, 0.94]]);
    const r = readCurves(h, LOG4);
    expect(r.findings).toContain('still-rising');
    expect(r.advice.join(' ')).toMatch(/train longer/);
  });

  it('flat: the loss never leaves log(C)', () => {
    const h = curves([[1.39, 0.25, 1.39, 0.25], [1.38, 0.26, 1.39, 0.25], [1.38, 0.27, 1.385, 0.26]]);
    const r = readCurves(h, LOG4);
    expect(r.findings[0]).toBe('flat');
    expect(r.advice[0]).toMatch(/learning rate .* initialisation/);
  });

  it('does not call a tiny loss wobbling near 0 a climb', () => {
    const h = curves([[0.5, 0.9, 0.4, 0.9], [0.05, 1, 0.02, 1], [0.03, 1, 0.03, 1]]);
    expect(readCurves(h, LOG4).findings).toEqual([]);
    expect(CURVES.valLossRiseAbs).toBeGreaterThan(0.03 - 0.02);
  });
});

describe('range test rule', () => {
  /** Rates from 1e-5 up by ×1.2, with the loss a function of the rate. */
  const sweep = (loss: (lr: number) => number, n = 60): RangePoint[] => Array.from({ length: n }, (_, i) => 1e-5 * 1.2 ** i).map((lr) => ({ lr, loss: loss(lr), smoothed: loss(lr) }));

  it('suggests a tenth of the rate at the lowest loss, and records where it diverged', () => {
    const points = sweep((lr) => (lr < 0.01 ? 1.4 - 20 * lr : 1.4 - 0.2 + 50 * (lr - 0.01)));
    const lowest = points.reduce((a, b) => (b.smoothed < a.smoothed ? b : a));
    const a = analyseRange(points, true);
    expect(a.minLr).toBe(lowest.lr);
    expect(a.suggested).toBeCloseTo(lowest.lr * RANGE_TEST.backoff, 12);
    expect(a.divergedAt).toBe(points[points.length - 1]!.lr);
    expect(a.suggested!).toBeLessThan(a.divergedAt!);
  });

  it('fails when the loss never drops clearly', () => {
    const a = analyseRange(sweep(() => 1.39), false);
    expect(a.suggested).toBeNull();
    expect(a.divergedAt).toBeNull();
  });

  it('keeps the coarse search below the divergence rate and the lowest-loss rate', () => {
    const box = coarseBox(0.01, 0.1, 0.06);
    expect(box.lr[1]).toBeLessThanOrEqual(0.06 / 3);
    expect(box.lr[0]).toBeLessThan(box.lr[1]);
    for (const d of sampleBox(box, 8, 1)) {
      expect(d.lr).toBeGreaterThanOrEqual(box.lr[0]);
      expect(d.lr).toBeLessThanOrEqual(box.lr[1]);
      expect(d.weightDecay).toBeGreaterThanOrEqual(box.decay[0]);
      expect(d.weightDecay).toBeLessThanOrEqual(box.decay[1]);
    }
  });
});

describe('search', () => {
  const trial = (lr: number, valTop1: number | null, stopped = 'completed', valLoss = 1): Trial => ({ stage: 'coarse', index: 0, lr, weightDecay: 1e-4, epochs: 1, stopped, valTop1, valLoss, history: [], seconds: 1 });

  it('stratifies the draws: each of n slices of the log range gets one rate', () => {
    const draws = sampleBox({ lr: [1e-4, 1], decay: [1e-6, 1e-2] }, 4, 7);
    const slices = draws.map((d) => Math.floor((Math.log10(d.lr) + 4) / 1)).sort();
    expect(slices).toEqual([0, 1, 2, 3]);
    const decaySlices = draws.map((d) => Math.floor(Math.log10(d.weightDecay) + 6)).sort();
    expect(decaySlices).toEqual([0, 1, 2, 3]);
  });

  it('ranks by validation accuracy, then loss, diverged trials last', () => {
    const ranked = rankTrials([trial(1, null, 'diverged'), trial(0.1, 0.8, 'completed', 0.5), trial(0.01, 0.9), trial(0.05, 0.8, 'completed', 0.4)]);
    expect(ranked.map((t) => t.lr)).toEqual([0.01, 0.05, 0.1, 1]);
  });

  it('the fine box surrounds the best coarse trial', () => {
    const box = fineBox(trial(0.01, 0.9), 1, null);
    expect(box.lr[0]).toBeLessThan(0.01);
    expect(box.lr[1]).toBeGreaterThan(0.01);
    expect(box.decay[0]).toBeLessThan(1e-4);
    expect(box.decay[1]).toBeGreaterThan(1e-4);
  });
});

describe('initial loss tolerance', () => {
  it('is 15% of log C, at least 0.25', () => {
    expect(initialLossTolerance(2)).toBe(0.25);
    expect(initialLossTolerance(1000)).toBeCloseTo(0.15 * Math.log(1000), 12);
  });
});

describe('the updated train section', () => {
  it('is nnspec that compiles back to the recommended settings', async () => {
    const spec = join(ROOT, 'tests/fixtures/doctor/healthy.nnspec');
    const text = readFileSync(spec, 'utf8');
    const base = (await compileText(spec, text)).model.train!;
    const printed = printTrainSection(base, { lr: 0.0123, weightDecay: 3.4e-5, epochs: 12, batchSize: 16 });
    if ('error' in printed) throw new Error(printed.error);
    expect(printed.text).toMatch(/^# From nnspec doctor: lr 0.0123 \(was 0.05\)/);
    // In place of the spec's own section.
    const replaced = text.replace(/train \{[\s\S]*\}\s*$/, printed.text);
    const back = await compileText(spec, replaced);
    expect(back.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(back.model.train).toMatchObject({ solver: { type: 'sgd', base_lr: 0.0123, momentum: 0.9 }, regularization: { l2: 3.4e-5 }, epochs: 12, batch_size: 16 });
  });
});
