/**
 * The trial list and the rules around it, without training: seeded sampling, log-uniform
 * spread, grids, --param flags, the stopping rules, ranking, and the random-versus-grid coverage.
 */
import { describe, expect, it } from 'vitest';
import type { SearchParam } from '../../../src/ir/search.js';
import type { TrialRecord } from '../../../src/recipe/search/journal.js';
import { coverage, trialsCsv } from '../../../src/recipe/search/report.js';
import { rankTrials, trialConfig } from '../../../src/recipe/search/run.js';
import { axisValues, gridTrials, parseParamFlag, TrialPlan } from '../../../src/recipe/search/space.js';
import { TrialMonitor } from '../../../src/recipe/search/stopping.js';
import { DEFAULT_TRAIN } from '../../../src/cli/train.js';

const LR: SearchParam = { name: 'lr', layer: null, dist: { kind: 'log', min: 1e-5, max: 1e-1 } };
const MOMENTUM: SearchParam = { name: 'momentum', layer: null, dist: { kind: 'uniform', min: 0.8, max: 0.99 } };
const BATCH: SearchParam = { name: 'batch_size', layer: null, dist: { kind: 'choice', values: [16, 32, 64] } };
const SPACE = [LR, MOMENTUM, BATCH];

const list = (plan: TrialPlan) => Array.from({ length: plan.size }, (_, i) => plan.at(i)!);

describe('random trials', () => {
  it('are the same for the same seed, and a longer budget extends the same list', () => {
    const a = list(new TrialPlan(SPACE, 'random', 11, 8, 3));
    const b = list(new TrialPlan(SPACE, 'random', 11, 8, 3));
    const longer = list(new TrialPlan(SPACE, 'random', 11, 20, 3));
    expect(b).toEqual(a);
    expect(longer.slice(0, 8)).toEqual(a);
    const other = list(new TrialPlan(SPACE, 'random', 12, 8, 3));
    expect(other.map((t) => t.params.lr)).not.toEqual(a.map((t) => t.params.lr));
  });

  it('draw log-uniform rates inside the range, spread evenly over its decades', () => {
    const lrs = list(new TrialPlan([LR], 'random', 5, 2000, 3)).map((t) => t.params.lr!);
    expect(Math.min(...lrs)).toBeGreaterThanOrEqual(1e-5);
    expect(Math.max(...lrs)).toBeLessThanOrEqual(1e-1);
    // Four decades, about a quarter of the draws in each (a uniform draw would put 90% in the last).
    for (let d = -5; d < -1; d++) {
      const share = lrs.filter((x) => x >= 10 ** d && x < 10 ** (d + 1)).length / lrs.length;
      expect(share).toBeGreaterThan(0.2);
      expect(share).toBeLessThan(0.3);
    }
  });

  it('draw uniform values inside the range and choices from the list', () => {
    const trials = list(new TrialPlan(SPACE, 'random', 1, 300, 3));
    for (const t of trials) {
      expect(t.params.momentum).toBeGreaterThanOrEqual(0.8);
      expect(t.params.momentum).toBeLessThanOrEqual(0.99);
      expect([16, 32, 64]).toContain(t.params.batch_size);
    }
    expect(new Set(trials.map((t) => t.params.batch_size)).size).toBe(3);
  });
});

describe('grid trials', () => {
  it('cover the whole product of the axes once each, log axes spaced geometrically', () => {
    expect(axisValues(LR.dist, 5)).toEqual([1e-5, 1e-4, 1e-3, 1e-2, 1e-1]);
    expect(axisValues(MOMENTUM.dist, 2)).toEqual([0.8, 0.99]);
    const grid = gridTrials(SPACE, 3, 4);
    expect(grid).toHaveLength(3 * 3 * 3);
    const keys = grid.map((t) => JSON.stringify([t.params.lr, t.params.momentum, t.params.batch_size]));
    expect(new Set(keys).size).toBe(27);
    for (const lr of axisValues(LR.dist, 3)) for (const m of axisValues(MOMENTUM.dist, 3)) for (const b of [16, 32, 64]) expect(keys).toContain(JSON.stringify([lr, m, b]));
  });

  it('is shuffled by the seed, so a smaller budget still samples every axis', () => {
    expect(gridTrials(SPACE, 3, 4)).toEqual(gridTrials(SPACE, 3, 4));
    const cut = list(new TrialPlan(SPACE, 'grid', 4, 9, 3));
    expect(cut).toHaveLength(9);
    expect(new Set(cut.map((t) => t.params.lr)).size).toBeGreaterThan(1);
    expect(new Set(cut.map((t) => t.params.batch_size)).size).toBeGreaterThan(1);
  });
});

describe('--param flags', () => {
  it.each([
    ['lr=log:1e-4:1e-1', { name: 'lr', layer: null, dist: { kind: 'log', min: 1e-4, max: 0.1 } }],
    ['weight_decay=log:1e-6:1e-2', { name: 'weight_decay', layer: null, dist: { kind: 'log', min: 1e-6, max: 0.01 } }],
    ['momentum=0.8:0.99', { name: 'momentum', layer: null, dist: { kind: 'uniform', min: 0.8, max: 0.99 } }],
    ['batch_size=choice:32,64', { name: 'batch_size', layer: null, dist: { kind: 'choice', values: [32, 64] } }],
    ['dropout:drop1=uniform:0.1:0.5', { name: 'dropout', layer: 'drop1', dist: { kind: 'uniform', min: 0.1, max: 0.5 } }],
  ])('reads %s', (text, want) => {
    expect(parseParamFlag(text)).toEqual(want);
  });

  it.each([
    ['lr', /NAME=RANGE/],
    ['gamma=0.1:0.5', /'gamma' cannot be searched/],
    ['lr=log:0:1', /positive bounds/],
    ['lr=log:1:x', /not a number/],
    ['momentum=0.5:1.5', /momentum takes numbers/],
    ['batch_size=choice:16,2.5', /whole numbers/],
    ['dropout=0.1:0.5', /dropout needs the layer/],
    ['lr=log:1e-4', /expected log:MIN:MAX/],
  ])('refuses %s', (text, message) => {
    const r = parseParamFlag(text);
    expect(typeof r).toBe('string');
    expect(r).toMatch(message);
  });
});

describe('trial settings', () => {
  it('override the solver, weight decay, batch size and dropout, and nothing else', () => {
    const params: SearchParam[] = [LR, MOMENTUM, BATCH, { name: 'weight_decay', layer: null, dist: { kind: 'log', min: 1e-6, max: 1e-2 } }, { name: 'dropout', layer: 'd', dist: { kind: 'uniform', min: 0, max: 0.5 } }];
    const { config, batchSize, dropout } = trialConfig(DEFAULT_TRAIN, 64, params, { lr: 0.03, momentum: 0.85, batch_size: 16, weight_decay: 1e-4, 'dropout:d': 0.25 });
    expect(config.solver).toEqual({ ...DEFAULT_TRAIN.solver, base_lr: 0.03, momentum: 0.85 });
    expect(config.regularization).toEqual({ l2: 1e-4, l1: 0 });
    expect(batchSize).toBe(16);
    expect([...dropout]).toEqual([['d', 0.25]]);
    expect(DEFAULT_TRAIN.solver.base_lr).toBe(0.01);
  });
});

const event = (iteration: number, loss: number) => ({ iteration, epoch: 1, lr: 0.1, loss, top1: 0, batchSize: 8 });

describe('stopping rules', () => {
  it('stop a trial whose loss runs away, before it becomes NaN', () => {
    const m = new TrialMonitor(100, []);
    const losses = [2.3, 2.5, 4, 9, 30, 200];
    const stopAt = losses.findIndex((l, i) => m.observe(event(i + 1, l)));
    expect(stopAt).toBeGreaterThan(1);
    expect(m.verdict?.kind).toBe('diverging');
  });

  it('let a noisy but falling loss run', () => {
    const m = new TrialMonitor(100, []);
    for (let i = 1; i <= 100; i++) expect(m.observe(event(i, 2.3 * Math.exp(-i / 40) + (i % 2 ? 0.3 : 0)))).toBe(false);
    expect(m.curve.every((x) => x !== null)).toBe(true);
  });

  it('stop a trial worse than the median of finished ones at a checkpoint, once 3 have finished', () => {
    const peers = [[1.0, 0.8, 0.6], [1.1, 0.9, 0.7], [1.2, 1.0, 0.8]];
    const slow = (m: TrialMonitor) => {
      for (let i = 1; i <= 40; i++) if (m.observe(event(i, 1.5))) return i;
      return null;
    };
    // At 25% (update 10) its mean loss 1.5 is above the median 1.1.
    const judged = new TrialMonitor(40, peers);
    expect(slow(judged)).toBe(10);
    expect(judged.verdict?.kind).toBe('median');
    expect(slow(new TrialMonitor(40, peers.slice(0, 2)))).toBeNull();
    expect(slow(new TrialMonitor(40, peers, false))).toBeNull();
    const good = new TrialMonitor(40, peers);
    for (let i = 1; i <= 40; i++) expect(good.observe(event(i, 0.5))).toBe(false);
  });
});

function record(index: number, status: TrialRecord['status'], val_top1: number | null, val_loss: number | null = null): TrialRecord {
  return { id: `trial-${index}`, index, params: { lr: index / 10 }, status, stop_rule: status === 'stopped' ? 'median' : null, message: null, val_top1, val_top5: null, val_loss, train_top1: null, train_loss: null, iterations: 1, total_iterations: 1, seconds: 0, curve: [null, null, null], epochs: [] };
}

describe('results', () => {
  it('rank completed trials by the metric, then trials stopped early, then diverged ones', () => {
    const trials = [record(1, 'completed', 0.5, 1.0), record(2, 'diverged', null), record(3, 'stopped', 0.9, 0.2), record(4, 'completed', 0.7, 0.8), record(5, 'completed', null)];
    expect(rankTrials(trials, 'val_top1').map((t) => t.index)).toEqual([4, 1, 5, 3, 2]);
    expect(rankTrials(trials, 'val_loss').map((t) => t.index)).toEqual([4, 1, 5, 3, 2]);
    const csv = trialsCsv(rankTrials(trials, 'val_top1'), [LR]).trim().split('\n');
    expect(csv[0]).toBe('rank,trial,status,lr,val_top1,val_top5,val_loss,train_top1,train_loss,iterations,seconds');
    expect(csv.slice(1).map((l) => l.split(',').slice(0, 3).join(','))).toEqual(['1,trial-4,completed', '2,trial-1,completed', '3,trial-5,completed', '4,trial-3,stopped (median)', '5,trial-2,diverged']);
  });

  it('show that random search tries many more values of each parameter than a grid of the same budget', () => {
    const space: SearchParam[] = [LR, { name: 'weight_decay', layer: null, dist: { kind: 'log', min: 1e-6, max: 1e-2 } }];
    const c = coverage(space, 16, 3);
    expect(c.gridPoints).toBe(4);
    expect(c.grid).toEqual({ lr: 4, weight_decay: 4 });
    expect(c.random).toEqual({ lr: 16, weight_decay: 16 });
  });
});

describe('the parameter that matters', () => {
  it('is the one whose value goes most with the metric, and none when nothing does', async () => {
    const { mostImportant } = await import('../../../src/recipe/search/report.js');
    const space: SearchParam[] = [LR, MOMENTUM];
    const trial = (i: number, lr: number, momentum: number, acc: number) => ({ ...record(i, 'completed', acc), params: { lr, momentum } });
    const trials = [trial(1, 1e-4, 0.9, 0.2), trial(2, 1e-3, 0.85, 0.5), trial(3, 1e-2, 0.95, 0.7), trial(4, 1e-1, 0.88, 0.9)];
    expect(mostImportant(trials, space, 'val_top1')).toBe('lr');
    expect(mostImportant(trials.map((t) => ({ ...t, val_top1: 0.5 })), space, 'val_top1')).toBeNull();
    expect(mostImportant(trials.slice(0, 2), space, 'val_top1')).toBeNull();
  });
});
