/**
 * Losses and accuracy with Caffe's definitions: the class axis is `axis` and every position of
 * the other axes is one example (outer × inner, as softmax_loss_layer.cpp counts them); an
 * ignore_label drops examples; the normaliser is the IR's normalization, at least 1.
 */
import { canonicalAxis } from '../../../ir/dims.js';
import { ir, irValue } from '../layout.js';
import { unsupported, type Lower, type Tensor, type Tf } from '../types.js';
import { softmaxAlong } from './tensor.js';

/** Scores with the class axis last, as [examples, classes], and the labels as [examples]. */
function rows(tf: Tf, scores: Tensor, labels: Tensor, axis: number): { x: Tensor; label: Tensor; outer: number } {
  const a = canonicalAxis(axis, scores.rank) ?? 1;
  const perm = [...Array.from({ length: scores.rank }, (_, i) => i).filter((i) => i !== a), a];
  const x = tf.reshape(tf.transpose(scores, perm), [-1, scores.shape[a]!]);
  return { x, label: tf.reshape(labels, [-1]), outer: scores.shape.slice(0, a).reduce((p, d) => p * d, 1) };
}

function normaliser(tf: Tf, mode: string, count: number, outer: number, valid: Tensor): Tensor | number {
  switch (mode) {
    case 'full':
      return Math.max(1, count);
    case 'valid':
      return tf.maximum(tf.sum(valid), 1);
    case 'batch_size':
      return Math.max(1, outer);
    default:
      return 1;
  }
}

function validMask(tf: Tf, label: Tensor, ignore: number | null): Tensor {
  return ignore === null ? tf.onesLike(label) : tf.cast(tf.notEqual(label, ignore), 'float32');
}

/** The one-hot rows of the labels (an ignored label's row is all zeros). */
function oneHot(tf: Tf, label: Tensor, classes: number, valid: Tensor): Tensor {
  const index = tf.cast(tf.clipByValue(label, 0, classes - 1), 'int32');
  return tf.mul(tf.oneHot(index, classes), tf.expandDims(valid, 1));
}

export const loss: Lower<'loss'> = (node) => {
  const a = node.attrs;
  switch (a.kind) {
    case 'softmax_cross_entropy':
      return ([scores, labels], { tf }) => {
        const s = ir(tf, scores!);
        const { x, label, outer } = rows(tf, s, ir(tf, labels!), a.axis);
        const valid = validMask(tf, label, a.ignore_label);
        const logp = tf.sub(x, tf.logSumExp(x, 1, true));
        const picked = tf.sum(tf.mul(logp, oneHot(tf, label, x.shape[1]!, valid)));
        const value = tf.div(tf.neg(picked), normaliser(tf, a.normalization, label.shape[0]!, outer, valid));
        const out = [irValue(value)];
        if (node.outputs.length > 1) out.push(irValue(softmaxAlong(tf, s, canonicalAxis(a.axis, s.rank) ?? 1)));
        return out;
      };
    case 'euclidean':
      return ([p, q], { tf }) => {
        const x = ir(tf, p!);
        return [irValue(tf.div(tf.sum(tf.square(tf.sub(x, ir(tf, q!)))), 2 * x.shape[0]!))];
      };
    case 'sigmoid_cross_entropy':
      return ([scores, targets], { tf }) => {
        const x = tf.reshape(ir(tf, scores!), [-1]);
        const t = tf.reshape(ir(tf, targets!), [-1]);
        const valid = validMask(tf, t, a.ignore_label);
        // max(x, 0) − x·t + log(1 + exp(−|x|)): sigmoid_cross_entropy_loss_layer.cpp's stable form.
        const each = tf.add(tf.sub(tf.relu(x), tf.mul(x, t)), tf.log1p(tf.exp(tf.neg(tf.abs(x)))));
        const outer = scores!.t.shape[0]!;
        return [irValue(tf.div(tf.sum(tf.mul(each, valid)), normaliser(tf, a.normalization, x.shape[0]!, outer, valid)))];
      };
    case 'multinomial_logistic':
      return ([probs, labels], { tf }) => {
        const { x, label } = rows(tf, ir(tf, probs!), ir(tf, labels!), 1);
        const picked = tf.sum(tf.mul(tf.log(tf.maximum(x, 1e-20)), oneHot(tf, label, x.shape[1]!, tf.onesLike(label))));
        return [irValue(tf.div(tf.neg(picked), probs!.t.shape[0]!))];
      };
    case 'hinge':
      return ([scores, labels], { tf }) => {
        const { x, label } = rows(tf, ir(tf, scores!), ir(tf, labels!), 1);
        // hinge_loss_layer.cpp: the true class's score changes sign, then max(0, 1 + score).
        const sign = tf.sub(1, tf.mul(oneHot(tf, label, x.shape[1]!, tf.onesLike(label)), 2));
        const margin = tf.relu(tf.add(tf.mul(x, sign), 1));
        const total = a.norm === 'l1' ? tf.sum(margin) : tf.sum(tf.square(margin));
        return [irValue(tf.div(total, scores!.t.shape[0]!))];
      };
    default:
      return unsupported(`the ${a.kind.replace('_', ' ')} loss`);
  }
};

/** Caffe Accuracy: an example is right when fewer than top_k classes score strictly higher than its label. */
export const accuracy: Lower<'accuracy'> = (node) => {
  const a = node.attrs;
  if (node.outputs.length > 1) return unsupported('per-class accuracy (the second output of Accuracy)');
  return ([scores, labels], { tf }) => {
    const { x, label } = rows(tf, ir(tf, scores!), ir(tf, labels!), a.axis);
    const valid = validMask(tf, label, a.ignore_label);
    const own = tf.sum(tf.mul(x, oneHot(tf, label, x.shape[1]!, tf.onesLike(label))), 1, true);
    const better = tf.sum(tf.cast(tf.greater(x, own), 'float32'), 1);
    const right = tf.sum(tf.mul(tf.cast(tf.less(better, a.top_k), 'float32'), valid));
    const count = tf.sum(valid);
    return [irValue(tf.where(tf.greater(count, 0), tf.div(right, tf.maximum(count, 1)), tf.zerosLike(count)))];
  };
};
