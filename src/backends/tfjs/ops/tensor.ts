/**
 * Tensor plumbing. Ops that act along one axis map the IR axis to the held one; ops that
 * reorder values (flatten, reshape, reduction) work in the IR's layout, so a channels-last
 * blob is transposed to NCHW first and flattening keeps the IR's C, H, W order.
 */
import { canonicalAxis } from '../../../ir/dims.js';
import { opDefinition } from '../../../ir/ops/index.js';
import { heldAxis, ir, irShape, irValue, same, unify } from '../layout.js';
import type { Lower, Tensor, Tf, Value } from '../types.js';

/** The op's own shape rule on the actual (numeric) input shapes. */
function ruleShapes(op: 'flatten' | 'reshape' | 'slice' | 'crop', attrs: unknown, inputs: number[][], outputs: number): number[][] {
  return opDefinition(op).shape(attrs as never, inputs, outputs) as number[][];
}

const axisOf = (axis: number, rank: number): number => canonicalAxis(axis, rank) ?? axis;

export const flatten: Lower<'flatten'> = (node) => ([v], { tf }) => {
  const x = ir(tf, v!);
  return [irValue(tf.reshape(x, ruleShapes('flatten', node.attrs, [x.shape], 1)[0]!))];
};

export const reshape: Lower<'reshape'> = (node) => ([v], { tf }) => {
  const x = ir(tf, v!);
  return [irValue(tf.reshape(x, ruleShapes('reshape', node.attrs, [x.shape], 1)[0]!))];
};

export const concat: Lower<'concat'> = (node) => (inputs, { tf }) => {
  const values = unify(tf, inputs);
  const first = values[0]!;
  const axis = heldAxis(first, axisOf(node.attrs.axis, first.t.rank));
  return [same(first, values.length === 1 ? first.t : tf.concat(values.map((v) => v.t), axis))];
};

export const eltwise: Lower<'eltwise'> = (node) => {
  const { operation, coeff } = node.attrs;
  return (inputs, { tf }) => {
    const values = unify(tf, inputs);
    const ts = values.map((v) => v.t);
    let y: Tensor;
    if (operation === 'sum') {
      const terms = ts.map((t, i) => (coeff.length === 0 || coeff[i] === 1 ? t : tf.mul(t, coeff[i]!)));
      y = terms.length === 1 ? terms[0]! : tf.addN(terms);
    } else y = ts.slice(1).reduce((acc, t) => (operation === 'prod' ? tf.mul(acc, t) : tf.maximum(acc, t)), ts[0]!);
    return [same(values[0]!, y)];
  };
};

/** Caffe Crop: IR axes from `axis` on take the reference's size, starting at the offsets. */
export const crop: Lower<'crop'> = (node) => ([v, ref], { tf }) => {
  const x = v!;
  const shape = irShape(x);
  const axis = axisOf(node.attrs.axis, shape.length);
  const offsets = shape.map((_, i) => (i < axis ? 0 : node.attrs.offset.length === 0 ? 0 : node.attrs.offset.length === 1 ? node.attrs.offset[0]! : node.attrs.offset[i - axis]!));
  const size = ruleShapes('crop', node.attrs, [shape, irShape(ref!)], 1)[0]!;
  const begin: number[] = [];
  const held: number[] = [];
  shape.forEach((_, i) => {
    begin[heldAxis(x, i)] = offsets[i]!;
    held[heldAxis(x, i)] = size[i]!;
  });
  return [same(x, tf.slice(x.t, begin, held))];
};

export const slice: Lower<'slice'> = (node) => ([v], { tf }) => {
  const x = v!;
  const shape = irShape(x);
  const axis = axisOf(node.attrs.axis, shape.length);
  const sizes = ruleShapes('slice', node.attrs, [shape], node.outputs.length).map((s) => s[axis]!);
  return tf.split(x.t, sizes, heldAxis(x, axis)).map((t) => same(x, t));
};

export const split: Lower<'split'> = (node) => ([v]) => node.outputs.map(() => v!);

export const tile: Lower<'tile'> = (node) => ([v], { tf }) => {
  const x = v!;
  const axis = heldAxis(x, axisOf(node.attrs.axis, x.t.rank));
  return [same(x, tf.tile(x.t, x.t.shape.map((_, i) => (i === axis ? node.attrs.tiles : 1))))];
};

/** exp(x − logΣexp x) along any axis (tf.softmax works on the last one only). */
export function softmaxAlong(tf: Tf, x: Tensor, axis: number): Tensor {
  if (axis === x.rank - 1) return tf.softmax(x);
  return tf.exp(tf.sub(x, tf.logSumExp(x, axis, true)));
}

export const softmax: Lower<'softmax'> = (node) => ([v], { tf }) => {
  const x = v!;
  return [same(x, softmaxAlong(tf, x.t, heldAxis(x, axisOf(node.attrs.axis, x.t.rank))))];
};

/** Moves `axis` last (for topk). */
function toLast(tf: Tf, x: Tensor, axis: number): { t: Tensor; back: (t: Tensor) => Tensor } {
  if (axis === x.rank - 1) return { t: x, back: (t) => t };
  const perm = [...Array.from({ length: x.rank }, (_, i) => i).filter((i) => i !== axis), axis];
  const inverse = perm.map((_, i) => perm.indexOf(i));
  return { t: tf.transpose(x, perm), back: (t) => tf.transpose(t, inverse) };
}

/** Caffe ArgMax: indices (or, with out_max_val along an axis, values) of the top_k maxima. */
export const argmax: Lower<'argmax'> = (node) => {
  const { out_max_val, top_k, axis } = node.attrs;
  return ([v], { tf }) => {
    const x = irValue(ir(tf, v!));
    if (axis !== null) {
      const { t, back } = toLast(tf, x.t, axisOf(axis, x.t.rank));
      const { values, indices } = tf.topk(t, top_k);
      return [irValue(back(out_max_val ? values : tf.cast(indices, 'float32')))];
    }
    const n = x.t.shape[0]!;
    const { values, indices } = tf.topk(tf.reshape(x.t, [n, -1]), top_k);
    const rows = out_max_val ? tf.stack([tf.cast(indices, 'float32'), values], 1) : tf.expandDims(tf.cast(indices, 'float32'), 1);
    const rank = Math.max(3, x.t.rank);
    return [irValue(tf.reshape(rows, [n, out_max_val ? 2 : 1, top_k, ...Array<number>(rank - 3).fill(1)]))];
  };
};

export const reduction: Lower<'reduction'> = (node) => {
  const { operation, coeff } = node.attrs;
  return ([v], { tf }) => {
    const x = ir(tf, v!);
    const from = axisOf(node.attrs.axis, x.rank);
    const axes = Array.from({ length: x.rank - from }, (_, i) => from + i);
    const base = operation === 'asum' ? tf.abs(x) : operation === 'sumsq' ? tf.square(x) : x;
    const reduced = operation === 'mean' ? tf.mean(base, axes) : tf.sum(base, axes);
    return [irValue(coeff === 1 ? reduced : tf.mul(reduced, coeff))];
  };
};

export const batch_reindex: Lower<'batch_reindex'> = () => ([v, index], { tf }) => {
  const x = v!;
  return [same(x, tf.gather(x.t, tf.cast(ir(tf, index!), 'int32'), 0))];
};

/** Keeps the batch items whose selector is non-zero: how many is known only from the data. */
export const filter: Lower<'filter'> = (node) => (inputs, { tf }) => {
  const selector = ir(tf, inputs[inputs.length - 1]!).dataSync();
  const keep: number[] = [];
  selector.forEach((s, i) => {
    if (s !== 0) keep.push(i);
  });
  const index = tf.tensor1d(keep, 'int32');
  return inputs.slice(0, node.outputs.length).map((v: Value) => same(v, tf.gather(v.t, index, 0)));
};

