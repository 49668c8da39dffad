/**
 * Strided windows over spatial axes, shared by the convolution and pooling rules: output
 * sizes (with each framework's rounding) and their receptive-field map.
 */
import { fail, formatShape, isKnown, UNKNOWN_DIM, type Dim, type Shape } from './dims.js';
import type { SpatialMap } from './op.js';

export interface Window {
  kernel: number[];
  stride: number[];
  dilation: number[];
  pad_begin: number[];
  pad_end: number[];
}

/** The kernel's extent with dilation: dilation·(k − 1) + 1. */
export const extent = (w: Pick<Window, 'kernel' | 'dilation'>, i: number): number => (w.dilation[i] ?? 1) * (w.kernel[i]! - 1) + 1;

/** The spatial axes of an input whose channel axis is `axis`, checked against the window's rank. */
export function spatialAxes(input: Shape, axis: number, rank: number, what: string): Dim[] {
  const spatial = input.slice(axis + 1);
  if (axis >= input.length || spatial.length !== rank) {
    fail('shape/rank', `${what} has ${rank} spatial ${rank === 1 ? 'axis' : 'axes'} but its input ${formatShape(input)} has ${Math.max(0, spatial.length)} after the channel axis ${axis}`);
  }
  return spatial;
}

/** Output size of a strided window over one axis, rounded down (convolution). */
export function windowOutput(size: Dim, k: number, stride: number, padBegin: number, padEnd: number, what: string): Dim {
  if (!isKnown(size)) return UNKNOWN_DIM;
  const padded = size + padBegin + padEnd;
  if (padded < k) fail('shape/kernel-too-large', `${what}: the kernel extent ${k} is larger than the padded input ${padded} (${size} + ${padBegin} + ${padEnd})`);
  return Math.floor((padded - k) / stride) + 1;
}

export const windowMap = (w: Window): SpatialMap => ({ kind: 'window', kernel: w.kernel.map((_, i) => extent(w, i)), stride: w.stride, pad_begin: w.pad_begin });


export type Rounding = 'floor' | 'ceil' | 'caffe';

/**
 * Pooled size of one axis. 'floor' as convolution does; 'ceil' as PyTorch's ceil_mode (round
 * up, then drop a last window that would start at or past in + pad_begin); 'caffe' as
 * pooling_layer.cpp (round up, then the same drop, but only when the layer has any padding).
 */
export function pooledSize(size: number, k: number, stride: number, padBegin: number, padEnd: number, rounding: Rounding, padded: boolean): number {
  const span = size + padBegin + padEnd - k;
  if (rounding === 'floor') return Math.floor(span / stride) + 1;
  let out = Math.ceil(span / stride) + 1;
  if ((rounding === 'ceil' || padded) && (out - 1) * stride >= size + padBegin) out--;
  return out;
}

