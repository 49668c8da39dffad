/**
 * Steps 4 and 5: random search over learning rate × weight decay (L2), both log-uniform, as
 * the lecture recommends (random beats grid when one parameter matters more). With a handful
 * of trials pure random draws can bunch up, so the draws are stratified: trial i of n takes its
 * rate from the i-th of n equal slices of the log range and its decay from a shuffled slice
 * (a Latin hypercube), jittered within the slice by a seeded generator.
 *
 * Coarse: short runs (a third of the fine length, at least one epoch and SEARCH.coarseMinUpdates
 * updates, at most the fine length) with the rate within
 * [suggestion / SEARCH.coarseLrSpread, the rate of the range test's lowest loss] and the decay
 * within SEARCH.coarseDecay. Fine: longer runs within SEARCH.fineSpread of the best coarse trial.
 * Rates stay at most the lowest-loss rate and below the divergence rate / SEARCH.divergenceMargin. Trials are ranked by their best
 * validation top-1, then validation loss; diverged trials last.
 */
import { Rng } from '../../data/random.js';
import { SEARCH } from './settings.js';
import { fmt, pct, runConfig } from './run-config.js';
import { timeLeft, type DoctorContext, type StepResult, type Trial } from './types.js';

export interface Box {
  lr: [number, number];
  decay: [number, number];
}

/** `n` (lr, decay) pairs, stratified log-uniform in `box`. */
export function sampleBox(box: Box, n: number, seed: number): { lr: number; weightDecay: number }[] {
  const rng = new Rng(seed, 0xd0c);
  const perm = rng.permutation(n);
  const logU = ([lo, hi]: [number, number], u: number) => Math.exp(Math.log(lo) + u * (Math.log(hi) - Math.log(lo)));
  return Array.from({ length: n }, (_, i) => ({ lr: logU(box.lr, (i + rng.uniform(0, 1)) / n), weightDecay: logU(box.decay, (perm[i]! + rng.uniform(0, 1)) / n) }));
}

export function rankTrials(trials: readonly Trial[]): Trial[] {
  const key = (t: Trial) => (t.stopped === 'diverged' || t.valTop1 === null ? -1 : t.valTop1);
  return [...trials].sort((a, b) => key(b) - key(a) || (a.valLoss ?? Infinity) - (b.valLoss ?? Infinity));
}

/** Rates above the one where the range test's loss was lowest only get worse (or diverge). */
export function coarseBox(suggested: number, minLr: number, divergedAt: number | null): Box {
  const cap = divergedAt !== null ? divergedAt / SEARCH.divergenceMargin : Infinity;
  const hi = Math.min(minLr, cap);
  return { lr: [Math.min(suggested / SEARCH.coarseLrSpread, hi / SEARCH.coarseLrSpread), hi], decay: SEARCH.coarseDecay };
}

export function fineBox(best: Trial, minLr: number, divergedAt: number | null): Box {
  const cap = Math.min(minLr, divergedAt !== null ? divergedAt / SEARCH.divergenceMargin : Infinity);
  const s = SEARCH.fineSpread;
  const hi = Math.min(best.lr * s, Math.max(cap, best.lr));
  return { lr: [Math.min(best.lr / s, hi), hi], decay: [best.weightDecay / s, best.weightDecay * s] };
}

async function runTrial(ctx: DoctorContext, stage: Trial['stage'], index: number, of: number, lr: number, weightDecay: number, epochs: number): Promise<Trial> {
  const session = await import('../../train/session.js');
  const started = performance.now();
  const r = await session.runTraining({
    tf: ctx.tf,
    net: ctx.net,
    config: runConfig(ctx.base, { lr, l2: weightDecay, l1: ctx.base.regularization.l1 }),
    train: ctx.train,
    validation: ctx.validation,
    batchSize: ctx.batchSize,
    length: { epochs },
    seed: ctx.seed,
    // The first run of each search always completes, so that a tight --max-minutes still ends with a recommendation.
    ...(index > 0 ? { shouldStop: () => Date.now() > ctx.budget.deadline } : {}),
  });
  const vals = r.history.filter((h) => h.val_top1 !== null);
  const trial: Trial = {
    stage,
    index,
    lr,
    weightDecay,
    epochs,
    stopped: r.stopped,
    valTop1: vals.length ? Math.max(...vals.map((h) => h.val_top1!)) : null,
    valLoss: vals.length ? Math.min(...vals.map((h) => h.val_loss!)) : null,
    history: r.history,
    seconds: (performance.now() - started) / 1000,
  };
  const last = r.history[r.history.length - 1];
  ctx.progress(
    `  ${stage} ${index + 1}/${of}  lr ${fmt(lr)}  wd ${fmt(weightDecay)}  ${epochs} epoch${epochs === 1 ? '' : 's'}: ` +
      (r.stopped === 'diverged' ? 'diverged' : `val top-1 ${pct(trial.valTop1)} (train ${pct(last?.train_top1 ?? null)})`) +
      `${r.stopped === 'interrupted' ? ' — stopped: time budget' : ''}  ${trial.seconds.toFixed(1)} s`,
  );
  return trial;
}

export async function searchStep(ctx: DoctorContext, stage: Trial['stage'], box: Box, n: number, epochs: number): Promise<{ result: StepResult; trials: Trial[] }> {
  const trials: Trial[] = [];
  const draws = sampleBox(box, n, ctx.seed + (stage === 'fine' ? 1 : 0));
  for (const [i, d] of draws.entries()) {
    if (trials.length > 0 && !timeLeft(ctx.budget)) {
      ctx.progress(`  time budget reached after ${trials.length} of ${n} trials`);
      break;
    }
    trials.push(await runTrial(ctx, stage, i, n, d.lr, d.weightDecay, epochs));
  }
  const ranked = rankTrials(trials);
  const best = ranked[0]!;
  const diverged = trials.filter((t) => t.stopped === 'diverged');
  const chance = 1 / ctx.net.numClasses;
  const details = [
    `${trials.length} trial${trials.length === 1 ? '' : 's'} of ${epochs} epoch${epochs === 1 ? '' : 's'}; lr ${fmt(box.lr[0])} … ${fmt(box.lr[1])}, weight decay ${fmt(box.decay[0])} … ${fmt(box.decay[1])} (log-uniform)`,
    ...ranked.map((t) => `lr ${fmt(t.lr)}, wd ${fmt(t.weightDecay)}: ${t.stopped === 'diverged' ? 'diverged' : `val top-1 ${pct(t.valTop1)}, val loss ${t.valLoss === null ? '–' : fmt(t.valLoss)}`}`),
  ];
  if (diverged.length) details.push(`${diverged.length} trial${diverged.length === 1 ? '' : 's'} diverged (lr ${diverged.map((t) => fmt(t.lr)).join(', ')})`);
  const id = stage === 'coarse' ? 'coarse-search' : 'fine-search';
  // Short runs on small validation sets are noisy: only no better than chance at all counts as not learning.
  if (best.valTop1 === null || best.stopped === 'diverged' || best.valTop1 <= chance) {
    return {
      trials,
      result: { id, passed: false, summary: `no trial learned: best validation top-1 ${pct(best.valTop1)} (chance ${pct(chance)})`, details, advice: ['the rate the range test picked does not carry over to full runs: re-run with --quick off, or check the validation data comes from the same distribution'] },
    };
  }
  return { trials, result: { id, passed: true, summary: `best: lr ${fmt(best.lr)}, weight decay ${fmt(best.weightDecay)} → validation top-1 ${pct(best.valTop1)}`, details, advice: [] } };
}
