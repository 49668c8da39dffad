/** Elementwise activations: the value keeps its layout. */
import { heldAxis, perChannel, same } from '../layout.js';
import type { Kernel, Lower, Tensor, Tf } from '../types.js';

/** A kernel applying `f` to the one input's tensor. */
const pointwise =
  (f: (tf: Tf, x: Tensor) => Tensor): Kernel =>
  ([v], { tf }) => [same(v!, f(tf, v!.t))];

const SELU_SCALE = 1.0507009873554804934193349852946;
const SELU_ALPHA = 1.6732632423543772848170429916717;

/** alpha·(exp(x) − 1) below 0, x above (expm1 is not in tfjs; exp(x) − 1 loses little at these magnitudes). */
const elu = (tf: Tf, x: Tensor, alpha: number): Tensor => tf.where(tf.greater(x, 0), x, tf.mul(tf.sub(tf.exp(tf.minimum(x, 0)), 1), alpha));

export const relu: Lower<'relu'> = (node) => {
  const slope = node.attrs.negative_slope;
  return pointwise((tf, x) => (slope === 0 ? tf.relu(x) : tf.leakyRelu(x, slope)));
};

export const prelu: Lower<'prelu'> = (node) => ([v], { tf, param }) => {
  const w = param('weight');
  const alpha = node.attrs.channel_shared ? tf.reshape(w, []) : perChannel(tf, v!, w);
  const x = v!.t;
  return [same(v!, tf.add(tf.relu(x), tf.mul(alpha, tf.minimum(x, 0))))];
};

export const clip: Lower<'clip'> = (node) => pointwise((tf, x) => tf.clipByValue(x, node.attrs.min, node.attrs.max));
export const elu_: Lower<'elu'> = (node) => pointwise((tf, x) => elu(tf, x, node.attrs.alpha));
export const selu: Lower<'selu'> = () => pointwise((tf, x) => tf.mul(elu(tf, x, SELU_ALPHA), SELU_SCALE));

export const gelu: Lower<'gelu'> = (node) =>
  node.attrs.approximate === 'tanh'
    ? pointwise((tf, x) => {
        const inner = tf.mul(tf.add(x, tf.mul(tf.pow(x, 3), 0.044715)), Math.sqrt(2 / Math.PI));
        return tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(inner), 1));
      })
    : pointwise((tf, x) => tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1)));

export const sigmoid: Lower<'sigmoid'> = () => pointwise((tf, x) => tf.sigmoid(x));
export const tanh: Lower<'tanh'> = () => pointwise((tf, x) => tf.tanh(x));
export const swish: Lower<'swish'> = (node) => pointwise((tf, x) => tf.mul(x, tf.sigmoid(node.attrs.beta === 1 ? x : tf.mul(x, node.attrs.beta))));
export const absval: Lower<'absval'> = () => pointwise((tf, x) => tf.abs(x));
export const bnll: Lower<'bnll'> = () => pointwise((tf, x) => tf.softplus(x));

export const power: Lower<'power'> = (node) => {
  const { power, scale, shift } = node.attrs;
  return pointwise((tf, x) => {
    const base = scale === 1 && shift === 0 ? x : tf.add(tf.mul(x, scale), shift);
    return power === 1 ? base : tf.pow(base, power);
  });
};

export const exp: Lower<'exp'> = (node) => {
  const { base, scale, shift } = node.attrs;
  const ln = base === -1 ? 1 : Math.log(base);
  return pointwise((tf, x) => tf.exp(tf.mul(tf.add(tf.mul(x, scale), shift), ln)));
};

export const log: Lower<'log'> = (node) => {
  const { base, scale, shift } = node.attrs;
  const ln = base === -1 ? 1 : Math.log(base);
  return pointwise((tf, x) => tf.div(tf.log(tf.add(tf.mul(x, scale), shift)), ln));
};

export const threshold: Lower<'threshold'> = (node) => pointwise((tf, x) => tf.cast(tf.greater(x, node.attrs.threshold), 'float32'));

/** Channel groups of `pieces` consecutive channels: their maximum. */
export const maxout: Lower<'maxout'> = (node) => ([v], { tf }) => {
  const x = v!;
  const axis = heldAxis(x, 1);
  const shape = x.t.shape;
  const grouped = tf.reshape(x.t, [...shape.slice(0, axis), shape[axis]! / node.attrs.pieces, node.attrs.pieces, ...shape.slice(axis + 1)]);
  return [same(x, tf.max(grouped, axis + 1))];
};
