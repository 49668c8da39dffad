import { defineOp, none } from '../op.js';
import type { SchemaKit } from '../schema-kit.js';

const Mode = (k: SchemaKit) => k.Enum(['max', 'avg', 'stochastic']);

export const pool = defineOp({
  name: 'pool',
  category: 'pooling',
  summary:
    "Windowed pooling. rounding 'floor': out = floor((in + pads − k) / stride) + 1; 'ceil' rounds up and drops a last window that would start at or past in + pad_begin (PyTorch ceil_mode); 'caffe' rounds up and drops it only when padded (Caffe pooling_layer.cpp).",
  attrs: (k) =>
    k.Obj({
      mode: Mode(k),
      kernel: k.PerAxis(1, 'per spatial axis'),
      stride: k.PerAxis(1, 'per spatial axis'),
      pad_begin: k.PerAxis(0, 'per spatial axis'),
      pad_end: k.PerAxis(0, 'per spatial axis'),
      rounding: k.Enum(['floor', 'ceil', 'caffe']),
      count_include_pad: k.Bool(
        'average pooling divides by the window clipped to the padded input (Caffe, PyTorch default) rather than by the in-bounds count',
      ),
    }),
  inputs: { min: 1, max: 1 },
  outputs: { min: 1, max: 2 },
  params: none,
});

export const global_pool = defineOp({
  name: 'global_pool',
  category: 'pooling',
  summary: 'Pools each channel over all spatial positions to 1×1.',
  attrs: (k) => k.Obj({ mode: Mode(k) }),
  inputs: { min: 1, max: 1 },
  outputs: { min: 1, max: 1 },
  params: none,
});

export const adaptive_pool = defineOp({
  name: 'adaptive_pool',
  category: 'pooling',
  summary: 'Pools to a fixed output size; window i spans [floor(i·in/out), ceil((i+1)·in/out)) (PyTorch adaptive pooling).',
  attrs: (k) => k.Obj({ mode: k.Enum(['max', 'avg']), output_size: k.PerAxis(1, 'per spatial axis') }),
  inputs: { min: 1, max: 1 },
  outputs: { min: 1, max: 1 },
  params: none,
});

export const spp = defineOp({
  name: 'spp',
  category: 'pooling',
  summary: 'Spatial pyramid pooling (Caffe SPP): levels 0…height−1 pool to 2^l × 2^l bins, flattened and concatenated.',
  attrs: (k) => k.Obj({ pyramid_height: k.PositiveInt(), mode: Mode(k) }),
  inputs: { min: 1, max: 1 },
  outputs: { min: 1, max: 1 },
  params: none,
});
