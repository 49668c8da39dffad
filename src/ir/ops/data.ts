import { defineOp, noMacs, none, noParamShapes, NOT_SPATIAL, type Shape } from '../op.js';

const sourceMap = () => NOT_SPATIAL;
const noOutputs = (): Shape[] => [];
import { preprocessSchema, transformSchema } from '../preprocess.js';

export const input = defineOp({
  name: 'input',
  category: 'data',
  summary: 'A network input of a declared shape.',
  attrs: (k) =>
    k.Obj({
      shapes: k.T.Array(k.Shape(), { description: 'one shape per output (empty: not declared)' }),
      preprocess: k.Nullable(preprocessSchema(k)),
    }),
  inputs: { min: 0, max: 0 },
  outputs: { min: 1, max: Infinity },
  params: none,
  shape: (a, _inputs, outputCount) => Array.from({ length: outputCount }, (_, i) => (a.shapes[i]?.length ? a.shapes[i]! : null)),
  paramShapes: noParamShapes,
  spatial: sourceMap,
  macs: noMacs,
});

export const data = defineOp({
  name: 'data',
  category: 'data',
  summary: 'A layer that reads a dataset (Caffe Data, ImageData, HDF5Data, …); shapes come from the data unless stated.',
  attrs: (k) =>
    k.Obj({
      source_type: k.Enum(['Data', 'ImageData', 'HDF5Data', 'MemoryData', 'WindowData', 'DummyData']),
      source: k.Nullable(k.T.String()),
      batch_size: k.Nullable(k.T.Integer({ minimum: 0 })),
      shapes: k.T.Array(k.Nullable(k.Shape()), { description: 'per output; null where only the data tells' }),
      transform: k.Nullable(transformSchema(k)),
      options: k.T.Record(k.T.String(), k.T.Unknown(), { description: 'the layer-specific settings, as written' }),
    }),
  inputs: { min: 0, max: 0 },
  outputs: { min: 1, max: Infinity },
  params: none,
  shape: (a, _inputs, outputCount) => Array.from({ length: outputCount }, (_, i) => a.shapes[i] ?? null),
  paramShapes: noParamShapes,
  spatial: sourceMap,
  macs: noMacs,
});

export const parameter = defineOp({
  name: 'parameter',
  category: 'data',
  summary: 'A learnable blob exposed as an output (Caffe Parameter).',
  attrs: (k) => k.Obj({ shape: k.Shape() }),
  inputs: { min: 0, max: 0 },
  outputs: { min: 1, max: 1 },
  params: () => ['value'],
  shape: (a) => [a.shape],
  paramShapes: (a) => [a.shape],
  spatial: sourceMap,
  macs: noMacs,
});

export const silence = defineOp({
  name: 'silence',
  category: 'other',
  summary: 'Consumes its inputs so they do not count as network outputs.',
  attrs: (k) => k.Obj({}),
  inputs: { min: 1, max: Infinity },
  outputs: { min: 0, max: 0 },
  params: none,
  shape: noOutputs,
  paramShapes: noParamShapes,
  spatial: sourceMap,
  macs: noMacs,
});

export const hdf5_output = defineOp({
  name: 'hdf5_output',
  category: 'other',
  summary: 'Writes its inputs to an HDF5 file (Caffe HDF5Output).',
  attrs: (k) => k.Obj({ file_name: k.T.String() }),
  inputs: { min: 1, max: Infinity },
  outputs: { min: 0, max: 0 },
  params: none,
  shape: noOutputs,
  paramShapes: noParamShapes,
  spatial: sourceMap,
  macs: noMacs,
});

export const opaque = defineOp({
  name: 'opaque',
  category: 'other',
  summary: 'A layer nnspec does not know (a Python layer, a fork layer); kept as written, never evaluated.',
  attrs: (k) =>
    k.Obj({
      framework: k.Enum(['caffe', 'nnspec']),
      type: k.T.String(),
      params: k.T.Record(k.T.String(), k.T.Unknown(), { description: 'its parameter messages, as written' }),
    }),
  inputs: { min: 0, max: Infinity },
  outputs: { min: 0, max: Infinity },
  params: none,
  // Never evaluated: the shape pass stops at its outputs and says so.
  shape: (_a, _inputs, outputCount) => Array.from({ length: outputCount }, () => null),
  paramShapes: noParamShapes,
  spatial: () => ({ kind: 'unknown' }),
  macs: () => null,
});
