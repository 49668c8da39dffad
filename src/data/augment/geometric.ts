/**
 * Affine warps with torchvision 0.14's tensor semantics (functional.affine / rotate): the
 * inverse matrix of `_get_inverse_affine_matrix`, applied about the image centre to pixel
 * centres, nearest-neighbour sampling (round half to even, as grid_sample does), and 0 where
 * the source falls outside the image. AutoAugment's ShearX/Y, TranslateX/Y and Rotate use it.
 */
import type { Image } from '../image-ops.js';

export interface AffineParams {
  /** Degrees (torchvision's affine sign: positive turns clockwise on screen). */
  angle: number;
  translate: [number, number];
  scale: number;
  /** Degrees, [x, y]. */
  shear: [number, number];
  /** In pixel coordinates relative to the image centre; [0, 0] is the centre. */
  center: [number, number];
}

/** torchvision's _get_inverse_affine_matrix (inverted=True). */
export function inverseAffineMatrix(p: AffineParams): number[] {
  const rot = (p.angle * Math.PI) / 180;
  const sx = (p.shear[0] * Math.PI) / 180;
  const sy = (p.shear[1] * Math.PI) / 180;
  const [cx, cy] = p.center;
  const [tx, ty] = p.translate;
  const a = Math.cos(rot - sy) / Math.cos(sy);
  const b = (-Math.cos(rot - sy) * Math.tan(sx)) / Math.cos(sy) - Math.sin(rot);
  const c = Math.sin(rot - sy) / Math.cos(sy);
  const d = (-Math.sin(rot - sy) * Math.tan(sx)) / Math.cos(sy) + Math.cos(rot);
  const m = [d, -b, 0, -c, a, 0].map((x) => x / p.scale);
  m[2] = m[2]! + m[0]! * (-cx - tx) + m[1]! * (-cy - ty) + cx;
  m[5] = m[5]! + m[3]! * (-cx - tx) + m[4]! * (-cy - ty) + cy;
  return m;
}

/** Rounds half to even, like C's nearbyint under the default rounding mode. */
const nearbyint = (x: number): number => {
  const r = Math.round(x);
  return Math.abs(x - Math.trunc(x)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
};

/** Warps by an inverse matrix (output pixel → source pixel, centred coordinates). */
export function warpAffine(img: Image, m: readonly number[], fill = 0): Image {
  const { data, c, h, w } = img;
  const out = new Float32Array(data.length);
  const f = Math.fround;
  for (let y = 0; y < h; y++) {
    const v = y + 0.5 - h / 2;
    for (let x = 0; x < w; x++) {
      const u = x + 0.5 - w / 2;
      // float32 like torch's grid, so ties round the same way as torchvision's.
      const xs = nearbyint(f(f(f(f(m[0]! * u) + f(m[1]! * v)) + f(m[2]!)) + f(w / 2 - 0.5)));
      const ys = nearbyint(f(f(f(f(m[3]! * u) + f(m[4]! * v)) + f(m[5]!)) + f(h / 2 - 0.5)));
      const inside = xs >= 0 && xs < w && ys >= 0 && ys < h;
      for (let k = 0; k < c; k++) out[(k * h + y) * w + x] = inside ? data[(k * h + ys) * w + xs]! : fill;
    }
  }
  return { data: out, c, h, w };
}

const NONE: AffineParams = { angle: 0, translate: [0, 0], scale: 1, shear: [0, 0], center: [0, 0] };

/** torchvision AutoAugment's ShearX: shear by atan(s) degrees about the top-left corner. */
export const shearX = (img: Image, s: number): Image =>
  warpAffine(img, inverseAffineMatrix({ ...NONE, shear: [(Math.atan(s) * 180) / Math.PI, 0], center: [-img.w / 2, -img.h / 2] }));

export const shearY = (img: Image, s: number): Image =>
  warpAffine(img, inverseAffineMatrix({ ...NONE, shear: [0, (Math.atan(s) * 180) / Math.PI], center: [-img.w / 2, -img.h / 2] }));

/** Shifts by whole pixels (torchvision truncates the magnitude toward zero). */
export const translate = (img: Image, dx: number, dy: number): Image => warpAffine(img, inverseAffineMatrix({ ...NONE, translate: [Math.trunc(dx), Math.trunc(dy)] }));

/** functional.rotate: positive degrees turn counter-clockwise on screen, about the centre. */
export const rotate = (img: Image, degrees: number): Image => warpAffine(img, inverseAffineMatrix({ ...NONE, angle: -degrees }));
