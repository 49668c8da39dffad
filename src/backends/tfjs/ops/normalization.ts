/**
 * Normalisations. BatchNorm normalises by the batch's biased variance and updates the running
 * statistics with the unbiased one (PyTorch and Caffe both do), either as PyTorch's exponential
 * average or as Caffe's bias-corrected one (running sums and a scale factor; the store keeps
 * the averages, so the sums are average·factor). LRN across channels of odd size is tfjs's
 * localResponseNormalization (one kernel forward and one backward, where the composed form is
 * ten-odd ops with a slow wasm Pow); even sizes, whose window is off-centre, and non-image
 * values sum the squares of neighbouring channels by hand.
 */
import type * as TF from '@tensorflow/tfjs-core';
import { canonicalAxis } from '../../../ir/dims.js';
import { cl, clValue, heldAxis, ir, irValue, perChannel, same } from '../layout.js';
import type { Lower, RunContext, Tensor, Tf, Value } from '../types.js';
import { padSpatial } from './convolution.js';

/** Held axes of everything but the channels. */
const statAxes = (v: Value): number[] => Array.from({ length: v.t.rank }, (_, i) => i).filter((i) => i !== heldAxis(v, 1));

function updateRunning(ctx: RunContext, attrs: { momentum: number; running_update: string }, mean: Tensor, variance: Tensor, count: number): void {
  const { tf } = ctx;
  const unbiased = tf.mul(variance, count > 1 ? count / (count - 1) : 1);
  const m = attrs.momentum;
  const rm = ctx.param('running_mean');
  const rv = ctx.param('running_var');
  if (attrs.running_update === 'ema') {
    ctx.assign('running_mean', tf.add(tf.mul(rm, 1 - m), tf.mul(mean, m)));
    ctx.assign('running_var', tf.add(tf.mul(rv, 1 - m), tf.mul(unbiased, m)));
    return;
  }
  // batch_norm_layer.cpp: sum ← sum·(1 − m) + batch, factor ← factor·(1 − m) + 1.
  const factor = ctx.param('scale_factor');
  const kept = tf.mul(factor, 1 - m);
  const next = tf.add(kept, 1);
  ctx.assign('running_mean', tf.div(tf.add(tf.mul(rm, kept), mean), next));
  ctx.assign('running_var', tf.div(tf.add(tf.mul(rv, kept), unbiased), next));
  ctx.assign('scale_factor', next);
}

export const batchnorm: Lower<'batchnorm'> = (node) => {
  const a = node.attrs;
  return ([v], ctx) => {
    const { tf } = ctx;
    const x = v!;
    const useBatch = a.statistics === 'batch' || (a.statistics === 'auto' && ctx.mode === 'train');
    let mean: Tensor;
    let variance: Tensor;
    if (useBatch) {
      const axes = statAxes(x);
      const moments = tf.moments(x.t, axes);
      mean = moments.mean;
      variance = moments.variance;
      if (ctx.mode === 'train') {
        const count = axes.reduce((n, i) => n * x.t.shape[i]!, 1);
        updateRunning(ctx, a, mean, variance, count);
      }
    } else {
      mean = ctx.param('running_mean');
      variance = ctx.param('running_var');
    }
    let scale = tf.rsqrt(tf.add(variance, a.eps));
    let shift = tf.neg(tf.mul(mean, scale));
    if (a.affine) {
      scale = tf.mul(scale, ctx.param('weight'));
      shift = tf.add(tf.mul(shift, ctx.param('weight')), ctx.param('bias'));
    }
    return [same(x, tf.add(tf.mul(x.t, perChannel(tf, x, scale)), perChannel(tf, x, shift)))];
  };
};

/** Σ of x² over channels c − ⌊size/2⌋ … c + ⌊(size − 1)/2⌋ (PyTorch's window; Caffe's for odd sizes). */
function channelWindowSum(tf: Tf, v: Value, size: number): Tensor {
  const axis = heldAxis(v, 1);
  const sq = tf.square(v.t);
  const c = sq.shape[axis]!;
  const pads = sq.shape.map((_, i): [number, number] => (i === axis ? [Math.floor(size / 2), Math.floor((size - 1) / 2)] : [0, 0]));
  const padded = tf.pad(sq, pads);
  let sum: Tensor | null = null;
  for (let j = 0; j < size; j++) {
    const part = tf.slice(padded, padded.shape.map((_, i) => (i === axis ? j : 0)), padded.shape.map((s, i) => (i === axis ? c : s)));
    sum = sum ? tf.add(sum, part) : part;
  }
  return sum!;
}

export const lrn: Lower<'lrn'> = (node) => {
  const a = node.attrs;
  return ([v], { tf }) => {
    const x = v!;
    if (a.region === 'across_channels' && a.size % 2 === 1 && x.t.rank === 4) {
      // tfjs sums x² over channels c ± radius (clipped at the ends) and scales the sum by its
      // alpha alone: Caffe's window of `size` channels centred on c and its alpha / size.
      const t = cl(tf, x) as TF.Tensor4D;
      return [clValue(tf.localResponseNormalization(t, (a.size - 1) / 2, a.k, a.alpha / a.size, a.beta))];
    }
    if (a.region === 'across_channels') {
      const denom = tf.pow(tf.add(tf.mul(channelWindowSum(tf, x, a.size), a.alpha / a.size), a.k), -a.beta);
      return [same(x, tf.mul(x.t, denom))];
    }
    // Caffe WITHIN_CHANNEL: the mean of x² over a size×size window zero-padded by (size − 1)/2.
    const t = cl(tf, x) as TF.Tensor4D;
    const p = Math.floor((a.size - 1) / 2);
    const mean = tf.avgPool(padSpatial(tf, tf.square(t), [p, p], [p, p]), a.size, 1, 'valid');
    return [clValue(tf.mul(t, tf.pow(tf.add(tf.mul(mean, a.alpha), 1), -a.beta)))];
  };
};

export const mvn: Lower<'mvn'> = (node) => {
  const a = node.attrs;
  return ([v], { tf }) => {
    const x = irValue(ir(tf, v!));
    const axes = Array.from({ length: x.t.rank }, (_, i) => i).filter((i) => i >= (a.across_channels ? 1 : 2));
    let y = tf.sub(x.t, tf.mean(x.t, axes, true));
    if (a.normalize_variance) y = tf.div(y, tf.add(tf.sqrt(tf.mean(tf.square(y), axes, true)), a.eps));
    return [irValue(y)];
  };
};

/**
 * A Scale/Bias blob laid along IR axes [start, start + rank): reshaped to broadcast. A per-channel
 * blob keeps a channels-last value as it is; other layouts work on the IR's.
 */
function layAlong(tf: Tf, x: Value, blob: Tensor, axis: number): { x: Value; blob: Tensor } {
  if (blob.rank === 0) return { x, blob };
  const start = canonicalAxis(axis, x.t.rank) ?? 1;
  if (x.cl && start === 1 && blob.rank === 1) return { x, blob };
  const value = irValue(ir(tf, x));
  const trailing = value.t.rank - start - blob.rank;
  return { x: value, blob: tf.reshape(blob, [...blob.shape, ...Array<number>(Math.max(0, trailing)).fill(1)]) };
}

export const scale: Lower<'scale'> = (node) => {
  const a = node.attrs;
  return (inputs, { tf, param }) => {
    const second = inputs.length === 2;
    const factor = second ? ir(tf, inputs[1]!) : param('weight');
    const axis = second && inputs[1]!.t.rank === 0 ? 0 : a.axis;
    const { x, blob } = layAlong(tf, inputs[0]!, factor, axis);
    let y = tf.mul(x.t, blob);
    if (a.bias) y = tf.add(y, layAlong(tf, x, param('bias'), axis).blob);
    return [same(x, y)];
  };
};

export const bias: Lower<'bias'> = (node) => {
  const a = node.attrs;
  return (inputs, { tf, param }) => {
    const second = inputs.length === 2;
    const b = second ? ir(tf, inputs[1]!) : param('bias');
    const axis = second && inputs[1]!.t.rank === 0 ? 0 : a.axis;
    const { x, blob } = layAlong(tf, inputs[0]!, b, axis);
    return [same(x, tf.add(x.t, blob))];
  };
};
