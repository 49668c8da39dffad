/**
 * Pooling, channels-last, with the IR's window rules: the output size from the IR's rounding
 * (floor, PyTorch's ceil, Caffe's clip rule), max pooling over -inf padding, and average pooling
 * divided by the window clipped to the padded input (count_include_pad, Caffe's divisor) or to
 * the input alone.
 */
import type * as TF from '@tensorflow/tfjs-core';
import { pooledSize, type Rounding } from '../../../ir/window.js';
import { cl, clValue, heldAxis, ir, irValue } from '../layout.js';
import { unsupported, type Lower, type Tensor, type Tf, type Value } from '../types.js';
import { padSpatial } from './convolution.js';
import { oneD } from './one-d.js';

type T4 = TF.Tensor4D;

export interface PoolWindow {
  mode: 'max' | 'avg';
  kernel: number[];
  stride: number[];
  pad_begin: number[];
  pad_end: number[];
  rounding: Rounding;
  count_include_pad: boolean;
}

/** How many positions of window o along one axis the divisor counts. */
export function counted(o: number, n: number, k: number, s: number, pb: number, pe: number, includePad: boolean): number {
  const start = o * s;
  const [lo, hi] = includePad ? [0, n + pb + pe] : [pb, pb + n];
  return Math.min(start + k, hi) - Math.max(start, lo);
}

/** Pools an NHWC tensor. */
export function poolNHWC(tf: Tf, x: T4, w: PoolWindow): T4 {
  const sizes = [x.shape[1], x.shape[2]];
  const padded = w.pad_begin.some((p) => p > 0) || w.pad_end.some((p) => p > 0);
  const out = sizes.map((n, i) => pooledSize(n, w.kernel[i]!, w.stride[i]!, w.pad_begin[i]!, w.pad_end[i]!, w.rounding, padded));
  // The padded extent every window fits in; pad_end beyond it is never read.
  const extent = out.map((o, i) => (o - 1) * w.stride[i]! + w.kernel[i]!);
  const endPad = extent.map((e, i) => Math.max(0, e - w.pad_begin[i]! - sizes[i]!));
  let p = padSpatial(tf, x, w.pad_begin, endPad, w.mode === 'max' ? -Infinity : 0);
  if (p.shape[1] > extent[0]! || p.shape[2] > extent[1]!) p = tf.slice(p, [0, 0, 0, 0], [-1, extent[0]!, extent[1]!, -1]);
  const kernel: [number, number] = [w.kernel[0]!, w.kernel[1]!];
  const stride: [number, number] = [w.stride[0]!, w.stride[1]!];
  if (w.mode === 'max') return tf.maxPool(p, kernel, stride, 'valid');
  const mean = tf.avgPool(p, kernel, stride, 'valid');
  // avgPool divided by kh·kw; rescale where the IR's divisor differs.
  const area = kernel[0] * kernel[1];
  const [oh, ow] = [out[0]!, out[1]!];
  const factor = new Float32Array(oh * ow);
  let uniform = true;
  for (let i = 0; i < oh; i++) {
    const ch = counted(i, sizes[0]!, kernel[0], stride[0], w.pad_begin[0]!, w.pad_end[0]!, w.count_include_pad);
    for (let j = 0; j < ow; j++) {
      const cw = counted(j, sizes[1]!, kernel[1], stride[1], w.pad_begin[1]!, w.pad_end[1]!, w.count_include_pad);
      factor[i * ow + j] = area / (ch * cw);
      if (ch * cw !== area) uniform = false;
    }
  }
  return uniform ? mean : tf.mul(mean, tf.tensor(factor, [1, oh, ow, 1]));
}

export const pool: Lower<'pool'> = (node, info) => {
  const a = node.attrs;
  if (a.mode === 'stochastic') return unsupported('stochastic pooling');
  const lowered1d = oneD(node, info, pool);
  if (lowered1d) return lowered1d;
  if (a.kernel.length !== 2) return unsupported(`pooling over ${a.kernel.length} spatial axes (1-D and 2-D are lowered)`);
  if (node.outputs.length > 1) return unsupported("the max-pooling mask output (Caffe's second top)");
  const w: PoolWindow = { ...a, mode: a.mode, rounding: a.rounding as Rounding };
  return ([v], { tf }) => [clValue(poolNHWC(tf, cl(tf, v!) as T4, w))];
};

export const global_pool: Lower<'global_pool'> = (node) => {
  const { mode } = node.attrs;
  if (mode === 'stochastic') return unsupported('stochastic pooling');
  return ([v], { tf }) => {
    const rank = v!.t.rank;
    const axes = Array.from({ length: rank - 2 }, (_, i) => heldAxis(v!, i + 2));
    return [{ t: mode === 'max' ? tf.max(v!.t, axes, true) : tf.mean(v!.t, axes, true), cl: v!.cl }];
  };
};

/** PyTorch's adaptive windows along one held axis: [floor(i·n/o), ceil((i+1)·n/o)). */
function adaptiveAxis(tf: Tf, x: Tensor, axis: number, o: number, mode: 'max' | 'avg'): Tensor {
  const n = x.shape[axis]!;
  if (n === o) return x;
  const parts: Tensor[] = [];
  for (let i = 0; i < o; i++) {
    const start = Math.floor((i * n) / o);
    const end = Math.ceil(((i + 1) * n) / o);
    const begin = x.shape.map((_, j) => (j === axis ? start : 0));
    const size = x.shape.map((s, j) => (j === axis ? end - start : s));
    const window = tf.slice(x, begin, size);
    parts.push(mode === 'max' ? tf.max(window, axis, true) : tf.mean(window, axis, true));
  }
  return tf.concat(parts, axis);
}

export const adaptive_pool: Lower<'adaptive_pool'> = (node) => {
  const { mode, output_size } = node.attrs;
  // Windows are rectangles, so pooling one axis after the other gives the same maxima and means.
  return ([v], { tf }) => {
    let value: Value = v!;
    if (value.t.rank !== output_size.length + 2) value = irValue(ir(tf, value));
    let t = value.t;
    output_size.forEach((o, i) => {
      t = adaptiveAxis(tf, t, heldAxis(value, i + 2), o, mode as 'max' | 'avg');
    });
    return [{ t, cl: value.cl }];
  };
};

/**
 * Caffe SPP (spp_layer.cpp): level l pools to 2^l × 2^l bins with kernel ceil(size / bins),
 * stride = kernel and padding (kernel·bins − size + 1) / 2, by Caffe's pooling rules; the levels
 * are flattened in (C, H, W) order and concatenated.
 */
export const spp: Lower<'spp'> = (node) => {
  const { pyramid_height, mode } = node.attrs;
  if (mode === 'stochastic') return unsupported('stochastic pooling');
  return ([v], { tf }) => {
    const x = cl(tf, v!) as T4;
    const [n, h, w] = x.shape;
    const levels: Tensor[] = [];
    for (let l = 0; l < pyramid_height; l++) {
      const bins = 2 ** l;
      const kernel = [Math.ceil(h / bins), Math.ceil(w / bins)];
      const pad = [Math.floor((kernel[0]! * bins - h + 1) / 2), Math.floor((kernel[1]! * bins - w + 1) / 2)];
      const pooled = poolNHWC(tf, x, { mode, kernel, stride: kernel, pad_begin: pad, pad_end: pad, rounding: 'caffe', count_include_pad: true });
      levels.push(tf.reshape(tf.transpose(pooled, [0, 3, 1, 2]), [n, -1]));
    }
    return [irValue(levels.length === 1 ? levels[0]! : tf.concat(levels, 1))];
  };
};
