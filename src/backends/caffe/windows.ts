/**
 * Convolution and pooling windows. Caffe 1.0 pads symmetrically and rounds pooling up, so
 * asymmetric convolution padding becomes a wider symmetric pad and a Crop, and 'floor' or
 * PyTorch-'ceil' pooling becomes Caffe's pooling and a Crop to the IR's size, when the
 * analysed shapes make that exact; adaptive pooling becomes global or fixed-window pooling.
 */
import type { NodeOf } from '../../ir/graph.js';
import { pooledSize, type Rounding } from '../../ir/window.js';
import type { WriterContext } from './context.js';
import { RAW, type ProtoObject } from './proto-text.js';
import { fillers, one, unlessEqual, withParams, ZERO, type Writer } from './writer-kit.js';

/** One value when both spatial axes agree (what the reader expands back), else one per axis. */
function perAxis(values: number[], dflt: number): number[] | undefined {
  if (values.every((v) => v === dflt)) return undefined;
  if (values.length === 2 && values[0] === values[1]) return [values[0]!];
  return values;
}

/** Convolution windows: symmetric padding as written; asymmetric padding lowered to a wider pad and a Crop. */
export function convLayers(ctx: WriterContext, node: NodeOf<'conv'> | NodeOf<'conv_transpose'> | NodeOf<'im2col'>, type: string, extra: ProtoObject): ProtoObject[] | null {
  const a = node.attrs;
  const symmetric = a.pad_begin.every((p, i) => p === a.pad_end[i]);
  let pad = a.pad_begin;
  let crop: { offsets: number[]; out: number[] } | null = null;
  if (!symmetric) {
    if (node.op !== 'conv' || a.axis !== 1) return ctx.refuse(`asymmetric padding (begin ${a.pad_begin.join('×')}, end ${a.pad_end.join('×')}) on a ${type} layer`);
    const out = ctx.outputSpatial();
    pad = a.pad_begin.map((b, i) => Math.max(b, a.pad_end[i]!));
    const shifts = pad.map((p, i) => p - a.pad_begin[i]!);
    if (!out || shifts.some((d, i) => d % a.stride[i]! !== 0)) {
      return ctx.refuse(
        `asymmetric padding (begin ${a.pad_begin.join('×')}, end ${a.pad_end.join('×')})`,
        out ? 'the extra padding is not a whole number of strides, so no crop of a symmetric convolution gives the same windows' : 'the output shape is unknown, so the padding cannot be lowered to symmetric padding and a Crop',
      );
    }
    crop = { offsets: shifts.map((d, i) => d / a.stride[i]!), out };
  }
  const convolution_param: ProtoObject = {
    ...extra,
    pad: perAxis(pad, 0),
    kernel_size: perAxis(a.kernel, 0) ?? [a.kernel[0]!],
    stride: perAxis(a.stride, 1),
    dilation: perAxis(a.dilation, 1),
  };
  if (!crop) return one(withParams(ctx, ctx.layer(type, { convolution_param })));
  // Symmetric padding by the larger side starts every window a whole number of strides
  // earlier; cropping those outputs away leaves exactly the asymmetric windows.
  const padded = ctx.fresh(`${node.outputs[0]}/padded`);
  const ref = ctx.fresh(`${node.name}/crop_size`);
  const conv = withParams(ctx, ctx.layer(type, { convolution_param }, { bottom: node.inputs, top: [padded] }));
  const dummy = ctx.layer('DummyData', { dummy_data_param: { shape: [{ dim: [1, 1, ...crop.out] }] } }, { name: ref, bottom: [], top: [ref] });
  const cropLayer = ctx.layer('Crop', { crop_param: { offset: crop.offsets } }, { name: ctx.fresh(`${node.name}/crop`), bottom: [padded, ref], top: node.outputs });
  ctx.rewrote(`asymmetric padding (begin ${a.pad_begin.join('×')}, end ${a.pad_end.join('×')}) written as symmetric padding ${pad.join('×')} and a Crop at offset ${crop.offsets.join('×')} (sized by a DummyData blob)`);
  return [conv, dummy, cropLayer];
}

export function conv(ctx: WriterContext, node: NodeOf<'conv'> | NodeOf<'conv_transpose'>, type: string): ProtoObject[] | null {
  const a = node.attrs;
  if (node.op === 'conv_transpose' && node.attrs.output_padding.some((p) => p !== 0)) return ctx.refuse(`output_padding ${node.attrs.output_padding.join('×')} on a transposed convolution`);
  const f = fillers(ctx, [['weight_filler', 'weight', ZERO], ['bias_filler', 'bias', ZERO]]);
  if (!f) return null;
  return convLayers(ctx, node, type, { num_output: a.num_output, bias_term: unlessEqual(a.bias, true), group: unlessEqual(a.groups, 1), ...f, axis: unlessEqual(a.axis, 1) });
}

export const POOL = { max: 'MAX', avg: 'AVE', stochastic: 'STOCHASTIC' } as const;

/**
 * Pooling's 2-D settings: one field when both axes agree, else the _h/_w pair (the message is
 * then marked as written, since the reader wants both halves of a pair even when one is 0).
 */
function poolAxis(values: number[], name: string, dflt: number): ProtoObject {
  if (values[0] === values[1]) return { [name === 'kernel' ? 'kernel_size' : name]: values[0] === dflt && name !== 'kernel' ? undefined : values[0]! };
  return { [`${name}_h`]: values[0]!, [`${name}_w`]: values[1]! };
}

export const pool: Writer<'pool'> = (ctx, node) => {
  const a = node.attrs;
  if (a.kernel.length !== 2) return ctx.refuse(`${a.kernel.length}-D pooling (Caffe pools two spatial axes)`);
  if (a.pad_begin.some((p, i) => p !== a.pad_end[i])) return ctx.refuse(`asymmetric pooling padding (begin ${a.pad_begin.join('×')}, end ${a.pad_end.join('×')})`);
  if (a.pad_begin.some((p, i) => p >= a.kernel[i]!)) return ctx.refuse(`pooling padding ${a.pad_begin.join('×')} not smaller than the kernel ${a.kernel.join('×')} (Caffe CHECK_LT)`);
  const padded = a.pad_begin.some((p) => p > 0);
  if (a.mode === 'avg' && !a.count_include_pad && padded) {
    return ctx.refuse('average pooling that leaves the padding out of the divisor (count_include_pad false)', 'Caffe always divides by the window clipped to the padded input; only unpadded average pooling converts exactly');
  }
  let round_mode: string | undefined;
  let cropTo: number[] | null = null;
  if (a.rounding !== 'caffe') {
    const input = ctx.inputSpatial();
    const sizes = (rounding: Rounding) => input!.map((d, i) => pooledSize(d, a.kernel[i]!, a.stride[i]!, a.pad_begin[i]!, a.pad_end[i]!, rounding, padded));
    const target = input && sizes(a.rounding as Rounding);
    const caffe = input && sizes('caffe');
    if (target && caffe && target.every((d, i) => d === caffe[i])) {
      ctx.rewrote(`'${a.rounding}' rounding written as Caffe's default rounding, which gives the same ${caffe.join('×')} output for the analysed input shape`);
    } else if (target && caffe) {
      // Both roundings start window i at i·stride − pad, and Caffe's is never the smaller:
      // it only adds windows at the end (PyTorch's ceil_mode drops a last window that starts
      // past the input even when unpadded, Caffe only when padded; floor never adds one). The
      // kept windows lie where both divide an average by the same clipped window, so cropping
      // Caffe's output to the IR's size keeps exactly the IR's windows.
      cropTo = target;
      ctx.rewrote(`'${a.rounding}' rounding written as Caffe's rounding (${caffe.join('×')}) and a Crop to the ${cropTo.join('×')} output, sized by a DummyData blob (BVLC Caffe 1.0 has no round_mode)`);
    } else if (a.rounding === 'floor') {
      // With round_mode FLOOR Caffe's clip never fires (pad < kernel), so it is exactly 'floor'.
      round_mode = 'FLOOR';
      ctx.needsMaster(`'floor' rounding (pooling_param round_mode: FLOOR) without a known input shape`);
    } else {
      return ctx.refuse(
        "PyTorch ceil_mode rounding of an input of unknown size",
        "Caffe's ceiling rounding keeps a last window that starts past an unpadded input, where PyTorch drops it; with the input size known, nnspec crops it away",
      );
    }
  }
  const pooling_param: ProtoObject = {
    [RAW]: true,
    pool: unlessEqual<string>(POOL[a.mode as keyof typeof POOL], 'MAX'),
    ...poolAxis(a.pad_begin, 'pad', 0),
    ...poolAxis(a.kernel, 'kernel', 0),
    ...poolAxis(a.stride, 'stride', 1),
    round_mode,
  };
  if (!cropTo) return one(ctx.layer('Pooling', { pooling_param }));
  if (node.outputs.length !== 1) return ctx.refuse(`'${a.rounding}' rounding that changes the size, on a pooling with a mask output`);
  const pooled = ctx.fresh(`${node.outputs[0]}/ceil`);
  const ref = ctx.fresh(`${node.name}/crop_size`);
  return [
    ctx.layer('Pooling', { pooling_param }, { bottom: node.inputs, top: [pooled] }),
    ctx.layer('DummyData', { dummy_data_param: { shape: [{ dim: [1, 1, ...cropTo] }] } }, { name: ref, bottom: [], top: [ref] }),
    ctx.layer('Crop', {}, { name: ctx.fresh(`${node.name}/crop`), bottom: [pooled, ref], top: node.outputs }),
  ];
};

export const adaptivePool: Writer<'adaptive_pool'> = (ctx, node) => {
  const a = node.attrs;
  if (a.output_size.length !== 2) return ctx.refuse(`${a.output_size.length}-D adaptive pooling`);
  const pool = unlessEqual<string>(POOL[a.mode as keyof typeof POOL], 'MAX');
  if (a.output_size.every((s) => s === 1)) {
    ctx.rewrote('adaptive pooling to 1×1 written as global pooling');
    return one(ctx.layer('Pooling', { pooling_param: { pool, global_pooling: true } }));
  }
  const spatial = ctx.inputSpatial();
  if (!spatial || spatial.some((d, i) => d % a.output_size[i]! !== 0)) {
    return ctx.refuse(
      `adaptive pooling to ${a.output_size.join('×')}${spatial ? ` from ${spatial.join('×')}` : ''}`,
      spatial ? 'the input size is not a multiple of the output size, so the windows are uneven' : 'the input shape is unknown, so no fixed window can be chosen',
    );
  }
  const k = spatial.map((d, i) => d / a.output_size[i]!);
  ctx.rewrote(`adaptive pooling from ${spatial.join('×')} to ${a.output_size.join('×')} written as ${k.join('×')} pooling with stride ${k.join('×')}, the same windows for the analysed input shape`);
  return one(ctx.layer('Pooling', { pooling_param: { [RAW]: true, pool, ...poolAxis(k, 'kernel', 0), ...poolAxis(k, 'stride', 1) } }));
};

