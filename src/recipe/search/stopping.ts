/**
 * Early termination of hopeless trials, so the budget goes to promising ones. Two rules, judged
 * on the training loss after every update (the only figure a trial has between epochs):
 *
 * - **Divergence.** A loss that stops being finite ends the trial in the training loop itself
 *   ('diverged'). Before that, a smoothed loss (exponential average, weight 0.3 on the newest
 *   batch) above max(3 × L₀, L₀ + 3), where L₀ is the first batch's loss, after at least 3
 *   updates ends it as 'diverging': at that point a run has lost everything it started with.
 * - **Median stopping** (Golovin et al., "Google Vizier", 2017). At 25 %, 50 % and 75 % of its
 *   updates a trial's mean training loss so far is compared with the median of the same figure
 *   of the trials that ran to the end; worse than that median, it stops ('median'). The rule
 *   waits until 3 trials have finished, and never judges the first checkpoint of a trial before
 *   it has run 5 updates, so short noisy starts are not punished.
 */
import type { IterationEvent } from '../../train/loop.js';

/** Fractions of a trial's updates at which the median rule looks. */
export const CHECKPOINTS = [0.25, 0.5, 0.75] as const;
/** Finished trials the median rule needs before it judges anyone. */
export const MEDIAN_MIN_PEERS = 3;

export type StopKind = 'diverging' | 'median';

export interface StopVerdict {
  kind: StopKind;
  message: string;
}

/** A finished trial's mean training loss at each checkpoint (null: it did not get there). */
export type LossCurve = (number | null)[];

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export class TrialMonitor {
  private first: number | null = null;
  private smoothed = 0;
  private sum = 0;
  private count = 0;
  /** This trial's mean loss at each checkpoint reached. */
  readonly curve: LossCurve = CHECKPOINTS.map(() => null);
  verdict: StopVerdict | null = null;
  private readonly at: number[];

  /** `peers`: the curves of trials that ran to the end. */
  constructor(
    totalIters: number,
    private readonly peers: readonly LossCurve[],
    private readonly medianRule = true,
  ) {
    this.at = CHECKPOINTS.map((f) => Math.max(1, Math.round(f * totalIters)));
  }

  /** Feeds one update; true: stop the trial (the verdict says why). */
  observe(e: IterationEvent): boolean {
    if (this.verdict) return true;
    const loss = e.loss;
    this.sum += loss;
    this.count++;
    if (this.first === null) {
      this.first = loss;
      this.smoothed = loss;
    } else this.smoothed = 0.7 * this.smoothed + 0.3 * loss;
    const limit = Math.max(3 * this.first, this.first + 3);
    if (e.iteration >= 3 && this.smoothed > limit) {
      this.verdict = { kind: 'diverging', message: `diverging: the smoothed loss ${this.smoothed.toPrecision(3)} at update ${e.iteration} is above ${limit.toPrecision(3)} (3× the first loss ${this.first.toPrecision(3)})` };
      return true;
    }
    const k = this.at.indexOf(e.iteration);
    if (k < 0) return false;
    const mean = this.sum / this.count;
    this.curve[k] = mean;
    if (!this.medianRule || e.iteration < 5) return false;
    const others = this.peers.map((c) => c[k]).filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
    if (others.length < MEDIAN_MIN_PEERS) return false;
    const m = median(others);
    if (mean > m) {
      this.verdict = { kind: 'median', message: `median rule: mean training loss ${mean.toPrecision(4)} at ${Math.round(CHECKPOINTS[k]! * 100)}% of the trial is worse than the median ${m.toPrecision(4)} of ${others.length} finished trials` };
      return true;
    }
    return false;
  }
}
