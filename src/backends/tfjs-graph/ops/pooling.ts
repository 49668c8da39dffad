/**
 * Pooling with the IR's window rules, as src/backends/tfjs/ops/pooling.ts computes them: the
 * output size from the IR's rounding, max pooling over -inf padding, and the average rescaled
 * wherever the IR's divisor (Caffe's window clipped to the padded input, or the in-bounds count)
 * differs from tfjs's kh·kw.
 */
import { pooledSize, type Rounding } from '../../../ir/window.js';
import { attr } from '../graph-def.js';
import { binary, heldAxis, toCl, toIr, unsupported, type EmitContext, type Translate } from '../emit.js';
import { padSpatial } from './convolution.js';
import { oneD } from './one-d.js';
// The window geometry and Caffe's divisor are the lowering's, so the export cannot drift from it.
import { counted, type PoolWindow } from '../../tfjs/ops/pooling.js';

function poolOp(ctx: EmitContext, mode: 'max' | 'avg', x: string, kernel: number[], stride: number[]): string {
  return ctx.g.op(ctx.scope, mode === 'max' ? 'MaxPool' : 'AvgPool', [x], {
    T: attr.float(),
    ksize: attr.ints([1, kernel[0]!, kernel[1]!, 1]),
    strides: attr.ints([1, stride[0]!, stride[1]!, 1]),
    padding: attr.str('VALID'),
    data_format: attr.str('NHWC'),
  });
}

/** Pools an NHWC tensor of spatial size `sizes`. */
function poolNHWC(ctx: EmitContext, x: string, sizes: number[], w: PoolWindow): string {
  const { g } = ctx;
  const padded = w.pad_begin.some((p) => p > 0) || w.pad_end.some((p) => p > 0);
  const out = sizes.map((n, i) => pooledSize(n, w.kernel[i]!, w.stride[i]!, w.pad_begin[i]!, w.pad_end[i]!, w.rounding, padded));
  // The padded extent every window fits in; pad_end beyond it is never read.
  const extent = out.map((o, i) => (o - 1) * w.stride[i]! + w.kernel[i]!);
  const endPad = extent.map((e, i) => Math.max(0, e - w.pad_begin[i]! - sizes[i]!));
  let p = padSpatial(ctx, x, w.pad_begin, endPad, w.mode === 'max' ? -Infinity : 0);
  const held = sizes.map((n, i) => n + w.pad_begin[i]! + endPad[i]!);
  if (held[0]! > extent[0]! || held[1]! > extent[1]!) {
    p = g.op(ctx.scope, 'Slice', [p, g.ints([0, 0, 0, 0]), g.ints([-1, extent[0]!, extent[1]!, -1])], { T: attr.float(), Index: { type: 'DT_INT32' } });
  }
  if (w.mode === 'max') return poolOp(ctx, 'max', p, w.kernel, w.stride);
  const mean = poolOp(ctx, 'avg', p, w.kernel, w.stride);
  const area = w.kernel[0]! * w.kernel[1]!;
  const [oh, ow] = [out[0]!, out[1]!];
  const factor = new Float32Array(oh * ow);
  let uniform = true;
  for (let i = 0; i < oh; i++) {
    const ch = counted(i, sizes[0]!, w.kernel[0]!, w.stride[0]!, w.pad_begin[0]!, w.pad_end[0]!, w.count_include_pad);
    for (let j = 0; j < ow; j++) {
      const cw = counted(j, sizes[1]!, w.kernel[1]!, w.stride[1]!, w.pad_begin[1]!, w.pad_end[1]!, w.count_include_pad);
      factor[i * ow + j] = area / (ch * cw);
      if (ch * cw !== area) uniform = false;
    }
  }
  return uniform ? mean : binary(ctx, 'Mul', mean, g.constant(ctx.scope, 'divisor', factor, [1, oh, ow, 1]));
}

export const pool: Translate<'pool'> = (node, info) => {
  const a = node.attrs;
  if (a.mode === 'stochastic') return unsupported('stochastic pooling');
  const lifted = oneD(node, info, pool);
  if (lifted) return lifted;
  if (a.kernel.length !== 2) return unsupported(`pooling over ${a.kernel.length} spatial axes (1-D and 2-D are exported)`);
  if (node.outputs.length > 1) return unsupported("the max-pooling mask output (Caffe's second top)");
  const w: PoolWindow = { ...a, mode: a.mode, rounding: a.rounding as Rounding };
  return ([v], ctx) => {
    const x = toCl(ctx, v!);
    return [{ ref: poolNHWC(ctx, x.ref, [v!.shape[2]!, v!.shape[3]!], w), cl: true }];
  };
};

function reduce(ctx: EmitContext, op: 'Mean' | 'Max', x: string, axes: number[], keep: boolean): string {
  return ctx.g.op(ctx.scope, op, [x, ctx.g.ints(axes)], { T: attr.float(), Tidx: { type: 'DT_INT32' }, keep_dims: attr.bool(keep) });
}

export const global_pool: Translate<'global_pool'> = (node) => {
  const { mode } = node.attrs;
  if (mode === 'stochastic') return unsupported('stochastic pooling');
  return ([v], ctx) => {
    const axes = Array.from({ length: v!.shape.length - 2 }, (_, i) => heldAxis(v!, i + 2));
    return [{ ref: reduce(ctx, mode === 'max' ? 'Max' : 'Mean', v!.ref, axes, true), cl: v!.cl }];
  };
};

/**
 * PyTorch's adaptive windows [floor(i·n/o), ceil((i+1)·n/o)): one pooling op when every axis
 * divides evenly, else one Slice and reduction per window and axis (rectangular windows, so
 * pooling one axis after the other gives the same maxima and means).
 */
export const adaptive_pool: Translate<'adaptive_pool'> = (node) => {
  const { mode, output_size } = node.attrs;
  const op = mode === 'max' ? 'Max' : 'Mean';
  return ([v], ctx) => {
    const { g } = ctx;
    const spatial = v!.shape.slice(2);
    if (spatial.every((n, i) => n === output_size[i])) return [{ ref: v!.ref, cl: v!.cl }];
    if (spatial.length === 2 && spatial.every((n, i) => n % output_size[i]! === 0)) {
      const k = spatial.map((n, i) => n / output_size[i]!);
      if (output_size.every((o) => o === 1)) return [{ ref: reduce(ctx, op, v!.ref, [heldAxis(v!, 2), heldAxis(v!, 3)], true), cl: v!.cl }];
      return [{ ref: poolOp(ctx, mode as 'max' | 'avg', toCl(ctx, v!).ref, k, k), cl: true }];
    }
    const x = v!.shape.length === 4 ? v! : toIr(ctx, v!);
    let ref = x.ref;
    const shape = x.cl ? [x.shape[0]!, x.shape[2]!, x.shape[3]!, x.shape[1]!] : [...x.shape];
    output_size.forEach((o, i) => {
      const axis = heldAxis(x, i + 2);
      const n = shape[axis]!;
      if (n === o) return;
      const parts: string[] = [];
      for (let j = 0; j < o; j++) {
        const start = Math.floor((j * n) / o);
        const end = Math.ceil(((j + 1) * n) / o);
        const begin = shape.map((_, d) => (d === axis ? start : 0));
        const size = shape.map((s, d) => (d === axis ? end - start : d === 0 ? -1 : s));
        const window = g.op(ctx.scope, 'Slice', [ref, g.ints(begin), g.ints(size)], { T: attr.float(), Index: { type: 'DT_INT32' } });
        parts.push(reduce(ctx, op, window, [axis], true));
      }
      ref = g.op(ctx.scope, 'ConcatV2', [...parts, g.ints([axis], [])], { T: attr.float(), N: attr.int(parts.length), Tidx: { type: 'DT_INT32' } });
      shape[axis] = o;
    });
    return [{ ref, cl: x.cl }];
  };
};

export const spp: Translate<'spp'> = () => unsupported('spatial pyramid pooling (SPP)');
