/** What the doctor's steps share and what each one reports. */
import type { Tf } from '../../backends/tfjs/index.js';
import type { Dataset } from '../../data/index.js';
import type { TrainConfig } from '../../ir/train.js';
import type { EpochMetrics } from '../../train/loop.js';
import type { PreparedNet } from '../../train/session.js';

export type StepId = 'initial-loss' | 'overfit' | 'lr-range' | 'coarse-search' | 'fine-search' | 'curves';

export const STEP_TITLES: Record<StepId, string> = {
  'initial-loss': 'Initial loss',
  overfit: 'Overfit a small sample',
  'lr-range': 'Learning-rate range test',
  'coarse-search': 'Coarse search',
  'fine-search': 'Fine search',
  curves: 'Reading the curves',
};

export const STEP_ORDER: readonly StepId[] = ['initial-loss', 'overfit', 'lr-range', 'coarse-search', 'fine-search', 'curves'];

export interface StepResult {
  id: StepId;
  passed: boolean;
  /** One line: what was measured and the verdict. */
  summary: string;
  /** Further facts (one line each). */
  details: string[];
  /** What to do, when the step failed (or has a caution). */
  advice: string[];
}

/** One training run of a search. */
export interface Trial {
  stage: 'coarse' | 'fine';
  index: number;
  lr: number;
  weightDecay: number;
  epochs: number;
  stopped: string;
  /** Best validation top-1 over its epochs (null: none computed, e.g. diverged in the first epoch). */
  valTop1: number | null;
  valLoss: number | null;
  history: EpochMetrics[];
  seconds: number;
}

/** One update of the range test. */
export interface RangePoint {
  lr: number;
  loss: number;
  smoothed: number;
}

export interface Budget {
  quick: boolean;
  /** ms since the epoch after which no new search run starts and a running one stops (the first of each search excepted); Infinity: none. */
  deadline: number;
  /** Coarse trials (fine: half, at least one). */
  trials: number;
  /** Epochs of each fine run. */
  fineEpochs: number;
}

export interface DoctorContext {
  tf: Tf;
  net: PreparedNet;
  /** The spec's train section (or the defaults) the runs start from. */
  base: TrainConfig;
  train: Dataset;
  validation: Dataset;
  batchSize: number;
  seed: number;
  budget: Budget;
  progress: (line: string) => void;
}

/** Everything the recipe found, for the reports. */
export interface DoctorFindings {
  spec: string;
  netName: string;
  numClasses: number;
  trainSize: number;
  validationSize: number;
  batchSize: number;
  backend: string;
  steps: StepResult[];
  initialLoss: number | null;
  rangeTest: { points: RangePoint[]; suggested: number | null; divergedAt: number | null } | null;
  trials: Trial[];
  best: Trial | null;
  /** The settings the doctor recommends (null when it stopped before a search). */
  recommended: { lr: number; weightDecay: number; epochs: number } | null;
  /** The updated train section, in nnspec syntax. */
  trainSection: string | null;
  seconds: number;
}

export const timeLeft = (b: Budget) => Date.now() < b.deadline;
