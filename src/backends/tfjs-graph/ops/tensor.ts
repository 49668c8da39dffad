/**
 * Tensor plumbing, as src/backends/tfjs/ops/tensor.ts: ops along one axis map the IR axis to the
 * held one; ops that reorder values (flatten, reshape, reduction) work in the IR's layout, so a
 * channels-last value is transposed to NCHW first and flattening keeps the IR's C, H, W order.
 */
import { canonicalAxis } from '../../../ir/dims.js';
import { attr, type Value } from '../graph-def.js';
import { binary, heldAxis, toCl, toIr, unary, unify, unsupported, reshape, type EmitContext, type Held, type Translate } from '../emit.js';

const axisOf = (axis: number, rank: number): number => canonicalAxis(axis, rank) ?? axis;

function concatAlong(ctx: EmitContext, refs: string[], axis: number): string {
  return ctx.g.op(ctx.scope, 'ConcatV2', [...refs, ctx.g.ints([axis], [])], { T: attr.float(), N: attr.int(refs.length), Tidx: { type: 'DT_INT32' } });
}

export const flatten: Translate<'flatten'> = (node, info) => ([v], ctx) => {
  const start = axisOf(node.attrs.axis, v!.shape.length);
  return [{ ref: reshape(ctx, toIr(ctx, v!).ref, info.outputs[0]!, start >= 1), cl: false }];
};

export const reshape_: Translate<'reshape'> = (node, info) => ([v], ctx) => {
  const rank = v!.shape.length;
  const start = node.attrs.axis >= 0 ? node.attrs.axis : rank + node.attrs.axis + 1;
  return [{ ref: reshape(ctx, toIr(ctx, v!).ref, info.outputs[0]!, start >= 1), cl: false }];
};

export const concat: Translate<'concat'> = (node) => (inputs, ctx) => {
  const values = unify(ctx, inputs);
  const first = values[0]!;
  if (values.length === 1) return [{ ref: first.ref, cl: first.cl }];
  const axis = heldAxis(first, axisOf(node.attrs.axis, first.shape.length));
  return [{ ref: concatAlong(ctx, values.map((v) => v.ref), axis), cl: first.cl }];
};

export const eltwise: Translate<'eltwise'> = (node) => {
  const { operation, coeff } = node.attrs;
  return (inputs, ctx) => {
    const values = unify(ctx, inputs);
    const refs = values.map((v) => v.ref);
    let y: string;
    if (operation === 'sum') {
      const terms = refs.map((r, i) => (coeff.length === 0 || coeff[i] === 1 ? r : binary(ctx, 'Mul', r, ctx.g.scalar(coeff[i]!))));
      y = terms.length === 2 ? binary(ctx, 'AddV2', terms[0]!, terms[1]!) : ctx.g.op(ctx.scope, 'AddN', terms, { T: attr.float(), N: attr.int(terms.length) });
    } else y = refs.slice(1).reduce((acc, r) => binary(ctx, operation === 'prod' ? 'Mul' : 'Maximum', acc, r), refs[0]!);
    return [{ ref: y, cl: values[0]!.cl }];
  };
};

/** Caffe Crop: IR axes from `axis` on take the reference's size, starting at the offsets. */
export const crop: Translate<'crop'> = (node, info) => ([v], ctx) => {
  const x = v!;
  const axis = axisOf(node.attrs.axis, x.shape.length);
  const off = node.attrs.offset;
  const offsets = x.shape.map((_, i) => (i < axis ? 0 : off.length === 0 ? 0 : off.length === 1 ? off[0]! : off[i - axis]!));
  const size = info.outputs[0]!;
  const begin: number[] = [];
  const held: number[] = [];
  x.shape.forEach((_, i) => {
    begin[heldAxis(x, i)] = offsets[i]!;
    held[heldAxis(x, i)] = i === 0 && axis > 0 ? -1 : size[i]!;
  });
  if (axis === 0) ctx.fixBatch('cropping the batch axis');
  return [{ ref: ctx.g.op(ctx.scope, 'Slice', [x.ref, ctx.g.ints(begin), ctx.g.ints(held)], { T: attr.float(), Index: { type: 'DT_INT32' } }), cl: x.cl }];
};

export const slice: Translate<'slice'> = (node, info) => ([v], ctx) => {
  const x = v!;
  const axis = axisOf(node.attrs.axis, x.shape.length);
  if (axis === 0) ctx.fixBatch('slicing the batch axis');
  const sizes = info.outputs.map((s) => s[axis]!);
  const parts = ctx.g.op(ctx.scope, 'SplitV', [x.ref, ctx.g.ints(sizes), ctx.g.ints([heldAxis(x, axis)], [])], { T: attr.float(), Tlen: { type: 'DT_INT32' }, num_split: attr.int(sizes.length) });
  return sizes.map((_, i): Held => ({ ref: `${parts}:${i}`, cl: x.cl }));
};

export const split: Translate<'split'> = (node) => ([v]) => node.outputs.map(() => ({ ref: v!.ref, cl: v!.cl }));

export const tile: Translate<'tile'> = (node) => ([v], ctx) => {
  const x = v!;
  const axis = heldAxis(x, axisOf(node.attrs.axis, x.shape.length));
  if (axisOf(node.attrs.axis, x.shape.length) === 0) ctx.fixBatch('tiling the batch axis');
  const reps = x.shape.map((_, i) => (i === axis ? node.attrs.tiles : 1));
  return [{ ref: ctx.g.op(ctx.scope, 'Tile', [x.ref, ctx.g.ints(reps)], { T: attr.float(), Tmultiples: { type: 'DT_INT32' } }), cl: x.cl }];
};

/** Softmax runs on the last held axis; another axis is moved last (channels of a 4-D value: NHWC). */
export const softmax: Translate<'softmax'> = (node) => ([v], ctx) => {
  let x: Value = v!;
  const irAxis = axisOf(node.attrs.axis, x.shape.length);
  if (x.shape.length === 4 && irAxis === 1) x = toCl(ctx, x);
  const axis = heldAxis(x, irAxis);
  const rank = x.shape.length;
  if (axis === rank - 1) return [{ ref: unary(ctx, 'Softmax', x.ref), cl: x.cl }];
  const perm = [...Array.from({ length: rank }, (_, i) => i).filter((i) => i !== axis), axis];
  const inverse = perm.map((_, i) => perm.indexOf(i));
  const transpose = (ref: string, p: number[]) => ctx.g.op(ctx.scope, 'Transpose', [ref, ctx.g.ints(p)], { T: attr.float(), Tperm: { type: 'DT_INT32' } });
  return [{ ref: transpose(unary(ctx, 'Softmax', transpose(x.ref, perm)), inverse), cl: x.cl }];
};

export const argmax: Translate<'argmax'> = () => unsupported('ArgMax');

export const reduction: Translate<'reduction'> = (node) => {
  const { operation, coeff } = node.attrs;
  return ([v], ctx) => {
    const x = toIr(ctx, v!);
    const from = axisOf(node.attrs.axis, x.shape.length);
    if (from === 0) ctx.fixBatch('reducing over the batch axis');
    const axes = Array.from({ length: x.shape.length - from }, (_, i) => from + i);
    const base = operation === 'asum' ? unary(ctx, 'Abs', x.ref) : operation === 'sumsq' ? unary(ctx, 'Square', x.ref) : x.ref;
    const reduced = ctx.g.op(ctx.scope, operation === 'mean' ? 'Mean' : 'Sum', [base, ctx.g.ints(axes)], { T: attr.float(), Tidx: { type: 'DT_INT32' }, keep_dims: attr.bool(false) });
    return [{ ref: coeff === 1 ? reduced : binary(ctx, 'Mul', reduced, ctx.g.scalar(coeff)), cl: false }];
  };
};

export const batch_reindex: Translate<'batch_reindex'> = () => ([v, index], ctx) => {
  const { g } = ctx;
  ctx.fixBatch('BatchReindex');
  const i = g.op(ctx.scope, 'Cast', [toIr(ctx, index!).ref], { SrcT: attr.float(), DstT: { type: 'DT_INT32' }, Truncate: attr.bool(false) });
  const y = g.op(ctx.scope, 'GatherV2', [v!.ref, i, g.ints([0], [])], { Tparams: attr.float(), Tindices: { type: 'DT_INT32' }, Taxis: { type: 'DT_INT32' }, batch_dims: attr.int(0) });
  return [{ ref: y, cl: v!.cl }];
};

export const filter: Translate<'filter'> = () => unsupported('Filter (its output size depends on the data)');

