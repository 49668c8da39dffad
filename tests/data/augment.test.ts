import { fc, test as fcTest } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { augmentedShape, applyAugmentation, caffeCropMirror, colorJitter, cutout, hflip, randomCrop, resizedCropWindow } from '../../src/data/augment/augment.js';
import { autoAugment, autoAugmentValue } from '../../src/data/augment/autoaugment.js';
import { mixupBatch } from '../../src/data/augment/mixup.js';
import { ArrayDataset } from '../../src/data/dataset.js';
import type { Image } from '../../src/data/image-ops.js';
import { DataPipeline } from '../../src/data/pipeline.js';
import { Rng } from '../../src/data/random.js';
import type { Augmentation } from '../../src/ir/train.js';

/** Pixel (k, y, x) holds 1000k + 100y + x + 1, so every value says where it came from. */
function coded(c: number, h: number, w: number): Image {
  const data = new Float32Array(c * h * w);
  for (let k = 0; k < c; k++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[(k * h + y) * w + x] = 1000 * k + 100 * y + x + 1;
  return { data, c, h, w };
}
const at = (img: Image, k: number, y: number, x: number) => img.data[(k * img.h + y) * img.w + x]!;

describe('flip and crops', () => {
  it('hflip mirrors columns and twice is the identity', () => {
    const img = coded(2, 3, 4);
    const once = hflip(img, 1, new Rng(1));
    expect(at(once, 1, 2, 0)).toBe(at(img, 1, 2, 3));
    expect(Array.from(hflip(once, 1, new Rng(2)).data)).toEqual(Array.from(img.data));
    expect(hflip(img, 0, new Rng(3))).toBe(img);
  });

  it('random_crop with padding is a window of the zero-padded image', () => {
    const img = coded(1, 4, 5);
    const seen = new Set<string>();
    for (let s = 0; s < 200; s++) {
      const out = randomCrop(img, [4, 5], 2, new Rng(s));
      // Find the offset from a pixel that came from the image: (top, left) in padded coordinates.
      let found = false;
      for (let top = 0; top <= 4 && !found; top++) {
        for (let left = 0; left <= 4 && !found; left++) {
          let match = true;
          for (let y = 0; y < 4 && match; y++) for (let x = 0; x < 5 && match; x++) {
            const sy = top - 2 + y;
            const sx = left - 2 + x;
            const want = sy >= 0 && sy < 4 && sx >= 0 && sx < 5 ? at(img, 0, sy, sx) : 0;
            match = at(out, 0, y, x) === want;
          }
          if (match) {
            found = true;
            seen.add(`${top},${left}`);
          }
        }
      }
      expect(found).toBe(true);
    }
    // All 5×5 offsets of a 2-pixel padding turn up.
    expect(seen.size).toBe(25);
  });

  it('random_resized_crop windows stay inside, respect scale and ratio, and fall back to a centre crop', () => {
    for (let s = 0; s < 100; s++) {
      const win = resizedCropWindow(50, 60, [0.2, 0.6], [0.75, 4 / 3], new Rng(s));
      expect(win.top + win.height).toBeLessThanOrEqual(50);
      expect(win.left + win.width).toBeLessThanOrEqual(60);
      const area = (win.height * win.width) / 3000;
      expect(area).toBeGreaterThan(0.15);
      expect(area).toBeLessThan(0.7);
    }
    // An area fraction above 1 never fits: 10×40 with ratio ≤ 4/3 falls back to h 10, w round(10·4/3) = 13, centred.
    expect(resizedCropWindow(10, 40, [2, 3], [0.75, 4 / 3], new Rng(1))).toEqual({ top: 0, left: 13, height: 10, width: 13 });
    expect(resizedCropWindow(40, 10, [2, 3], [0.75, 4 / 3], new Rng(1))).toEqual({ top: 13, left: 0, height: 13, width: 10 });
    expect(resizedCropWindow(10, 10, [2, 3], [0.75, 4 / 3], new Rng(1))).toEqual({ top: 0, left: 0, height: 10, width: 10 });
  });

  it("Caffe's crop is centred in TEST and mirror only applies in TRAIN", () => {
    const img = coded(1, 5, 6);
    const test = caffeCropMirror(img, 3, true, 'eval', new Rng(1));
    // Offsets floor((5 − 3)/2) = 1 and floor((6 − 3)/2) = 1.
    expect(at(test, 0, 0, 0)).toBe(at(img, 0, 1, 1));
    const flips = new Set<number>();
    for (let s = 0; s < 40; s++) {
      const t = caffeCropMirror(img, 0, true, 'train', new Rng(s));
      flips.add(at(t, 0, 0, 0));
    }
    expect([...flips].sort()).toEqual([at(img, 0, 0, 0), at(img, 0, 0, 5)].sort());
  });

  it('eval mode keeps only the deterministic part of crops', () => {
    const img = coded(1, 6, 6);
    const out = applyAugmentation(img, { op: 'random_crop', size: [4], padding: 4 }, 'eval', new Rng(1), 255);
    expect(at(out, 0, 0, 0)).toBe(at(img, 0, 1, 1));
    expect(applyAugmentation(img, { op: 'cutout', size: 3, count: 2 }, 'eval', new Rng(1), 255)).toBe(img);
  });
});

describe('colour jitter and cutout', () => {
  it('brightness alone scales every pixel by one factor within [1 − b, 1 + b]', () => {
    const img = { ...coded(3, 2, 2), data: coded(3, 2, 2).data.map((v) => v / 40) };
    for (let s = 0; s < 20; s++) {
      const out = colorJitter(img, { op: 'color_jitter', brightness: 0.4, contrast: 0, saturation: 0, hue: 0 }, new Rng(s), 255);
      const ratios = Array.from(out.data, (v, i) => v / img.data[i]!);
      expect(ratios[0]).toBeGreaterThanOrEqual(0.6);
      expect(ratios[0]).toBeLessThanOrEqual(1.4);
      for (const r of ratios) expect(r).toBeCloseTo(ratios[0]!, 5);
    }
    const none = colorJitter(img, { op: 'color_jitter', brightness: 0, contrast: 0, saturation: 0, hue: 0 }, new Rng(1), 255);
    expect(Array.from(none.data)).toEqual(Array.from(img.data));
  });

  it('cutout zeroes squares of the given side, clipped at the border, and nothing else', () => {
    const img = { ...coded(2, 20, 20), data: new Float32Array(800).fill(7) };
    for (let s = 0; s < 30; s++) {
      const out = cutout(img, 4, 1, new Rng(s));
      const zeros: [number, number][] = [];
      for (let y = 0; y < 20; y++) for (let x = 0; x < 20; x++) if (at(out, 0, y, x) === 0) zeros.push([y, x]);
      for (let y = 0; y < 20; y++) for (let x = 0; x < 20; x++) expect(at(out, 1, y, x)).toBe(at(out, 0, y, x));
      const ys = zeros.map((z) => z[0]);
      const xs = zeros.map((z) => z[1]);
      const hgt = Math.max(...ys) - Math.min(...ys) + 1;
      const wid = Math.max(...xs) - Math.min(...xs) + 1;
      expect(zeros.length).toBe(hgt * wid);
      expect(hgt).toBeLessThanOrEqual(4);
      if (Math.min(...ys) > 0 && Math.max(...ys) < 19) expect(hgt).toBe(4);
      expect(Array.from(out.data).filter((v) => v !== 0 && v !== 7)).toEqual([]);
    }
  });
});

describe('mixup', () => {
  it('mixes images and one-hot labels with the same λ', () => {
    // Example i is filled with i and has label i, so the image must equal Σ_k soft[k]·k.
    const n = 8;
    const images = new Float32Array(n * 4);
    for (let i = 0; i < n; i++) images.fill(i, i * 4, i * 4 + 4);
    const labels = Int32Array.from({ length: n }, (_, i) => i);
    const { images: mixed, soft, lambda } = mixupBatch(images, labels, n, 0.7, new Rng(9));
    expect(lambda).toBeGreaterThan(0);
    expect(lambda).toBeLessThan(1);
    for (let i = 0; i < n; i++) {
      const row = soft.subarray(i * n, (i + 1) * n);
      const expected = Array.from(row).reduce((a, w, k) => a + w * k, 0);
      expect(mixed[i * 4]).toBeCloseTo(expected, 5);
      expect(row[i]! >= lambda - 1e-6).toBe(true);
    }
  });

  it('draws λ from Beta(α, α): mean ½ and variance 1/(4(2α + 1))', () => {
    const rng = new Rng(4);
    for (const alpha of [0.2, 1, 4]) {
      const xs = Array.from({ length: 20000 }, () => rng.beta(alpha, alpha));
      const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
      const variance = xs.reduce((a, x) => a + (x - mean) ** 2, 0) / xs.length;
      expect(mean).toBeCloseTo(0.5, 1);
      expect(Math.abs(variance - 1 / (4 * (2 * alpha + 1)))).toBeLessThan(0.01);
    }
  });
});

describe('AutoAugment', () => {
  it('maps levels 0–10 onto torchvision\'s augmentation space with 11 bins', () => {
    expect(autoAugmentValue('ShearX', 10, 32, 32, 255)).toBeCloseTo(0.3, 12);
    expect(autoAugmentValue('Rotate', 5, 32, 32, 255)).toBeCloseTo(15, 12);
    expect(autoAugmentValue('TranslateX', 10, 20, 331, 255)).toBeCloseTo(150, 9);
    expect(autoAugmentValue('TranslateY', 10, 331, 20, 255)).toBeCloseTo(150, 9);
    expect(autoAugmentValue('Brightness', 10, 8, 8, 255)).toBeCloseTo(0.9, 12);
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((m) => autoAugmentValue('Posterize', m, 8, 8, 255))).toEqual([8, 8, 7, 7, 6, 6, 6, 5, 5, 4, 4]);
    expect(autoAugmentValue('Solarize', 0, 8, 8, 255)).toBe(255);
    expect(autoAugmentValue('Solarize', 10, 8, 8, 255)).toBe(0);
  });

  it('draws one sub-policy per image and applies each op with its probability', () => {
    const img = coded(1, 4, 4);
    const invertTwice: Extract<Augmentation, { op: 'autoaugment' }> = { op: 'autoaugment', subpolicies: [[{ op: 'Invert', p: 1, magnitude: 0 }, { op: 'Invert', p: 1, magnitude: 0 }]] };
    expect(Array.from(autoAugment(img, invertTwice, new Rng(1), 255).data)).toEqual(Array.from(img.data));
    const never: Extract<Augmentation, { op: 'autoaugment' }> = { op: 'autoaugment', subpolicies: [[{ op: 'Rotate', p: 0, magnitude: 9 }]] };
    expect(autoAugment(img, never, new Rng(1), 255)).toBe(img);
    const two: Extract<Augmentation, { op: 'autoaugment' }> = { op: 'autoaugment', subpolicies: [[{ op: 'Invert', p: 1, magnitude: 0 }], [{ op: 'Solarize', p: 1, magnitude: 10 }]] };
    const firsts = new Set<number>();
    for (let s = 0; s < 40; s++) firsts.add(autoAugment({ ...img, data: new Float32Array(16).fill(55) }, two, new Rng(s), 255).data[0]!);
    // Invert gives 200; Solarize with threshold 0 gives 255 − 55 = 200 too: both sub-policies were drawn and agree.
    expect([...firsts]).toEqual([200]);
  });
});

const augmentationArb: fc.Arbitrary<Augmentation> = fc.oneof(
  fc.record({ op: fc.constant('hflip' as const), p: fc.double({ min: 0, max: 1, noNaN: true }) }),
  fc.record({ op: fc.constant('random_crop' as const), size: fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 2 }), padding: fc.integer({ min: 0, max: 4 }) }),
  fc.record({ op: fc.constant('random_resized_crop' as const), size: fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 2 }), scale: fc.constant<[number, number]>([0.08, 1]), ratio: fc.constant<[number, number]>([0.75, 4 / 3]) }),
  fc.record({ op: fc.constant('color_jitter' as const), brightness: fc.double({ min: 0, max: 2, noNaN: true }), contrast: fc.double({ min: 0, max: 2, noNaN: true }), saturation: fc.double({ min: 0, max: 2, noNaN: true }), hue: fc.double({ min: 0, max: 0.5, noNaN: true }) }),
  fc.record({ op: fc.constant('cutout' as const), size: fc.integer({ min: 1, max: 8 }), count: fc.integer({ min: 1, max: 3 }) }),
  fc.record({
    op: fc.constant('autoaugment' as const),
    subpolicies: fc.array(
      fc.array(
        fc.record({
          op: fc.constantFrom('ShearX', 'ShearY', 'TranslateX', 'TranslateY', 'Rotate', 'Invert', 'Solarize', 'Posterize', 'AutoContrast', 'Equalize', 'Contrast', 'Brightness', 'Sharpness', 'Color'),
          p: fc.double({ min: 0, max: 1, noNaN: true }),
          magnitude: fc.integer({ min: 0, max: 10 }),
        }),
        { minLength: 1, maxLength: 2 },
      ),
      { minLength: 1, maxLength: 3 },
    ),
  }),
);

describe('properties', () => {
  fcTest.prop([fc.array(augmentationArb, { maxLength: 4 }), fc.constantFrom(1, 3), fc.integer({ min: 0, max: 1000 })], { numRuns: 60 })(
    'any augmentation list keeps the declared output shape and the 0–255 range, and is deterministic per seed',
    async (augs, channels, seed) => {
      const images = new Float32Array(2 * channels * 10 * 9);
      const r = new Rng(seed);
      for (let i = 0; i < images.length; i++) images[i] = Math.floor(r.next() * 256);
      const ds = new ArrayDataset([channels, 10, 9], images, [0, 1], 2);
      const pipe = await DataPipeline.create(ds, { augmentation: augs, seed });
      const shape = augmentedShape([channels, 10, 9], augs);
      expect(pipe.outputShape).toEqual(shape);
      for (const mode of ['train', 'eval'] as const) {
        const a = await pipe.prepare(1, 2, mode);
        expect(a.image.length).toBe(shape[0] * shape[1] * shape[2]);
        for (const v of a.image) {
          expect(v).toBeGreaterThanOrEqual(0);
          expect(v).toBeLessThanOrEqual(255 + 1e-3);
        }
        expect(Array.from((await pipe.prepare(1, 2, mode)).image)).toEqual(Array.from(a.image));
      }
    },
  );
});
