import { describe, expect, it } from 'vitest';
import type { LrSchedule } from '../../src/ir/train.js';
import { learningRate } from '../../src/train/lr-schedule.js';

const BASE: LrSchedule = { policy: 'fixed', gamma: 0.1, power: 1, step_size: null, milestones: [], unit: 'iteration', min_lr: 0, warmup: null };
const at = (iteration: number, totalIters = 1000, itersPerEpoch = 100) => ({ iteration, totalIters, itersPerEpoch });
const lr = (s: Partial<LrSchedule>, iteration: number, base = 0.1) => learningRate(base, { ...BASE, ...s }, at(iteration));

// The expected values are Caffe's formulas (sgd_solver.cpp, GetLearningRate) written out by hand.
describe('learning-rate policies', () => {
  it('fixed keeps base_lr', () => {
    expect(lr({}, 0)).toBe(0.1);
    expect(lr({}, 999)).toBe(0.1);
  });
  it('step: base · γ^floor(iter / stepsize)', () => {
    const s = { policy: 'step' as const, gamma: 0.5, step_size: 10 };
    expect(lr(s, 9)).toBeCloseTo(0.1, 12);
    expect(lr(s, 10)).toBeCloseTo(0.05, 12);
    expect(lr(s, 25)).toBeCloseTo(0.025, 12);
  });
  it('multistep: γ once per step value reached', () => {
    const s = { policy: 'multistep' as const, gamma: 0.1, milestones: [100, 300] };
    expect(lr(s, 99)).toBeCloseTo(0.1, 12);
    expect(lr(s, 100)).toBeCloseTo(0.01, 12);
    expect(lr(s, 300)).toBeCloseTo(0.001, 12);
  });
  it('exp: base · γ^iter', () => {
    expect(lr({ policy: 'exp', gamma: 0.99 }, 2)).toBeCloseTo(0.1 * 0.9801, 12);
  });
  it('inv: base · (1 + γ·iter)^(−power), as in the LeNet solver', () => {
    // lenet_solver.prototxt: base_lr 0.01, gamma 1e-4, power 0.75; at iteration 10000: 0.01 · 2^−0.75.
    expect(learningRate(0.01, { ...BASE, policy: 'inv', gamma: 1e-4, power: 0.75 }, at(10000, 10000))).toBeCloseTo(0.00594604, 8);
  });
  it('poly: base · (1 − iter/max_iter)^power', () => {
    expect(lr({ policy: 'poly', power: 2 }, 500)).toBeCloseTo(0.025, 12);
    expect(lr({ policy: 'poly', power: 2 }, 1000)).toBe(0);
  });
  it('sigmoid: base · 1/(1 + e^(−γ(iter − stepsize)))', () => {
    expect(lr({ policy: 'sigmoid', gamma: 0.05, step_size: 200 }, 200)).toBeCloseTo(0.05, 12);
    expect(lr({ policy: 'sigmoid', gamma: 0.05, step_size: 200 }, 220)).toBeCloseTo(0.1 / (1 + Math.exp(-1)), 12);
  });
  it('cosine anneals from base to min_lr', () => {
    expect(lr({ policy: 'cosine', min_lr: 0.001 }, 0)).toBeCloseTo(0.1, 12);
    expect(lr({ policy: 'cosine', min_lr: 0.001 }, 500)).toBeCloseTo(0.0505, 12);
    expect(lr({ policy: 'cosine', min_lr: 0.001 }, 1000)).toBeCloseTo(0.001, 12);
  });
  it('epoch units count whole epochs', () => {
    const s = { policy: 'step' as const, gamma: 0.1, step_size: 2, unit: 'epoch' as const };
    expect(lr(s, 199)).toBeCloseTo(0.1, 12); // epoch 1 not done
    expect(lr(s, 200)).toBeCloseTo(0.01, 12);
    expect(lr({ policy: 'cosine', unit: 'epoch' }, 550)).toBeCloseTo(0.05, 12); // 5 of 10 epochs
  });
  it('linear warm-up multiplies the policy', () => {
    const s = { policy: 'step' as const, gamma: 0.5, step_size: 10, warmup: { length: 4, unit: 'iteration' as const, start_factor: 0.2 } };
    expect(lr(s, 0)).toBeCloseTo(0.02, 12);
    expect(lr(s, 2)).toBeCloseTo(0.06, 12);
    expect(lr(s, 4)).toBeCloseTo(0.1, 12);
    expect(lr(s, 10)).toBeCloseTo(0.05, 12);
  });
});
