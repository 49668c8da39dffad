import { defineOp, none } from '../op.js';
import type { SchemaKit } from '../schema-kit.js';

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
  params: (a) => (a.affine ? ['weight', 'bias', 'running_mean', 'running_var'] : ['running_mean', 'running_var']),
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
});

export const mvn = defineOp({
  name: 'mvn',
  category: 'normalization',
  summary: 'Mean-variance normalisation per sample (and per channel unless across_channels).',
  attrs: (k) => k.Obj({ normalize_variance: k.Bool(), across_channels: k.Bool(), eps: k.Num() }),
  inputs: { min: 1, max: 1 },
  outputs: { min: 1, max: 1 },
  params: none,
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
});

export const bias = defineOp({
  name: 'bias',
  category: 'normalization',
  summary: 'Adds a learned (or second-input) blob broadcast from `axis` (Caffe Bias).',
  attrs: (k) => k.Obj(broadcast(k)),
  inputs: { min: 1, max: 2 },
  outputs: { min: 1, max: 1 },
  params: (_a, inputs) => (inputs === 2 ? [] : ['bias']),
});
