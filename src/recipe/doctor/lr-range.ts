/**
 * Step 3: the learning-rate range test (Smith 2017). One run whose rate grows exponentially from
 * RANGE_TEST.from to RANGE_TEST.to (the `exp` policy with γ = (to/from)^(1/(n−1)), per update),
 * on the training split with the spec's solver and weight decay. The per-update loss is
 * smoothed (bias-corrected moving average); the run stops once the smoothed loss passes
 * RANGE_TEST.explode × its minimum, stops being finite, or climbs back above its start after a
 * clear drop — the rate there "diverged".
 *
 * Rule: the suggested rate is RANGE_TEST.backoff (a tenth) of the rate at the smoothed loss's
 * minimum; the step fails when the smoothed loss never drops below RANGE_TEST.clearDrop of its
 * start (no rate in the range makes progress) or when it diverges before dropping at all.
 */
import { RANGE_TEST } from './settings.js';
import { fmt } from './run-config.js';
import { runConfig } from './run-config.js';
import type { DoctorContext, RangePoint, StepResult } from './types.js';

export interface RangeAnalysis {
  suggested: number | null;
  /** The rate at which the loss exploded (null: it never did within the range). */
  divergedAt: number | null;
  minLr: number | null;
  clearDrop: boolean;
}

/** Applies the rule above to the recorded points (pure, for tests). */
export function analyseRange(points: readonly RangePoint[], exploded: boolean): RangeAnalysis {
  const finite = points.filter((p) => Number.isFinite(p.smoothed));
  if (finite.length === 0) return { suggested: null, divergedAt: points[0]?.lr ?? null, minLr: null, clearDrop: false };
  let m = 0;
  for (let i = 1; i < finite.length; i++) if (finite[i]!.smoothed < finite[m]!.smoothed) m = i;
  const clearDrop = finite[m]!.smoothed <= RANGE_TEST.clearDrop * finite[0]!.smoothed;
  const minLr = finite[m]!.lr;
  const divergedAt = exploded ? points[points.length - 1]!.lr : null;
  return { suggested: clearDrop ? Math.max(minLr * RANGE_TEST.backoff, finite[0]!.lr) : null, divergedAt, minLr, clearDrop };
}

export async function rangeTestStep(ctx: DoctorContext): Promise<{ result: StepResult; points: RangePoint[]; analysis: RangeAnalysis }> {
  const session = await import('../../train/session.js');
  const n = ctx.budget.quick ? RANGE_TEST.quickIterations : RANGE_TEST.iterations;
  const { from, to } = RANGE_TEST;
  const gamma = (to / from) ** (1 / (n - 1));
  const points: RangePoint[] = [];
  let avg = 0;
  let min = Infinity;
  let exploded = false;
  const config = runConfig(ctx.base, {
    lr: from,
    l2: ctx.base.regularization.l2,
    l1: ctx.base.regularization.l1,
    schedule: { policy: 'exp', gamma, power: 1, step_size: null, milestones: [], unit: 'iteration', min_lr: 0, warmup: null },
  });
  const r = await session.runTraining({
    tf: ctx.tf,
    net: ctx.net,
    config,
    train: ctx.train,
    validation: null,
    batchSize: ctx.batchSize,
    length: { iterations: n },
    seed: ctx.seed,
    onIteration: (e) => {
      avg = RANGE_TEST.smoothing * avg + (1 - RANGE_TEST.smoothing) * e.loss;
      const smoothed = avg / (1 - RANGE_TEST.smoothing ** e.iteration);
      points.push({ lr: e.lr, loss: e.loss, smoothed });
      if (e.iteration % 20 === 0) ctx.progress(`  update ${e.iteration}/${n}  lr ${fmt(e.lr)}  loss ${fmt(smoothed)}`);
      if (!Number.isFinite(smoothed) || (e.iteration > 5 && (smoothed > RANGE_TEST.explode * min || (min <= RANGE_TEST.clearDrop * points[0]!.smoothed && smoothed > points[0]!.smoothed)))) {
        exploded = true;
        return true;
      }
      min = Math.min(min, smoothed);
      return false;
    },
  });
  if (r.stopped === 'diverged') {
    exploded = true;
    // The update whose loss was not finite never reached onIteration; its rate is the next one.
    const last = points[points.length - 1];
    points.push({ lr: last ? last.lr * gamma : from, loss: NaN, smoothed: NaN });
  }
  const a = analyseRange(points, exploded);
  const details = [`${points.length} updates, rate ${fmt(from)} → ${fmt(points[points.length - 1]?.lr ?? from)} (×${fmt(gamma)} per update), batch ${ctx.batchSize}`];
  if (a.minLr !== null) details.push(`lowest smoothed loss at lr ${fmt(a.minLr)}`);
  if (a.divergedAt !== null) details.push(`the loss diverged at lr ${fmt(a.divergedAt)}: rates from there on are unusable`);
  if (a.suggested === null) {
    return {
      points,
      analysis: a,
      result: {
        id: 'lr-range',
        passed: false,
        summary: a.minLr === null ? `the loss diverged at once (lr ${fmt(from)})` : `no rate between ${fmt(from)} and ${fmt(to)} made the loss drop clearly (by ${Math.round(100 * (1 - RANGE_TEST.clearDrop))}%)`,
        details,
        advice: ['check the initialisation (step 1 passes?) and that the labels match the inputs', 'try another solver (e.g. adam) or normalise the inputs'],
      },
    };
  }
  return {
    points,
    analysis: a,
    result: {
      id: 'lr-range',
      passed: true,
      summary: `suggested learning rate ${fmt(a.suggested)} (a tenth of ${fmt(a.minLr!)}, where the loss was lowest)${a.divergedAt !== null ? `; diverged at ${fmt(a.divergedAt)}` : ''}`,
      details,
      advice: [],
    },
  };
}
