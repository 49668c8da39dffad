/**
 * Convolutions as the tfjs lowering runs them (src/backends/tfjs/ops/convolution.ts), NHWC:
 * explicit (possibly asymmetric) padding is a Pad before a VALID convolution; groups are a
 * DepthwiseConv2dNative when groups = channels and one weight per group, else SplitV → Conv2D per
 * group → ConcatV2; tfjs refuses strides and dilations both above 1, so those run at stride 1
 * and are subsampled with a StridedSlice. Filters are rearranged to HWIO here, not in the graph.
 */
import { attr } from '../graph-def.js';
import { binary, permute, toCl, unsupported, type EmitContext, type Translate } from '../emit.js';
import { oneD } from './one-d.js';

type Pair = [number, number];

function windowCheck(a: { kernel: number[]; axis: number }, what: string): string | null {
  if (a.axis !== 1) return `${what} with the channel axis at ${a.axis}`;
  if (a.kernel.length !== 2) return `${what} over ${a.kernel.length} spatial axes (1-D and 2-D are exported)`;
  return null;
}

const NHWC = attr.str('NHWC');
const VALID = attr.str('VALID');

/** Zero (or `value`) padding of the spatial axes of an NHWC tensor. */
export function padSpatial(ctx: EmitContext, ref: string, begin: readonly number[], end: readonly number[], value = 0): string {
  if (begin.every((p) => p === 0) && end.every((p) => p === 0)) return ref;
  const pads = ctx.g.ints([0, 0, begin[0]!, end[0]!, begin[1]!, end[1]!, 0, 0], [4, 2]);
  if (value === 0) return ctx.g.op(ctx.scope, 'Pad', [ref, pads], { T: attr.float(), Tpaddings: { type: 'DT_INT32' } });
  return ctx.g.op(ctx.scope, 'PadV2', [ref, pads, ctx.g.scalar(value)], { T: attr.float(), Tpaddings: { type: 'DT_INT32' } });
}

/** Every `stride`-th row and column of an NHWC tensor. */
function subsample(ctx: EmitContext, ref: string, stride: Pair): string {
  const { g } = ctx;
  return g.op(ctx.scope, 'StridedSlice', [ref, g.ints([0, 0, 0, 0]), g.ints([0, 0, 0, 0]), g.ints([1, stride[0], stride[1], 1])], {
    T: attr.float(),
    Index: { type: 'DT_INT32' },
    begin_mask: attr.int(15),
    end_mask: attr.int(15),
    ellipsis_mask: attr.int(0),
    new_axis_mask: attr.int(0),
    shrink_axis_mask: attr.int(0),
  });
}

function conv2d(ctx: EmitContext, x: string, filter: string, stride: Pair, dilation: Pair): string {
  return ctx.g.op(ctx.scope, 'Conv2D', [x, filter], {
    T: attr.float(),
    strides: attr.ints([1, stride[0], stride[1], 1]),
    dilations: attr.ints([1, dilation[0], dilation[1], 1]),
    padding: VALID,
    data_format: NHWC,
    use_cudnn_on_gpu: attr.bool(true),
    explicit_paddings: attr.ints([]),
  });
}

/** The IR weight [O, C/groups, kh, kw] as a conv2d filter [kh, kw, C/groups, O]. */
function hwio(ctx: EmitContext, label: string, data: Float32Array, shape: number[]): string {
  const t = permute(data, shape, [2, 3, 1, 0]);
  return ctx.g.constant(ctx.scope, label, t.data, t.shape);
}

export const conv: Translate<'conv'> = (node, info) => {
  const a = node.attrs;
  const lifted = oneD(node, info, conv);
  if (lifted) return lifted;
  const refused = windowCheck(a, 'convolution');
  if (refused) return unsupported(refused);
  const c = info.inputs[0]![1]!;
  return (inputs, ctx) =>
    inputs.map((v) => {
      const { g } = ctx;
      const x = padSpatial(ctx, toCl(ctx, v).ref, a.pad_begin, a.pad_end);
      const dilation: Pair = [a.dilation[0]!, a.dilation[1]!];
      const stride: Pair = [a.stride[0]!, a.stride[1]!];
      const both = (dilation[0] > 1 || dilation[1] > 1) && (stride[0] > 1 || stride[1] > 1);
      const s: Pair = both ? [1, 1] : stride;
      const w = ctx.param('weight');
      const [o, cg, kh, kw] = w.shape as [number, number, number, number];
      let y: string;
      if (a.groups === 1) {
        y = conv2d(ctx, x, hwio(ctx, 'weight', w.data, w.shape), s, dilation);
      } else if (a.groups === c && cg === 1) {
        // Output channel c·m + j is group c's j-th, as in PyTorch: filter [kh, kw, C, m].
        const t = permute(w.data, [c, o / c, kh, kw], [2, 3, 0, 1]);
        y = g.op(ctx.scope, 'DepthwiseConv2dNative', [x, g.constant(ctx.scope, 'weight', t.data, t.shape)], {
          T: attr.float(),
          strides: attr.ints([1, s[0], s[1], 1]),
          dilations: attr.ints([1, dilation[0], dilation[1], 1]),
          padding: VALID,
          data_format: NHWC,
          explicit_paddings: attr.ints([]),
        });
      } else {
        const parts = g.op(ctx.scope, 'SplitV', [x, g.ints(Array<number>(a.groups).fill(c / a.groups)), g.ints([3], [])], {
          T: attr.float(),
          Tlen: { type: 'DT_INT32' },
          num_split: attr.int(a.groups),
        });
        const per = o / a.groups;
        const size = per * cg * kh * kw;
        const outs: string[] = [];
        for (let i = 0; i < a.groups; i++) {
          const filter = hwio(ctx, `weight_group${i}`, w.data.subarray(i * size, (i + 1) * size), [per, cg, kh, kw]);
          outs.push(conv2d(ctx, `${parts}:${i}`, filter, s, dilation));
        }
        y = g.op(ctx.scope, 'ConcatV2', [...outs, g.ints([3], [])], { T: attr.float(), N: attr.int(outs.length), Tidx: { type: 'DT_INT32' } });
      }
      if (both) y = subsample(ctx, y, stride);
      if (a.bias) {
        const b = ctx.param('bias');
        y = g.op(ctx.scope, 'BiasAdd', [y, g.constant(ctx.scope, 'bias', b.data, b.shape)], { T: attr.float(), data_format: NHWC });
      }
      return { ref: y, cl: true };
    });
};

/** Inserts d − 1 zeros between the taps of a [C_in, O/g, kh, kw] kernel along kh (axis 2) or kw (axis 3). */
function dilateKernel(data: Float32Array, shape: number[], d: [number, number]): { data: Float32Array; shape: number[] } {
  if (d[0] === 1 && d[1] === 1) return { data, shape };
  const [a, b, kh, kw] = shape as [number, number, number, number];
  const [eh, ew] = [(kh - 1) * d[0] + 1, (kw - 1) * d[1] + 1];
  const out = new Float32Array(a * b * eh * ew);
  for (let p = 0; p < a * b; p++)
    for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) out[(p * eh + i * d[0]) * ew + j * d[1]] = data[(p * kh + i) * kw + j]!;
  return { data: out, shape: [a, b, eh, ew] };
}

/**
 * As the lowering: conv2dTranspose (Conv2DBackpropInput) over the full output
 * ((in − 1)·stride + extent), padded where output_padding reaches past it, then cropped by
 * pad_begin/pad_end.
 */
export const conv_transpose: Translate<'conv_transpose'> = (node, info) => {
  const a = node.attrs;
  const lifted = oneD(node, info, conv_transpose);
  if (lifted) return lifted;
  const refused = windowCheck(a, 'transposed convolution');
  if (refused) return unsupported(refused);
  const [n, cin, h, w] = info.inputs[0]! as [number, number, number, number];
  return (inputs, ctx) =>
    inputs.map((v) => {
      const { g } = ctx;
      const x = toCl(ctx, v).ref;
      const weight = ctx.param('weight');
      const og = weight.shape[1]!;
      const kernel = dilateKernel(weight.data, weight.shape, [a.dilation[0]!, a.dilation[1]!]);
      const [kh, kw] = [kernel.shape[2]!, kernel.shape[3]!];
      const full = [n, (h - 1) * a.stride[0]! + kh, (w - 1) * a.stride[1]! + kw, og];
      // The output shape is an input tensor of the op: the batch comes from the input's Shape, so it stays free.
      const batch = g.op(ctx.scope, 'StridedSlice', [g.op(ctx.scope, 'Shape', [x], { T: attr.float(), out_type: { type: 'DT_INT32' } }), g.ints([0]), g.ints([1]), g.ints([1])], {
        T: { type: 'DT_INT32' },
        Index: { type: 'DT_INT32' },
        begin_mask: attr.int(0),
        end_mask: attr.int(0),
        ellipsis_mask: attr.int(0),
        new_axis_mask: attr.int(0),
        shrink_axis_mask: attr.int(0),
      });
      const outputShape = g.op(ctx.scope, 'ConcatV2', [batch, g.ints(full.slice(1)), g.ints([0], [])], { T: { type: 'DT_INT32' }, N: attr.int(2), Tidx: { type: 'DT_INT32' } });
      const attrs = { T: attr.float(), strides: attr.ints([1, a.stride[0]!, a.stride[1]!, 1]), padding: VALID, data_format: NHWC, explicit_paddings: attr.ints([]), dilations: attr.ints([1, 1, 1, 1]) };
      const groupSize = (cin / a.groups) * og * kh * kw;
      const xs =
        a.groups === 1
          ? [x]
          : ((parts) => Array.from({ length: a.groups }, (_, i) => `${parts}:${i}`))(
              g.op(ctx.scope, 'SplitV', [x, g.ints(Array<number>(a.groups).fill(cin / a.groups)), g.ints([3], [])], { T: attr.float(), Tlen: { type: 'DT_INT32' }, num_split: attr.int(a.groups) }),
            );
      const parts = xs.map((xi, i) => {
        // conv2dTranspose's filter is [kh, kw, out, in].
        const t = permute(kernel.data.subarray(i * groupSize, (i + 1) * groupSize), [cin / a.groups, og, kh, kw], [2, 3, 1, 0]);
        const filter = g.constant(ctx.scope, a.groups === 1 ? 'weight' : `weight_group${i}`, t.data, t.shape);
        return g.op(ctx.scope, 'Conv2DBackpropInput', [outputShape, filter, xi], attrs);
      });
      let y = parts.length === 1 ? parts[0]! : g.op(ctx.scope, 'ConcatV2', [...parts, g.ints([3], [])], { T: attr.float(), N: attr.int(parts.length), Tidx: { type: 'DT_INT32' } });
      const want = [0, 1].map((i) => full[i + 1]! - a.pad_begin[i]! - a.pad_end[i]! + (a.output_padding[i] ?? 0));
      const extra = [0, 1].map((i) => Math.max(0, a.pad_begin[i]! + want[i]! - full[i + 1]!));
      y = padSpatial(ctx, y, [0, 0], extra);
      y = g.op(ctx.scope, 'Slice', [y, g.ints([0, a.pad_begin[0]!, a.pad_begin[1]!, 0]), g.ints([-1, want[0]!, want[1]!, -1])], { T: attr.float(), Index: { type: 'DT_INT32' } });
      if (a.bias) {
        const b = ctx.param('bias');
        y = binary(ctx, 'AddV2', y, g.constant(ctx.scope, 'bias', b.data, b.shape));
      }
      return { ref: y, cl: true };
    });
};

export const im2col: Translate<'im2col'> = () => unsupported('Im2col');
