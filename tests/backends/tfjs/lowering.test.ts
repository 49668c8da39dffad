/**
 * The lowering's contract without torch: refusals are diagnostics naming the layer, parameters
 * are drawn from the IR's fillers exactly and deterministically, IrWeights load and come back,
 * shared blobs are one variable, dropout and BatchNorm behave per mode, and a training-mode
 * forward pass is differentiable.
 */
import * as tf from '@tensorflow/tfjs-core';
// nnspec's wasm gradient kernels chain tensor methods (the @tensorflow/tfjs bundle registers them).
import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lowerToTfjs, type LoweredModel } from '../../../src/backends/tfjs/index.js';
import { fill } from '../../../src/backends/tfjs/fillers.js';
import type { Filler } from '../../../src/ir/filler.js';
import type { AttrsOf } from '../../../src/ir/ops/index.js';
import { graphInput, layer } from './graph-kit.js';
import type { Tf as RuntimeTf } from '../../../src/runtime/tf.js';
import { registerWasmGradientKernels } from '../../../src/runtime/wasm-gradient-kernels.js';
import { TF, useBackend } from './harness.js';

beforeAll(() => useBackend('cpu'));

const values = (f: Filler, shape: number[], seed = 1, weightShape?: number[]) => Array.from(fill(TF, f, shape, seed, weightShape).dataSync());
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const std = (xs: number[]) => Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)));

const CONV: AttrsOf<'conv'> = { num_output: 4, kernel: [3, 3], stride: [1, 1], dilation: [1, 1], pad_begin: [1, 1], pad_end: [1, 1], groups: 1, bias: true, axis: 1 };

describe('refusals', () => {
  it('an opaque layer is a lower/unsupported error naming it, and nothing is lowered', () => {
    const input = graphInput({ x: [1, 2, 4, 4] }, [
      layer({ op: 'conv', name: 'conv1', inputs: ['x'], attrs: CONV }),
      layer({ op: 'opaque', name: 'proposal', inputs: ['conv1'], attrs: { framework: 'caffe', type: 'Python', params: {} } }),
    ]);
    expect(lowerToTfjs(TF, input)).toBeNull();
    const errors = input.diagnostics.items.filter((d) => d.severity === 'error');
    expect(errors.map((d) => d.code)).toEqual(['lower/unsupported']);
    expect(errors[0]!.message).toContain("'proposal'");
    expect(errors[0]!.message).toContain("'Python'");
  });

  it('every unsupported layer is reported, not only the first', () => {
    const input = graphInput({ x: [1, 2, 4, 4], cont: [1, 2] }, [
      layer({ op: 'pool', name: 'sp', inputs: ['x'], attrs: { mode: 'stochastic', kernel: [2, 2], stride: [2, 2], pad_begin: [0, 0], pad_end: [0, 0], rounding: 'floor', count_include_pad: true } }),
      layer({ op: 'recurrent', name: 'lstm', inputs: ['x', 'cont'], attrs: { cell: 'lstm', num_output: 4, expose_hidden: false } }),
    ]);
    expect(lowerToTfjs(TF, input)).toBeNull();
    expect(input.diagnostics.items.map((d) => d.message)).toEqual([expect.stringMatching(/'sp'.*stochastic pooling/), expect.stringMatching(/'lstm'.*recurrent layers \(LSTM\)/)]);
  });
});

describe('initialisation from the IR fillers', () => {
  it('is deterministic for a seed and differs between seeds and between blobs', () => {
    const build = (seed: number) => {
      const input = graphInput({ x: [1, 2, 4, 4] }, [layer({ op: 'conv', name: 'a', inputs: ['x'], attrs: CONV }), layer({ op: 'conv', name: 'b', inputs: ['a'], attrs: { ...CONV, num_output: 2 } })]);
      return lowerToTfjs(TF, input, { seed })!;
    };
    const w = (m: LoweredModel, node: string) => Array.from(m.params.get(node, 'weight')!.variable.dataSync()).slice(0, 8);
    const [m1, m2, m3] = [build(5), build(5), build(6)];
    expect(w(m1, 'a')).toEqual(w(m2, 'a'));
    expect(w(m1, 'a')).not.toEqual(w(m3, 'a'));
    expect(w(m1, 'a')).not.toEqual(w(m1, 'b'));
  });

  it("Caffe msra (variance_scaling normal, fan_in, 2) is an untruncated normal of std sqrt(2 / fan_in)", () => {
    // [64, 8, 3, 3]: fan_in 72.
    const xs = values({ type: 'variance_scaling', distribution: 'normal', mode: 'fan_in', scale: 2, fan_of: 'self' }, [64, 8, 3, 3]);
    const sigma = Math.sqrt(2 / 72);
    expect(std(xs)).toBeCloseTo(sigma, 2);
    // A normal puts 4.6% beyond 2σ; heNormal's truncation would put none there.
    expect(xs.filter((x) => Math.abs(x) > 2 * sigma).length / xs.length).toBeGreaterThan(0.03);
  });

  it('truncated_normal stays within two (corrected) deviations; uniform within sqrt(3·scale/n)', () => {
    const shape = [32, 16, 3, 3];
    const n = 16 * 9;
    const t = values({ type: 'variance_scaling', distribution: 'truncated_normal', mode: 'fan_in', scale: 1, fan_of: 'self' }, shape);
    const limit = (2 * Math.sqrt(1 / n)) / 0.8796256610342398;
    expect(Math.max(...t.map(Math.abs))).toBeLessThanOrEqual(limit * (1 + 1e-6));
    expect(std(t)).toBeCloseTo(Math.sqrt(1 / n), 2);
    // Xavier (fan_avg): n = (fan_in + fan_out) / 2 = (144 + 288) / 2.
    const u = values({ type: 'variance_scaling', distribution: 'uniform', mode: 'fan_avg', scale: 1, fan_of: 'self' }, shape);
    const bound = Math.sqrt(3 / ((144 + 32 * 9) / 2));
    expect(Math.max(...u.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...u.map(Math.abs))).toBeGreaterThan(bound * 0.95);
  });

  it("a bias with fan_of 'weight' uses the weight's fan (PyTorch's default bias)", () => {
    const b = values({ type: 'variance_scaling', distribution: 'uniform', mode: 'fan_in', scale: 1 / 3, fan_of: 'weight' }, [4000], 1, [4000, 25]);
    expect(Math.max(...b.map(Math.abs))).toBeLessThanOrEqual(1 / 5);
    expect(Math.max(...b.map(Math.abs))).toBeGreaterThan(0.19);
  });

  it("bilinear is Caffe's kernel: for k = 4 each line is 0.25, 0.75, 0.75, 0.25", () => {
    const line = [0.25, 0.75, 0.75, 0.25];
    const expected = line.flatMap((y) => line.map((x) => x * y));
    expect(values({ type: 'bilinear' }, [1, 1, 4, 4])).toEqual(expected);
  });

  it('positive_unitball rows are positive and sum to 1; orthogonal rows are orthonormal times the gain; constant is constant', () => {
    const p = values({ type: 'positive_unitball' }, [3, 2, 2, 2]);
    for (let r = 0; r < 3; r++) expect(p.slice(r * 8, r * 8 + 8).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect(Math.min(...p)).toBeGreaterThanOrEqual(0);
    const q = tf.tensor(values({ type: 'orthogonal', gain: 2 }, [4, 3, 3]), [4, 9]);
    const gram = Array.from(tf.matMul(q, q, false, true).dataSync());
    gram.forEach((g, i) => expect(g).toBeCloseTo(i % 5 === 0 ? 4 : 0, 4));
    expect(new Set(values({ type: 'constant', value: 0.2 }, [5]))).toEqual(new Set([Math.fround(0.2)]));
  });
});

describe('weights', () => {
  it('IrWeights load into the store and come back; a shape mismatch is an error naming the blob', () => {
    const input = graphInput({ x: [1, 2, 4, 4] }, [layer({ op: 'conv', name: 'c', inputs: ['x'], attrs: CONV })]);
    const data = Float32Array.from({ length: 4 * 2 * 9 }, (_, i) => i / 10);
    const m = lowerToTfjs(TF, input, { weights: new Map([['c', new Map([['weight', { shape: [4, 2, 3, 3], data }], ['bias', { shape: [3], data: new Float32Array(3) }]])]]) })!;
    const back = m.params.toIrWeights().get('c')!.get('weight')!;
    expect(back.shape).toEqual([4, 2, 3, 3]);
    expect(Array.from(back.data)).toEqual(Array.from(data));
    const errors = input.diagnostics.items.filter((d) => d.severity === 'error');
    expect(errors.map((d) => d.code)).toEqual(['lower/weights-shape']);
    expect(errors[0]!.message).toContain("'c' bias");
  });
});

describe('shared blobs', () => {
  it('layers sharing a Caffe param name read one variable', () => {
    const input = graphInput({ x: [1, 4] }, [
      layer({ op: 'linear', name: 'a', inputs: ['x'], attrs: { num_output: 4, axis: 1, bias: false, transpose: false, weight_drop_prob: 0 } }),
      layer({ op: 'linear', name: 'b', inputs: ['a'], attrs: { num_output: 4, axis: 1, bias: false, transpose: false, weight_drop_prob: 0 } }),
    ]);
    for (const node of input.model.graph.nodes) for (const p of node.params) p.share = { name: 'tied', mode: 'strict' };
    const m = lowerToTfjs(TF, input)!;
    expect(m.params.get('b', 'weight')!.variable).toBe(m.params.get('a', 'weight')!.variable);
    expect(m.params.trainableVariables()).toHaveLength(1);
    // y = W(Wx) with the one W.
    const x = tf.tensor([[1, 2, 3, 4]]);
    const w = m.params.get('a', 'weight')!.variable;
    const expected = Array.from(tf.matMul(tf.matMul(x, w, false, true), w, false, true).dataSync());
    Array.from(m.forward({ x }, 'inference').b!.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 5));
  });
});

describe('modes', () => {
  const dropoutModel = (scale_train: boolean) =>
    lowerToTfjs(TF, graphInput({ x: [4, 1000] }, [layer({ op: 'dropout', name: 'd', inputs: ['x'], attrs: { drop_prob: 0.3, scale_train } })]), { seed: 9 })!;

  it('inverted dropout drops drop_prob of the values and scales the rest by 1 / (1 − p) in training only', () => {
    const m = dropoutModel(true);
    const x = tf.ones([4, 1000]);
    const y = Array.from(m.forward({ x }, 'train').d!.dataSync());
    const dropped = y.filter((v) => v === 0).length / y.length;
    expect(dropped).toBeGreaterThan(0.27);
    expect(dropped).toBeLessThan(0.33);
    for (const v of y) if (v !== 0) expect(v).toBeCloseTo(1 / 0.7, 5);
    expect(Array.from(m.forward({ x }, 'inference').d!.dataSync()).every((v) => v === 1)).toBe(true);
    // Each training pass draws a new mask.
    expect(Array.from(m.forward({ x }, 'train').d!.dataSync())).not.toEqual(y);
  });

  it('dropout with scale_train false scales by 1 − p in inference instead', () => {
    const m = dropoutModel(false);
    const y = Array.from(m.forward({ x: tf.ones([4, 1000]) }, 'inference').d!.dataSync());
    y.forEach((v) => expect(v).toBeCloseTo(0.7, 6));
  });

  it("Caffe's BatchNorm running update: sums decay by 1 − momentum, the factor counts the updates", () => {
    const bn: AttrsOf<'batchnorm'> = { eps: 1e-5, momentum: 0.25, statistics: 'auto', running_update: 'caffe', affine: false };
    const input = graphInput({ x: [3, 2] }, [layer({ op: 'batchnorm', name: 'bn', inputs: ['x'], attrs: bn, init: [{ type: 'constant', value: 0.5 }, { type: 'constant', value: 2 }, { type: 'constant', value: 4 }] })]);
    const m = lowerToTfjs(TF, input)!;
    const rows = [[1, 10], [2, 20], [6, 0]];
    m.forward({ x: tf.tensor(rows) }, 'train');
    // batch_norm_layer.cpp: factor 4 → 4·0.75 + 1 = 4; sums (0.5·4, 2·4) → sum·0.75 + batch; averages = sums / factor.
    const col = (j: number) => rows.map((r) => r[j]!);
    const batchMean = [0, 1].map((j) => mean(col(j)));
    const unbiasedVar = [0, 1].map((j) => (std(col(j)) ** 2 * 3) / 2);
    const factor = 4 * 0.75 + 1;
    const rm = Array.from(m.params.get('bn', 'running_mean')!.variable.dataSync());
    const rv = Array.from(m.params.get('bn', 'running_var')!.variable.dataSync());
    [0, 1].forEach((j) => {
      expect(rm[j]).toBeCloseTo((0.5 * 4 * 0.75 + batchMean[j]!) / factor, 5);
      expect(rv[j]).toBeCloseTo((2 * 4 * 0.75 + unbiasedVar[j]!) / factor, 4);
    });
    expect(m.params.get('bn', 'scale_factor')!.variable.dataSync()[0]).toBeCloseTo(factor, 6);
    // Inference reads the stored averages.
    const y = Array.from(m.forward({ x: tf.tensor([[1, 1]]) }, 'inference').bn!.dataSync());
    [0, 1].forEach((j) => expect(y[j]).toBeCloseTo((1 - rm[j]!) / Math.sqrt(rv[j]! + 1e-5), 4));
  });

  it('a training-mode forward pass to the loss is differentiable in every trainable parameter', () => {
    const input = graphInput({ x: [2, 3, 6, 6], labels: [2] }, [
      layer({ op: 'conv', name: 'conv', inputs: ['x'], attrs: { ...CONV, groups: 1 } }),
      layer({ op: 'batchnorm', name: 'bn', inputs: ['conv'], attrs: { eps: 1e-5, momentum: 0.1, statistics: 'auto', running_update: 'ema', affine: true } }),
      layer({ op: 'relu', name: 'relu', inputs: ['bn'], attrs: { negative_slope: 0 } }),
      layer({ op: 'pool', name: 'pool', inputs: ['relu'], attrs: { mode: 'max', kernel: [3, 3], stride: [2, 2], pad_begin: [0, 0], pad_end: [0, 0], rounding: 'caffe', count_include_pad: true } }),
      layer({ op: 'linear', name: 'fc', inputs: ['pool'], attrs: { num_output: 5, axis: 1, bias: true, transpose: false, weight_drop_prob: 0 } }),
      layer({ op: 'loss', name: 'loss', inputs: ['fc', 'labels'], attrs: { kind: 'softmax_cross_entropy', axis: 1, ignore_label: null, normalization: 'valid', margin: 1, legacy_version: false, norm: 'l1', source: null } }),
    ]);
    const m = lowerToTfjs(TF, input)!;
    expect(m.losses).toEqual([{ blob: 'loss', weight: 1 }]);
    expect(m.outputs).toEqual(['fc']);
    const x = tf.randomNormal([2, 3, 6, 6], 0, 1, 'float32', 1);
    const labels = tf.tensor([1, 4]);
    const { value, grads } = tf.variableGrads(() => m.forward({ x, labels }, 'train', { outputs: ['loss'] }).loss! as tf.Scalar, m.params.trainableVariables());
    // The loss is the mean over the two examples of log Σ exp(logits) − logit[label].
    const logits = m.forward({ x, labels }, 'train', { outputs: ['fc'] }).fc!.arraySync() as number[][];
    const expected = mean(logits.map((row, i) => Math.log(row.reduce((a, v) => a + Math.exp(v), 0)) - row[[1, 4][i]!]!));
    expect(value.dataSync()[0]).toBeCloseTo(expected, 4);
    expect(Object.keys(grads)).toHaveLength(6);
    for (const g of Object.values(grads)) {
      const v = Array.from(g.dataSync());
      expect(v.every(Number.isFinite)).toBe(true);
      expect(v.some((e) => e !== 0)).toBe(true);
    }
  });
});

/** Largest |a − b| / (1 + |b|). */
const maxRel = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!) / (1 + Math.abs(b[i]!))), 0);

/**
 * Caffe's LRN across channels (lrn_layer.cpp, CrossChannelForward/Backward) in float64 on an
 * NCHW array: scale = k + α/n·Σ x² over the n channels centred on c, y = x·scale^−β,
 * dx = dy·scale^−β − 2αβ/n · x · Σ_{j: c in j's window} dy_j·y_j / scale_j.
 */
function caffeLrn(x: Float32Array, dy: Float32Array, [n, c, h, w]: [number, number, number, number], a: AttrsOf<'lrn'>): { y: Float64Array; dx: Float64Array } {
  const r = (a.size - 1) / 2;
  const at = (b: number, ch: number, p: number) => (b * c + ch) * h * w + p;
  const scale = new Float64Array(x.length);
  const y = new Float64Array(x.length);
  const dx = new Float64Array(x.length);
  for (let b = 0; b < n; b++) for (let p = 0; p < h * w; p++) {
    for (let ch = 0; ch < c; ch++) {
      let s = 0;
      for (let j = Math.max(0, ch - r); j <= Math.min(c - 1, ch + r); j++) s += x[at(b, j, p)]! ** 2;
      scale[at(b, ch, p)] = a.k + (a.alpha / a.size) * s;
      y[at(b, ch, p)] = x[at(b, ch, p)]! * scale[at(b, ch, p)]! ** -a.beta;
    }
    for (let ch = 0; ch < c; ch++) {
      let s = 0;
      for (let j = Math.max(0, ch - r); j <= Math.min(c - 1, ch + r); j++) s += (dy[at(b, j, p)]! * y[at(b, j, p)]!) / scale[at(b, j, p)]!;
      const i = at(b, ch, p);
      dx[i] = dy[i]! * scale[i]! ** -a.beta - ((2 * a.alpha * a.beta) / a.size) * x[i]! * s;
    }
  }
  return { y, dx };
}

/** The same convolution as a zero pad of the input and a VALID convolution (groups by split). */
function padThenConv(x: tf.Tensor4D, weight: tf.Tensor4D, a: AttrsOf<'conv'>): tf.Tensor4D {
  const xp = tf.pad(tf.transpose(x, [0, 2, 3, 1]), [[0, 0], [a.pad_begin[0]!, a.pad_end[0]!], [a.pad_begin[1]!, a.pad_end[1]!], [0, 0]]) as tf.Tensor4D;
  const stride = a.stride as [number, number];
  const conv = (xi: tf.Tensor, wi: tf.Tensor) => tf.conv2d(xi as tf.Tensor4D, tf.transpose(wi, [2, 3, 1, 0]) as tf.Tensor4D, stride, 'valid');
  const ws = tf.split(weight, a.groups, 0);
  const y = a.groups === 1 ? conv(xp, weight) : tf.concat(tf.split(xp, a.groups, 3).map((xi, i) => conv(xi, ws[i]!)), 3);
  return tf.transpose(y, [0, 3, 1, 2]);
}

describe.each(['cpu', 'wasm'] as const)('gradients of the cheaper lowerings on the %s backend', (b) => {
  beforeAll(async () => {
    await useBackend(b);
    // What nnspec's backend selection registers for training on wasm.
    if (b === 'wasm') registerWasmGradientKernels(TF as unknown as RuntimeTf);
  });
  afterAll(() => useBackend('cpu'));

  it.each([
    ['size 5', { size: 5, alpha: 0.3, beta: 0.75, k: 2, region: 'across_channels' }],
    ['size 3, large alpha', { size: 3, alpha: 4, beta: 1.3, k: 0.5, region: 'across_channels' }],
    ['size 9 over 7 channels', { size: 9, alpha: 1.5, beta: 0.75, k: 1, region: 'across_channels' }],
  ] as [string, AttrsOf<'lrn'>][])("LRN across channels, %s: output and input gradient = Caffe's forward and backward", (_, attrs) => {
    const shape: [number, number, number, number] = [2, 7, 3, 4];
    const m = lowerToTfjs(TF, graphInput({ x: shape }, [layer({ op: 'lrn', name: 'n', inputs: ['x'], attrs })]))!;
    const x = tf.randomNormal(shape, 0, 2, 'float32', 11);
    const dy = tf.randomNormal(shape, 0, 1, 'float32', 12);
    const y = m.forward({ x }, 'train').n!;
    const dx = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(m.forward({ x: t }, 'train').n!, dy)))(x);
    const ref = caffeLrn(x.dataSync() as Float32Array, dy.dataSync() as Float32Array, shape, attrs);
    expect(y.shape).toEqual(shape);
    expect(maxRel(y.dataSync(), ref.y)).toBeLessThan(1e-5);
    expect(maxRel(dx.dataSync(), ref.dx)).toBeLessThan(1e-5);
    m.dispose();
  });

  it.each([
    ['plain, padding wider than the kernel, strided', { ...CONV, num_output: 3, kernel: [2, 3], stride: [3, 2], pad_begin: [3, 0], pad_end: [1, 4] }],
    ['grouped (2), asymmetric padding', { ...CONV, num_output: 4, stride: [2, 1], pad_begin: [0, 2], pad_end: [2, 1], groups: 2 }],
    ['depthwise, asymmetric padding, strided', { ...CONV, num_output: 4, kernel: [3, 2], stride: [2, 2], pad_begin: [2, 0], pad_end: [0, 1], groups: 4 }],
  ] as [string, AttrsOf<'conv'>][])('conv, %s: gradients = those of a zero pad and a VALID convolution', (_, attrs) => {
    const shape: [number, number, number, number] = [2, 4, 7, 6];
    const m = lowerToTfjs(TF, graphInput({ x: shape }, [layer({ op: 'conv', name: 'c', inputs: ['x'], attrs: { ...attrs, bias: false } })]), { seed: 4 })!;
    const weight = m.params.get('c', 'weight')!.variable as unknown as tf.Tensor4D;
    const x = tf.randomNormal(shape, 0, 1, 'float32', 13) as tf.Tensor4D;
    const expected = padThenConv(x, weight, attrs);
    const dy = tf.randomNormal(expected.shape, 0, 1, 'float32', 14);
    const [gx, gw] = tf.grads((t: tf.Tensor, _w: tf.Tensor) => tf.sum(tf.mul(m.forward({ x: t }, 'train').c!, dy)))([x, weight]);
    const [rx, rw] = tf.grads((t: tf.Tensor, w: tf.Tensor) => tf.sum(tf.mul(padThenConv(t as tf.Tensor4D, w as tf.Tensor4D, attrs), dy)))([x, weight]);
    expect(m.forward({ x }, 'train').c!.shape).toEqual(expected.shape);
    expect(maxRel(m.forward({ x }, 'train').c!.dataSync(), expected.dataSync())).toBeLessThan(1e-5);
    expect(maxRel(gx!.dataSync(), rx!.dataSync())).toBeLessThan(1e-5);
    expect(maxRel(gw!.dataSync(), rw!.dataSync())).toBeLessThan(1e-5);
    m.dispose();
  });
});
