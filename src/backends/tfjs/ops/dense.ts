/**
 * Fully connected layers and lookups, in the IR's layout: a channels-last input is transposed
 * back to NCHW before the axes from `axis` on are flattened, so the weight's columns keep the
 * IR's (C, H, W) order and weights move between frameworks unchanged.
 */
import { canonicalAxis } from '../../../ir/dims.js';
import { ir, irValue } from '../layout.js';
import { unsupported, type Lower, type Tensor } from '../types.js';

export const linear: Lower<'linear'> = (node) => {
  const a = node.attrs;
  return ([v], { tf, param, mode, seed, dropout }) => {
    const x = ir(tf, v!);
    const axis = canonicalAxis(a.axis, x.rank) ?? 1;
    const lead = x.shape.slice(0, axis);
    const rows = lead.reduce((p, d) => p * d, 1);
    let weight: Tensor = param('weight');
    if (mode === 'train' && dropout && a.weight_drop_prob > 0) {
      // DropConnect, scaled like inverted dropout so that inference uses the weights as they are.
      const keep = tf.cast(tf.greaterEqual(tf.randomUniform(weight.shape, 0, 1, 'float32', seed()), a.weight_drop_prob), 'float32');
      weight = tf.div(tf.mul(weight, keep), 1 - a.weight_drop_prob);
    }
    let y = tf.matMul(tf.reshape(x, [rows, -1]), weight, false, !a.transpose);
    if (a.bias) y = tf.add(y, param('bias'));
    return [irValue(tf.reshape(y, [...lead, a.num_output]))];
  };
};

export const embed: Lower<'embed'> = (node) => ([v], { tf, param }) => {
  const index = tf.cast(ir(tf, v!), 'int32');
  const y = tf.gather(param('weight'), index, 0);
  return [irValue(node.attrs.bias ? tf.add(y, param('bias')) : y)];
};

export const recurrent: Lower<'recurrent'> = (node) => unsupported(`recurrent layers (${node.attrs.cell.toUpperCase()})`);

/**
 * Caffe LSTMUnit: gates i, f, o, g in that order on the last axis; where the continuation
 * input is 0 the forget gate is 0 (a new sequence).
 */
export const lstm_unit: Lower<'lstm_unit'> = () => ([cPrev, gates, cont], { tf }) => {
  const c0 = ir(tf, cPrev!);
  const x = ir(tf, gates!);
  const [i, f, o, g] = tf.split(x, 4, x.rank - 1) as [Tensor, Tensor, Tensor, Tensor];
  const flush = tf.expandDims(tf.cast(tf.notEqual(ir(tf, cont!), 0), 'float32'), -1);
  const c = tf.add(tf.mul(tf.mul(tf.sigmoid(f), flush), c0), tf.mul(tf.sigmoid(i), tf.tanh(g)));
  return [irValue(c), irValue(tf.mul(tf.sigmoid(o), tf.tanh(c)))];
};
