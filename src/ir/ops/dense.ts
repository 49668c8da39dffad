import { axisOf, fail, formatShape, isKnown, product, sameDim, type Dim } from '../dims.js';
import { defineOp, GLOBAL, noMacs, none, noParamShapes, NOT_SPATIAL } from '../op.js';

/** Caffe flattens the axes from `axis` on into K (inner_product_layer.cpp). */
function innerSize(input: Dim[], axis: number): { axis: number; k: Dim } {
  const a = axisOf(axis, input, 'InnerProduct axis');
  return { axis: a, k: product(input.slice(a)) };
}

export const linear = defineOp({
  name: 'linear',
  category: 'dense',
  summary:
    'Fully connected (Caffe InnerProduct): the axes from `axis` on are flattened in row-major (C, H, W) order into K inputs; the weight is [num_output, K].',
  attrs: (k) =>
    k.Obj({
      num_output: k.PositiveInt(),
      axis: k.Int({ description: 'first axis flattened into the inputs (negative: from the end)' }),
      bias: k.Bool(),
      transpose: k.Bool('the weight is stored [K, num_output] (Caffe `transpose: true`)'),
      weight_drop_prob: k.T.Number({ minimum: 0, maximum: 1, description: 'DropConnect: probability of dropping each weight while training (0: off)' }),
    }),
  inputs: { min: 1, max: 1 },
  outputs: { min: 1, max: 1 },
  params: (a) => (a.bias ? ['weight', 'bias'] : ['weight']),
  shape: (a, [input]) => {
    const { axis } = innerSize(input!, a.axis);
    return [[...input!.slice(0, axis), a.num_output]];
  },
  paramShapes: (a, [input]) => {
    const { k } = innerSize(input!, a.axis);
    const weight = a.transpose ? [k, a.num_output] : [a.num_output, k];
    return a.bias ? [weight, [a.num_output]] : [weight];
  },
  // Flattening all spatial axes makes every output see the whole input; flattening only some
  // mixes positions along those axes alone, which a per-blob field cannot express.
  spatial: (a, [input]) => (innerSize(input!, a.axis).axis <= 2 ? GLOBAL : { kind: 'unknown' }),
  macs: (a, [input]) => {
    const { axis, k } = innerSize(input!, a.axis);
    const rows = product(input!.slice(1, Math.max(1, axis)));
    const n = product([rows, k]);
    return isKnown(n) ? n * a.num_output : null;
  },
});

export const embed = defineOp({
  name: 'embed',
  category: 'dense',
  summary: 'Looks up rows of a [input_dim, num_output] table by integer index (Caffe Embed).',
  attrs: (k) => k.Obj({ num_output: k.PositiveInt(), input_dim: k.PositiveInt(), bias: k.Bool() }),
  inputs: { min: 1, max: 1 },
  outputs: { min: 1, max: 1 },
  params: (a) => (a.bias ? ['weight', 'bias'] : ['weight']),
  shape: (a, [input]) => [[...input!, a.num_output]],
  paramShapes: (a) => (a.bias ? [[a.input_dim, a.num_output], [a.num_output]] : [[a.input_dim, a.num_output]]),
  spatial: () => NOT_SPATIAL,
  macs: noMacs,
});

/** Caffe's recurrent layers read x as T×N×…: the features are everything from axis 2 on. */
function sequence(x: Dim[], what: string): { t: Dim; n: Dim; features: Dim } {
  if (x.length < 2) fail('shape/rank', `${what} needs a T×N×… input, got ${formatShape(x)}`);
  return { t: x[0]!, n: x[1]!, features: product(x.slice(2)) };
}

export const recurrent = defineOp({
  name: 'recurrent',
  category: 'dense',
  summary: 'A recurrent layer over time-major input (Caffe LSTM / RNN).',
  attrs: (k) => k.Obj({ cell: k.Enum(['lstm', 'rnn']), num_output: k.PositiveInt(), expose_hidden: k.Bool() }),
  inputs: { min: 2, max: 5 },
  outputs: { min: 1, max: 3 },
  params: (a) => (a.cell === 'lstm' ? ['W_xc', 'b_c', 'W_hc'] : ['W_xh', 'b_h', 'W_hh', 'W_ho', 'b_o']),
  shape: (a, [x, cont], outputCount) => {
    const { t, n } = sequence(x!, `${a.cell.toUpperCase()}`);
    const expected = [t, n];
    if (cont!.length !== 2 || !sameDim(cont![0]!, t) || !sameDim(cont![1]!, n)) {
      fail('shape/mismatch', `the sequence-continuation input must be T×N = ${formatShape(expected)}, got ${formatShape(cont!)}`);
    }
    const h = a.num_output;
    // Outputs: the hidden states over time, then (expose_hidden) the final h (and c for LSTM), each 1×N×H.
    return Array.from({ length: outputCount }, (_, i) => (i === 0 ? [t, n, h] : [1, n, h]));
  },
  paramShapes: (a, [x]) => {
    const { features } = sequence(x!, a.cell.toUpperCase());
    const h = a.num_output;
    return a.cell === 'lstm' ? [[4 * h, features], [4 * h], [4 * h, h]] : [[h, features], [h], [h, h], [h, h], [h]];
  },
  spatial: () => NOT_SPATIAL,
  // Per sequence: T steps of the input and recurrent matrix products.
  macs: (a, [x]) => {
    const { t, features } = sequence(x!, a.cell.toUpperCase());
    if (!isKnown(t) || !isKnown(features)) return null;
    const h = a.num_output;
    return a.cell === 'lstm' ? t * (4 * h * features + 4 * h * h) : t * (h * features + 2 * h * h);
  },
});

export const lstm_unit = defineOp({
  name: 'lstm_unit',
  category: 'dense',
  summary: 'One LSTM step over precomputed gate inputs (Caffe LSTMUnit).',
  attrs: (k) => k.Obj({}),
  inputs: { min: 3, max: 3 },
  outputs: { min: 2, max: 2 },
  params: none,
  shape: (_a, [cPrev, gates]) => {
    const d = cPrev![cPrev!.length - 1]!;
    const g = gates![gates!.length - 1]!;
    if (isKnown(d) && isKnown(g) && g !== 4 * d) fail('shape/mismatch', `LSTMUnit gate input must have 4× the cell size (${4 * d}) on its last axis, got ${formatShape(gates!)}`);
    return [cPrev!, cPrev!];
  },
  paramShapes: noParamShapes,
  spatial: () => NOT_SPATIAL,
  macs: noMacs,
});
