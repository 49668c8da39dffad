/** The train settings of one doctor run: the spec's, with the rate, decay and schedule the step needs. */
import type { Dataset } from '../../data/index.js';
import type { LrSchedule, TrainConfig } from '../../ir/train.js';
import type { PreparedNet } from '../../train/session.js';

export interface RunSettings {
  lr: number;
  l2: number;
  /** Keep the spec's L1 term (searches) or drop it (steps run with weight decay off). */
  l1?: number;
  /** Replace the spec's schedule (range test: exp; overfitting: fixed). */
  schedule?: LrSchedule;
}

export const FIXED: LrSchedule = { policy: 'fixed', gamma: 0.1, power: 1, step_size: null, milestones: [], unit: 'iteration', min_lr: 0, warmup: null };

export function runConfig(base: TrainConfig, s: RunSettings): TrainConfig {
  return {
    ...base,
    solver: { ...base.solver, base_lr: s.lr },
    regularization: { l2: s.l2, l1: s.l1 ?? 0 },
    lr_schedule: s.schedule ?? base.lr_schedule,
    // The doctor decides each run's length and judges the runs itself.
    early_stopping: null,
  };
}

/** The net without the spec's augmentation: the early steps measure the net, not the data pipeline. */
export function withoutAugmentation(net: PreparedNet): PreparedNet {
  return { ...net, modelData: { ...net.modelData, augmentation: [] } };
}

/** The first `n` examples of `dataset`. */
export async function firstExamples(dataset: Dataset, n: number): Promise<Dataset> {
  const { SubsetDataset } = await import('../../data/index.js');
  return new SubsetDataset(dataset, Int32Array.from({ length: Math.min(n, dataset.size) }, (_, i) => i));
}

/** A number for the terminal and the reports: 3 significant digits. */
export const fmt = (x: number): string => {
  const r = Number(x.toPrecision(3));
  return r === 0 || (Math.abs(r) >= 1e-3 && Math.abs(r) < 1e4) ? String(r) : r.toExponential();
};
export const pct = (x: number | null): string => (x === null ? '–' : `${(100 * x).toFixed(1)}%`);
