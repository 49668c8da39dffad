import { axisOf, fail, formatShape, sameShape, type Dim, type Shape } from '../dims.js';
import { defineOp, noMacs, none, noParamShapes, pointwise, sameShapes } from '../op.js';
import type { SchemaKit } from '../schema-kit.js';

function channels(input: Shape, what: string): Dim {
  return input[1] ?? fail('shape/rank', `${what} needs a channel axis (axis 1); the input is ${formatShape(input)}`);
}

/** The axes a Scale/Bias blob covers: [axis, axis + num_axes), or to the end for −1 (scale_layer.cpp). */
function broadcastShape(a: { axis: number; num_axes: number }, inputs: Shape[], what: string): Shape {
  const input = inputs[0]!;
  if (inputs.length === 2) {
    const other = inputs[1]!;
    const start = other.length === 0 ? 0 : axisOf(a.axis, input, `${what} axis`);
    const covered = input.slice(start, start + other.length);
    if (covered.length !== other.length || !sameShape(covered, other)) {
      fail('shape/mismatch', `${what}: the second input ${formatShape(other)} must match the first input ${formatShape(input)} from axis ${start} on`);
    }
    return other;
  }
  if (a.num_axes === 0) return [];
  const start = axisOf(a.axis, input, `${what} axis`);
  const end = a.num_axes === -1 ? input.length : start + a.num_axes;
  if (end > input.length) fail('shape/axis', `${what}: axis ${start} with num_axes ${a.num_axes} goes past the input's ${input.length} axes (${formatShape(input)})`);
  return input.slice(start, end);
}
export const batchnorm = defineOp({
  name: 'batchnorm',
  category: 'normalization',
  summary: 'Batch normalisation over the channel axis: (x − mean) / sqrt(var + eps), then γ·x + β when affine.',
  attrs: (k) =>
    k.Obj({
      eps: k.T.Number({ exclusiveMinimum: 0 }),
      momentum: k.T.Number({
        minimum: 0,
        maximum: 1,
        description: "weight of the new batch in the running statistics (PyTorch's convention; Caffe's moving_average_fraction is 1 − momentum)",
      }),
      statistics: k.Enum(
        ['auto', 'running', 'batch'],
        "'auto': batch statistics while training, running ones in inference; 'running': always the stored ones (frozen); 'batch': always the batch's",
      ),
      running_update: k.Enum(
        ['ema', 'caffe'],
        "'ema': running = (1 − m)·running + m·batch; 'caffe': bias-corrected average kept as sums plus a scale factor (batch_norm_layer.cpp)",
      ),
      affine: k.Bool('learnable γ and β (Caffe puts them in a following Scale layer)'),
    }),
  inputs: { min: 1, max: 1 },
  outputs: { min: 1, max: 1 },
  // Caffe keeps the running sums with a third blob, the scale factor that turns them into averages.
  params: (a) => [...(a.affine ? ['weight', 'bias'] : []), 'running_mean', 'running_var', ...(a.running_update === 'caffe' ? ['scale_factor'] : [])],
  shape: sameShapes,
  paramShapes: (a, [input]) => {
    const c = channels(input!, 'BatchNorm');
    return [...(a.affine ? [[c], [c]] : []), [c], [c], ...(a.running_update === 'caffe' ? [[1]] : [])];
  },
  spatial: pointwise,
  macs: noMacs,
});

export const lrn = defineOp({
  name: 'lrn',
  category: 'normalization',
  summary:
    "Local response normalisation: x / (k + alpha/size · Σ x²)^beta over `size` neighbouring channels (across) or a size×size window (within, where Caffe uses alpha/size² and ignores k). Caffe's and PyTorch's alpha convention; TF's alpha is alpha/size.",
  attrs: (k) => k.Obj({ size: k.PositiveInt(), alpha: k.Num(), beta: k.Num(), k: k.Num(), region: k.Enum(['across_channels', 'within_channel']) }),
  inputs: { min: 1, max: 1 },
  outputs: { min: 1, max: 1 },
  params: none,
  shape: sameShapes,
  paramShapes: noParamShapes,
  // Within a channel, Caffe pools squares over a size×size window padded by (size − 1) / 2.
  spatial: (a, [input]) => {
    if (a.region === 'across_channels') return { kind: 'pointwise' };
    const axes = input!.slice(2);
    return { kind: 'window', kernel: axes.map(() => a.size), stride: axes.map(() => 1), pad_begin: axes.map(() => (a.size - 1) / 2) };
  },
  macs: noMacs,
});

export const mvn = defineOp({
  name: 'mvn',
  category: 'normalization',
  summary: 'Mean-variance normalisation per sample (and per channel unless across_channels).',
  attrs: (k) => k.Obj({ normalize_variance: k.Bool(), across_channels: k.Bool(), eps: k.Num() }),
  inputs: { min: 1, max: 1 },
  outputs: { min: 1, max: 1 },
  params: none,
  shape: sameShapes,
  paramShapes: noParamShapes,
  // Like batch normalisation in inference, statistics are not counted as spatial dependence.
  spatial: pointwise,
  macs: noMacs,
});

const broadcast = (k: SchemaKit) => ({
  axis: k.Int({ description: 'first axis of the input the scale/bias shape lines up with' }),
  num_axes: k.Int({ minimum: -1, description: 'axes covered by the learned blob (−1: all remaining, 0: a scalar)' }),
});

export const scale = defineOp({
  name: 'scale',
  category: 'normalization',
  summary: 'Multiplies by a learned (or second-input) blob broadcast from `axis`, optionally adding a bias (Caffe Scale).',
  attrs: (k) => k.Obj({ ...broadcast(k), bias: k.Bool() }),
  inputs: { min: 1, max: 2 },
  outputs: { min: 1, max: 1 },
  params: (a, inputs) => (inputs === 2 ? (a.bias ? ['bias'] : []) : a.bias ? ['weight', 'bias'] : ['weight']),
  shape: (a, inputs) => {
    broadcastShape(a, inputs, 'Scale');
    return [inputs[0]!];
  },
  paramShapes: (a, inputs) => {
    const shape = broadcastShape(a, inputs, 'Scale');
    return inputs.length === 2 ? (a.bias ? [shape] : []) : a.bias ? [shape, shape] : [shape];
  },
  spatial: pointwise,
  macs: noMacs,
});

export const bias = defineOp({
  name: 'bias',
  category: 'normalization',
  summary: 'Adds a learned (or second-input) blob broadcast from `axis` (Caffe Bias).',
  attrs: (k) => k.Obj(broadcast(k)),
  inputs: { min: 1, max: 2 },
  outputs: { min: 1, max: 1 },
  params: (_a, inputs) => (inputs === 2 ? [] : ['bias']),
  shape: (a, inputs) => {
    broadcastShape(a, inputs, 'Bias');
    return [inputs[0]!];
  },
  paramShapes: (a, inputs) => (inputs.length === 2 ? [] : [broadcastShape(a, inputs, 'Bias')]),
  spatial: pointwise,
  macs: noMacs,
});
