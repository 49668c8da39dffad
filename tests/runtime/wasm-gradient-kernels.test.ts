// The gradient kernels nnspec registers for tfjs-backend-wasm must give what tfjs's
// reference `cpu` backend gives, over a grid of small shapes, strides and pads; and the
// gradients of a small CNN loss must agree between wasm and cpu.
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/runtime/backend.js';
import { WASM_GRADIENT_KERNELS } from '../../src/runtime/wasm-gradient-kernels.js';
import { conv2dBackpropFilter, conv2dBackpropInput, depthwiseBackpropFilter, depthwiseBackpropInput } from '../../src/runtime/conv-backprop.js';
import type { Tensor, Tensor4D, Tf } from '../../src/runtime/tf.js';
import { expectClose, runOn, values, type Pad } from './kit.js';

let tf: Tf;
beforeAll(async () => {
  tf = (await selectBackend({ backend: 'wasm', threads: 1 })).tf;
});

const on = (backend: 'cpu' | 'wasm', f: () => Tensor | Tensor[]) => runOn(tf, backend, f);

interface Case {
  n: number;
  h: number;
  w: number;
  ci: number;
  k: [number, number];
  co: number;
  strides: [number, number];
  pad: Pad;
}

const explicitPad: Pad = [[0, 0], [1, 0], [2, 1], [0, 0]];
const cases: Case[] = [];
for (const k of [[1, 1], [3, 3], [3, 2], [5, 5]] as [number, number][]) {
  for (const strides of [[1, 1], [2, 2], [2, 1]] as [number, number][]) {
    for (const pad of ['valid', 'same', 1, explicitPad] as Pad[]) {
      cases.push({ n: 2, h: 9, w: 7, ci: 3, k, co: 4, strides, pad });
    }
  }
}

function outShape(c: Case, dil = 1): [number, number, number, number] {
  const info = tf.backend_util.computeConv2DInfo([c.n, c.h, c.w, c.ci], [c.k[0], c.k[1], c.ci, c.co], c.strides, dil, c.pad);
  return [c.n, info.outHeight, info.outWidth, c.co];
}

describe('registered wasm kernels equal the cpu kernels', () => {
  it('every kernel nnspec provides is the one the wasm backend runs', () => {
    for (const name of WASM_GRADIENT_KERNELS) expect((tf.getKernel(name, 'wasm') as { nnspec?: boolean } | undefined)?.nnspec, name).toBe(true);
  });

  it.each(cases)('Conv2DBackpropFilter %#: %o', (c) => {
    const filterShape = [c.k[0], c.k[1], c.ci, c.co];
    const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', filterShape };
    const run = () => {
      const x = tf.tensor4d(values(c.n * c.h * c.w * c.ci, 1), [c.n, c.h, c.w, c.ci]);
      const dy = tf.tensor(values(outShape(c).reduce((a, b) => a * b), 2), outShape(c));
      return tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs) as Tensor;
    };
    expectClose(on('wasm', run)[0]!, on('cpu', run)[0]!);
  });

  it.each(cases)('Conv2DBackpropInput %#: %o', (c) => {
    const inputShape = [c.n, c.h, c.w, c.ci];
    const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', inputShape };
    const run = () => {
      const filter = tf.tensor4d(values(c.k[0] * c.k[1] * c.ci * c.co, 3), [c.k[0], c.k[1], c.ci, c.co]);
      const dy = tf.tensor(values(outShape(c).reduce((a, b) => a * b), 4), outShape(c));
      return tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, attrs) as Tensor;
    };
    expectClose(on('wasm', run)[0]!, on('cpu', run)[0]!);
  });

  const depthwise = cases.filter((c) => c.strides[0] === c.strides[1]); // tfjs depthwise needs equal strides
  for (const mult of [1, 2]) {
    it.each(depthwise)(`DepthwiseConv2dNativeBackpropFilter ×${mult} %#: %o`, (c) => {
      const filterShape = [c.k[0], c.k[1], c.ci, mult];
      const dyShape = outShape({ ...c, co: c.ci * mult });
      const attrs = { strides: c.strides, dilations: 1, pad: c.pad, filterShape };
      const run = () => {
        const x = tf.tensor4d(values(c.n * c.h * c.w * c.ci, 5), [c.n, c.h, c.w, c.ci]);
        const dy = tf.tensor(values(dyShape.reduce((a, b) => a * b), 6), dyShape);
        return tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy }, attrs) as Tensor;
      };
      expectClose(on('wasm', run)[0]!, on('cpu', run)[0]!);
    });

    it.each(depthwise)(`DepthwiseConv2dNativeBackpropInput ×${mult} %#: %o`, (c) => {
      const dyShape = outShape({ ...c, co: c.ci * mult });
      const attrs = { strides: c.strides, dilations: 1, pad: c.pad, inputShape: [c.n, c.h, c.w, c.ci] };
      const run = () => {
        const filter = tf.tensor4d(values(c.k[0] * c.k[1] * c.ci * mult, 7), [c.k[0], c.k[1], c.ci, mult]);
        const dy = tf.tensor(values(dyShape.reduce((a, b) => a * b), 8), dyShape);
        return tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy, filter }, attrs) as Tensor;
      };
      expectClose(on('wasm', run)[0]!, on('cpu', run)[0]!);
    });
  }

  // Inputs rounded to one decimal, so windows often hold tied maxima: the gradient must
  // go to the first of them, as on cpu.
  const pools: [number | [number, number], number | [number, number], Pad, 'floor' | 'ceil' | undefined][] = [];
  for (const k of [2, 3, [3, 2]] as (number | [number, number])[])
    for (const s of [1, 2, [2, 1]] as (number | [number, number])[])
      for (const [pad, rounding] of [['valid', undefined], ['same', undefined], [explicitPad, undefined]] as [Pad, 'ceil' | undefined][])
        pools.push([k, s, pad, rounding]);
  // Caffe's ceil rounding: the last window hangs over the input and is clipped to it.
  for (const k of [2, 3] as number[]) for (const s of [2, 3] as number[]) pools.push([k, s, 0, 'ceil']);
  pools.push([[3, 3], [2, 2], 1, 'ceil']);
  it.each(pools)('MaxPoolGrad filter %o strides %o pad %o rounding %o', (k, s, pad, rounding) => {
    const run = () => {
      const x = tf.tensor4d(values(2 * 9 * 8 * 3, 21), [2, 9, 8, 3]).mul(10).round().div(10);
      const y = tf.maxPool(x as Tensor4D, k, s, pad as 'valid', rounding);
      const dy = tf.tensor(values(y.size, 22), y.shape);
      const attrs = { filterSize: k, strides: s, pad, dimRoundingMode: rounding } as never;
      return tf.engine().runKernel('MaxPoolGrad', { dy, input: x, output: y }, attrs) as Tensor;
    };
    expectClose(on('wasm', run)[0]!, on('cpu', run)[0]!);
  });

  it('MaxPoolGrad on the reference CNN\'s first pool (3×3/2 over 32×32×32), ties included', () => {
    const run = () => {
      const x = tf.tensor4d(values(4 * 32 * 32 * 32, 23), [4, 32, 32, 32]).mul(4).round() as Tensor4D;
      const y = tf.maxPool(x, 3, 2, 'valid');
      const dy = tf.tensor(values(y.size, 24), y.shape);
      return tf.engine().runKernel('MaxPoolGrad', { dy, input: x, output: y }, { filterSize: 3, strides: 2, pad: 'valid' } as never) as Tensor;
    };
    expectClose(on('wasm', run)[0]!, on('cpu', run)[0]!);
  });

  // wasm's own kernel takes a naive loop for transposed operands; nnspec's transposes first.
  const products: [number[], number[], boolean, boolean][] = [];
  for (const [tA, tB] of [[false, false], [true, false], [false, true], [true, true]] as [boolean, boolean][]) {
    products.push([tA ? [7, 5] : [5, 7], tB ? [3, 7] : [7, 3], tA, tB]);
    products.push([tA ? [1, 64, 33] : [1, 33, 64], tB ? [1, 17, 64] : [1, 64, 17], tA, tB]);
    products.push([tA ? [3, 6, 4] : [3, 4, 6], tB ? [3, 2, 6] : [3, 6, 2], tA, tB]); // batched
    // A few rows against a large transposed operand: computed as (op(b)ᵀ·op(a)ᵀ)ᵀ.
    if (tA || tB) products.push([tA ? [50, 3] : [3, 50], tB ? [40, 50] : [50, 40], tA, tB]);
  }
  it.each(products)('BatchMatMul a %o × b %o, transposeA %o transposeB %o', (aShape, bShape, transposeA, transposeB) => {
    const run = () => {
      const a = tf.tensor(values(aShape.reduce((p, d) => p * d), 31), aShape);
      const b = tf.tensor(values(bShape.reduce((p, d) => p * d), 32), bShape);
      return tf.matMul(a, b, transposeA, transposeB);
    };
    expectClose(on('wasm', run)[0]!, on('cpu', run)[0]!);
  });

  it.each(products.filter(([a]) => a.length === 2))('_FusedMatMul (bias, relu) a %o × b %o, transposeA %o transposeB %o', (aShape, bShape, transposeA, transposeB) => {
    const run = () => {
      const a = tf.tensor(values(aShape.reduce((p, d) => p * d), 33), aShape);
      const b = tf.tensor(values(bShape.reduce((p, d) => p * d), 34), bShape);
      const bias = tf.tensor1d(values(transposeB ? bShape[0]! : bShape[1]!, 35));
      return tf.fused.matMul({ a: a as never, b: b as never, transposeA, transposeB, bias, activation: 'relu' });
    };
    expectClose(on('wasm', run)[0]!, on('cpu', run)[0]!);
  });

  it.each([true, false])('_FusedMatMul (relu, bias %o) of a dense layer in the IR\'s layout, x·Wᵀ', (bias) => {
    const run = () => {
      const x = tf.tensor2d(values(3 * 60, 38), [3, 60]);
      const w = tf.tensor2d(values(45 * 60, 39), [45, 60]);
      return tf.fused.matMul({ a: x, b: w, transposeB: true, activation: 'relu', ...(bias ? { bias: tf.tensor1d(values(45, 40)) } : {}) });
    };
    expectClose(on('wasm', run)[0]!, on('cpu', run)[0]!);
  });

  it('matMul gradients (both operands) agree, and no tensor is left behind', () => {
    const run = () => {
      const a = tf.tensor2d(values(6 * 40, 36), [6, 40]);
      const w = tf.tensor2d(values(40 * 9, 37), [40, 9]);
      return tf.grads((p: Tensor, q: Tensor) => tf.matMul(p, q).square().sum())([a, w]);
    };
    tf.setBackend('wasm');
    const before = tf.memory().numTensors;
    const wasm = on('wasm', run);
    expect(tf.memory().numTensors).toBe(before);
    const cpu = on('cpu', run);
    wasm.forEach((g, i) => expectClose(g, cpu[i]!));
  });

  it('Identity shares the data: a clone outlives its source, and variables stay apart', () => {
    tf.setBackend('wasm');
    const before = tf.memory().numTensors;
    const x = tf.tensor1d([1, 2, 3]);
    const y = tf.clone(x);
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3]);
    const v = tf.variable(y);
    const z = tf.tensor1d([4, 5, 6]);
    v.assign(z);
    z.dispose();
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3]);
    expect(Array.from(v.dataSync())).toEqual([4, 5, 6]);
    y.dispose();
    v.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('UnsortedSegmentSum (the gradient of gather)', () => {
    const run = () => {
      const table = tf.tensor2d(values(10 * 4, 9), [10, 4]);
      const ids = tf.tensor1d([3, 1, 3, 9, 0, 3], 'int32');
      return tf.grad((t: Tensor) => tf.gather(t, ids).square().sum())(table);
    };
    expectClose(on('wasm', run)[0]!, on('cpu', run)[0]!);
  });
});

describe('dilated backprops (which tfjs cannot differentiate itself)', () => {
  // A conv with dilation d is a conv with the zero-interleaved ("dilated") filter, which
  // the cpu kernels handle at dilation 1: that is the reference.
  const dilated = cases.filter((c) => c.k[0] > 1 && c.pad !== 'same').slice(0, 12);
  const d = 2;
  const spread = (f: Tensor4D, kh: number, kw: number): Tensor4D => {
    const [, , ci, co] = f.shape;
    const big = tf.buffer([(kh - 1) * d + 1, (kw - 1) * d + 1, ci, co]);
    const src = f.bufferSync();
    for (let i = 0; i < kh; i++)
      for (let j = 0; j < kw; j++)
        for (let a = 0; a < ci; a++) for (let b = 0; b < co; b++) big.set(src.get(i, j, a, b), i * d, j * d, a, b);
    return big.toTensor() as Tensor4D;
  };

  it.each(dilated)('conv2d filter and input gradients, dilation 2, %o', (c) => {
    const [kh, kw] = c.k;
    const info = () =>
      tf.backend_util.computeConv2DInfo([c.n, c.h, c.w, c.ci], [kh, kw, c.ci, c.co], c.strides, d, c.pad);
    const yShape = (): [number, number, number, number] => [c.n, info().outHeight, info().outWidth, c.co];
    const inputs = () => ({
      x: tf.tensor4d(values(c.n * c.h * c.w * c.ci, 11), [c.n, c.h, c.w, c.ci]),
      dy: tf.tensor4d(values(yShape().reduce((a, b) => a * b), 12), yShape()),
      f: tf.tensor4d(values(kh * kw * c.ci * c.co, 13), [kh, kw, c.ci, c.co]),
    });
    const ours = on('wasm', () => {
      const { x, dy, f } = inputs();
      return [conv2dBackpropFilter(tf, x, dy, info()), conv2dBackpropInput(tf, dy, f, info())];
    });
    const ref = on('cpu', () => {
      const { x, dy, f } = inputs();
      const big = spread(f, kh, kw);
      const gBig = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', filterShape: big.shape }) as Tensor4D;
      const gf = tf.stridedSlice(gBig, [0, 0, 0, 0], gBig.shape, [d, d, 1, 1]);
      const gx = tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: big }, { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', inputShape: x.shape }) as Tensor;
      return [gf, gx];
    });
    expectClose(ours[0]!, ref[0]!);
    expectClose(ours[1]!, ref[1]!);
  });

  it.each(dilated.filter((c) => c.strides[0] === 1))('depthwise filter and input gradients, dilation 2, %o', (c) => {
    const [kh, kw] = c.k;
    const info = () =>
      tf.backend_util.computeConv2DInfo([c.n, c.h, c.w, c.ci], [kh, kw, c.ci, 2], c.strides, d, c.pad, undefined, true);
    const yShape = (): [number, number, number, number] => [c.n, info().outHeight, info().outWidth, c.ci * 2];
    const inputs = () => ({
      x: tf.tensor4d(values(c.n * c.h * c.w * c.ci, 14), [c.n, c.h, c.w, c.ci]),
      dy: tf.tensor4d(values(yShape().reduce((a, b) => a * b), 15), yShape()),
      f: tf.tensor4d(values(kh * kw * c.ci * 2, 16), [kh, kw, c.ci, 2]),
    });
    const ours = on('wasm', () => {
      const { x, dy, f } = inputs();
      return [depthwiseBackpropFilter(tf, x, dy, info()), depthwiseBackpropInput(tf, dy, f, info())];
    });
    const ref = on('cpu', () => {
      const { x, dy, f } = inputs();
      const big = spread(f, kh, kw);
      const attrs = { strides: c.strides, dilations: 1, pad: c.pad };
      const gBig = tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy }, { ...attrs, filterShape: big.shape }) as Tensor4D;
      const gf = tf.stridedSlice(gBig, [0, 0, 0, 0], gBig.shape, [d, d, 1, 1]);
      const gx = tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy, filter: big }, { ...attrs, inputShape: x.shape }) as Tensor;
      return [gf, gx];
    });
    expectClose(ours[0]!, ref[0]!);
    expectClose(ours[1]!, ref[1]!);
  });
});

describe('tf.grads of a small CNN agree between wasm and cpu', () => {
  it('conv/relu/maxpool/depthwise/batch-norm/avgpool/dense/dropout/softmax cross-entropy', () => {
    const classes = 5;
    const shapes: Record<string, number[]> = {
      w1: [3, 3, 3, 6], b1: [6], dw: [3, 3, 6, 2], gamma: [12], beta: [12],
      w2: [2, 2, 12, 8], wd: [8 * 2 * 2, classes], bd: [classes],
    };
    const run = () => {
      const params = Object.entries(shapes).map(([, s], i) => tf.tensor(values(s.reduce((a, b) => a * b), 100 + i), s).mul(0.5));
      const x = tf.tensor4d(values(4 * 16 * 16 * 3, 7), [4, 16, 16, 3]);
      const labels = tf.oneHot(tf.tensor1d([0, 3, 1, 4], 'int32'), classes);
      // A fixed inverted-dropout mask: the random one would differ between backends.
      const keep = tf.tensor1d(values(32, 77)).greater(-0.6).toFloat().div(0.8).reshape([1, 32]);
      const loss = (w1: Tensor, b1: Tensor, dw: Tensor, gamma: Tensor, beta: Tensor, w2: Tensor, wd: Tensor, bd: Tensor) => {
        let h = tf.relu(tf.conv2d(x, w1 as Tensor4D, 1, 'same').add(b1)) as Tensor4D;
        h = tf.maxPool(h, 3, 2, 'valid'); // 7×7
        h = tf.depthwiseConv2d(h, dw as Tensor4D, 2, [[0, 0], [1, 1], [1, 1], [0, 0]]); // 4×4×12
        const { mean, variance } = tf.moments(h, [0, 1, 2]);
        h = tf.batchNorm(h, mean, variance, beta, gamma, 1e-5) as Tensor4D;
        h = tf.avgPool(tf.relu(h), 2, 1, 'valid'); // 3×3
        h = tf.conv2d(h, w2 as Tensor4D, 1, 'same'); // 3×3×8
        h = tf.maxPool(h, 2, 1, 'valid'); // 2×2×8
        const flat = h.reshape([4, 32]).mul(keep);
        const logits = tf.matMul(flat, wd).add(bd);
        return tf.losses.softmaxCrossEntropy(labels, logits) as Tensor;
      };
      const { grads, value } = tf.valueAndGrads(loss as (...a: Tensor[]) => Tensor)(params);
      return [value, ...grads];
    };
    const wasm = on('wasm', run);
    const cpu = on('cpu', run);
    expect(wasm.length).toBe(Object.keys(shapes).length + 1);
    wasm.forEach((g, i) => expectClose(g, cpu[i]!));
  });
});

describe('Sum and Mean: as accurate as a float64 sum rounded once', () => {
  // Values with a large common offset and a small spread, as train-mode BatchNorm sees them
  // (mobilenet_v2's feature maps at batch 2): wasm's own kernels add float32 values one after
  // another and were ~1e-5 off here, which BatchNorm's x − mean turned into 1e-2 gradients.
  const shapes: [number[], number[], boolean][] = [
    [[2, 32, 32, 96], [0, 1, 2], true], // BatchNorm's moments (NHWC)
    [[2, 8, 8, 192], [0, 1, 2], false],
    [[2, 7, 7, 64], [1, 2], true], // global average pool
    [[4, 5, 6, 7], [0, 2], false], // kept and reduced axes interleaved
    [[3, 1000], [1], false],
    [[50000], [0], false],
    [[2, 3, 4], [], false],
  ];
  it.each(shapes)('%o over axes %o (keepDims %o)', (shape, axes, keepDims) => {
    tf.setBackend('wasm');
    const size = shape.reduce((p, d) => p * d, 1);
    const data = values(size, 41).map((v) => 100 + v * 1e-2);
    for (const op of ['sum', 'mean'] as const) {
      const got = tf.tidy(() => tf[op](tf.tensor(data, shape), axes, keepDims).dataSync() as Float32Array);
      // The float64 reference, each output rounded once to float32.
      const kept = shape.map((_, i) => i).filter((i) => !axes.includes(i));
      const outSize = kept.reduce((p, i) => p * shape[i]!, 1);
      const acc = new Float64Array(outSize);
      const idx = new Array<number>(shape.length).fill(0);
      for (let f = 0; f < size; f++) {
        let o = 0;
        for (const i of kept) o = o * shape[i]! + idx[i]!;
        acc[o] = acc[o]! + data[f]!;
        for (let i = shape.length - 1; i >= 0 && ++idx[i]! === shape[i]; i--) idx[i] = 0;
      }
      const count = size / outSize;
      const want = Float32Array.from(acc, (s) => (op === 'mean' ? s / count : s));
      expect(got.length).toBe(want.length);
      got.forEach((g, i) => expect(Math.abs(g - want[i]!), `${op}[${i}]`).toBeLessThanOrEqual(Math.abs(want[i]!) * 2 ** -23));
    }
  });

  it('int32 sums stay exact integers', () => {
    tf.setBackend('wasm');
    const got = tf.tidy(() => tf.sum(tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3], 'int32'), 1));
    expect(got.dtype).toBe('int32');
    expect(Array.from(got.dataSync())).toEqual([6, 15]);
    got.dispose();
  });
});
