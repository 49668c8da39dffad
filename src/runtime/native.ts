// nnspec's optional native kernels (src/runtime/native/kernels.c, OpenBLAS) and the wasm
// kernels they replace. Tensors stay in tfjs-backend-wasm's heap: each kernel hands the
// heap views of its inputs and of a freshly made output to C, which computes in place.
// What is replaced is where training spends its time: convolution forward and both its
// gradients, matrix products and the max-pooling gradient. Everything else (elementwise
// ops, reductions, the optimiser) stays on wasm. Built by `npm install` when a C compiler
// and OpenBLAS are present; NNSPEC_NATIVE=0 turns it off.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { reductionRuns } from './reduce.js';
import type { KernelBackend, Tensor, TensorInfo, Tf } from './tf.js';
import { maxPoolGradInfo } from './wasm-gradient-kernels.js';

export interface NativeKernels {
  conv2d(geom: Int32Array, x: Float32Array, filter: Float32Array, y: Float32Array): void;
  conv2dBackpropFilter(geom: Int32Array, x: Float32Array, dy: Float32Array, dfilter: Float32Array): void;
  conv2dBackpropInput(geom: Int32Array, dy: Float32Array, filter: Float32Array, dx: Float32Array): void;
  matMul(dims: Int32Array, a: Float32Array, b: Float32Array, c: Float32Array): void;
  maxPoolBackprop(geom: Int32Array, dy: Float32Array, x: Float32Array, dx: Float32Array): void;
  reduceSum(runs: Int32Array, x: Float32Array, out: Float32Array, divisor: number): void;
  lrn(x: Float32Array, y: Float32Array, channels: number, radius: number, bias: number, alpha: number, beta: number): void;
  lrnGrad(x: Float32Array, y: Float32Array, dy: Float32Array, dx: Float32Array, channels: number, radius: number, bias: number, alpha: number, beta: number): void;
  sgdStep(w: Float32Array, v: Float32Array, g: Float32Array, wOut: Float32Array, vOut: Float32Array, params: Float32Array): void;
  biasActivation(x: Float32Array, bias: Float32Array | null, y: Float32Array, channels: number, kind: number, alpha: number): void;
  reluGrad(dy: Float32Array, x: Float32Array, dx: Float32Array): void;
  setThreads(n: number): void;
  describe(): { core: string; config: string; threads: number };
}

/** What was loaded, or why not. */
export type NativeLoad = { native: NativeKernels; summary: string } | { native?: undefined; why: string };

function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      if ((JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string }).name === 'nnspec') return dir;
    } catch {
      // no package.json here: keep walking up
    }
    const up = dirname(dir);
    if (up === dir) throw new Error('nnspec package root not found');
    dir = up;
  }
}

export function nativeAddonPath(): string {
  return join(packageRoot(), 'src', 'runtime', 'native', 'build', 'Release', 'nnspec_native.node');
}

/**
 * OpenBLAS picks its kernels from the CPU model; in virtual machines that report a
 * generic model ("Intel Xeon Processor") its dynamic dispatch falls back to Prescott (SSE3),
 * 4–5× slower than the AVX2/AVX-512 kernels the CPU runs. The CPU's feature flags say
 * which it can run; the choice must be in the environment before the library loads.
 * bench/train gives PyTorch's OpenBLAS the same choice.
 */
export function openBlasCore(): string | undefined {
  if (process.platform !== 'linux') return undefined;
  let flags: Set<string>;
  try {
    const line = /^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (!line) return undefined;
    flags = new Set(line[1]!.trim().split(/\s+/));
  } catch {
    return undefined;
  }
  if (['avx512f', 'avx512bw', 'avx512dq', 'avx512vl', 'avx512cd'].every((f) => flags.has(f))) return 'SkylakeX';
  if (['avx2', 'fma'].every((f) => flags.has(f))) return 'Haswell';
  return undefined;
}

function chooseOpenBlasCore(): void {
  if (process.env['OPENBLAS_CORETYPE']) return;
  const core = openBlasCore();
  if (core) process.env['OPENBLAS_CORETYPE'] = core;
}

let loaded: NativeLoad | undefined;

/** Loads the native kernels once per process; `why` says what stopped them. */
export function loadNative(threads: number): NativeLoad {
  if (loaded) return loaded;
  if (process.env['NNSPEC_NATIVE'] === '0') return (loaded = { why: 'NNSPEC_NATIVE=0' });
  const path = nativeAddonPath();
  try {
    chooseOpenBlasCore();
    const native = createRequire(import.meta.url)(path) as NativeKernels;
    native.setThreads(threads);
    const d = native.describe();
    const version = /OpenBLAS\s+(\S+)/.exec(d.config)?.[1];
    return (loaded = { native, summary: `native kernels: OpenBLAS${version ? ` ${version}` : ''} ${d.core}, ${d.threads} thread${d.threads === 1 ? '' : 's'}` });
  } catch (err) {
    const e = err as { code?: string; message?: string };
    const why = e.code === 'MODULE_NOT_FOUND' ? 'not built (npm run build:native needs a C compiler and OpenBLAS)' : (e.message ?? String(err)).split('\n')[0]!;
    return (loaded = { why });
  }
}

type Attrs = Record<string, unknown>;

/**
 * nnspec's fused SGD/Nesterov update: inputs {w, v, g}, attrs {params: Float32Array
 * [l2, mu, 1 + mu, rate, caffe, nesterov]}, outputs [v', w'] — the same float32 operations
 * as Optimizer's ops, in one pass instead of six (AlexNet's 61 M parameters made the
 * update a third of a training step).
 */
export const SGD_STEP_KERNEL = 'NnspecSgdStep';
/** nnspec's one-pass ReLU gradient: inputs {dy, x}, dx = dy · step(x). */
export const RELU_GRAD_KERNEL = 'NnspecReluGrad';
type KernelFunc = (args: { inputs: Record<string, TensorInfo>; backend: KernelBackend; attrs?: Attrs }) => TensorInfo;
type ConvPad = 'valid' | 'same' | number | [[number, number], [number, number], [number, number], [number, number]];
type Rounding = 'floor' | 'round' | 'ceil' | undefined;

interface WasmHeap {
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: object): boolean;
}

const ACTIVATIONS: Record<string, number> = { linear: 0, relu: 1, relu6: 2, leakyrelu: 3, sigmoid: 4, elu: 5 };

/** The Int32Array geometry kernels.c reads (see its Geom). */
function geometry(info: ReturnType<Tf['backend_util']['computeConv2DInfo']>): Int32Array {
  return Int32Array.from([
    info.batchSize, info.inHeight, info.inWidth, info.inChannels,
    info.filterHeight, info.filterWidth, info.outChannels,
    info.outHeight, info.outWidth,
    info.strideHeight, info.strideWidth,
    info.dilationHeight, info.dilationWidth,
    info.padInfo.top, info.padInfo.left,
    0, 0,
  ]);
}

/** Wasm kernels whose registration was replaced here, with the function they had. */
export const kernelsBeforeNative = new Map<string, KernelFunc>();

/**
 * Registers the native kernels on the wasm backend over whatever is registered there now
 * (wasm's own or nnspec's composed ones), which stay the fallback for what C does not
 * take: NCHW data, non-float32 tensors, PReLU fusions, batch shapes it cannot broadcast.
 */
export function registerNativeKernels(tf: Tf, native: NativeKernels): string[] {
  const replaced: string[] = [];
  const heapOf = (backend: KernelBackend) => backend as unknown as WasmHeap;
  const f32 = (heap: WasmHeap, t: TensorInfo) => heap.typedArrayFromHeap(t) as Float32Array;
  const allFloat = (...ts: (TensorInfo | undefined)[]) => ts.every((t) => t === undefined || t.dtype === 'float32');
  const put = (name: string, make: (fallback: KernelFunc) => KernelFunc) => {
    const existing = tf.getKernel(name, 'wasm') as { kernelFunc: KernelFunc; native?: boolean } | undefined;
    if (!existing || existing.native) return;
    kernelsBeforeNative.set(name, existing.kernelFunc);
    tf.unregisterKernel(name, 'wasm');
    const config = { ...existing, kernelName: name, backendName: 'wasm', kernelFunc: make(existing.kernelFunc), native: true };
    tf.registerKernel(config as unknown as Parameters<Tf['registerKernel']>[0]);
    replaced.push(name);
  };
  const convInfo = (xShape: number[], filterShape: number[], attrs: Attrs) =>
    tf.backend_util.computeConv2DInfo(
      xShape as [number, number, number, number],
      filterShape as [number, number, number, number],
      attrs['strides'] as number | [number, number],
      (attrs['dilations'] as number | [number, number] | undefined) ?? 1,
      attrs['pad'] as ConvPad,
      attrs['dimRoundingMode'] as Rounding,
    );
  const nhwc = (attrs: Attrs) => (attrs['dataFormat'] ?? 'NHWC') === 'NHWC';

  const convForward = (fused: boolean) => (fallback: KernelFunc): KernelFunc => (args) => {
    const { inputs, backend, attrs = {} } = args;
    const { x, filter, bias } = inputs as Record<string, TensorInfo | undefined>;
    const activation = (attrs['activation'] as string | undefined) ?? 'linear';
    if (!nhwc(attrs) || !allFloat(x, filter, bias) || inputs['preluActivationWeights'] || !(activation in ACTIVATIONS)) return fallback(args);
    const info = convInfo(x!.shape, filter!.shape, attrs);
    if (fused && bias && bias.shape.reduce((p, d) => p * d, 1) !== info.outChannels) return fallback(args);
    const heap = heapOf(backend);
    const y = heap.makeOutput(info.outShape, 'float32');
    const yv = f32(heap, y);
    native.conv2d(geometry(info), f32(heap, x!), f32(heap, filter!), yv);
    if (fused && (bias || activation !== 'linear')) {
      native.biasActivation(yv, bias ? f32(heap, bias) : null, yv, info.outChannels, ACTIVATIONS[activation]!, Number(attrs['leakyreluAlpha'] ?? 0.2));
    }
    return y;
  };
  put('Conv2D', convForward(false));
  put('FusedConv2D', convForward(true));

  put('Conv2DBackpropFilter', (fallback) => (args) => {
    const { inputs, backend, attrs = {} } = args;
    const { x, dy } = inputs;
    if (!nhwc(attrs) || !allFloat(x, dy)) return fallback(args);
    const info = convInfo(x!.shape, attrs['filterShape'] as number[], attrs);
    const heap = heapOf(backend);
    const dw = heap.makeOutput(attrs['filterShape'] as number[], 'float32');
    native.conv2dBackpropFilter(geometry(info), f32(heap, x!), f32(heap, dy!), f32(heap, dw));
    return dw;
  });

  put('Conv2DBackpropInput', (fallback) => (args) => {
    const { inputs, backend, attrs = {} } = args;
    const { dy, filter } = inputs;
    if (!nhwc(attrs) || !allFloat(dy, filter)) return fallback(args);
    const inputShape = attrs['inputShape'] as number[];
    const info = convInfo(inputShape, filter!.shape, attrs);
    const heap = heapOf(backend);
    const dx = heap.makeOutput(inputShape, 'float32');
    native.conv2dBackpropInput(geometry(info), f32(heap, dy!), f32(heap, filter!), f32(heap, dx));
    return dx;
  });

  const matMul = (fused: boolean) => (fallback: KernelFunc): KernelFunc => (args) => {
    const { inputs, backend, attrs = {} } = args;
    const { a, b, bias } = inputs as Record<string, TensorInfo | undefined>;
    const activation = (attrs['activation'] as string | undefined) ?? 'linear';
    if (!allFloat(a, b, bias) || inputs['preluActivationWeights'] || !(activation in ACTIVATIONS)) return fallback(args);
    const tA = attrs['transposeA'] === true;
    const tB = attrs['transposeB'] === true;
    const ra = a!.shape.length;
    const rb = b!.shape.length;
    const m = a!.shape[tA ? ra - 1 : ra - 2]!;
    const k = a!.shape[tA ? ra - 2 : ra - 1]!;
    const n = b!.shape[tB ? rb - 2 : rb - 1]!;
    if (k !== b!.shape[tB ? rb - 1 : rb - 2]) return fallback(args);
    const batchA = a!.shape.slice(0, -2);
    const batchB = b!.shape.slice(0, -2);
    const size = (s: number[]) => s.reduce((p, d) => p * d, 1);
    const same = batchA.length === batchB.length && batchA.every((d, i) => d === batchB[i]);
    if (!same && size(batchA) !== 1 && size(batchB) !== 1) return fallback(args);
    if (fused && bias && size(bias.shape) !== n) return fallback(args);
    const outBatch = tf.broadcast_util.assertAndGetBroadcastShape(batchA, batchB);
    const heap = heapOf(backend);
    const c = heap.makeOutput([...outBatch, m, n], 'float32');
    const cv = f32(heap, c);
    native.matMul(Int32Array.from([size(batchA), size(batchB), m, n, k, tA ? 1 : 0, tB ? 1 : 0]), f32(heap, a!), f32(heap, b!), cv);
    if (fused && (bias || activation !== 'linear')) {
      native.biasActivation(cv, bias ? f32(heap, bias) : null, cv, n, ACTIVATIONS[activation]!, Number(attrs['leakyreluAlpha'] ?? 0.2));
    }
    return c;
  };
  put('BatchMatMul', matMul(false));
  put('_FusedMatMul', matMul(true));

  put('MaxPoolGrad', (fallback) => (args) => {
    const { inputs, backend, attrs = {} } = args;
    const x = inputs['input']!;
    const dy = inputs['dy']!;
    if (!allFloat(x, dy)) return fallback(args);
    const info = maxPoolGradInfo(tf, x, attrs);
    const geom = geometry(info);
    // The pooling window as kernels.c reads it: the effective (dilated) extent.
    geom[4] = info.effectiveFilterHeight;
    geom[5] = info.effectiveFilterWidth;
    const heap = heapOf(backend);
    const dx = heap.makeOutput(x.shape, 'float32');
    native.maxPoolBackprop(geom, f32(heap, dy), f32(heap, x), f32(heap, dx));
    return dx;
  });
  const lrnAttrs = (attrs: Attrs) =>
    [attrs['depthRadius'], attrs['bias'], attrs['alpha'], attrs['beta']].map(Number) as [number, number, number, number];
  put('LRN', (fallback) => (args) => {
    const x = args.inputs['x']!;
    if (x.dtype !== 'float32' || x.shape.length !== 4) return fallback(args);
    const heap = heapOf(args.backend);
    const y = heap.makeOutput(x.shape, 'float32');
    native.lrn(f32(heap, x), f32(heap, y), x.shape[3]!, ...lrnAttrs(args.attrs ?? {}));
    return y;
  });
  put('LRNGrad', (fallback) => (args) => {
    const { x, y, dy } = args.inputs;
    if (!allFloat(x, y, dy) || x!.shape.length !== 4) return fallback(args);
    const heap = heapOf(args.backend);
    const dx = heap.makeOutput(x!.shape, 'float32');
    native.lrnGrad(f32(heap, x!), f32(heap, y!), f32(heap, dy!), f32(heap, dx), x!.shape[3]!, ...lrnAttrs(args.attrs ?? {}));
    return dx;
  });

  // A bias added along the last axis (every conv and dense layer in training, where tfjs
  // does not fuse it): wasm's broadcasting Add is a generic strided loop.
  put('Add', (fallback) => (args) => {
    const { a, b } = args.inputs;
    if (!allFloat(a, b)) return fallback(args);
    const size = (t: TensorInfo) => t.shape.reduce((p, d) => p * d, 1);
    const isBias = (v: TensorInfo, of: TensorInfo) => of.shape.length >= 2 && v.shape.length >= 1 && v.shape.length <= of.shape.length && size(v) === of.shape[of.shape.length - 1] && v.shape[v.shape.length - 1] === size(v);
    const [big, bias] = isBias(b!, a!) ? [a!, b!] : isBias(a!, b!) ? [b!, a!] : [null, null];
    if (!big || !bias) return fallback(args);
    const heap = heapOf(args.backend);
    const y = heap.makeOutput(tf.broadcast_util.assertAndGetBroadcastShape(a!.shape, b!.shape), 'float32');
    native.biasActivation(f32(heap, big), f32(heap, bias), f32(heap, y), size(bias), 0, 0);
    return y;
  });
  put('Relu', (fallback) => (args) => {
    const x = args.inputs['x']!;
    if (x.dtype !== 'float32') return fallback(args);
    const heap = heapOf(args.backend);
    const y = heap.makeOutput(x.shape, 'float32');
    native.biasActivation(f32(heap, x), null, f32(heap, y), 1, ACTIVATIONS['relu']!, 0);
    return y;
  });
  if (!tf.getKernel(RELU_GRAD_KERNEL, 'wasm')) {
    tf.registerKernel({
      kernelName: RELU_GRAD_KERNEL,
      backendName: 'wasm',
      kernelFunc: (({ inputs, backend }: { inputs: Record<string, TensorInfo>; backend: KernelBackend }) => {
        const heap = heapOf(backend);
        const dx = heap.makeOutput(inputs['x']!.shape, 'float32');
        native.reluGrad(f32(heap, inputs['dy']!), f32(heap, inputs['x']!), f32(heap, dx));
        return dx;
      }) as never,
    });
    replaced.push(RELU_GRAD_KERNEL);
    // tfjs's ReLU gradient is dy · cast(step(x)): three passes. Where the one-pass kernel
    // exists (wasm with these kernels) the gradient runs it; elsewhere tfjs's own.
    const own = tf.getGradient('Relu');
    if (own) {
      tf.registerGradient({
        ...own,
        gradFunc: (dy, saved, attrs) => {
          const [x] = saved;
          const g = dy as Tensor;
          if (Array.isArray(dy) || g.dtype !== 'float32' || x!.dtype !== 'float32' || !tf.getKernel(RELU_GRAD_KERNEL, tf.getBackend())) return own.gradFunc(dy, saved, attrs);
          return { x: () => tf.engine().runKernel(RELU_GRAD_KERNEL, { dy: g, x: x! }) as Tensor };
        },
      });
    }
  }

  // A kernel of nnspec's own (no tfjs op has it): Optimizer runs it when the backend has it.
  if (!tf.getKernel(SGD_STEP_KERNEL, 'wasm')) {
    const sgdStep: KernelFunc = ({ inputs, backend, attrs = {} }) => {
      const { w, v, g } = inputs;
      const heap = heapOf(backend);
      const vOut = heap.makeOutput(w!.shape, 'float32');
      const wOut = heap.makeOutput(w!.shape, 'float32');
      native.sgdStep(f32(heap, w!), f32(heap, v!), f32(heap, g!), f32(heap, wOut), f32(heap, vOut), attrs['params'] as Float32Array);
      return [vOut, wOut] as unknown as TensorInfo;
    };
    tf.registerKernel({ kernelName: SGD_STEP_KERNEL, backendName: 'wasm', kernelFunc: sgdStep as never });
    replaced.push(SGD_STEP_KERNEL);
  }

  for (const [name, mean] of [['Sum', false], ['Mean', true]] as const) {
    put(name, (fallback) => (args) => {
      const x = args.inputs['x']!;
      if (x.dtype !== 'float32') return fallback(args);
      const attrs = args.attrs ?? {};
      const axes = tf.util.parseAxisParam(attrs['axis'] as number | number[], x.shape);
      const keepDims = attrs['keepDims'] === true;
      const shape = x.shape.flatMap((d, i) => (axes.includes(i) ? (keepDims ? [1] : []) : [d]));
      const { runs, count } = reductionRuns(x.shape, axes);
      if (runs.length > 32) return fallback(args);
      const heap = heapOf(args.backend);
      const out = heap.makeOutput(shape, 'float32');
      const flat = Int32Array.from(runs.flatMap((r) => [r.size, r.reduced ? 1 : 0]));
      native.reduceSum(flat, f32(heap, x), f32(heap, out), mean ? count : 1);
      return out;
    });
  }
  return replaced;
}
