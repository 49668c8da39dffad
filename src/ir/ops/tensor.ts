import { add, axisOf, divide, fail, formatShape, isKnown, product, sameDim, sameShape, UNKNOWN_DIM, type Dim, type Shape } from '../dims.js';
import { defineOp, GLOBAL, MERGE, noMacs, none, noParamShapes, NOT_SPATIAL, POINTWISE, pointwise, type SpatialMap } from '../op.js';
import type { SchemaKit } from '../schema-kit.js';

const Axis = (k: SchemaKit) => k.Int({ description: 'negative values count from the end' });
const single = { inputs: { min: 1, max: 1 }, outputs: { min: 1, max: 1 } } as const;
const noCost = { paramShapes: noParamShapes, macs: noMacs } as const;

const AXIS_NAMES = ['batch', 'channels', 'height', 'width'];
const axisName = (axis: number, rank: number) => (rank === 4 ? `axis ${axis} (${AXIS_NAMES[axis]})` : `axis ${axis}`);

/** An op acting along `axis` leaves positions alone when the axis is not spatial (0 or 1). */
const alongAxis = (axis: number, spatial: SpatialMap): SpatialMap => (axis < 2 ? POINTWISE : spatial);

export const flatten = defineOp({
  name: 'flatten',
  category: 'tensor',
  summary: 'Merges the axes axis…end_axis into one, in row-major order.',
  attrs: (k) => k.Obj({ axis: Axis(k), end_axis: Axis(k) }),
  ...single,
  params: none,
  shape: (a, [input]) => {
    const start = axisOf(a.axis, input!, 'Flatten axis');
    const end = axisOf(a.end_axis, input!, 'Flatten end_axis');
    if (end < start) fail('shape/axis', `Flatten end_axis ${a.end_axis} comes before axis ${a.axis} in ${formatShape(input!)}`);
    return [[...input!.slice(0, start), product(input!.slice(start, end + 1)), ...input!.slice(end + 1)]];
  },
  ...noCost,
  spatial: (a, [input]) => {
    const start = axisOf(a.axis, input!, 'Flatten axis');
    const end = axisOf(a.end_axis, input!, 'Flatten end_axis');
    return end > start && end >= 2 ? NOT_SPATIAL : POINTWISE;
  },
});

export const reshape = defineOp({
  name: 'reshape',
  category: 'tensor',
  summary:
    'Replaces the axes [axis, axis + num_axes) by `shape`, where 0 copies the input dimension and −1 is inferred (Caffe Reshape; a negative axis counts from after the last axis).',
  attrs: (k) => k.Obj({ shape: k.T.Array(k.T.Integer({ minimum: -1 })), axis: k.Int(), num_axes: k.Int({ minimum: -1 }) }),
  ...single,
  params: none,
  shape: (a, [input]) => [reshaped(a, input!)],
  ...noCost,
  spatial: (a, [input]) => {
    const out = reshaped(a, input!);
    return out.length === input!.length && sameShape(out.slice(2), input!.slice(2)) ? POINTWISE : NOT_SPATIAL;
  },
});

export const concat = defineOp({
  name: 'concat',
  category: 'tensor',
  summary: 'Joins its inputs along `axis`; all other dimensions must agree.',
  attrs: (k) => k.Obj({ axis: Axis(k) }),
  inputs: { min: 1, max: Infinity },
  outputs: { min: 1, max: 1 },
  params: none,
  shape: (a, inputs) => {
    const first = inputs[0]!;
    const axis = axisOf(a.axis, first, 'Concat axis');
    let size: Dim = 0;
    inputs.forEach((input, i) => {
      if (input.length !== first.length) fail('shape/mismatch', `Concat needs inputs with the same number of axes: #1 is ${formatShape(first)}, #${i + 1} is ${formatShape(input)}`);
      input.forEach((d, j) => {
        if (j !== axis && !sameDim(d, first[j]!)) {
          fail('shape/mismatch', `Concat along ${axisName(axis, first.length)} needs every other axis to agree, but they differ on ${axisName(j, first.length)}: #1 is ${formatShape(first)}, #${i + 1} is ${formatShape(input)}`);
        }
      });
      size = add(size, input[axis]!);
    });
    const out = [...first];
    out[axis] = size;
    return [out];
  },
  ...noCost,
  spatial: (a, inputs) => alongAxis(axisOf(a.axis, inputs[0]!, 'Concat axis'), { kind: 'unknown' }) === POINTWISE ? MERGE : { kind: 'unknown' },
});

export const eltwise = defineOp({
  name: 'eltwise',
  category: 'tensor',
  summary: 'Elementwise sum (with optional coefficients), product or maximum of equally shaped inputs.',
  attrs: (k) => k.Obj({ operation: k.Enum(['sum', 'prod', 'max']), coeff: k.T.Array(k.T.Number(), { description: 'one per input, sum only; empty: all 1' }) }),
  inputs: { min: 2, max: Infinity },
  outputs: { min: 1, max: 1 },
  params: none,
  shape: (_a, inputs) => {
    inputs.forEach((input, i) => {
      if (!sameShape(input, inputs[0]!)) fail('shape/mismatch', `Eltwise needs inputs of one shape: #1 is ${formatShape(inputs[0]!)}, #${i + 1} is ${formatShape(input)}`);
    });
    return [inputs[0]!];
  },
  ...noCost,
  spatial: () => MERGE,
});

export const crop = defineOp({
  name: 'crop',
  category: 'tensor',
  summary: 'Crops the first input to the second input’s size on the axes from `axis` on, starting at `offset`.',
  attrs: (k) => k.Obj({ axis: Axis(k), offset: k.T.Array(k.T.Integer({ minimum: 0 }), { description: 'one for all axes, or one per cropped axis' }) }),
  inputs: { min: 2, max: 2 },
  outputs: { min: 1, max: 1 },
  params: none,
  shape: (a, [input, reference]) => [cropped(a, input!, reference!).shape],
  ...noCost,
  spatial: (a, [input, reference]) => ({ kind: 'shift', offset: cropped(a, input!, reference!).offsets.slice(2) }),
});

export const slice = defineOp({
  name: 'slice',
  category: 'tensor',
  summary: 'Splits along `axis` at the slice points (or into equal parts, one per output).',
  attrs: (k) => k.Obj({ axis: Axis(k), slice_points: k.T.Array(k.T.Integer({ minimum: 0 })) }),
  inputs: { min: 1, max: 1 },
  outputs: { min: 1, max: Infinity },
  params: none,
  shape: (a, [input], outputCount) => {
    const axis = axisOf(a.axis, input!, 'Slice axis');
    const size = input![axis]!;
    let sizes: Dim[];
    if (a.slice_points.length > 0) {
      if (a.slice_points.length !== outputCount - 1) fail('shape/invalid', `Slice has ${outputCount} outputs, so it needs ${outputCount - 1} slice points, not ${a.slice_points.length}`);
      const points = [0, ...a.slice_points];
      for (let i = 1; i < points.length; i++) if (points[i]! <= points[i - 1]!) fail('shape/invalid', `slice points must increase: ${a.slice_points.join(', ')}`);
      const last = points[points.length - 1]!;
      if (isKnown(size) && last >= size) fail('shape/invalid', `slice point ${last} is not inside ${axisName(axis, input!.length)} of size ${size} (${formatShape(input!)})`);
      sizes = points.map((p, i) => (i + 1 < points.length ? points[i + 1]! - p : isKnown(size) ? size - p : UNKNOWN_DIM));
    } else {
      const part = divide(size, outputCount);
      if (part === null) fail('shape/invalid', `Slice cannot split ${axisName(axis, input!.length)} of size ${size} into ${outputCount} equal parts (${formatShape(input!)})`);
      sizes = Array.from({ length: outputCount }, () => part);
    }
    return sizes.map((d) => {
      const out = [...input!];
      out[axis] = d;
      return out;
    });
  },
  ...noCost,
  spatial: (a, [input]) => alongAxis(axisOf(a.axis, input!, 'Slice axis'), { kind: 'unknown' }),
});

export const split = defineOp({
  name: 'split',
  category: 'tensor',
  summary: 'Copies its input to every output (explicit Caffe Split; fan-out needs no node).',
  attrs: (k) => k.Obj({}),
  inputs: { min: 1, max: 1 },
  outputs: { min: 1, max: Infinity },
  params: none,
  shape: (_a, [input], outputCount) => Array.from({ length: outputCount }, () => input!),
  ...noCost,
  spatial: pointwise,
});

export const tile = defineOp({
  name: 'tile',
  category: 'tensor',
  summary: 'Repeats the input `tiles` times along `axis`.',
  attrs: (k) => k.Obj({ axis: Axis(k), tiles: k.PositiveInt() }),
  ...single,
  params: none,
  shape: (a, [input]) => {
    const axis = axisOf(a.axis, input!, 'Tile axis');
    const out = [...input!];
    out[axis] = product([input![axis]!, a.tiles]);
    return [out];
  },
  ...noCost,
  spatial: (a, [input]) => alongAxis(axisOf(a.axis, input!, 'Tile axis'), { kind: 'unknown' }),
});

export const softmax = defineOp({
  name: 'softmax',
  category: 'tensor',
  summary: 'Softmax along `axis`.',
  attrs: (k) => k.Obj({ axis: Axis(k) }),
  ...single,
  params: none,
  shape: (a, [input]) => {
    axisOf(a.axis, input!, 'Softmax axis');
    return [input!];
  },
  ...noCost,
  spatial: (a, [input]) => alongAxis(axisOf(a.axis, input!, 'Softmax axis'), GLOBAL),
});

export const argmax = defineOp({
  name: 'argmax',
  category: 'tensor',
  summary: 'Indices (and optionally values) of the top_k maxima along `axis`, or over all non-batch axes when axis is null.',
  attrs: (k) => k.Obj({ out_max_val: k.Bool(), top_k: k.PositiveInt(), axis: k.Nullable(k.T.Integer()) }),
  ...single,
  params: none,
  shape: (a, [input]) => {
    if (a.axis !== null) {
      const axis = axisOf(a.axis, input!, 'ArgMax axis');
      const n = input![axis]!;
      if (isKnown(n) && a.top_k > n) fail('shape/invalid', `top_k ${a.top_k} is more than the ${n} values along ${axisName(axis, input!.length)}`);
      const out = [...input!];
      out[axis] = a.top_k;
      return [out];
    }
    // argmax_layer.cpp: at least 3 axes of 1, then N, (2 with the values, else 1) and top_k.
    const n = product(input!.slice(1));
    if (isKnown(n) && a.top_k > n) fail('shape/invalid', `top_k ${a.top_k} is more than the ${n} values per example`);
    const out: Dim[] = Array.from({ length: Math.max(3, input!.length) }, () => 1);
    out[0] = input![0]!;
    out[1] = a.out_max_val ? 2 : 1;
    out[2] = a.top_k;
    return [out];
  },
  ...noCost,
  spatial: (a, [input]) => (a.axis === null ? NOT_SPATIAL : alongAxis(axisOf(a.axis, input!, 'ArgMax axis'), { kind: 'unknown' })),
});

export const reduction = defineOp({
  name: 'reduction',
  category: 'tensor',
  summary: 'Reduces all axes from `axis` on (sum, sum of absolute values, sum of squares or mean), times coeff.',
  attrs: (k) => k.Obj({ operation: k.Enum(['sum', 'asum', 'sumsq', 'mean']), axis: Axis(k), coeff: k.Num() }),
  ...single,
  params: none,
  shape: (a, [input]) => [input!.slice(0, axisOf(a.axis, input!, 'Reduction axis'))],
  ...noCost,
  spatial: (a, [input]) => (input!.length > 2 && axisOf(a.axis, input!, 'Reduction axis') <= input!.length - 1 ? GLOBAL : NOT_SPATIAL),
});

export const batch_reindex = defineOp({
  name: 'batch_reindex',
  category: 'tensor',
  summary: 'Selects batch items by the indices in the second input.',
  attrs: (k) => k.Obj({}),
  inputs: { min: 2, max: 2 },
  outputs: { min: 1, max: 1 },
  params: none,
  shape: (_a, [input, indices]) => {
    if (indices!.length !== 1) fail('shape/rank', `BatchReindex takes a 1-axis index input, got ${formatShape(indices!)}`);
    return [[indices![0]!, ...input!.slice(1)]];
  },
  ...noCost,
  spatial: pointwise,
});

export const filter = defineOp({
  name: 'filter',
  category: 'tensor',
  summary: 'Keeps the batch items whose selector (last input) is non-zero.',
  attrs: (k) => k.Obj({}),
  inputs: { min: 2, max: Infinity },
  outputs: { min: 1, max: Infinity },
  params: none,
  // How many items pass is only known from the data.
  shape: (_a, inputs, outputCount) => Array.from({ length: outputCount }, (_, i) => [UNKNOWN_DIM, ...inputs[i]!.slice(1)]),
  ...noCost,
  spatial: pointwise,
});

/** Caffe Reshape (reshape_layer.cpp): a negative axis counts from after the last axis, 0 copies, −1 is inferred. */
function reshaped(a: { shape: number[]; axis: number; num_axes: number }, input: Shape): Shape {
  const rank = input.length;
  const start = a.axis >= 0 ? a.axis : rank + a.axis + 1;
  if (start < 0 || start > rank) fail('shape/axis', `Reshape axis ${a.axis} is out of range for ${formatShape(input)}`);
  const end = a.num_axes === -1 ? rank : start + a.num_axes;
  if (end > rank) fail('shape/axis', `Reshape axis ${a.axis} with num_axes ${a.num_axes} goes past the ${rank} axes of ${formatShape(input)}`);
  const inferred = a.shape.indexOf(-1);
  if (a.shape.lastIndexOf(-1) !== inferred) fail('shape/invalid', 'Reshape can infer only one dimension (one -1)');
  const dims: Dim[] = a.shape.map((d, i) => {
    if (d !== 0) return d;
    const copied = input[start + i];
    if (copied === undefined) fail('shape/invalid', `Reshape dim ${i} is 0 (copy), but ${formatShape(input)} has no axis ${start + i}`);
    return copied;
  });
  const count = product(input.slice(start, end));
  if (inferred >= 0) {
    const known = product(dims.filter((_, i) => i !== inferred));
    const rest = divide(count, known);
    if (rest === null) {
      if (isKnown(count) && isKnown(known)) fail('shape/invalid', `Reshape cannot infer the -1: ${count} values (${formatShape(input)}) do not divide by ${known}`);
      dims[inferred] = UNKNOWN_DIM;
    } else dims[inferred] = rest;
  } else {
    const total = product(dims);
    if (isKnown(total) && isKnown(count) && total !== count) fail('shape/invalid', `Reshape to ${formatShape(dims)} needs ${total} values, but the input ${formatShape(input)} has ${count} on the reshaped axes`);
  }
  return [...input.slice(0, start), ...dims, ...input.slice(end)];
}

/** Caffe Crop (crop_layer.cpp): axes from `axis` on take the reference's size, offset by one value for all or one each. */
function cropped(a: { axis: number; offset: number[] }, input: Shape, reference: Shape): { shape: Shape; offsets: number[] } {
  if (input.length !== reference.length) fail('shape/rank', `Crop needs inputs with the same number of axes: #1 is ${formatShape(input)}, #2 is ${formatShape(reference)}`);
  const axis = axisOf(a.axis, input, 'Crop axis');
  const cropped = input.length - axis;
  if (a.offset.length > 1 && a.offset.length !== cropped) fail('shape/invalid', `Crop from axis ${axis} crops ${cropped} axes, so it takes one offset or ${cropped}, not ${a.offset.length}`);
  const offsets = input.map((_, i) => (i < axis ? 0 : a.offset.length === 0 ? 0 : a.offset.length === 1 ? a.offset[0]! : a.offset[i - axis]!));
  const shape = input.map((d, i) => {
    if (i < axis) return d;
    const want = reference[i]!;
    if (isKnown(d) && isKnown(want) && d - offsets[i]! < want) {
      fail('shape/invalid', `Crop: ${axisName(i, input.length)} of #1 (${formatShape(input)}) minus the offset ${offsets[i]} is smaller than #2's ${want} (${formatShape(reference)})`);
    }
    return want;
  });
  return { shape, offsets };
}
