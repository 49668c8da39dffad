/**
 * The per-image augmentations of a spec's `augment` section, applied in the order written, and
 * Caffe's transform_param crop and mirror. Each follows torchvision 0.14 (RandomHorizontalFlip,
 * RandomCrop, RandomResizedCrop, ColorJitter) or the paper named below. In evaluation only the
 * deterministic part remains: crops become centre crops (random_resized_crop resizes the whole
 * image), everything else is skipped.
 *
 * mixup works on a batch (mixup.ts) and is skipped here; it is applied after every per-image op.
 */
import type { Augmentation } from '../../ir/train.js';
import { crop, flipHorizontal, resizeBilinear, type Image } from '../image-ops.js';
import type { Rng } from '../random.js';
import { autoAugment } from './autoaugment.js';
import { adjustBrightness, adjustContrast, adjustHue, adjustSaturation } from './color.js';

export type Mode = 'train' | 'eval';

const hw = (size: readonly number[]): [number, number] => [size[0]!, size[1] ?? size[0]!];

/** The [C, H, W] after the augmentations, given the source's. */
export function augmentedShape(shape: readonly [number, number, number], augs: readonly Augmentation[]): [number, number, number] {
  let [c, h, w] = shape;
  for (const a of augs) if (a.op === 'random_crop' || a.op === 'random_resized_crop') [h, w] = hw(a.size);
  return [c, h, w];
}

export function hflip(img: Image, p: number, rng: Rng): Image {
  return rng.next() < p ? flipHorizontal(img) : img;
}

/** torchvision RandomCrop(size, padding): zero padding on every side, then a uniform window. */
export function randomCrop(img: Image, size: readonly number[], padding: number, rng: Rng): Image {
  const [th, tw] = hw(size);
  const ph = img.h + 2 * padding;
  const pw = img.w + 2 * padding;
  const top = ph > th ? rng.int(ph - th + 1) : 0;
  const left = pw > tw ? rng.int(pw - tw + 1) : 0;
  return crop(img, top - padding, left - padding, th, tw);
}

/** The centre window (torchvision CenterCrop: offsets rounded, zero-padded when the image is smaller). */
export function centerCrop(img: Image, size: readonly number[]): Image {
  const [th, tw] = hw(size);
  return crop(img, Math.round((img.h - th) / 2), Math.round((img.w - tw) / 2), th, tw);
}

/** torchvision RandomResizedCrop.get_params: 10 tries of a random area and log-uniform aspect ratio, then a centre crop fallback. */
export function resizedCropWindow(h: number, w: number, scale: readonly [number, number], ratio: readonly [number, number], rng: Rng): { top: number; left: number; height: number; width: number } {
  const area = h * w;
  const logRatio = [Math.log(ratio[0]), Math.log(ratio[1])] as const;
  for (let attempt = 0; attempt < 10; attempt++) {
    const target = area * rng.uniform(scale[0], scale[1]);
    const aspect = Math.exp(rng.uniform(logRatio[0], logRatio[1]));
    const cw = Math.round(Math.sqrt(target * aspect));
    const ch = Math.round(Math.sqrt(target / aspect));
    if (cw > 0 && cw <= w && ch > 0 && ch <= h) return { top: rng.int(h - ch + 1), left: rng.int(w - cw + 1), height: ch, width: cw };
  }
  const inRatio = w / h;
  let cw: number;
  let ch: number;
  if (inRatio < Math.min(ratio[0], ratio[1])) {
    cw = w;
    ch = Math.round(cw / Math.min(ratio[0], ratio[1]));
  } else if (inRatio > Math.max(ratio[0], ratio[1])) {
    ch = h;
    cw = Math.round(ch * Math.max(ratio[0], ratio[1]));
  } else {
    cw = w;
    ch = h;
  }
  return { top: Math.floor((h - ch) / 2), left: Math.floor((w - cw) / 2), height: ch, width: cw };
}

export function randomResizedCrop(img: Image, size: readonly number[], scale: readonly [number, number], ratio: readonly [number, number], rng: Rng): Image {
  const [th, tw] = hw(size);
  const win = resizedCropWindow(img.h, img.w, scale, ratio, rng);
  return resizeBilinear(crop(img, win.top, win.left, win.height, win.width), th, tw);
}

/**
 * torchvision ColorJitter: factors uniform in [max(0, 1 − b), 1 + b] (hue in [−h, h]), applied
 * in a random order (torch.randperm(4)); a zero setting skips its adjustment.
 */
export function colorJitter(img: Image, a: Extract<Augmentation, { op: 'color_jitter' }>, rng: Rng, bound: number): Image {
  const order = rng.permutation(4);
  const factor = (x: number) => (x > 0 ? rng.uniform(Math.max(0, 1 - x), 1 + x) : undefined);
  const b = factor(a.brightness);
  const c = factor(a.contrast);
  const s = factor(a.saturation);
  const h = a.hue > 0 ? rng.uniform(-a.hue, a.hue) : undefined;
  let out = img;
  for (const fn of order) {
    if (fn === 0 && b !== undefined) out = adjustBrightness(out, b, bound);
    if (fn === 1 && c !== undefined) out = adjustContrast(out, c, bound);
    if (fn === 2 && s !== undefined) out = adjustSaturation(out, s, bound);
    if (fn === 3 && h !== undefined) out = adjustHue(out, h, bound);
  }
  return out;
}

/**
 * Cutout (DeVries & Taylor 2017): `count` squares of side `size`, each centred on a uniformly
 * drawn pixel and clipped at the border, set to 0 in every channel (0 in raw pixel units).
 */
export function cutout(img: Image, size: number, count: number, rng: Rng): Image {
  const data = img.data.slice();
  const { c, h, w } = img;
  for (let i = 0; i < count; i++) {
    const cy = rng.int(h);
    const cx = rng.int(w);
    const y0 = Math.max(0, cy - Math.floor(size / 2));
    const y1 = Math.min(h, cy - Math.floor(size / 2) + size);
    const x0 = Math.max(0, cx - Math.floor(size / 2));
    const x1 = Math.min(w, cx - Math.floor(size / 2) + size);
    for (let k = 0; k < c; k++) for (let y = y0; y < y1; y++) data.fill(0, (k * h + y) * w + x0, (k * h + y) * w + x1);
  }
  return { ...img, data };
}

export function applyAugmentation(img: Image, a: Augmentation, mode: Mode, rng: Rng, bound: number): Image {
  if (mode === 'eval') {
    if (a.op === 'random_crop') return centerCrop(img, a.size);
    if (a.op === 'random_resized_crop') return resizeBilinear(img, ...hw(a.size));
    return img;
  }
  switch (a.op) {
    case 'hflip':
      return hflip(img, a.p, rng);
    case 'random_crop':
      return randomCrop(img, a.size, a.padding, rng);
    case 'random_resized_crop':
      return randomResizedCrop(img, a.size, a.scale, a.ratio, rng);
    case 'color_jitter':
      return colorJitter(img, a, rng, bound);
    case 'cutout':
      return cutout(img, a.size, a.count, rng);
    case 'autoaugment':
      return autoAugment(img, a, rng, bound);
    case 'mixup':
      return img;
  }
}

/** Caffe's DataTransformer crop and mirror: a uniform crop offset in TRAIN, the centre ((H − crop)/2, floored) in TEST; mirror only in TRAIN. */
export function caffeCropMirror(img: Image, cropSize: number, mirror: boolean, mode: Mode, rng: Rng): Image {
  let out = img;
  if (cropSize > 0) {
    const top = mode === 'train' ? rng.int(img.h - cropSize + 1) : Math.floor((img.h - cropSize) / 2);
    const left = mode === 'train' ? rng.int(img.w - cropSize + 1) : Math.floor((img.w - cropSize) / 2);
    out = crop(out, top, left, cropSize, cropSize);
  }
  if (mirror && mode === 'train' && rng.int(2) === 1) out = flipHorizontal(out);
  return out;
}
