// Backward passes of convolution built from forward kernels that every tfjs backend has
// and that the wasm backend runs on XNNPACK (conv2d, depthwiseConv2d, matMul). All
// tensors are NHWC; geometry comes from tfjs's own computeConv2DInfo, so 'same',
// 'valid', explicit (asymmetric) pads, strides and dilations mean exactly what they
// mean in the forward op.
import type { Conv2DInfo, Tensor, Tensor4D, Tf } from './tf.js';

/** Inserts `s - 1` zeros between neighbouring rows/columns (the adjoint of striding). */
export function zeroInsert(t: Tensor4D, sh: number, sw: number): Tensor4D {
  let [n, h, w, c] = t.shape;
  let out = t;
  if (sh > 1) {
    out = out.reshape([n, h, 1, w, c]).pad([[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, 0]]).reshape([n, h * sh, w, c]);
    h = (h - 1) * sh + 1;
    out = out.slice([0, 0, 0, 0], [n, h, w, c]);
  }
  if (sw > 1) {
    out = out.reshape([n, h, w, 1, c]).pad([[0, 0], [0, 0], [0, 0], [0, sw - 1], [0, 0]]).reshape([n, h, w * sw, c]);
    w = (w - 1) * sw + 1;
    out = out.slice([0, 0, 0, 0], [n, h, w, c]);
  }
  return out;
}

type ExplicitPad = [[number, number], [number, number], [number, number], [number, number]];

/**
 * Crops the spatial dims where an amount is negative and returns the (non-negative) padding
 * still to apply, which the caller hands to the convolution itself: XNNPACK pads inside the
 * kernel, so no padded copy is made. Negative amounts arise when an explicit pad is larger
 * than the kernel or the forward op ignored trailing rows.
 */
function cropForPad(t: Tensor4D, top: number, bottom: number, left: number, right: number): { x: Tensor4D; pad: ExplicitPad } {
  const [n, h, w, c] = t.shape;
  const cropT = Math.max(0, -top);
  const cropB = Math.max(0, -bottom);
  const cropL = Math.max(0, -left);
  const cropR = Math.max(0, -right);
  const x = cropT || cropB || cropL || cropR ? t.slice([0, cropT, cropL, 0], [n, h - cropT - cropB, w - cropL - cropR, c]) : t;
  return { x, pad: [[0, 0], [Math.max(0, top), Math.max(0, bottom)], [Math.max(0, left), Math.max(0, right)], [0, 0]] };
}

/**
 * dy dilated by the stride, and the padding under which a stride-1 convolution with the
 * spatially flipped filter (at the forward dilation) yields exactly inHeight × inWidth.
 */
function dyForTransposedConv(dy: Tensor4D, info: Conv2DInfo): { x: Tensor4D; pad: ExplicitPad } {
  const dilated = zeroInsert(dy, info.strideHeight, info.strideWidth);
  const [, hd, wd] = dilated.shape;
  const top = info.effectiveFilterHeight - 1 - info.padInfo.top;
  const left = info.effectiveFilterWidth - 1 - info.padInfo.left;
  const bottom = info.inHeight + info.effectiveFilterHeight - 1 - top - hd;
  const right = info.inWidth + info.effectiveFilterWidth - 1 - left - wd;
  return cropForPad(dilated, top, bottom, left, right);
}

/** Gradient of conv2d with respect to its input: filter [kh, kw, ci, co] → dx [n, h, w, ci]. */
export function conv2dBackpropInput(tf: Tf, dy: Tensor4D, filter: Tensor4D, info: Conv2DInfo): Tensor4D {
  const { x, pad } = dyForTransposedConv(dy, info);
  const flipped = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]) as Tensor4D;
  return tf.conv2d(x, flipped, 1, pad, 'NHWC', [info.dilationHeight, info.dilationWidth]);
}

/**
 * Rows r0, r0+sh, …, r0+(rows-1)·sh and the like for columns: a strided slice done as a
 * plain slice + reshape + slice, because wasm's StridedSlice kernel is a slow generic loop
 * (it dominated the profile of a pooling backward pass). `t` must extend to r0 + rows·sh
 * and c0 + cols·sw; it is padded with `fill` when it does not.
 */
export function subsample(t: Tensor4D, r0: number, c0: number, rows: number, cols: number, sh: number, sw: number, fill = 0): Tensor4D {
  const [n, h, w, c] = t.shape;
  if (sh === 1 && sw === 1) return t.slice([0, r0, c0, 0], [n, rows, cols, c]);
  const padB = Math.max(0, r0 + rows * sh - h);
  const padR = Math.max(0, c0 + cols * sw - w);
  const src = padB || padR ? (t.pad([[0, 0], [0, padB], [0, padR], [0, 0]], fill) as Tensor4D) : t;
  return src
    .slice([0, r0, c0, 0], [n, rows * sh, cols * sw, c])
    .reshape([n * rows, sh, cols, sw * c])
    .slice([0, 0, 0, 0], [n * rows, 1, cols, c])
    .reshape([n, rows, cols, c]);
}

/** The input padded as the forward op padded it, plus room for `subsample`'s whole strides. */
function padInput(x: Tensor4D, info: Conv2DInfo): Tensor4D {
  const { top, left } = info.padInfo;
  const bottom = Math.max(info.padInfo.bottom, (info.outHeight - 1) * info.strideHeight + info.strideHeight + (info.filterHeight - 1) * info.dilationHeight - info.inHeight - top);
  const right = Math.max(info.padInfo.right, (info.outWidth - 1) * info.strideWidth + info.strideWidth + (info.filterWidth - 1) * info.dilationWidth - info.inWidth - left);
  return top || bottom || left || right ? x.pad([[0, 0], [top, bottom], [left, right], [0, 0]]) : x;
}

/** The [n, outH, outW, c] window of the padded input that filter tap (i, j) sees. */
function tap(xp: Tensor4D, info: Conv2DInfo, i: number, j: number): Tensor4D {
  return subsample(xp, i * info.dilationHeight, j * info.dilationWidth, info.outHeight, info.outWidth, info.strideHeight, info.strideWidth);
}

/**
 * Gradient of conv2d with respect to its filter, as one forward conv2d of transposed
 * tensors: batch becomes the channel being reduced and dy becomes the filter, with the
 * forward stride as dilation and the forward dilation as stride:
 *   xᵀ [ci, H, W, n] ⊛ dyᵀ [outH, outW, n, co] → [ci, kh, kw, co].
 * XNNPACK runs this 2–7× faster than im2col + matMul on the reference CNN's layers. tfjs's
 * conv2d refuses stride > 1 together with dilation > 1; that case takes im2col.
 */
export function conv2dBackpropFilter(tf: Tf, x: Tensor4D, dy: Tensor4D, info: Conv2DInfo): Tensor4D {
  const s = [info.strideHeight, info.strideWidth];
  const d = [info.dilationHeight, info.dilationWidth];
  if (Math.max(...s) > 1 && Math.max(...d) > 1) return conv2dBackpropFilterIm2col(tf, x, dy, info);
  const [, h, w] = x.shape;
  const { top, left } = info.padInfo;
  const needH = (info.filterHeight - 1) * info.dilationHeight + (info.outHeight - 1) * info.strideHeight + 1;
  const needW = (info.filterWidth - 1) * info.dilationWidth + (info.outWidth - 1) * info.strideWidth + 1;
  // Rows and columns past what the windows read are cropped; the forward pad is applied by
  // the convolution below (on the transposed tensor, whose spatial axes are still H and W).
  const { x: xc, pad } = cropForPad(x, top, needH - h - top, left, needW - w - left);
  const xt = tf.transpose(xc, [3, 1, 2, 0]);
  const dyt = tf.transpose(dy, [1, 2, 0, 3]);
  const g = tf.conv2d(xt, dyt, [d[0]!, d[1]!], pad, 'NHWC', [s[0]!, s[1]!]);
  return tf.transpose(g, [1, 2, 0, 3]);
}

/**
 * Gradient of conv2d with respect to its filter, as im2col + one matMul:
 * (dyᵀ [co, n·outH·outW] × patches [n·outH·outW, kh·kw·ci])ᵀ → [kh, kw, ci, co].
 */
export function conv2dBackpropFilterIm2col(tf: Tf, x: Tensor4D, dy: Tensor4D, info: Conv2DInfo): Tensor4D {
  const xp = padInput(x, info);
  const kh = info.filterHeight;
  const kw = info.filterWidth;
  const ci = info.inChannels;
  const co = info.outChannels;
  const rows = info.batchSize * info.outHeight * info.outWidth;
  const taps: Tensor4D[] = [];
  for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) taps.push(tap(xp, info, i, j));
  const patches = (taps.length === 1 ? taps[0]! : tf.concat(taps, 3)).reshape([rows, kh * kw * ci]);
  // dyᵀ × patches, then a transpose of the small result (wasm's own matMul takes a naive
  // loop for transposed operands; nnspec's BatchMatMul would transpose dy itself).
  const dyT = tf.transpose(dy.reshape([rows, co]));
  return tf.transpose(tf.matMul(dyT, patches)).reshape([kh, kw, ci, co]);
}

/** Gradient of depthwiseConv2d with respect to its input: filter [kh, kw, ci, mult]. */
export function depthwiseBackpropInput(tf: Tf, dy: Tensor4D, filter: Tensor4D, info: Conv2DInfo): Tensor4D {
  const [kh, kw, ci, mult] = filter.shape;
  const { x, pad } = dyForTransposedConv(dy, info);
  const flipped = tf.reverse(filter, [0, 1]).reshape([kh, kw, ci * mult, 1]) as Tensor4D;
  const out = tf.depthwiseConv2d(x, flipped, 1, pad, 'NHWC', [info.dilationHeight, info.dilationWidth]);
  if (mult === 1) return out;
  const [n, h, w] = out.shape;
  return out.reshape([n, h, w, ci, mult]).sum(4) as Tensor4D;
}

/**
 * Gradient of depthwiseConv2d with respect to its filter. Per channel this is a matMul of
 * that channel's im2col patches with its dy columns, done as one batched matMul over
 * channels: [ci, kh·kw, rows] × [ci, rows, mult] → [ci, kh·kw, mult].
 */
export function depthwiseBackpropFilter(tf: Tf, x: Tensor4D, dy: Tensor4D, info: Conv2DInfo): Tensor4D {
  const xp = padInput(x, info);
  const kh = info.filterHeight;
  const kw = info.filterWidth;
  const ci = info.inChannels;
  const mult = info.outChannels / ci;
  const rows = info.batchSize * info.outHeight * info.outWidth;
  const taps: Tensor[] = [];
  for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) taps.push(tap(xp, info, i, j).reshape([1, rows, ci]));
  const patches = tf.transpose(taps.length === 1 ? taps[0]! : tf.concat(taps, 0), [2, 0, 1]); // [ci, kh·kw, rows]
  const dyc = tf.transpose(dy.reshape([rows, ci, mult]), [1, 0, 2]); // [ci, rows, mult]
  const g = tf.matMul(patches, dyc); // [ci, kh·kw, mult]
  return tf.transpose(g, [1, 0, 2]).reshape([kh, kw, ci, mult]);
}
