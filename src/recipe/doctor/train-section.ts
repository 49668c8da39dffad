/**
 * The updated `train { … }` section, printed by the nnspec printer's own train-section writer
 * (src/backends/nnspec/train.ts), so that it reads back exactly as any converted spec's does.
 */
import { trainSection } from '../../backends/nnspec/train.js';
import { Unsupported, writeField } from '../../backends/nnspec/text.js';
import type { TrainConfig } from '../../ir/train.js';
import { fmt } from './run-config.js';

export interface Recommendation {
  lr: number;
  weightDecay: number;
  /** Epochs the doctor's final runs used (doubled when the curves were still rising). */
  epochs: number;
  batchSize: number;
}

export function updatedConfig(base: TrainConfig, r: Recommendation): TrainConfig {
  // A length in iterations is the user's choice; an epoch count or none is replaced when the doctor's is longer.
  const epochs = base.iterations !== null ? base.epochs : Math.max(base.epochs ?? 0, r.epochs);
  return {
    ...base,
    solver: { ...base.solver, base_lr: r.lr },
    regularization: { ...base.regularization, l2: r.weightDecay },
    epochs,
    batch_size: r.batchSize,
  };
}

/** The section as text, with a comment saying what changed; a string error when nnspec cannot express the settings. */
export function printTrainSection(base: TrainConfig, r: Recommendation): { text: string } | { error: string } {
  const updated = updatedConfig(base, r);
  try {
    const { msg } = trainSection(updated);
    const lines = [`# From nnspec doctor: lr ${fmt(r.lr)} (was ${fmt(base.solver.base_lr)}), weight_decay ${fmt(r.weightDecay)} (was ${fmt(base.regularization.l2)}).`];
    writeField(lines, '', 'train', msg);
    return { text: `${lines.join('\n')}\n` };
  } catch (e) {
    if (e instanceof Unsupported) return { error: `nnspec cannot express ${e.message}` };
    throw e;
  }
}
