/**
 * Convolutions, channels-last. tfjs has no grouped convolution, so groups become a depthwise
 * convolution (groups = input channels) or split → conv → concat; explicit (possibly
 * asymmetric) padding goes to the convolution itself (XNNPACK pads inside the kernel, where a
 * tf.pad would copy the input forward and slice the gradient back); tfjs refuses strides and
 * dilations both above 1, so those run at stride 1 and are subsampled, and it has no gradient
 * for dilated convolutions, so those carry their own (dilatedConv).
 */
import type * as TF from '@tensorflow/tfjs-core';
import { cl, clValue } from '../layout.js';
import { unsupported, type Lower, type Tensor, type Tf } from '../types.js';
import { oneD } from './one-d.js';

type T4 = TF.Tensor4D;
type Pair = [number, number];
type ExplicitPad = [[number, number], [number, number], [number, number], [number, number]];

const pair = (v: number[]): Pair => [v[0]!, v[1]!];

/** Refuses what the lowering does not handle: non-2-D windows, a channel axis other than 1. */
function windowCheck(a: { kernel: number[]; axis: number }, what: string): string | null {
  if (a.axis !== 1) return `${what} with the channel axis at ${a.axis}`;
  if (a.kernel.length !== 2) return `${what} over ${a.kernel.length} spatial axes (1-D and 2-D are lowered)`;
  return null;
}

/** Zero padding of the spatial axes of an NHWC tensor (begin/end per axis). */
export function padSpatial(tf: Tf, x: T4, begin: number[], end: number[], value = 0): T4 {
  if (begin.every((p) => p === 0) && end.every((p) => p === 0)) return x;
  return tf.pad(x, [[0, 0], [begin[0]!, end[0]!], [begin[1]!, end[1]!], [0, 0]], value);
}

/**
 * Keeps every `stride`-th row and column (for strided dilated convolutions), as pad +
 * reshape + slice: tfjs has no gradient for StridedSlice.
 */
function subsample(tf: Tf, y: T4, stride: Pair): T4 {
  if (stride[0] === 1 && stride[1] === 1) return y;
  const [n, h, w, c] = y.shape;
  const rows = Math.ceil(h / stride[0]);
  const cols = Math.ceil(w / stride[1]);
  const padded = tf.pad(y, [[0, 0], [0, rows * stride[0] - h], [0, cols * stride[1] - w], [0, 0]]);
  const kept = tf.slice(tf.reshape(padded, [n, rows, stride[0], cols, stride[1] * c]), [0, 0, 0, 0, 0], [n, rows, 1, cols, c]);
  return tf.reshape(kept, [n, rows, cols, c]);
}

/** The filter a dilated convolution applies: `d − 1` zeros between neighbouring taps. */
function dilateFilter(tf: Tf, f: T4, [dh, dw]: Pair): T4 {
  const [kh, kw, ci, co] = f.shape;
  const spread = tf.pad(tf.reshape(f, [kh, 1, kw, 1, ci, co]), [[0, 0], [0, dh - 1], [0, 0], [0, dw - 1], [0, 0], [0, 0]]);
  return tf.slice(tf.reshape(spread, [kh * dh, kw * dw, ci, co]), [0, 0, 0, 0], [(kh - 1) * dh + 1, (kw - 1) * dw + 1, ci, co]) as T4;
}

/** The taps of a dilated filter's gradient that belong to the filter (the inverse of dilateFilter). */
function undilateFilter(tf: Tf, g: T4, [dh, dw]: Pair, [kh, kw]: Pair): T4 {
  const [eh, ew, ci, co] = g.shape;
  const padded = tf.pad(g, [[0, kh * dh - eh], [0, kw * dw - ew], [0, 0], [0, 0]]);
  const taps = tf.slice(tf.reshape(padded, [kh, dh, kw, dw, ci, co]), [0, 0, 0, 0, 0, 0], [kh, 1, kw, 1, ci, co]);
  return tf.reshape(taps, [kh, kw, ci, co]);
}

/** Whether the backend's gradient kernels are nnspec's, which take dilations (tfjs-cpu's ignore them). */
function dilationAwareGradients(tf: Tf, depthwise: boolean): boolean {
  if (tf.getBackend() !== 'wasm') return false;
  const names = depthwise ? ['DepthwiseConv2dNativeBackpropInput', 'DepthwiseConv2dNativeBackpropFilter'] : ['Conv2DBackpropInput', 'Conv2DBackpropFilter'];
  return names.every((k) => (tf.getKernel(k, 'wasm') as { nnspec?: boolean } | undefined)?.nnspec === true);
}

/**
 * A stride-1 dilated convolution (plain or depthwise) that can be differentiated: tfjs's
 * gradients of conv2d and depthwiseConv2d refuse dilations above 1. nnspec's wasm gradient
 * kernels take the dilation directly; on other backends the gradients are those of the
 * undilated convolution with the zero-dilated filter, whose filter gradient keeps the taps
 * that exist (d² more work in the backward pass only).
 */
function dilatedConv(tf: Tf, x: T4, filter: T4, pad: ExplicitPad | 'valid', dilation: Pair, depthwise: boolean): T4 {
  const [input, back] = depthwise
    ? ['DepthwiseConv2dNativeBackpropInput', 'DepthwiseConv2dNativeBackpropFilter']
    : ['Conv2DBackpropInput', 'Conv2DBackpropFilter'];
  const forward = (a: T4, f: T4) => (depthwise ? tf.depthwiseConv2d(a, f, 1, pad, 'NHWC', dilation) : tf.conv2d(a, f, 1, pad, 'NHWC', dilation));
  const op = tf.customGrad(((a: T4, f: T4, save: TF.GradSaveFunc) => {
    save([a, f]);
    return {
      value: forward(a, f),
      gradFunc: (dy: TF.Tensor, saved: TF.Tensor[]) => {
        const [xs, fs] = saved as [T4, T4];
        const attrs = { strides: [1, 1], pad, dataFormat: 'NHWC', dimRoundingMode: undefined };
        const run = (name: string, inputs: Record<string, Tensor>, extra: Record<string, unknown>) =>
          tf.engine().runKernel(name, inputs as never, { ...attrs, ...extra } as never) as T4;
        if (dilationAwareGradients(tf, depthwise)) {
          return [
            run(input, { dy: dy as T4, filter: fs }, { dilations: dilation, inputShape: xs.shape }),
            run(back, { x: xs, dy: dy as T4 }, { dilations: dilation, filterShape: fs.shape }),
          ];
        }
        const wide = dilateFilter(tf, fs, dilation);
        return [
          run(input, { dy: dy as T4, filter: wide }, { dilations: [1, 1], inputShape: xs.shape }),
          undilateFilter(tf, run(back, { x: xs, dy: dy as T4 }, { dilations: [1, 1], filterShape: wide.shape }), dilation, [fs.shape[0], fs.shape[1]]),
        ];
      },
    };
  }) as unknown as Parameters<Tf['customGrad']>[0]);
  return op(x, filter) as T4;
}


/** tfjs's explicit padding of an NHWC tensor, or 'valid' when there is none. */
function explicitPad(begin: number[], end: number[]): ExplicitPad | 'valid' {
  if (begin.every((p) => p === 0) && end.every((p) => p === 0)) return 'valid';
  return [[0, 0], [begin[0]!, end[0]!], [begin[1]!, end[1]!], [0, 0]];
}

/**
 * conv2d of an NHWC input zero-padded by `begin`/`end` (spatial axes) with an IR weight
 * [O, C/groups, kh, kw]: the output is floor((in + pads − extent) / stride) + 1 per axis, as
 * for a VALID convolution of the padded input.
 */
export function convNHWC(tf: Tf, x: T4, weight: Tensor, stride: Pair, dilation: Pair, groups: number, begin: number[] = [0, 0], end: number[] = [0, 0]): T4 {
  const dilated = dilation[0] > 1 || dilation[1] > 1;
  const both = dilated && (stride[0] > 1 || stride[1] > 1);
  const s: Pair = both ? [1, 1] : stride;
  const pad = explicitPad(begin, end);
  const c = x.shape[3];
  const [o, cg] = weight.shape as number[];
  let y: T4;
  const conv2d = (a: T4, f: T4) => (dilated ? dilatedConv(tf, a, f, pad, dilation, false) : tf.conv2d(a, f, s, pad, 'NHWC'));
  if (groups === 1) {
    y = conv2d(x, tf.transpose(weight, [2, 3, 1, 0]) as T4);
  } else if (groups === c && cg === 1) {
    // Output channel c·m + j of a depthwise convolution is group c's j-th: PyTorch's order too.
    const filter = tf.transpose(tf.reshape(weight, [c, o! / c, weight.shape[2]!, weight.shape[3]!]), [2, 3, 0, 1]) as T4;
    y = dilated ? dilatedConv(tf, x, filter, pad, dilation, true) : tf.depthwiseConv2d(x, filter, s, pad, 'NHWC');
  } else {
    const xs = tf.split(x, groups, 3);
    const ws = tf.split(weight, groups, 0);
    y = tf.concat(xs.map((xi, i) => conv2d(xi as T4, tf.transpose(ws[i]!, [2, 3, 1, 0]) as T4)), 3);
  }
  return both ? subsample(tf, y, stride) : y;
}

export const conv: Lower<'conv'> = (node, info) => {
  const a = node.attrs;
  const lowered1d = oneD(node, info, conv);
  if (lowered1d) return lowered1d;
  const refused = windowCheck(a, 'convolution');
  if (refused) return unsupported(refused);
  return (inputs, { tf, param }) =>
    inputs.map((v) => {
      const y = convNHWC(tf, cl(tf, v) as T4, param('weight'), pair(a.stride), pair(a.dilation), a.groups, a.pad_begin, a.pad_end);
      return clValue(a.bias ? tf.add(y, param('bias')) : y);
    });
};

/** Inserts d − 1 zeros between the entries of `axis` (kernel dilation for transposed convolution). */
function dilateAxis(tf: Tf, t: Tensor, axis: number, d: number): Tensor {
  if (d === 1) return t;
  const shape = t.shape;
  const n = shape[axis]!;
  const expanded = tf.expandDims(t, axis + 1);
  const pads = expanded.shape.map((_, i): [number, number] => (i === axis + 1 ? [0, d - 1] : [0, 0]));
  const spread = tf.reshape(tf.pad(expanded, pads), [...shape.slice(0, axis), n * d, ...shape.slice(axis + 1)]);
  return tf.slice(spread, shape.map(() => 0), shape.map((s, i) => (i === axis ? (n - 1) * d + 1 : s)));
}

/**
 * Transposed convolution as tfjs's conv2dTranspose over the full output ((in − 1)·stride + extent),
 * then cropped by pad_begin/pad_end; output_padding past the full output is zeros (plus the bias),
 * as in PyTorch.
 */
export const conv_transpose: Lower<'conv_transpose'> = (node, info) => {
  const a = node.attrs;
  const lowered1d = oneD(node, info, conv_transpose);
  if (lowered1d) return lowered1d;
  const refused = windowCheck(a, 'transposed convolution');
  if (refused) return unsupported(refused);
  return (inputs, { tf, param }) =>
    inputs.map((v) => {
      const x = cl(tf, v) as T4;
      const [n, h, w] = x.shape;
      const weight = param('weight');
      const og = weight.shape[1]!;
      const kernel = dilateAxis(tf, dilateAxis(tf, weight, 2, a.dilation[0]!), 3, a.dilation[1]!);
      const [kh, kw] = [kernel.shape[2]!, kernel.shape[3]!];
      const full: [number, number, number, number] = [n, (h - 1) * a.stride[0]! + kh, (w - 1) * a.stride[1]! + kw, og];
      const xs = a.groups === 1 ? [x] : tf.split(x, a.groups, 3);
      const ks = a.groups === 1 ? [kernel] : tf.split(kernel, a.groups, 0);
      const parts = xs.map((xi, i) => tf.conv2dTranspose(xi as T4, tf.transpose(ks[i]!, [2, 3, 1, 0]) as T4, full, pair(a.stride), 'valid') as T4);
      let y: T4 = parts.length === 1 ? parts[0]! : tf.concat(parts, 3);
      const want = [0, 1].map((i) => full[i + 1]! - a.pad_begin[i]! - a.pad_end[i]! + (a.output_padding[i] ?? 0));
      const extra = [0, 1].map((i) => Math.max(0, a.pad_begin[i]! + want[i]! - full[i + 1]!));
      y = padSpatial(tf, y, [0, 0], extra);
      y = tf.slice(y, [0, a.pad_begin[0]!, a.pad_begin[1]!, 0], [n, want[0]!, want[1]!, og * a.groups]);
      return clValue(a.bias ? tf.add(y, param('bias')) : y);
    });
};

/**
 * Caffe Im2col: column c·kh·kw + i·kw + j holds input channel c at kernel offset (i, j), which is
 * what a depthwise convolution with one-hot filters gives, channel c's filters in order.
 */
export const im2col: Lower<'im2col'> = (node) => {
  const a = node.attrs;
  const refused = windowCheck(a, 'Im2col');
  if (refused) return unsupported(refused);
  return ([v], { tf }) => {
    const x = cl(tf, v!) as T4;
    const c = x.shape[3];
    const [kh, kw] = pair(a.kernel);
    const k = kh * kw;
    const eye = tf.reshape(tf.eye(k), [kh, kw, 1, k]);
    const filter = tf.tile(eye, [1, 1, c, 1]) as T4;
    return [clValue(convNHWC(tf, x, tf.reshape(tf.transpose(filter, [2, 3, 0, 1]), [c * k, 1, kh, kw]), pair(a.stride), pair(a.dilation), c, a.pad_begin, a.pad_end))];
  };
};
