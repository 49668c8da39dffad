import { defineOp, none } from '../op.js';
import type { SchemaKit } from '../schema-kit.js';

const Axis = (k: SchemaKit) => k.Int({ description: 'negative values count from the end' });
const single = { inputs: { min: 1, max: 1 }, outputs: { min: 1, max: 1 } } as const;

export const flatten = defineOp({
  name: 'flatten',
  category: 'tensor',
  summary: 'Merges the axes axis…end_axis into one, in row-major order.',
  attrs: (k) => k.Obj({ axis: Axis(k), end_axis: Axis(k) }),
  ...single,
  params: none,
});

export const reshape = defineOp({
  name: 'reshape',
  category: 'tensor',
  summary:
    'Replaces the axes [axis, axis + num_axes) by `shape`, where 0 copies the input dimension and −1 is inferred (Caffe Reshape; a negative axis counts from after the last axis).',
  attrs: (k) => k.Obj({ shape: k.T.Array(k.T.Integer({ minimum: -1 })), axis: k.Int(), num_axes: k.Int({ minimum: -1 }) }),
  ...single,
  params: none,
});

export const concat = defineOp({
  name: 'concat',
  category: 'tensor',
  summary: 'Joins its inputs along `axis`; all other dimensions must agree.',
  attrs: (k) => k.Obj({ axis: Axis(k) }),
  inputs: { min: 1, max: Infinity },
  outputs: { min: 1, max: 1 },
  params: none,
});

export const eltwise = defineOp({
  name: 'eltwise',
  category: 'tensor',
  summary: 'Elementwise sum (with optional coefficients), product or maximum of equally shaped inputs.',
  attrs: (k) => k.Obj({ operation: k.Enum(['sum', 'prod', 'max']), coeff: k.T.Array(k.T.Number(), { description: 'one per input, sum only; empty: all 1' }) }),
  inputs: { min: 2, max: Infinity },
  outputs: { min: 1, max: 1 },
  params: none,
});

export const crop = defineOp({
  name: 'crop',
  category: 'tensor',
  summary: 'Crops the first input to the second input’s size on the axes from `axis` on, starting at `offset`.',
  attrs: (k) => k.Obj({ axis: Axis(k), offset: k.T.Array(k.T.Integer({ minimum: 0 }), { description: 'one for all axes, or one per cropped axis' }) }),
  inputs: { min: 2, max: 2 },
  outputs: { min: 1, max: 1 },
  params: none,
});

export const slice = defineOp({
  name: 'slice',
  category: 'tensor',
  summary: 'Splits along `axis` at the slice points (or into equal parts, one per output).',
  attrs: (k) => k.Obj({ axis: Axis(k), slice_points: k.T.Array(k.T.Integer({ minimum: 0 })) }),
  inputs: { min: 1, max: 1 },
  outputs: { min: 1, max: Infinity },
  params: none,
});

export const split = defineOp({
  name: 'split',
  category: 'tensor',
  summary: 'Copies its input to every output (explicit Caffe Split; fan-out needs no node).',
  attrs: (k) => k.Obj({}),
  inputs: { min: 1, max: 1 },
  outputs: { min: 1, max: Infinity },
  params: none,
});

export const tile = defineOp({
  name: 'tile',
  category: 'tensor',
  summary: 'Repeats the input `tiles` times along `axis`.',
  attrs: (k) => k.Obj({ axis: Axis(k), tiles: k.PositiveInt() }),
  ...single,
  params: none,
});

export const softmax = defineOp({
  name: 'softmax',
  category: 'tensor',
  summary: 'Softmax along `axis`.',
  attrs: (k) => k.Obj({ axis: Axis(k) }),
  ...single,
  params: none,
});

export const argmax = defineOp({
  name: 'argmax',
  category: 'tensor',
  summary: 'Indices (and optionally values) of the top_k maxima along `axis`, or over all non-batch axes when axis is null.',
  attrs: (k) => k.Obj({ out_max_val: k.Bool(), top_k: k.PositiveInt(), axis: k.Nullable(k.T.Integer()) }),
  ...single,
  params: none,
});

export const reduction = defineOp({
  name: 'reduction',
  category: 'tensor',
  summary: 'Reduces all axes from `axis` on (sum, sum of absolute values, sum of squares or mean), times coeff.',
  attrs: (k) => k.Obj({ operation: k.Enum(['sum', 'asum', 'sumsq', 'mean']), axis: Axis(k), coeff: k.Num() }),
  ...single,
  params: none,
});

export const batch_reindex = defineOp({
  name: 'batch_reindex',
  category: 'tensor',
  summary: 'Selects batch items by the indices in the second input.',
  attrs: (k) => k.Obj({}),
  inputs: { min: 2, max: 2 },
  outputs: { min: 1, max: 1 },
  params: none,
});

export const filter = defineOp({
  name: 'filter',
  category: 'tensor',
  summary: 'Keeps the batch items whose selector (last input) is non-zero.',
  attrs: (k) => k.Obj({}),
  inputs: { min: 2, max: Infinity },
  outputs: { min: 1, max: Infinity },
  params: none,
});
