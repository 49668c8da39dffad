/**
 * The AutoAugment operations, colour adjustments and resize against torchvision 0.14's own
 * functions, run under /usr/bin/python3 (skipped, with the reason, where torch is missing).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { applyAutoAugmentOp, type AutoAugmentOp } from '../../src/data/augment/autoaugment.js';
import { adjustHue } from '../../src/data/augment/color.js';
import { resizeBilinear, type Image } from '../../src/data/image-ops.js';
import { announceSkip, runTorchHelper } from '../verify/torch.js';

type Case = { op: AutoAugmentOp | 'Hue' | 'Resize'; value: number; dtype: 'float' | 'uint8'; img: Image };

function randomImage(c: number, h: number, w: number, seed: number, integer: boolean): Image {
  let s = seed;
  const data = Float32Array.from({ length: c * h * w }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    const v = (s / 2147483648) * 255;
    return integer ? Math.floor(v) : v;
  });
  return { data, c, h, w };
}

const cases: Case[] = [];
const geometric: [AutoAugmentOp, number][] = [
  ['ShearX', 0.3], ['ShearX', -0.17], ['ShearY', 0.21], ['ShearY', -0.3],
  ['TranslateX', 5.4], ['TranslateX', -3.9], ['TranslateY', 7], ['TranslateY', -2.2],
  ['Rotate', 30], ['Rotate', -12], ['Rotate', 9],
];
for (const [op, value] of geometric) cases.push({ op, value, dtype: 'float', img: randomImage(3, 12, 15, cases.length + 1, true) });
const colour: [AutoAugmentOp, number][] = [
  ['Brightness', 0.45], ['Brightness', -0.7], ['Color', 0.9], ['Color', -0.5], ['Contrast', 0.6], ['Contrast', -0.8],
  ['Sharpness', 0.9], ['Sharpness', -0.9], ['AutoContrast', 0], ['Invert', 0], ['Solarize', 127.5],
];
for (const [op, value] of colour) cases.push({ op, value, dtype: 'float', img: randomImage(3, 9, 11, cases.length + 1, false) });
// AutoContrast must also stretch a low-contrast image.
cases.push({ op: 'AutoContrast', value: 0, dtype: 'float', img: { ...randomImage(3, 6, 6, 99, false), data: randomImage(3, 6, 6, 99, false).data.map((v) => 60 + v / 4) } });
for (const bits of [4, 6, 7]) cases.push({ op: 'Posterize', value: bits, dtype: 'uint8', img: randomImage(3, 8, 8, 50 + bits, true) });
cases.push({ op: 'Equalize', value: 0, dtype: 'uint8', img: randomImage(3, 16, 16, 77, true) });
cases.push({ op: 'Equalize', value: 0, dtype: 'uint8', img: { ...randomImage(1, 32, 32, 78, true), data: randomImage(1, 32, 32, 78, true).data.map((v) => Math.floor(v / 8) + 100) } });
for (const hue of [0.1, -0.37, 0.5]) cases.push({ op: 'Hue', value: hue, dtype: 'float', img: randomImage(3, 7, 7, 200 + cases.length, false) });
cases.push({ op: 'Resize', value: 7 * 1000 + 5, dtype: 'float', img: randomImage(2, 4, 9, 300, false) });
cases.push({ op: 'Resize', value: 13 * 1000 + 17, dtype: 'float', img: randomImage(1, 6, 5, 301, false) });

let results: number[][] | undefined;
let skip: string | undefined;

beforeAll(async () => {
  const payload = { cases: cases.map((c) => ({ op: c.op, value: c.value, dtype: c.dtype, shape: [c.img.c, c.img.h, c.img.w], data: Array.from(c.img.data) })) };
  const r = await runTorchHelper<{ results: number[][] }>('../data/torchvision_ops.py', [], JSON.stringify(payload));
  if (r.ok) results = r.data.results;
  else {
    skip = r.reason;
    announceSkip('tests/data/torchvision.test.ts', r.reason);
  }
}, 120_000);

function ours(c: Case): Float32Array {
  if (c.op === 'Hue') return adjustHue(c.img, c.value, 255).data;
  if (c.op === 'Resize') return resizeBilinear(c.img, Math.floor(c.value / 1000), c.value % 1000).data;
  return applyAutoAugmentOp(c.img, c.op, c.value, 255).data;
}

describe('against torchvision 0.14', () => {
  cases.forEach((c, i) => {
    it(`${c.op} ${c.value} (${c.dtype} ${c.img.c}×${c.img.h}×${c.img.w})`, (ctx) => {
      if (!results) return ctx.skip(skip);
      const want = results[i]!;
      const got = ours(c);
      expect(got.length).toBe(want.length);
      // Every case changes its image, so agreeing is not agreeing on a no-op.
      if (c.op !== 'Resize') expect(want.some((v, j) => Math.abs(v - c.img.data[j]!) > 0.5)).toBe(true);
      // Float ops go through torch's 0..1 scale, so compare to a small tolerance; 8-bit ops exactly.
      const tol = c.dtype === 'uint8' ? 0 : 1e-3;
      const bad = want.filter((v, j) => Math.abs(v - got[j]!) > tol).length;
      expect(bad, `${bad} of ${want.length} values differ`).toBe(0);
    });
  });
});
