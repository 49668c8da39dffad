/**
 * Summaries of one layer's output over a batch: moments, the saturated fraction of tanh and
 * sigmoid outputs, the dead fraction of ReLU units and a histogram. Plain loops over the values
 * read back from the backend: one pass each, no second copy.
 */
import type { Histogram } from './types.js';

export const SATURATION = { tanh: 0.99, sigmoidLow: 0.01, sigmoidHigh: 0.99 } as const;
export const HISTOGRAM_BINS = 30;

export interface Moments {
  mean: number;
  std: number;
  min: number;
  max: number;
  /** NaN and ±Infinity values; they make mean and std NaN. */
  nonFinite: number;
}

export function moments(values: Float32Array): Moments {
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  let nonFinite = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) {
      nonFinite++;
      continue;
    }
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const n = values.length - nonFinite;
  if (nonFinite > 0 || n === 0) return { mean: NaN, std: NaN, min: n ? min : NaN, max: n ? max : NaN, nonFinite };
  const mean = sum / n;
  // Two passes: the one-pass formula loses every digit when the mean dwarfs the spread.
  let sq = 0;
  for (let i = 0; i < values.length; i++) {
    const d = values[i]! - mean;
    sq += d * d;
  }
  return { mean, std: Math.sqrt(sq / n), min, max, nonFinite };
}

export function saturatedFraction(op: string, values: Float32Array): number | null {
  if (values.length === 0) return null;
  let n = 0;
  if (op === 'tanh') {
    for (let i = 0; i < values.length; i++) if (Math.abs(values[i]!) > SATURATION.tanh) n++;
  } else if (op === 'sigmoid') {
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (v < SATURATION.sigmoidLow || v > SATURATION.sigmoidHigh) n++;
    }
  } else return null;
  return n / values.length;
}

/**
 * Fraction of units that are ≤ 0 for every example: a unit is one position of a single
 * example's output (a channel at one spatial position, or one neuron of a fully connected
 * layer), i.e. every index but the batch axis.
 */
export function deadFraction(values: Float32Array, batch: number): number | null {
  if (batch < 1 || values.length === 0) return null;
  const units = values.length / batch;
  let dead = 0;
  for (let u = 0; u < units; u++) {
    let alive = false;
    for (let b = 0; b < batch && !alive; b++) if (values[b * units + u]! > 0) alive = true;
    if (!alive) dead++;
  }
  return dead / units;
}

export function histogram(values: Float32Array, min: number, max: number, bins = HISTOGRAM_BINS): Histogram {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return { edges: [], counts: [] };
  // A constant output still gets a visible bar: widen a zero range around the value.
  const lo = min === max ? min - 0.5 : min;
  const hi = min === max ? max + 0.5 : max;
  const width = (hi - lo) / bins;
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) continue;
    counts[Math.min(bins - 1, Math.max(0, Math.floor((v - lo) / width)))]!++;
  }
  const edges = Array.from({ length: bins + 1 }, (_, i) => (i === bins ? hi : lo + i * width));
  return { edges, counts };
}

/** L2 norm of the values of several tensors, read back as arrays. */
export function l2(arrays: readonly Float32Array[]): number {
  let sq = 0;
  for (const a of arrays) for (let i = 0; i < a.length; i++) sq += a[i]! * a[i]!;
  return Math.sqrt(sq);
}
