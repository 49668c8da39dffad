/**
 * AutoAugment policies (Cubuk et al. 2019) with torchvision 0.14's operations and its
 * augmentation space `_augmentation_space(num_bins = 11)`, so the IR's levels 0–10 index it
 * directly (torchvision's own policies use 10 bins, levels 0–9; 11 bins put level m at
 * m/10 of the maximum, as the paper's reference code does). For an H×W image, level m gives:
 *
 * | op                                   | value at level m               | signed |
 * |--------------------------------------|--------------------------------|--------|
 * | ShearX, ShearY                       | 0.3·m/10 (shear factor)        | yes    |
 * | TranslateX / TranslateY              | (150/331)·W·m/10 / ·H·m/10 px  | yes    |
 * | Rotate                               | 30°·m/10                       | yes    |
 * | Brightness, Color, Contrast, Sharpness | factor 1 + 0.9·m/10          | yes    |
 * | Posterize                            | 8 − round(0.4·m) bits (8…4)    | no     |
 * | Solarize                             | threshold pixelMax·(1 − m/10)  | no     |
 * | AutoContrast, Equalize, Invert       | none                           | —      |
 *
 * "Signed": the value is negated with probability ½. One sub-policy is drawn uniformly per
 * image; each of its operations is applied when a uniform draw is ≤ its probability.
 */
import type { Augmentation } from '../../ir/train.js';
import type { Image } from '../image-ops.js';
import type { Rng } from '../random.js';
import { adjustBrightness, adjustContrast, adjustSaturation, adjustSharpness, autocontrast, equalize, invert, posterize, solarize } from './color.js';
import { rotate, shearX, shearY, translate } from './geometric.js';

export const AUTOAUGMENT_OPS = ['ShearX', 'ShearY', 'TranslateX', 'TranslateY', 'Rotate', 'Invert', 'Solarize', 'Posterize', 'AutoContrast', 'Equalize', 'Contrast', 'Brightness', 'Sharpness', 'Color'] as const;
export type AutoAugmentOp = (typeof AUTOAUGMENT_OPS)[number];

const unknownOp = (op: string): never => {
  throw new Error(`internal: unknown AutoAugment operation '${op}'`);
};

const SIGNED = new Set<AutoAugmentOp>(['ShearX', 'ShearY', 'TranslateX', 'TranslateY', 'Rotate', 'Brightness', 'Color', 'Contrast', 'Sharpness']);

/** The unsigned value of `op` at `level` (0–10) for an image of h×w. */
export function autoAugmentValue(op: AutoAugmentOp, level: number, h: number, w: number, bound: number): number {
  const t = level / 10;
  switch (op) {
    case 'ShearX':
    case 'ShearY':
      return 0.3 * t;
    case 'TranslateX':
      return (150 / 331) * w * t;
    case 'TranslateY':
      return (150 / 331) * h * t;
    case 'Rotate':
      return 30 * t;
    case 'Brightness':
    case 'Color':
    case 'Contrast':
    case 'Sharpness':
      return 0.9 * t;
    case 'Posterize':
      return 8 - Math.round(4 * t);
    case 'Solarize':
      return bound * (1 - t);
    case 'AutoContrast':
    case 'Equalize':
    case 'Invert':
      return 0;
  }
  return unknownOp(op);
}

export const isSigned = (op: AutoAugmentOp): boolean => SIGNED.has(op);

/** Applies one operation with an already signed value (torchvision's `_apply_op`). */
export function applyAutoAugmentOp(img: Image, op: AutoAugmentOp, value: number, bound: number): Image {
  switch (op) {
    case 'ShearX':
      return shearX(img, value);
    case 'ShearY':
      return shearY(img, value);
    case 'TranslateX':
      return translate(img, value, 0);
    case 'TranslateY':
      return translate(img, 0, value);
    case 'Rotate':
      return rotate(img, value);
    case 'Brightness':
      return adjustBrightness(img, 1 + value, bound);
    case 'Color':
      return adjustSaturation(img, 1 + value, bound);
    case 'Contrast':
      return adjustContrast(img, 1 + value, bound);
    case 'Sharpness':
      return adjustSharpness(img, 1 + value, bound);
    case 'Posterize':
      return posterize(img, value, bound);
    case 'Solarize':
      return solarize(img, value, bound);
    case 'AutoContrast':
      return autocontrast(img, bound);
    case 'Equalize':
      return equalize(img, bound);
    case 'Invert':
      return invert(img, bound);
  }
  return unknownOp(op);
}

export function autoAugment(img: Image, policy: Extract<Augmentation, { op: 'autoaugment' }>, rng: Rng, bound: number): Image {
  const sub = policy.subpolicies[rng.int(policy.subpolicies.length)]!;
  let out = img;
  for (const { op: name, p, magnitude } of sub) {
    const op = name as AutoAugmentOp;
    const apply = rng.next() <= p;
    const negate = rng.bernoulli(0.5);
    if (!apply) continue;
    let value = autoAugmentValue(op, magnitude, out.h, out.w, bound);
    if (isSigned(op) && negate) value = -value;
    out = applyAutoAugmentOp(out, op, value, bound);
  }
  return out;
}
