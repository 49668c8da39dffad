/**
 * `nnspec predict`, in-process: LeNet with weights written the way `nnspec train --out` writes
 * them, on PNG and NPY inputs made here; every answer is checked against a direct tfjs forward
 * pass of the same weights on input preprocessed here by the spec's own numbers.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareBackendInput } from '../../src/backends/backend.js';
import { pytorchStateDict } from '../../src/backends/pytorch/index.js';
import { lowerToTfjs, type LoweredModel, type Tf } from '../../src/backends/tfjs/index.js';
import { runPredict, type PredictFlags, type PredictResult } from '../../src/cli/predict.js';
import { resizeBilinear } from '../../src/data/image-ops.js';
import { selectBackend } from '../../src/runtime/backend.js';
import { writeSafetensors } from '../../src/weights/index.js';
import { npyBytes, pngBytes } from '../data/write-fixtures.js';
import { PROTOC_SKIP_REASON, blob, encodeNet, filled, layer } from '../weights/caffemodel-builder.js';
import { ROOT } from '../helpers.js';

const LENET = join(ROOT, 'specs/lenet.nnspec');
const TMP = mkdtempSync(join(tmpdir(), 'nnspec-predict-'));
const WEIGHTS = join(TMP, 'lenet.safetensors');
/** LeNet's preprocessing as its spec writes it: `scale: 0.00390625` on 0–255 pixels. */
const SCALE = 0.00390625;
const PIXELS = 28 * 28;

let tf: Tf;
let lowered: LoweredModel;

beforeAll(async () => {
  ({ tf } = await selectBackend({ threads: 2 }));
  const { input } = await prepareBackendInput(LENET);
  lowered = lowerToTfjs(tf, input!, { seed: 3 })!;
  writeFileSync(WEIGHTS, writeSafetensors(pytorchStateDict(input!, lowered.params.toIrWeights()), { format: 'pt', source: 'nnspec train' }));
});
afterAll(() => lowered?.dispose());

/** Class probabilities of each image (pixels 0–255, 28×28) by a direct forward pass. */
function direct(images: Float32Array[]): Float32Array[] {
  return tf.tidy(() => {
    const x = tf.tensor(Float32Array.from(images.flatMap((im) => Array.from(im, (v) => v * SCALE))), [images.length, 1, 28, 28]);
    const probs = tf.softmax(lowered.forward({ data: x }, 'inference', { outputs: ['ip2'] }).ip2!).dataSync() as Float32Array;
    return images.map((_, i) => probs.slice(i * 10, (i + 1) * 10));
  });
}

function topOf(probs: Float32Array, k: number): { class: number; probability: number }[] {
  return [...probs.keys()].sort((a, b) => probs[b]! - probs[a]!).slice(0, k).map((c) => ({ class: c, probability: probs[c]! }));
}

async function predict(inputs: string[], flags: Partial<PredictFlags> = {}, spec = LENET) {
  const lines: string[] = [];
  const errors: string[] = [];
  const code = await runPredict(spec, inputs, { weights: WEIGHTS, threads: 2, ...flags }, { out: (l) => lines.push(l), err: (l) => errors.push(l) });
  return { code, lines, errors, stdout: lines.join('\n'), stderr: errors.join('\n') };
}

async function predictJson(inputs: string[], flags: Partial<PredictFlags> = {}, spec = LENET): Promise<PredictResult> {
  const r = await predict(inputs, { ...flags, format: 'json' }, spec);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as PredictResult;
}

function expectSameTop(got: PredictResult['predictions'][number], want: Float32Array, k: number) {
  const expected = topOf(want, k);
  expect(got.top.map((t) => t.class)).toEqual(expected.map((t) => t.class));
  got.top.forEach((t, i) => expect(t.probability).toBeCloseTo(expected[i]!.probability, 6));
}

/** A 28×28 gray image with a bright diagonal bar, different per `seed`. */
function digit(seed: number): Float32Array {
  return Float32Array.from({ length: PIXELS }, (_, i) => {
    const y = Math.floor(i / 28);
    const x = i % 28;
    return Math.abs(x - y - seed * 3) < 3 ? 255 : (seed * 37 + i * 11) % 60;
  });
}

const grayPng = (img: Float32Array, w = 28, h = 28) => pngBytes(w, h, Array.from(img).flatMap((v) => [v, v, v, 255]));

describe('nnspec predict', () => {
  it('classifies a PNG as a direct forward pass does', async () => {
    const img = digit(1);
    const file = join(TMP, 'digit.png');
    writeFileSync(file, grayPng(img));
    const result = await predictJson([file], { top: 3 });
    expect(result.predictions).toHaveLength(1);
    expect(result.predictions[0]).toMatchObject({ input: file, index: null });
    expectSameTop(result.predictions[0]!, direct([img])[0]!, 3);
  });

  it('classifies .npy arrays, one example or a batch, float or uint8', async () => {
    const imgs = [digit(0), digit(2), digit(-2)];
    const batch = join(TMP, 'batch.npy');
    writeFileSync(batch, npyBytes('<f4', [3, 1, 28, 28], imgs.flatMap((im) => Array.from(im))));
    const single = join(TMP, 'single.npy');
    writeFileSync(single, npyBytes('|u1', [1, 28, 28], Array.from(digit(4))));
    const result = await predictJson([batch, single], { top: 10 });
    expect(result.predictions.map((p) => [p.input, p.index])).toEqual([
      [batch, 0],
      [batch, 1],
      [batch, 2],
      [single, null],
    ]);
    const want = direct([...imgs, digit(4)]);
    result.predictions.forEach((p, i) => expectSameTop(p, want[i]!, 10));
    // All ten classes: the probabilities are a distribution.
    expect(result.predictions[0]!.top.reduce((s, t) => s + t.probability, 0)).toBeCloseTo(1, 5);
  });

  it('fits a larger colour image as torchvision does: shorter side resized, centre cropped', async () => {
    // 40 wide, 30 high: the shorter side becomes 28, the width trunc(28·40/30) = 37, and
    // CenterCrop takes columns from round(9/2) = 4 (Python rounds half to even).
    const w = 40;
    const h = 30;
    const rgba: number[] = [];
    const gray = new Float32Array(w * h);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const [r, g, b] = [(x * 7) % 256, (y * 9) % 256, ((x + y) * 5) % 256];
        rgba.push(r, g, b, 255);
        // ITU-R 601 luma, as PIL's convert('L') weighs it.
        gray[y * w + x] = (r * 299 + g * 587 + b * 114) / 1000;
      }
    }
    const file = join(TMP, 'wide.png');
    writeFileSync(file, pngBytes(w, h, rgba));
    const resized = resizeBilinear({ data: gray, c: 1, h, w }, 28, 37).data;
    const cropped = Float32Array.from({ length: PIXELS }, (_, i) => resized[Math.floor(i / 28) * 37 + (i % 28) + 4]!);
    const result = await predictJson([file], { top: 5 });
    expectSameTop(result.predictions[0]!, direct([cropped])[0]!, 5);
  });

  it('gives the probabilities the net computes when it already ends in Softmax', async () => {
    const spec = join(TMP, 'lenet-prob.nnspec');
    writeFileSync(spec, readFileSync(LENET, 'utf8').replace('\ntrain {', '\nSoftmax { name: prob }\n\ntrain {'));
    const file = join(TMP, 'digit3.png');
    writeFileSync(file, grayPng(digit(3)));
    const result = await predictJson([file], { top: 4 }, spec);
    expect(result.scores).toBe('ip2');
    expectSameTop(result.predictions[0]!, direct([digit(3)])[0]!, 4);
  });

  it('prints class names from --labels, and the top 5 by default', async () => {
    const labels = join(TMP, 'synset.txt');
    writeFileSync(labels, `${Array.from({ length: 10 }, (_, i) => `n0${i} digit ${i}`).join('\n')}\n`);
    const file = join(TMP, 'digit5.png');
    writeFileSync(file, grayPng(digit(5)));
    const r = await predict([file], { labels });
    expect(r.code).toBe(0);
    expect(r.lines[0]).toMatch(/^tfjs backend: /);
    expect(r.lines[1]).toBe(file);
    expect(r.lines.slice(2)).toHaveLength(5);
    const want = topOf(direct([digit(5)])[0]!, 5);
    r.lines.slice(2).forEach((line, i) => expect(line).toBe(`  ${(100 * want[i]!.probability).toFixed(2).padStart(6)}%  ${want[i]!.class}  n0${want[i]!.class} digit ${want[i]!.class}`));
  });

  it.skipIf(PROTOC_SKIP_REASON !== null)('reads a .caffemodel: the same predictions as the same weights in safetensors', async () => {
    // A Caffe deploy net ending in Softmax, its weights as Caffe writes them.
    const net = join(TMP, 'small.prototxt');
    writeFileSync(
      net,
      `name: "small"
layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 1 dim: 6 dim: 6 } } }
layer { name: "conv" type: "Convolution" bottom: "data" top: "conv" convolution_param { num_output: 2 kernel_size: 3 } }
layer { name: "relu" type: "ReLU" bottom: "conv" top: "conv" }
layer { name: "fc" type: "InnerProduct" bottom: "conv" top: "fc" inner_product_param { num_output: 4 } }
layer { name: "prob" type: "Softmax" bottom: "fc" top: "prob" }
`,
    );
    const caffemodel = join(TMP, 'small.caffemodel');
    const w = { convW: filled([2, 1, 3, 3], 11), convB: filled([2], 12), fcW: filled([4, 32], 13), fcB: filled([4], 14) };
    writeFileSync(caffemodel, encodeNet([layer('conv', 'Convolution', [blob([2, 1, 3, 3], w.convW), blob([2], w.convB)]), layer('fc', 'InnerProduct', [blob([4, 32], w.fcW), blob([4], w.fcB)])].join('\n')));
    const safetensors = join(TMP, 'small.safetensors');
    const f32 = (xs: number[]) => Float32Array.from(xs);
    writeFileSync(
      safetensors,
      writeSafetensors([
        { key: 'conv.weight', shape: [2, 1, 3, 3], data: f32(w.convW) },
        { key: 'conv.bias', shape: [2], data: f32(w.convB) },
        { key: 'fc.weight', shape: [4, 32], data: f32(w.fcW) },
        { key: 'fc.bias', shape: [4], data: f32(w.fcB) },
      ]),
    );
    const input = join(TMP, 'small.npy');
    writeFileSync(input, npyBytes('<f4', [2, 1, 6, 6], Array.from({ length: 72 }, (_, i) => (i * 37) % 256)));
    const a = await predictJson([input], { weights: caffemodel, top: 4 }, net);
    const b = await predictJson([input], { weights: safetensors, top: 4 }, net);
    expect(a.scores).toBe('fc');
    expect(a.predictions).toEqual(b.predictions);
    // By hand for the first example: conv 3×3 valid → ReLU → fc over the 2×4×4 features → softmax.
    const x = Array.from({ length: 36 }, (_, i) => (i * 37) % 256);
    const feat: number[] = [];
    for (let c = 0; c < 2; c++)
      for (let y = 0; y < 4; y++)
        for (let xx = 0; xx < 4; xx++) {
          let s = Math.fround(w.convB[c]!);
          for (let ky = 0; ky < 3; ky++) for (let kx = 0; kx < 3; kx++) s += Math.fround(w.convW[c * 9 + ky * 3 + kx]!) * x[(y + ky) * 6 + xx + kx]!;
          feat.push(Math.max(0, s));
        }
    const logits = [0, 1, 2, 3].map((o) => feat.reduce((s, v, i) => s + v * Math.fround(w.fcW[o * 32 + i]!), Math.fround(w.fcB[o]!)));
    const max = Math.max(...logits);
    const e = logits.map((l) => Math.exp(l - max));
    const sum = e.reduce((s, v) => s + v, 0);
    const want = Float32Array.from(e.map((v) => v / sum));
    expectSameTop(a.predictions[0]!, want, 4);
  });

  it('writes JSON with every field', async () => {
    const file = join(TMP, 'digit.png');
    const result = await predictJson([file], { top: 2 });
    expect(Object.keys(result).sort()).toEqual(['backend', 'classes', 'predictions', 'scores', 'spec', 'threads', 'weights']);
    expect(result).toMatchObject({ spec: LENET, weights: WEIGHTS, classes: 10, scores: 'ip2', threads: 2 });
    expect(Object.keys(result.predictions[0]!).sort()).toEqual(['index', 'input', 'top']);
    expect(Object.keys(result.predictions[0]!.top[0]!).sort()).toEqual(['class', 'label', 'probability']);
    expect(result.predictions[0]!.top[0]!.label).toBeNull();
  });

  it('fails with exit 2 and one line for inputs it cannot use', async () => {
    const wrongShape = join(TMP, 'wrong.npy');
    writeFileSync(wrongShape, npyBytes('<f4', [3, 28, 28], new Array(3 * PIXELS).fill(0)));
    const notImage = join(TMP, 'notes.txt');
    writeFileSync(notImage, 'hello');
    const badLabels = join(TMP, 'three.txt');
    writeFileSync(badLabels, 'a\nb\nc\n');
    const cases: [string[], Partial<PredictFlags>, RegExp][] = [
      [[wrongShape], {}, /holds an array of shape \(3, 28, 28\) but the net takes \[C,H,W\] = \(1, 28, 28\)/],
      [[notImage], {}, /is neither a PNG nor a JPEG/],
      [[join(TMP, 'absent.png')], {}, /absent\.png/],
      [[join(TMP, 'digit.png')], { labels: badLabels }, /--labels has 3 lines but the net scores 10 classes/],
      [[join(TMP, 'digit.png')], { top: 0 }, /--top expects a whole number/],
      [[], {}, /needs at least one INPUT/],
      [[join(TMP, 'digit.png')], { weights: join(TMP, 'absent.safetensors') }, /cannot read weights/],
    ];
    for (const [inputs, flags, message] of cases) {
      const r = await predict(inputs, flags);
      expect(r.code, String(message)).toBe(2);
      expect(r.errors, String(message)).toHaveLength(1);
      expect(r.stderr).toMatch(message);
      expect(r.stdout).toBe('');
    }
  });
});
