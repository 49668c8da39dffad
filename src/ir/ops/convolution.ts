import { defineOp } from '../op.js';
import type { SchemaKit } from '../schema-kit.js';

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
});

export const conv_transpose = defineOp({
  name: 'conv_transpose',
  category: 'convolution',
  summary: 'Transposed convolution (Caffe Deconvolution): out = stride·(in − 1) + dilation·(k − 1) + 1 − pad_begin − pad_end + output_padding.',
  attrs: (k) => k.Obj({ ...convAttrs(k), output_padding: k.PerAxis(0, 'extra size added at the end of each spatial axis') }),
  inputs: { min: 1, max: Infinity },
  outputs: 'per-input',
  params: (a) => weightAndBias(a),
});

export const im2col = defineOp({
  name: 'im2col',
  category: 'convolution',
  summary: 'Unfolds convolution windows into columns (Caffe Im2col).',
  attrs: (k) => k.Obj({ ...window(k), axis: k.Int({ minimum: 0 }) }),
  inputs: { min: 1, max: 1 },
  outputs: { min: 1, max: 1 },
  params: () => [],
});
