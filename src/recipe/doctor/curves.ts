/**
 * Step 6: reads the per-epoch curves of the best fine run, with the thresholds of CURVES:
 * - flat: the final training loss is still above CURVES.flat × the initial loss → the rate or
 *   the initialisation;
 * - overfitting: training top-1 − validation top-1 ≥ CURVES.gap, or the validation loss ends
 *   above CURVES.valLossRise × its minimum (and CURVES.valLossRiseAbs above it) → more
 *   regularisation or more data;
 * - still rising: over the last third of the epochs, validation top-1 gained ≥ CURVES.rising, or
 *   validation loss fell by ≥ CURVES.risingLoss while top-1 is below CURVES.lowAccuracy (and
 *   never once top-1 is ≥ CURVES.saturated) → train longer;
 * - underfitting: a gap below CURVES.smallGap with training top-1 below CURVES.lowAccuracy →
 *   train longer, a bigger model, less regularisation.
 * No finding: the curves look healthy.
 */
import type { EpochMetrics } from '../../train/loop.js';
import { CURVES } from './settings.js';
import { fmt, pct } from './run-config.js';
import type { StepResult } from './types.js';

export type CurveFinding = 'flat' | 'overfitting' | 'still-rising' | 'underfitting';

export interface CurveReading {
  findings: CurveFinding[];
  facts: string[];
  advice: string[];
}

export function readCurves(history: readonly EpochMetrics[], initialLoss: number): CurveReading {
  const last = history[history.length - 1];
  if (!last) return { findings: [], facts: ['no epoch finished'], advice: [] };
  const findings: CurveFinding[] = [];
  const advice: string[] = [];
  const facts = [`final epoch ${last.epoch}: training loss ${fmt(last.train_loss)}, top-1 ${pct(last.train_top1)}; validation loss ${last.val_loss === null ? '–' : fmt(last.val_loss)}, top-1 ${pct(last.val_top1)}`];
  if (last.train_loss > CURVES.flat * initialLoss) {
    findings.push('flat');
    advice.push(`flat loss: the training loss ${fmt(last.train_loss)} is still near its initial ${fmt(initialLoss)} — the learning rate is far off (too small, or so large the updates cancel out) or the initialisation blocks learning`);
  }
  const gap = last.val_top1 === null ? null : last.train_top1 - last.val_top1;
  const vals = history.filter((h) => h.val_loss !== null);
  const minVal = vals.length ? Math.min(...vals.map((h) => h.val_loss!)) : null;
  if (gap !== null) facts.push(`train/validation gap ${(100 * gap).toFixed(1)} points`);
  const valRose = minVal !== null && last.val_loss !== null && last.val_loss > CURVES.valLossRise * minVal && last.val_loss - minVal >= CURVES.valLossRiseAbs;
  if ((gap !== null && gap >= CURVES.gap) || valRose) {
    findings.push('overfitting');
    advice.push(
      `overfitting: ${gap !== null && gap >= CURVES.gap ? `training top-1 is ${(100 * gap).toFixed(1)} points above validation` : ''}${gap !== null && gap >= CURVES.gap && valRose ? ' and ' : ''}${valRose ? `the validation loss climbed back from ${fmt(minVal!)} to ${fmt(last.val_loss!)}` : ''} — add regularisation (weight decay, dropout, augmentation) or more data, or stop earlier`,
    );
  }
  const k = Math.max(0, Math.min(history.length - 2, Math.floor((2 * (history.length - 1)) / 3)));
  const ref = history[k]!;
  if (history.length >= 2 && last.val_top1 !== null && ref.val_top1 !== null && last.val_top1 < CURVES.saturated) {
    const gained = last.val_top1 - ref.val_top1;
    const fell = ref.val_loss !== null && last.val_loss !== null ? (ref.val_loss - last.val_loss) / ref.val_loss : 0;
    if ((gained >= CURVES.rising || (fell >= CURVES.risingLoss && last.val_top1 < CURVES.lowAccuracy)) && !findings.includes('overfitting')) {
      findings.push('still-rising');
      advice.push(`still rising: since epoch ${ref.epoch} validation top-1 went ${pct(ref.val_top1)} → ${pct(last.val_top1)}${fell > 0 ? ` and its loss fell ${Math.round(100 * fell)}%` : ''} — train longer`);
    }
  }
  if (gap !== null && gap < CURVES.smallGap && last.train_top1 < CURVES.lowAccuracy && !findings.includes('flat')) {
    findings.push('underfitting');
    advice.push(`underfitting: training top-1 ${pct(last.train_top1)} with a small gap (${(100 * gap).toFixed(1)} points) — train longer, use a bigger model, or regularise less`);
  }
  return { findings, facts, advice };
}

export function curvesStep(history: readonly EpochMetrics[], initialLoss: number): { result: StepResult; reading: CurveReading } {
  const reading = readCurves(history, initialLoss);
  const passed = reading.findings.length === 0;
  return {
    reading,
    result: {
      id: 'curves',
      passed,
      summary: passed ? 'the curves look healthy: no flat loss, no overfitting, no underfitting, not still rising' : reading.findings.map((f) => f.replace('-', ' ')).join(', '),
      details: reading.facts,
      advice: reading.advice,
    },
  };
}
