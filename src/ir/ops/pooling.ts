import { fail, formatShape, isKnown, product, UNKNOWN_DIM, type Dim, type Shape } from '../dims.js';
import { defineOp, GLOBAL, noMacs, none, noParamShapes, type SpatialMap } from '../op.js';
import type { SchemaKit } from '../schema-kit.js';
import { pooledSize, spatialAxes, type Rounding } from '../window.js';

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
  shape: (a, [input], outputCount) => {
    const spatial = spatialAxes(input!, 1, a.kernel.length, 'the pooling');
    const padded = a.pad_begin.some((p) => p > 0) || a.pad_end.some((p) => p > 0);
    const out = spatial.map((d, i): Dim => {
      if (!isKnown(d)) return UNKNOWN_DIM;
      const k = a.kernel[i]!;
      if (d + a.pad_begin[i]! + a.pad_end[i]! < k) fail('shape/kernel-too-large', `spatial axis ${i + 1}: the pooling kernel ${k} is larger than the padded input ${d + a.pad_begin[i]! + a.pad_end[i]!} (${d} + ${a.pad_begin[i]} + ${a.pad_end[i]})`);
      const size = pooledSize(d, k, a.stride[i]!, a.pad_begin[i]!, a.pad_end[i]!, a.rounding as Rounding, padded);
      if (size <= 0) fail('shape/empty', `spatial axis ${i + 1}: pooling ${d} gives ${size}`);
      return size;
    });
    const shape = [...input!.slice(0, 2), ...out];
    // The optional second output is Caffe's max-pooling mask, shaped like the first.
    return Array.from({ length: outputCount }, () => shape);
  },
  paramShapes: noParamShapes,
  spatial: (a) => ({ kind: 'window', kernel: a.kernel, stride: a.stride, pad_begin: a.pad_begin }),
  macs: noMacs,
});

export const global_pool = defineOp({
  name: 'global_pool',
  category: 'pooling',
  summary: 'Pools each channel over all spatial positions to 1×1.',
  attrs: (k) => k.Obj({ mode: Mode(k) }),
  inputs: { min: 1, max: 1 },
  outputs: { min: 1, max: 1 },
  params: none,
  shape: (_a, [input]) => {
    if (input!.length < 3) fail('shape/rank', `global pooling needs spatial axes; the input is ${formatShape(input!)}`);
    return [[...input!.slice(0, 2), ...input!.slice(2).map(() => 1)]];
  },
  paramShapes: noParamShapes,
  spatial: () => GLOBAL,
  macs: noMacs,
});

export const adaptive_pool = defineOp({
  name: 'adaptive_pool',
  category: 'pooling',
  summary: 'Pools to a fixed output size; window i spans [floor(i·in/out), ceil((i+1)·in/out)) (PyTorch adaptive pooling).',
  attrs: (k) => k.Obj({ mode: k.Enum(['max', 'avg']), output_size: k.PerAxis(1, 'per spatial axis') }),
  inputs: { min: 1, max: 1 },
  outputs: { min: 1, max: 1 },
  params: none,
  shape: (a, [input]) => {
    spatialAxes(input!, 1, a.output_size.length, 'the adaptive pooling');
    return [[...input!.slice(0, 2), ...a.output_size]];
  },
  paramShapes: noParamShapes,
  spatial: (a, [input]) => adaptiveMap(input!, a.output_size),
  macs: noMacs,
});

/** Adaptive windows are uneven unless the output divides the input: the widest window and the mean step. */
function adaptiveMap(input: Shape, outputSize: number[]): SpatialMap {
  const spatial = input.slice(2);
  if (!spatial.every(isKnown)) return { kind: 'unknown' };
  const kernel = spatial.map((n, i) => {
    const out = outputSize[i]!;
    let widest = 0;
    for (let j = 0; j < out; j++) widest = Math.max(widest, Math.ceil(((j + 1) * n) / out) - Math.floor((j * n) / out));
    return widest;
  });
  return { kind: 'window', kernel, stride: spatial.map((n, i) => n / outputSize[i]!), pad_begin: spatial.map(() => 0) };
}

export const spp = defineOp({
  name: 'spp',
  category: 'pooling',
  summary: 'Spatial pyramid pooling (Caffe SPP): levels 0…height−1 pool to 2^l × 2^l bins, flattened and concatenated.',
  attrs: (k) => k.Obj({ pyramid_height: k.PositiveInt(), mode: Mode(k) }),
  inputs: { min: 1, max: 1 },
  outputs: { min: 1, max: 1 },
  params: none,
  shape: (a, [input]) => {
    if (input!.length !== 4) fail('shape/rank', `SPP needs an N×C×H×W input, got ${formatShape(input!)}`);
    let bins = 0;
    for (let l = 0; l < a.pyramid_height; l++) bins += 4 ** l;
    return [[input![0]!, product([input![1]!, bins])]];
  },
  paramShapes: noParamShapes,
  spatial: () => GLOBAL,
  macs: noMacs,
});
