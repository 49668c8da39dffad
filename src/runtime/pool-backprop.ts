// MaxPoolGrad composed from slices and elementwise ops. The wasm backend's own
// MaxPoolGrad (4.22) drops gradient for inputs that are the maximum of more than one
// overlapping window (e.g. 2×2 stride 1, or 'same' padding), so it is replaced.
import { subsample } from './conv-backprop.js';
import type { Conv2DInfo, Tensor, Tensor4D, Tf } from './tf.js';

/** The input padded with `value` so that every window of `info` lies inside it. */
function padForWindows(x: Tensor4D, info: Conv2DInfo, value: number): Tensor4D {
  const { top, left } = info.padInfo;
  // With ceil rounding the last window may reach past the stated bottom/right pad.
  const bottom = Math.max(info.padInfo.bottom, (info.outHeight - 1) * info.strideHeight + info.effectiveFilterHeight - info.inHeight - top);
  const right = Math.max(info.padInfo.right, (info.outWidth - 1) * info.strideWidth + info.effectiveFilterWidth - info.inWidth - left);
  return top || bottom || left || right ? x.pad([[0, 0], [top, bottom], [left, right], [0, 0]], value) : x;
}

/**
 * Gradient of max pooling, routed like TensorFlow's and tfjs-cpu's: each window's dy goes
 * to the first position (row-major within the window) holding the window's maximum.
 */
export function maxPoolBackprop(tf: Tf, dy: Tensor4D, x: Tensor4D, y: Tensor4D, info: Conv2DInfo): Tensor4D {
  const xp = padForWindows(x, info, -Infinity);
  const [n, hp, wp, c] = xp.shape;
  const sh = info.strideHeight;
  const sw = info.strideWidth;
  const kh = info.effectiveFilterHeight;
  const kw = info.effectiveFilterWidth;
  const ho = info.outHeight;
  const wo = info.outWidth;
  // Tap (i, j) with i = pi + sh·a sends output (r, q) to padded row pi + sh·(a + r), column
  // pj + sw·(b + q): every tap of one stride phase (pi, pj) lands on the same sub-lattice,
  // so contributions are summed on that compact lattice and the phases are interleaved
  // once at the end (depthToSpace) — far less memory traffic than one full-size tensor per tap.
  // Tall and wide enough for every tap and for the whole padded input (rows no window
  // reaches get zeros).
  const hc = Math.max(ho + Math.ceil(kh / sh) - 1, Math.ceil(hp / sh));
  const wc = Math.max(wo + Math.ceil(kw / sw) - 1, Math.ceil(wp / sw));
  const phases: Tensor4D[][] = Array.from({ length: sh * sw }, () => []);
  let unclaimed: Tensor = tf.onesLike(y);
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const window = subsample(xp, i, j, ho, wo, sh, sw, -Infinity);
      const wins = tf.equal(window, y).toFloat().mul(unclaimed);
      unclaimed = unclaimed.sub(wins);
      const a = Math.floor(i / sh);
      const b = Math.floor(j / sw);
      const routed = (dy.mul(wins) as Tensor4D).pad([[0, 0], [a, hc - ho - a], [b, wc - wo - b], [0, 0]]) as Tensor4D;
      phases[(i % sh) * sw + (j % sw)]!.push(routed);
    }
  }
  const sums = phases.map((list) => (list.length === 0 ? tf.zeros([n, hc, wc, c]) : list.length === 1 ? list[0]! : tf.addN(list))) as Tensor4D[];
  let dxp: Tensor4D;
  if (sh === 1 && sw === 1) dxp = sums[0]!;
  else if (sh === sw) dxp = tf.depthToSpace(tf.concat(sums, 3) as Tensor4D, sh, 'NHWC');
  else {
    // depthToSpace needs one block size: interleave rows, then columns, by reshaping.
    const stacked = tf.stack(sums, 3).reshape([n, hc, wc, sh, sw, c]);
    dxp = tf.transpose(stacked, [0, 1, 3, 2, 4, 5]).reshape([n, hc * sh, wc * sw, c]) as Tensor4D;
  }
  // The lattice may overhang the padded input by up to a stride; the slice drops that and the pad.
  return dxp.slice([0, info.padInfo.top, info.padInfo.left, 0], [n, info.inHeight, info.inWidth, c]);
}
