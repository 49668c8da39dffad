// MaxPoolGrad as one pass over plain arrays. The wasm backend's own MaxPoolGrad (4.22)
// drops gradient for inputs that are the maximum of more than one overlapping window
// (e.g. 2×2 stride 1, or 'same' padding), so it is replaced; an earlier replacement
// composed from slices and elementwise ops cost ~270 ms per pool of the reference CNN,
// this loop costs a few milliseconds.
import type { Conv2DInfo } from './tf.js';

/**
 * Gradient of max pooling (NHWC, float32), routed like TensorFlow's and tfjs-cpu's: each
 * window's dy goes to the first position (row-major within the window) holding the
 * window's maximum, found by strict `>` from -∞ as tfjs-cpu does (so a window of NaNs
 * routes nothing). Windows are clipped to the input: padding never wins. Writes all of
 * `dx` (inHeight × inWidth per image and channel).
 */
export function maxPoolBackpropInto(dx: Float32Array, dy: ArrayLike<number>, x: ArrayLike<number>, info: Conv2DInfo): void {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: ho, outWidth: wo } = info;
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info;
  const kh = info.effectiveFilterHeight;
  const kw = info.effectiveFilterWidth;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  dx.fill(0);
  // Per window, the running maximum and its flat position for every channel at once, so
  // the inner loops run along the contiguous channel axis.
  const best = new Float32Array(c);
  const where = new Int32Array(c);
  for (let b = 0; b < n; b++) {
    const xImage = b * h * w * c;
    for (let r = 0; r < ho; r++) {
      const r0 = r * sh - top;
      let rMin = r0;
      while (rMin < 0) rMin += dh;
      const rMax = Math.min(h, r0 + kh);
      for (let q = 0; q < wo; q++) {
        const c0 = q * sw - left;
        let cMin = c0;
        while (cMin < 0) cMin += dw;
        const cMax = Math.min(w, c0 + kw);
        best.fill(-Infinity);
        where.fill(-1);
        for (let xr = rMin; xr < rMax; xr += dh) {
          for (let xc = cMin; xc < cMax; xc += dw) {
            const at = xImage + (xr * w + xc) * c;
            for (let ch = 0; ch < c; ch++) {
              const v = x[at + ch]!;
              if (v > best[ch]!) {
                best[ch] = v;
                where[ch] = at + ch;
              }
            }
          }
        }
        const dyAt = ((b * ho + r) * wo + q) * c;
        for (let ch = 0; ch < c; ch++) {
          const to = where[ch]!;
          if (to >= 0) dx[to] = dx[to]! + dy[dyAt + ch]!;
        }
      }
    }
  }
}
