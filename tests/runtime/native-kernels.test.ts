// nnspec's native kernels (src/runtime/native: OpenBLAS products, im2col, LRN, pooling
// gradients, the fused SGD update) replace wasm kernels in place, so every one must give
// what tfjs's reference `cpu` backend gives, over geometries that reach each code path:
// pointwise convolutions, chunked im2col, the transposed-convolution route of the input
// gradient, col2im, dilations, asymmetric padding, broadcast batches, each fused activation.
// The SGD update must equal the tfjs ops it replaces bit for bit (resumed runs depend on it).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend, type SelectedBackend } from '../../src/runtime/backend.js';
import { kernelsBeforeNative, nativeAddonPath, SGD_STEP_KERNEL } from '../../src/runtime/native.js';
import type { Tensor, Tensor4D, Tf } from '../../src/runtime/tf.js';
import { Optimizer } from '../../src/train/optimizer.js';
import { ROOT } from '../helpers.js';
import { expectClose, runOn, values, type Pad } from './kit.js';

const BUILT = existsSync(nativeAddonPath());

/** What building the addon needs: a C compiler, Node's headers and OpenBLAS's. */
function prerequisites(): string[] {
  const missing: string[] = [];
  if (spawnSync('cc', ['--version']).status !== 0) missing.push('a C compiler (cc)');
  const nodeDir = process.env['npm_config_nodedir'] ?? dirname(dirname(process.execPath));
  if (!existsSync(join(nodeDir, 'include', 'node', 'node_api.h'))) missing.push("Node's headers");
  const cblas = ['/usr/include/x86_64-linux-gnu/cblas.h', '/usr/include/aarch64-linux-gnu/cblas.h', '/usr/include/cblas.h', '/usr/include/openblas/cblas.h'];
  if (!cblas.some((p) => existsSync(p))) missing.push('OpenBLAS headers (libopenblas-dev)');
  return missing;
}

describe('native kernels: build', () => {
  const missing = prerequisites();
  it.skipIf(missing.length > 0)(`are built by npm install whenever their prerequisites are present${missing.length ? ` (missing: ${missing.join(', ')})` : ''}`, () => {
    expect(BUILT, `${nativeAddonPath()} is missing: run npm run build:native and read its message`).toBe(true);
  });

  it('NNSPEC_NATIVE=0 turns them off and the backend line says so', () => {
    const script = `const { selectBackend, describeBackend } = await import(${JSON.stringify(join(ROOT, 'dist/runtime/backend.js'))});
      console.log(describeBackend(await selectBackend({ backend: 'wasm', threads: 1 })));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, NNSPEC_NATIVE: '0' } });
    expect(r.stdout.trim()).toBe('tfjs backend: wasm (1 thread, SIMD; no native kernels: NNSPEC_NATIVE=0)');
  });
});

let tf: Tf;
let selected: SelectedBackend;

/** Runs `f` on wasm (native kernels) and on cpu and compares every output. */
function agree(f: () => Tensor | Tensor[], rel = 1e-5): void {
  agreeWith(f, f, rel);
}

/** `f` on wasm (native kernels) against `reference` on cpu. */
function agreeWith(f: () => Tensor | Tensor[], reference: () => Tensor | Tensor[], rel = 1e-5): void {
  const got = runOn(tf, 'wasm', f);
  const want = runOn(tf, 'cpu', reference);
  expect(got.length).toBe(want.length);
  got.forEach((g, k) => expectClose(g, want[k]!, rel));
}

interface ConvCase {
  n: number;
  h: number;
  w: number;
  ci: number;
  co: number;
  k: [number, number];
  strides: [number, number];
  dilations: [number, number];
  pad: Pad;
}

const asym: Pad = [[0, 0], [1, 0], [2, 1], [0, 0]];
const convCases: ConvCase[] = [];
for (const [k, strides, dilations] of [
  [[1, 1], [1, 1], [1, 1]], // pointwise: one product, no im2col
  [[1, 1], [2, 2], [1, 1]],
  [[3, 3], [1, 1], [1, 1]],
  [[3, 3], [2, 2], [1, 1]],
  [[3, 2], [2, 1], [1, 1]],
  [[5, 5], [1, 1], [1, 1]],
  [[3, 3], [1, 1], [2, 2]],
  [[2, 3], [1, 1], [2, 1]],
] as [number, number][][] as [[number, number], [number, number], [number, number]][]) {
  for (const pad of ['valid', 'same', 1, asym] as Pad[]) {
    if (pad === 'same' && (strides[0] > 1 || strides[1] > 1) && (dilations[0] > 1 || dilations[1] > 1)) continue;
    // ci 3 takes col2im for the input gradient, ci 20 the transposed convolution.
    for (const ci of [3, 20]) convCases.push({ n: 2, h: 9, w: 8, ci, co: 7, k, strides, dilations, pad });
  }
}
// Big enough that im2col runs in several chunks (8 MiB of columns each).
convCases.push({ n: 2, h: 40, w: 40, ci: 32, co: 8, k: [5, 5], strides: [1, 1], dilations: [1, 1], pad: 'same' });
convCases.push({ n: 4, h: 41, w: 39, ci: 32, co: 8, k: [5, 5], strides: [2, 2], dilations: [1, 1], pad: 2 });

/** The filter a dilated convolution applies: `d − 1` zeros between taps. */
function dilateFilter(f: Tensor4D, [dh, dw]: [number, number]): Tensor4D {
  const [kh, kw, ci, co] = f.shape;
  return f
    .reshape([kh, 1, kw, 1, ci, co])
    .pad([[0, 0], [0, dh - 1], [0, 0], [0, dw - 1], [0, 0], [0, 0]])
    .reshape([kh * dh, kw * dw, ci, co])
    .slice([0, 0, 0, 0], [(kh - 1) * dh + 1, (kw - 1) * dw + 1, ci, co]) as Tensor4D;
}

const convLabel = (c: ConvCase) => `${c.n}×${c.h}×${c.w}×${c.ci} k${c.k.join('×')} co${c.co} s${c.strides.join(',')} d${c.dilations.join(',')} pad ${JSON.stringify(c.pad)}`;

function convInputs(c: ConvCase) {
  const x = tf.tensor4d(values(c.n * c.h * c.w * c.ci, 1), [c.n, c.h, c.w, c.ci]);
  const filter = tf.tensor4d(values(c.k[0] * c.k[1] * c.ci * c.co, 2), [c.k[0], c.k[1], c.ci, c.co]);
  return { x, filter };
}

describe.skipIf(!BUILT)(`native kernels equal tfjs-cpu${BUILT ? '' : ' (skipped: not built — npm run build:native needs a C compiler and libopenblas-dev)'}`, () => {
  beforeAll(async () => {
    selected = await selectBackend({ backend: 'wasm', threads: 2 });
    tf = selected.tf;
  });

  it('are registered, and the backend line names OpenBLAS, its kernels and threads', () => {
    expect(selected.native).toMatchObject({ summary: expect.stringMatching(/^native kernels: OpenBLAS [\d.]+ \w+, 2 threads$/) as unknown });
    for (const name of ['Conv2D', 'FusedConv2D', 'Conv2DBackpropFilter', 'Conv2DBackpropInput', 'BatchMatMul', '_FusedMatMul', 'MaxPoolGrad', 'LRN', 'LRNGrad', 'Sum', 'Mean', 'Add', 'Relu']) {
      expect(kernelsBeforeNative.has(name), name).toBe(true);
      expect((tf.getKernel(name, 'wasm') as { native?: boolean }).native, name).toBe(true);
    }
    expect(tf.getKernel(SGD_STEP_KERNEL, 'wasm')).toBeDefined();
  });

  it.each(convCases.map((c) => [convLabel(c), c] as const))('Conv2D and both gradients: %s', (_, c) => {
    const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', dilations: c.dilations };
    const kernels = () => {
      const { x, filter } = convInputs(c);
      const y = tf.conv2d(x, filter, c.strides, c.pad, 'NHWC', c.dilations);
      const dy = tf.tensor4d(values(y.size, 3), y.shape);
      const dw = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...attrs, filterShape: filter.shape } as never) as Tensor;
      const dx = tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, { ...attrs, inputShape: x.shape } as never) as Tensor;
      return [y, dw, dx];
    };
    if (c.dilations[0] === 1 && c.dilations[1] === 1) return agree(kernels);
    // tfjs-cpu's gradient kernels ignore dilations (tfjs's conv2d gradient refuses them), so
    // the reference is cpu autodiff through the undilated convolution with a zero-dilated filter.
    agreeWith(kernels, () => {
      const { x, filter } = convInputs(c);
      const y = tf.conv2d(x, filter, c.strides, c.pad, 'NHWC', c.dilations);
      const dy = tf.tensor4d(values(y.size, 3), y.shape);
      const [dx, dw] = tf.grads((a: Tensor, f: Tensor) => tf.conv2d(a as Tensor4D, dilateFilter(f as Tensor4D, c.dilations), c.strides, c.pad).mul(dy).sum())([x, filter]);
      return [y, dw!, dx!];
    });
  });

  const activations = ['linear', 'relu', 'relu6', 'leakyrelu', 'sigmoid', 'elu', 'prelu'] as const;
  it.each(activations)('FusedConv2D with bias and %s (prelu falls back to wasm)', (activation) => {
    agree(() => {
      const c = convCases[3]!;
      const { x, filter } = convInputs(c);
      const bias = tf.tensor1d(values(c.co, 4));
      const preluActivationWeights = activation === 'prelu' ? tf.tensor1d(values(c.co, 5)) : undefined;
      const y = tf.fused.conv2d({ x: x.mul(3) as Tensor4D, filter, strides: c.strides, pad: c.pad, bias, activation, leakyreluAlpha: 0.3, ...(preluActivationWeights ? { preluActivationWeights } : {}) });
      const noBias = tf.fused.conv2d({ x: x.mul(3) as Tensor4D, filter, strides: c.strides, pad: c.pad, activation: activation === 'prelu' ? 'relu' : activation, leakyreluAlpha: 0.3 });
      return [y, noBias];
    });
  });

  const products: [number[], number[], boolean, boolean][] = [];
  for (const [tA, tB] of [[false, false], [true, false], [false, true], [true, true]] as [boolean, boolean][]) {
    const a = (b: number[], m: number, k: number) => [...b, ...(tA ? [k, m] : [m, k])];
    const b = (bb: number[], k: number, n: number) => [...bb, ...(tB ? [n, k] : [k, n])];
    products.push([a([], 5, 7), b([], 7, 3), tA, tB]);
    products.push([a([3], 4, 6), b([3], 6, 5), tA, tB]);
    products.push([a([1], 4, 6), b([3], 6, 5), tA, tB]); // broadcast a
    products.push([a([2, 3], 4, 6), b([1], 6, 5), tA, tB]); // broadcast b
    products.push([a([], 6, 40), b([], 40, 130), tA, tB]); // few rows, many columns: split by columns
    products.push([a([1], 3, 20), b([2], 20, 100), tA, tB]);
    products.push([a([], 200, 30), b([], 30, 9), tA, tB]); // split by rows
  }
  it.each(products)('BatchMatMul and _FusedMatMul (bias, relu): a %o × b %o, transposeA %o transposeB %o', (aShape, bShape, transposeA, transposeB) => {
    agree(() => {
      const a = tf.tensor(values(aShape.reduce((p, d) => p * d, 1), 6), aShape);
      const b = tf.tensor(values(bShape.reduce((p, d) => p * d, 1), 7), bShape);
      const n = bShape[bShape.length - (transposeB ? 2 : 1)]!;
      const plain = tf.matMul(a, b, transposeA, transposeB);
      const fused = tf.fused.matMul({ a, b, transposeA, transposeB, bias: tf.tensor1d(values(n, 8)), activation: 'relu' });
      return [plain, fused];
    });
  });

  it('matMul of a dense layer in the IR layout (x·Wᵀ) and its gradients', () => {
    agree(() => {
      const x = tf.tensor2d(values(8 * 300, 9), [8, 300]);
      const w = tf.tensor2d(values(50 * 300, 10), [50, 300]);
      const g = tf.grads((a: Tensor, b: Tensor) => tf.matMul(a, b, false, true).square().sum());
      return [tf.matMul(x, w, false, true), ...g([x, w])];
    });
  });

  it('Add of a bias along the last axis (either operand, rank 1 or padded with 1s), Relu and its gradient', () => {
    agree(() => {
      const x = tf.tensor4d(values(2 * 5 * 3 * 6, 20), [2, 5, 3, 6]);
      const bias = tf.tensor1d(values(6, 21));
      const f = (t: Tensor) => tf.relu(tf.add(t, bias)).mul(tf.tensor4d(values(2 * 5 * 3 * 6, 22), [2, 5, 3, 6])).sum();
      return [tf.add(x, bias), tf.add(bias, x), tf.add(x, bias.reshape([1, 1, 6])), tf.add(x.reshape([30, 6]), bias), tf.relu(x), tf.grad(f)(x)];
    }, 0);
    // Adds that are no bias go to wasm's own kernel, and still add.
    agree(() => [tf.add(tf.tensor2d(values(12, 23), [3, 4]), tf.tensor2d(values(3, 24), [3, 1])), tf.add(tf.tensor1d(values(5, 25)), tf.tensor1d(values(5, 26)))], 0);
  });

  it('ReLU passes NaN through, forward and backward, as tfjs-cpu does', () => {
    const f = () => {
      const x = tf.tensor1d([NaN, -1, 0, 2]);
      return [tf.relu(x), tf.grad((t: Tensor) => tf.relu(t).sum())(x)];
    };
    const [y, dx] = runOn(tf, 'wasm', f);
    expect(Array.from(y!)).toEqual([NaN, 0, 0, 2]);
    expect(Array.from(dx!)).toEqual([NaN, 0, 0, 1]);
    expect(runOn(tf, 'cpu', f).map((t) => Array.from(t))).toEqual([Array.from(y!), Array.from(dx!)]);
  });

  const lrns: [number, number, number, number][] = [];
  for (const depthRadius of [0, 1, 2, 3]) for (const beta of [0.75, 0.5, 0.6]) lrns.push([depthRadius, 1 + depthRadius / 2, 0.01 * (depthRadius + 1), beta]);
  it.each(lrns)('LRN and LRNGrad: radius %o bias %o alpha %o beta %o', (depthRadius, bias, alpha, beta) => {
    agree(() => {
      const x = tf.tensor4d(values(2 * 5 * 4 * 11, 11), [2, 5, 4, 11]).mul(4);
      const [y, dx] = (() => {
        const f = (t: Tensor) => tf.localResponseNormalization(t as Tensor4D, depthRadius, bias, alpha, beta).mul(tf.tensor4d(values(2 * 5 * 4 * 11, 12), [2, 5, 4, 11])).sum();
        return [tf.localResponseNormalization(x as Tensor4D, depthRadius, bias, alpha, beta), tf.grad(f)(x)];
      })();
      return [y!, dx!];
    }, 1e-6);
  });

  it.each([
    [[4, 5, 6], [0]],
    [[4, 5, 6], [1]],
    [[4, 5, 6], [2]],
    [[4, 5, 6], [0, 2]],
    [[3, 1, 7, 2], [0, 1, 2]],
    [[64, 9, 9, 16], [0, 1, 2]],
  ] as [number[], number[]][])('Sum and Mean of %o over axes %o (float64 accumulation, as cpu)', (shape, axes) => {
    agree(() => {
      const x = tf.tensor(values(shape.reduce((p, d) => p * d, 1), 13), shape).add(100);
      return [tf.sum(x, axes), tf.mean(x, axes, true)];
    }, 1e-7);
  });

  it('MaxPoolGrad over overlapping windows, with ties and padding', () => {
    agree(() => {
      const raw = values(2 * 11 * 10 * 24, 14).map((v) => Math.round(v * 4) / 4); // many ties
      const x = tf.tensor4d(raw, [2, 11, 10, 24]);
      const f = (t: Tensor) => tf.maxPool(t as Tensor4D, 3, 2, 'same').mul(tf.tensor4d(values(2 * 6 * 5 * 24, 15), [2, 6, 5, 24])).sum();
      return [tf.grad(f)(x), tf.grad((t: Tensor) => tf.maxPool(t as Tensor4D, [3, 2], 1, 'valid').sum())(x)];
    });
  });

  for (const type of ['sgd', 'nesterov'] as const) {
    for (const convention of ['caffe', 'pytorch'] as const) {
      it(`${type} (${convention} convention, L2) updates bit-identically to the tfjs ops it replaces`, () => {
        const run = (fused: boolean) => {
          process.env['NNSPEC_FUSED_SGD'] = fused ? '1' : '0';
          const w = tf.variable(tf.tensor1d(values(1000, 16)));
          const solver = { type, base_lr: 0.1, momentum: 0.9, momentum_convention: convention, beta2: 0.999, eps: 1e-8, rms_decay: 0.99 };
          const param = { node: 'fc', name: 'weight', variable: w, trainable: true, lr_mult: 2, decay_mult: 1 };
          const opt = new Optimizer(tf, solver as never, { l2: 5e-4, l1: 0 }, [param]);
          for (let i = 0; i < 4; i++) {
            const g = { [w.name]: tf.tensor1d(values(1000, 17 + i)) };
            opt.step(g, 0.1 / (i + 1));
            tf.dispose(Object.values(g));
          }
          const out = [w.dataSync().slice(), opt.exportState().slots[0]!.a.slice()];
          w.dispose();
          opt.dispose();
          return out;
        };
        try {
          const fused = run(true);
          const ops = run(false);
          expect(Array.from(fused[0]!)).toEqual(Array.from(ops[0]!));
          expect(Array.from(fused[1]!)).toEqual(Array.from(ops[1]!));
        } finally {
          delete process.env['NNSPEC_FUSED_SGD'];
        }
      });
    }
  }
});
