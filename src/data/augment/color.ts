/**
 * Colour operations with torchvision 0.14's float-tensor semantics, where `bound` (the
 * dataset's pixelMax) plays the part of torchvision's 1.0: blends clamp to [0, bound], grey is
 * 0.2989·R + 0.587·G + 0.114·B. Posterize and Equalize are defined on 8-bit values, so the image
 * is rounded to 256 levels first, as a uint8 tensor would be.
 */
import type { Image } from '../image-ops.js';

const clamp = (v: number, hi: number) => (v < 0 ? 0 : v > hi ? hi : v);

/** ratio·a + (1 − ratio)·b, clamped; b is an image of the same size or a scalar. */
function blend(img: Image, other: Float32Array | number, ratio: number, bound: number): Image {
  const out = new Float32Array(img.data.length);
  const a = img.data;
  for (let i = 0; i < a.length; i++) out[i] = clamp(ratio * a[i]! + (1 - ratio) * (typeof other === 'number' ? other : other[i]!), bound);
  return { ...img, data: out };
}

/** One plane of luma (channel 0 itself for 1-channel images). */
export function grayscale(img: Image): Float32Array {
  const n = img.h * img.w;
  if (img.c < 3) return img.data.slice(0, n);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = 0.2989 * img.data[i]! + 0.587 * img.data[n + i]! + 0.114 * img.data[2 * n + i]!;
  return out;
}

export const adjustBrightness = (img: Image, factor: number, bound: number): Image => blend(img, 0, factor, bound);

export function adjustContrast(img: Image, factor: number, bound: number): Image {
  const g = grayscale(img);
  let sum = 0;
  for (const v of g) sum += v;
  return blend(img, sum / g.length, factor, bound);
}

/** Saturation (AutoAugment's Color); a no-op on images with fewer than 3 channels. */
export function adjustSaturation(img: Image, factor: number, bound: number): Image {
  if (img.c < 3) return img;
  const g = grayscale(img);
  const n = g.length;
  const other = new Float32Array(img.data.length);
  for (let k = 0; k < img.c; k++) other.set(k < 3 ? g : img.data.subarray(k * n, (k + 1) * n), k * n);
  const out = blend(img, other, factor, bound);
  return out;
}

/** Rotates hue by `shift` turns (−0.5..0.5) in HSV space; a no-op on images with fewer than 3 channels. */
export function adjustHue(img: Image, shift: number, bound: number): Image {
  if (img.c < 3) return img;
  const n = img.h * img.w;
  const d = img.data;
  const out = d.slice();
  for (let i = 0; i < n; i++) {
    const r = d[i]! / bound;
    const g = d[n + i]! / bound;
    const b = d[2 * n + i]! / bound;
    const maxc = Math.max(r, g, b);
    const minc = Math.min(r, g, b);
    const eq = maxc === minc;
    const cr = maxc - minc;
    const s = cr / (eq ? 1 : maxc);
    const div = eq ? 1 : cr;
    const rc = (maxc - r) / div;
    const gc = (maxc - g) / div;
    const bc = (maxc - b) / div;
    let h = maxc === r ? bc - gc : maxc === g ? 2 + rc - bc : 4 + gc - rc;
    h = (((h / 6 + 1) % 1) + shift) % 1;
    if (h < 0) h += 1;
    const v = maxc;
    const i6 = Math.floor(h * 6);
    const f = h * 6 - i6;
    const p = clamp(v * (1 - s), 1);
    const q = clamp(v * (1 - s * f), 1);
    const t = clamp(v * (1 - s * (1 - f)), 1);
    const rgb = [
      [v, t, p],
      [q, v, p],
      [p, v, t],
      [p, q, v],
      [t, p, v],
      [v, p, q],
    ][i6 % 6]!;
    out[i] = rgb[0]! * bound;
    out[n + i] = rgb[1]! * bound;
    out[2 * n + i] = rgb[2]! * bound;
  }
  return { ...img, data: out };
}

export function adjustSharpness(img: Image, factor: number, bound: number): Image {
  const { c, h, w, data } = img;
  if (h <= 2 || w <= 2) return img;
  const degenerate = data.slice();
  for (let k = 0; k < c; k++) {
    for (let y = 1; y < h - 1; y++) {
      for (let x = 1; x < w - 1; x++) {
        let sum = 0;
        for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) sum += data[(k * h + y + dy) * w + x + dx]!;
        const centre = data[(k * h + y) * w + x]!;
        degenerate[(k * h + y) * w + x] = (sum + 4 * centre) / 13;
      }
    }
  }
  return blend(img, degenerate, factor, bound);
}

export function invert(img: Image, bound: number): Image {
  return { ...img, data: img.data.map((v) => bound - v) };
}

export function solarize(img: Image, threshold: number, bound: number): Image {
  return { ...img, data: img.data.map((v) => (v >= threshold ? bound - v : v)) };
}

export function autocontrast(img: Image, bound: number): Image {
  const { c, h, w, data } = img;
  const n = h * w;
  const out = new Float32Array(data.length);
  for (let k = 0; k < c; k++) {
    const plane = data.subarray(k * n, (k + 1) * n);
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of plane) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    const eq = !(hi > lo);
    const min = eq ? 0 : lo;
    const scale = eq ? 1 : bound / (hi - lo);
    for (let i = 0; i < n; i++) out[k * n + i] = clamp((plane[i]! - min) * scale, bound);
  }
  return { ...img, data: out };
}

const to8bit = (v: number, bound: number) => Math.round(clamp((v * 255) / bound, 255));

/** Keeps the top `bits` bits of each 8-bit value. */
export function posterize(img: Image, bits: number, bound: number): Image {
  const mask = (0xff << (8 - bits)) & 0xff;
  return { ...img, data: img.data.map((v) => ((to8bit(v, bound) & mask) * bound) / 255) };
}

/** Histogram equalisation per channel, torchvision's `_scale_channel` on 8-bit values. */
export function equalize(img: Image, bound: number): Image {
  const { c, h, w, data } = img;
  const n = h * w;
  const out = new Float32Array(data.length);
  for (let k = 0; k < c; k++) {
    const q = Array.from(data.subarray(k * n, (k + 1) * n), (v) => to8bit(v, bound));
    const hist = new Array<number>(256).fill(0);
    for (const v of q) hist[v]!++;
    const nonzero = hist.filter((x) => x !== 0);
    const step = Math.floor(nonzero.slice(0, -1).reduce((a, b) => a + b, 0) / 255);
    if (step === 0) {
      for (let i = 0; i < n; i++) out[k * n + i] = (q[i]! * bound) / 255;
      continue;
    }
    const lut = new Array<number>(256);
    let cum = 0;
    for (let i = 0; i < 256; i++) {
      // lut is shifted by one: entry i uses the cumulative count below i.
      lut[i] = Math.min(255, Math.max(0, Math.floor((cum + Math.floor(step / 2)) / step)));
      cum += hist[i]!;
    }
    for (let i = 0; i < n; i++) out[k * n + i] = (lut[q[i]!]! * bound) / 255;
  }
  return { ...img, data: out };
}
