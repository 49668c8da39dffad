/**
 * Learning-rate policies as pure functions of the iteration, with Caffe's formulas
 * (caffe/src/caffe/solvers/sgd_solver.cpp, GetLearningRate) and two additions: cosine annealing
 * (PyTorch's CosineAnnealingLR, closed form) and a linear warm-up (PyTorch's LinearLR), which
 * multiplies whatever the policy gives.
 *
 * When the schedule's unit is 'epoch', the policy sees the number of whole epochs done (as a
 * PyTorch scheduler stepped once per epoch), and its total is the number of epochs.
 */
import type { LrSchedule } from '../ir/train.js';

export interface ScheduleClock {
  /** Updates done so far (0 for the first update). */
  iteration: number;
  /** Updates per epoch. */
  itersPerEpoch: number;
  /** Updates in the whole run. */
  totalIters: number;
}

function inUnit(unit: 'iteration' | 'epoch', clock: ScheduleClock): { t: number; total: number } {
  if (unit === 'iteration') return { t: clock.iteration, total: clock.totalIters };
  return { t: Math.floor(clock.iteration / clock.itersPerEpoch), total: clock.totalIters / clock.itersPerEpoch };
}

/** The policy's learning rate, before warm-up. */
export function policyRate(baseLr: number, s: LrSchedule, clock: ScheduleClock): number {
  const { t, total } = inUnit(s.unit, clock);
  switch (s.policy) {
    case 'fixed':
      return baseLr;
    case 'step':
      return baseLr * s.gamma ** Math.floor(t / s.step_size!);
    case 'multistep':
      // Caffe moves to the next step once the iteration reaches a step value.
      return baseLr * s.gamma ** s.milestones.filter((m) => t >= m).length;
    case 'exp':
      return baseLr * s.gamma ** t;
    case 'inv':
      return baseLr * (1 + s.gamma * t) ** -s.power;
    case 'poly':
      return baseLr * Math.max(0, 1 - t / total) ** s.power;
    case 'sigmoid':
      return baseLr * (1 / (1 + Math.exp(-s.gamma * (t - s.step_size!))));
    case 'cosine':
      return s.min_lr + ((baseLr - s.min_lr) * (1 + Math.cos((Math.PI * Math.min(t, total)) / total))) / 2;
    default:
      throw new Error(`unknown learning-rate policy '${String(s.policy)}'`);
  }
}

/** The warm-up factor: from start_factor at the first update rising linearly to 1 at `length`. */
export function warmupFactor(s: LrSchedule, clock: ScheduleClock): number {
  const w = s.warmup;
  if (!w) return 1;
  const t = w.unit === 'iteration' ? clock.iteration : Math.floor(clock.iteration / clock.itersPerEpoch);
  if (t >= w.length) return 1;
  return w.start_factor + ((1 - w.start_factor) * t) / w.length;
}

export function learningRate(baseLr: number, s: LrSchedule, clock: ScheduleClock): number {
  return policyRate(baseLr, s, clock) * warmupFactor(s, clock);
}
