/**
 * Every threshold and run length of `nnspec doctor`, in one place so that the report, the
 * documentation and the tests agree on them. The values are judgement calls for small image
 * classifiers; each comment says why it is where it is.
 */

/** Step 1: the initial loss passes within max(REL·log C, ABS) of log C (a uniform guess over C classes). */
export const INITIAL_LOSS = {
  /** 15 %: a healthy initialisation lands within a few percent; dropout and ties add some noise. */
  relative: 0.15,
  /** ±0.25 nats, for few classes where 15 % of log 2 would be too strict to be useful. */
  absolute: 0.25,
  /** Examples whose loss is averaged. */
  examples: 256,
  /** Logits whose spread across classes exceeds this (in nats) make confident guesses before training. */
  logitStd: 2,
} as const;

/** Step 2: overfit a small sample with weight decay, augmentation and the schedule off (dropout stays: it is part of the net). */
export const OVERFIT = {
  /** Examples of the training split, fed as one batch (up to the batch size), so accuracy is the sample's. */
  sample: 50,
  quickSample: 32,
  /** "~100 %": at most one example in fifty wrong. */
  accuracy: 0.98,
  /** Updates before giving up. */
  iterations: 300,
  quickIterations: 150,
  /** The loss counts as having moved when it fell below this fraction of its first value. */
  moved: 0.9,
  /** …and diverged once it rose past this multiple of its first value. */
  blowUp: 3,
  /** Updates after which a loss that has not changed at all ends the attempt. */
  stuckAfter: 30,
} as const;

/** Step 3: the learning-rate range test (Smith 2017, "Cyclical learning rates"). */
export const RANGE_TEST = {
  from: 1e-5,
  /** Past the point where plain SGD on a normalised net diverges, so the test usually sees it. */
  to: 10,
  /** About 15 updates per decade (12 in quick mode): fewer, and momentum has no time to build up at the rates that work. */
  iterations: 90,
  quickIterations: 72,
  /** Smoothing of the per-update loss (exponential moving average, bias-corrected). */
  smoothing: 0.8,
  /**
   * The test stops (the rate "diverged") once the smoothed loss exceeds this multiple of its
   * minimum, or is not finite, or — after dropping clearly — climbs back above its start (all
   * progress lost: a net whose ReLUs died sits at log C without ever overflowing).
   */
  explode: 4,
  /** "Drops clearly": the smoothed loss falls below this fraction of its starting value. */
  clearDrop: 0.9,
  /** The suggested rate is this fraction of the rate at the smoothed loss's minimum: still falling fast there, with a margin from divergence. */
  backoff: 0.1,
} as const;

/** Steps 4 and 5: random search, log-uniform. */
export const SEARCH = {
  trials: 8,
  quickTrials: 4,
  /** Learning rates within [suggested / spread, the rate of the range test's lowest loss], and below its divergence rate / margin. */
  coarseLrSpread: 3,
  /** Coarse runs last at least this many updates, however small the data (fewer teach nothing). */
  coarseMinUpdates: 40,
  divergenceMargin: 3,
  /** Weight decay (L2) within these bounds in the coarse search. */
  coarseDecay: [1e-6, 1e-2] as [number, number],
  /** The fine search: within [best / spread, best · spread] of the best coarse trial, for both. */
  fineSpread: 3,
  /** Epochs of the fine runs (coarse runs: a third of it, at least one). */
  fineEpochs: 10,
  quickFineEpochs: 6,
} as const;

/** Step 6: reading the final curves. */
export const CURVES = {
  /** Flat: the final training loss is still above this fraction of the initial loss (a slow but real fall is underfitting, not flat). */
  flat: 0.95,
  /** Overfitting: training top-1 exceeds validation top-1 by at least this much (or validation loss climbs back above its minimum by VAL_LOSS_RISE). */
  gap: 0.1,
  valLossRise: 1.25,
  /** …and by at least this much in absolute terms (nats), so that noise on a tiny loss is not a climb. */
  valLossRiseAbs: 0.1,
  /** Underfitting: a gap below SMALL_GAP with training top-1 below this. */
  lowAccuracy: 0.9,
  smallGap: 0.05,
  /** Still rising: over the last third of the run, validation top-1 gained this much, or (below LOW_ACCURACY) validation loss fell by this fraction. */
  rising: 0.03,
  risingLoss: 0.2,
  /** …unless validation top-1 is already at least this (nothing left to gain). */
  saturated: 0.99,
} as const;
