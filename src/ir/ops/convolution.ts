import { fail, formatShape, isKnown, product, sameShape, UNKNOWN_DIM, type Dim, type Shape } from '../dims.js';
import { defineOp, noMacs, noParamShapes } from '../op.js';
import { extent, spatialAxes, windowMap, windowOutput, type Window } from '../window.js';
import type { SchemaKit } from '../schema-kit.js';

function channelsOf(input: Shape, axis: number): Dim {
  return input[axis] ?? fail('shape/rank', `the input ${formatShape(input)} has no channel axis ${axis}`);
}

function checkSameInputs(inputs: Shape[], what: string): void {
  for (let i = 1; i < inputs.length; i++) {
    if (!sameShape(inputs[i]!, inputs[0]!)) fail('shape/mismatch', `${what} needs all inputs to have one shape: #1 is ${formatShape(inputs[0]!)}, #${i + 1} is ${formatShape(inputs[i]!)}`);
  }
}

function checkGroups(channels: Dim, groups: number, what: string): void {
  if (isKnown(channels) && channels % groups !== 0) fail('shape/groups', `${what}: ${channels} input channels do not divide into ${groups} groups`);
}

const convShape = (a: Window & { num_output: number; axis: number; groups: number }, inputs: Shape[], outputCount: number): Shape[] => {
  checkSameInputs(inputs, 'a convolution');
  const input = inputs[0]!;
  const spatial = spatialAxes(input, a.axis, a.kernel.length, 'the convolution');
  checkGroups(channelsOf(input, a.axis), a.groups, 'convolution');
  const out = spatial.map((d, i) => windowOutput(d, extent(a, i), a.stride[i]!, a.pad_begin[i]!, a.pad_end[i]!, `spatial axis ${i + 1}`));
  return Array.from({ length: outputCount }, () => [...input.slice(0, a.axis), a.num_output, ...out]);
};

/** Per example: every output value sums (C_in / groups)·∏k products. */
const convMacs = (a: { kernel: number[]; groups: number; axis: number }, inputs: Shape[], outputs: Shape[]): number | null => {
  const cin = channelsOf(inputs[0]!, a.axis);
  let total = 0;
  for (const out of outputs) {
    const n = product([...out.slice(1), cin]);
    if (!isKnown(n)) return null;
    total += (n / a.groups) * a.kernel.reduce((x, y) => x * y, 1);
  }
  return total;
};

const window = ({ PerAxis }: SchemaKit) => ({
  kernel: PerAxis(1, 'kernel extent per spatial axis'),
  stride: PerAxis(1, 'per spatial axis'),
  dilation: PerAxis(1, 'per spatial axis'),
  pad_begin: PerAxis(0, 'zero padding before each spatial axis'),
  pad_end: PerAxis(0, 'zero padding after each spatial axis'),
});

const convAttrs = (k: SchemaKit) => ({
  num_output: k.PositiveInt('output channels'),
  ...window(k),
  groups: k.PositiveInt('channel groups; equal to the input channels for a depthwise convolution'),
  bias: k.Bool('whether a bias is added'),
  axis: k.Int({ minimum: 0, description: 'the channel axis; later axes are spatial (1 for NCHW)' }),
});

const weightAndBias = (a: { bias: boolean }) => (a.bias ? ['weight', 'bias'] : ['weight']);

export const conv = defineOp({
  name: 'conv',
  category: 'convolution',
  summary: 'Convolution: out = floor((in + pad_begin + pad_end − dilation·(k − 1) − 1) / stride) + 1.',
  attrs: (k) => k.Obj(convAttrs(k)),
  inputs: { min: 1, max: Infinity },
  outputs: 'per-input',
  params: (a) => weightAndBias(a),
  shape: (a, inputs, outputCount) => convShape(a, inputs, outputCount),
  paramShapes: (a, inputs) => {
    const cin = channelsOf(inputs[0]!, a.axis);
    const weight = [a.num_output, isKnown(cin) ? cin / a.groups : cin, ...a.kernel];
    return a.bias ? [weight, [a.num_output]] : [weight];
  },
  spatial: (a) => windowMap(a),
  macs: (a, inputs, outputs) => convMacs(a, inputs, outputs),
});

export const conv_transpose = defineOp({
  name: 'conv_transpose',
  category: 'convolution',
  summary: 'Transposed convolution (Caffe Deconvolution): out = stride·(in − 1) + dilation·(k − 1) + 1 − pad_begin − pad_end + output_padding.',
  attrs: (k) => k.Obj({ ...convAttrs(k), output_padding: k.PerAxis(0, 'extra size added at the end of each spatial axis') }),
  inputs: { min: 1, max: Infinity },
  outputs: 'per-input',
  params: (a) => weightAndBias(a),
  shape: (a, inputs, outputCount) => {
    checkSameInputs(inputs, 'a transposed convolution');
    const input = inputs[0]!;
    const spatial = spatialAxes(input, a.axis, a.kernel.length, 'the transposed convolution');
    checkGroups(channelsOf(input, a.axis), a.groups, 'transposed convolution');
    const out = spatial.map((d, i) => {
      if (!isKnown(d)) return UNKNOWN_DIM;
      const size = a.stride[i]! * (d - 1) + extent(a, i) - a.pad_begin[i]! - a.pad_end[i]! + (a.output_padding[i] ?? 0);
      if (size <= 0) fail('shape/empty', `spatial axis ${i + 1}: the transposed convolution of size ${d} gives ${size}`);
      return size;
    });
    return Array.from({ length: outputCount }, () => [...input.slice(0, a.axis), a.num_output, ...out]);
  },
  paramShapes: (a, inputs) => {
    // Caffe's reverse_dimensions(): [C_in, num_output / groups, k…] (PyTorch's ConvTranspose layout too).
    const weight = [channelsOf(inputs[0]!, a.axis), a.num_output / a.groups, ...a.kernel];
    return a.bias ? [weight, [a.num_output]] : [weight];
  },
  spatial: (a) => ({ kind: 'upsample', kernel: a.kernel.map((_, i) => extent(a, i)), stride: a.stride, pad_begin: a.pad_begin }),
  // Per example: every input value is multiplied into (num_output / groups)·∏k outputs.
  macs: (a, inputs) => {
    let total = 0;
    for (const input of inputs) {
      const n = product(input.slice(1));
      if (!isKnown(n)) return null;
      total += (n * a.num_output * a.kernel.reduce((x, y) => x * y, 1)) / a.groups;
    }
    return total;
  },
});

export const im2col = defineOp({
  name: 'im2col',
  category: 'convolution',
  summary: 'Unfolds convolution windows into columns (Caffe Im2col).',
  attrs: (k) => k.Obj({ ...window(k), axis: k.Int({ minimum: 0 }) }),
  inputs: { min: 1, max: 1 },
  outputs: { min: 1, max: 1 },
  params: () => [],
  shape: (a, [input]) => {
    const spatial = spatialAxes(input!, a.axis, a.kernel.length, 'Im2col');
    const out = spatial.map((d, i) => windowOutput(d, extent(a, i), a.stride[i]!, a.pad_begin[i]!, a.pad_end[i]!, `spatial axis ${i + 1}`));
    return [[...input!.slice(0, a.axis), product([channelsOf(input!, a.axis), ...a.kernel]), ...out]];
  },
  paramShapes: noParamShapes,
  spatial: (a) => windowMap(a),
  macs: noMacs,
});
