// Gradient kernels that @tensorflow/tfjs-backend-wasm 4.22 does not ship (so tf.grads of
// any CNN fails on wasm), registered for the wasm backend and composed from kernels it
// does have. Found by diffing tf.getKernelsForBackend('wasm') against 'cpu' and by
// computing gradients of conv/depthwise/pool/batch-norm/dense/dropout nets on wasm.
import { conv2dBackpropFilter, conv2dBackpropInput, depthwiseBackpropFilter, depthwiseBackpropInput } from './conv-backprop.js';
import { maxPoolBackpropInto } from './pool-backprop.js';
import { reduceInto } from './reduce.js';
import type { Conv2DInfo, KernelBackend, Tensor, Tensor4D, TensorInfo, Tf } from './tf.js';

type ConvPad = 'valid' | 'same' | number | [[number, number], [number, number], [number, number], [number, number]];
type Rounding = 'floor' | 'round' | 'ceil' | undefined;
type Attrs = Record<string, unknown>;

/** Kernels registered here, by name; `replaces` marks wasm kernels swapped for faster ones. */
export const WASM_GRADIENT_KERNELS = [
  'BatchMatMul',
  'Conv2DBackpropFilter',
  'Conv2DBackpropInput',
  'DepthwiseConv2dNativeBackpropFilter',
  'DepthwiseConv2dNativeBackpropInput',
  'Identity',
  'MaxPoolGrad',
  'Mean',
  'Sum',
  'UnsortedSegmentSum',
  '_FusedMatMul',
] as const;

/**
 * Wasm kernels replaced. MaxPoolGrad: wasm's is wrong whenever an input is the maximum of
 * several overlapping windows (2×2/1, 3×3/1, 'same' padding; 3×3/2 'valid' happens to be
 * right). Conv2DBackpropInput: wasm's is a plain single-threaded loop; the composed one
 * runs on XNNPACK's conv2d (bench/train measures both). BatchMatMul and _FusedMatMul:
 * wasm hands a product to XNNPACK (blocked, threaded) only when neither operand is
 * transposed; otherwise it runs a naive strided triple loop on one thread, and the
 * gradients of every dense layer are such products (dW = xᵀ·dy, dx = dy·Wᵀ). Transposing
 * the operand first and multiplying plainly is several times faster (bench/train/profile.mjs).
 * Identity: wasm's copies the data; tfjs-cpu's shares it (tensors are immutable), and
 * training runs one per gradient and optimizer update — a 150 MB copy for AlexNet's fc6.
 * Sum and Mean (float32): wasm's add the values one by one in float32, so a long or offset
 * sum loses digits, and train-mode BatchNorm's x − mean magnifies that (reduce.ts).
 */
const REPLACED = new Set<string>(['MaxPoolGrad', 'Conv2DBackpropInput', 'BatchMatMul', '_FusedMatMul', 'Identity', 'Sum', 'Mean']);

/** wasm's own configs for the kernels replaced, kept so that a benchmark or test can still run them. */
export const replacedWasmKernels = new Map<string, unknown>();

/**
 * Runs `body` on Tensor views of the kernel's inputs and hands its result to the engine
 * as a kernel output. Ops run inside a kernel are not recorded on the gradient tape
 * (the engine only tapes at kernel depth 0), so this composes freely.
 */
function composite(tf: Tf, backend: KernelBackend, inputs: TensorInfo[], body: (...t: Tensor[]) => Tensor): TensorInfo {
  const out = tf.tidy(() => {
    const views = inputs.map((info) => {
      if (info instanceof tf.Tensor) return info;
      // A bare TensorInfo: borrow its data for a Tensor that tidy will release again.
      backend.incRef(info.dataId);
      return tf.engine().makeTensorFromTensorInfo(info);
    });
    return body(...views);
  });
  // Keep the data alive for the engine's own Tensor around the returned info.
  backend.incRef(out.dataId);
  out.dispose();
  return { dataId: out.dataId, shape: out.shape, dtype: out.dtype };
}

type KernelFunc = (args: { inputs: Record<string, TensorInfo>; backend: KernelBackend; attrs?: Attrs }) => TensorInfo;

/**
 * A matMul kernel that gives wasm's own kernel untransposed operands, so that the product
 * runs on XNNPACK. op(a)·op(b) is computed either directly, materialising each transposed
 * operand with wasm's Transpose kernel, or as (op(b)ᵀ·op(a)ᵀ)ᵀ — whichever copies fewer
 * elements. The second form matters for a dense layer's forward pass, x·Wᵀ with W in the
 * IR's [out, in] layout: it transposes the small activation and the small result instead of
 * a weight that can hold tens of millions of values (AlexNet's fc6). A fused bias runs
 * along the result's last axis, so fused products with a bias always take the direct form.
 * Batched products (leading dims above 1) go to wasm as they are: it has no fast path for
 * them either way.
 */
function plainMatMul(tf: Tf, original: KernelFunc): KernelFunc {
  const transpose = (tf.getKernel('Transpose', 'wasm') as { kernelFunc: KernelFunc }).kernelFunc;
  const size = (t: TensorInfo) => t.shape.reduce((p, d) => p * d, 1);
  const batch = (t: TensorInfo) => t.shape.slice(0, -2).reduce((p, d) => p * d, 1);
  return (args) => {
    const { inputs, backend, attrs = {} } = args;
    const a = inputs['a']!;
    const b = inputs['b']!;
    const tA = attrs['transposeA'] === true;
    const tB = attrs['transposeB'] === true;
    if ((!tA && !tB) || batch(a) !== 1 || batch(b) !== 1) return original(args);
    const swapLast = (t: TensorInfo) => {
      const perm = t.shape.map((_, i) => i);
      [perm[perm.length - 2], perm[perm.length - 1]] = [perm[perm.length - 1]!, perm[perm.length - 2]!];
      return transpose({ inputs: { x: t }, backend, attrs: { perm } });
    };
    const temps: TensorInfo[] = [];
    const temp = (t: TensorInfo) => (temps.push(t), t);
    const plain = { ...attrs, transposeA: false, transposeB: false };
    try {
      const rows = a.shape[a.shape.length - (tA ? 1 : 2)]!;
      const cols = b.shape[b.shape.length - (tB ? 2 : 1)]!;
      const direct = (tA ? size(a) : 0) + (tB ? size(b) : 0);
      const swapped = (tA ? 0 : size(a)) + (tB ? 0 : size(b)) + rows * cols;
      const fusedExtras = inputs['bias'] !== undefined || inputs['preluActivationWeights'] !== undefined;
      if (direct <= swapped || fusedExtras) {
        const a2 = tA ? temp(swapLast(a)) : a;
        const b2 = tB ? temp(swapLast(b)) : b;
        return original({ inputs: { ...inputs, a: a2, b: b2 }, backend, attrs: plain });
      }
      const bT = tB ? b : temp(swapLast(b));
      const aT = tA ? a : temp(swapLast(a));
      // Activations other than PReLU/bias are elementwise, so they commute with the transpose.
      return swapLast(temp(original({ inputs: { ...inputs, a: bT, b: aT }, backend, attrs: plain })));
    } finally {
      for (const t of temps) backend.disposeData(t.dataId);
    }
  };
}

/** The part of tfjs-backend-wasm's BackendWasm that exposes tensors as views of its heap. */
interface WasmHeap {
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array | Int32Array | Uint8Array;
}

function wasmHeap(backend: KernelBackend): WasmHeap {
  const b = backend as unknown as Partial<WasmHeap>;
  if (typeof b.makeOutput !== 'function' || typeof b.typedArrayFromHeap !== 'function') {
    throw new Error('nnspec wasm kernel: the backend does not expose its heap (tfjs-backend-wasm changed?)');
  }
  return b as WasmHeap;
}

/** The pooling geometry of a MaxPoolGrad call (its input and attributes). */
export function maxPoolGradInfo(tf: Tf, x: TensorInfo, attrs: Attrs): Conv2DInfo {
  return tf.backend_util.computePool2DInfo(
    x.shape as [number, number, number, number],
    attrs['filterSize'] as number | [number, number],
    attrs['strides'] as number | [number, number],
    1,
    attrs['pad'] as ConvPad,
    attrs['dimRoundingMode'] as Rounding,
  );
}

function toNhwc(tf: Tf, t: Tensor, dataFormat: unknown): Tensor4D {
  return (dataFormat === 'NCHW' ? tf.transpose(t, [0, 2, 3, 1]) : t) as Tensor4D;
}

function convInfo(
  tf: Tf,
  xShape: number[],
  filterShape: number[],
  attrs: Attrs,
  depthwise: boolean,
): ReturnType<Tf['backend_util']['computeConv2DInfo']> {
  const [n, h, w, c] = attrs['dataFormat'] === 'NCHW' ? [xShape[0], xShape[2], xShape[3], xShape[1]] : xShape;
  return tf.backend_util.computeConv2DInfo(
    [n!, h!, w!, c!],
    filterShape as [number, number, number, number],
    attrs['strides'] as number | [number, number],
    (attrs['dilations'] as number | [number, number] | undefined) ?? 1,
    attrs['pad'] as ConvPad,
    attrs['dimRoundingMode'] as Rounding,
    depthwise,
  );
}

/**
 * Registers the missing (and the replaced) gradient kernels for the wasm backend.
 * Idempotent: a kernel already registered by this function is left alone.
 */
export function registerWasmGradientKernels(tf: Tf): string[] {
  const registered: string[] = [];
  const put = (kernelName: string, kernelFunc: KernelFunc) => {
    const existing = tf.getKernel(kernelName, 'wasm') as { nnspec?: boolean } | undefined;
    if (existing?.nnspec) return;
    if (existing) {
      if (!REPLACED.has(kernelName)) return;
      replacedWasmKernels.set(kernelName, existing);
      tf.unregisterKernel(kernelName, 'wasm');
    }
    const config = { kernelName, backendName: 'wasm', kernelFunc, nnspec: true };
    tf.registerKernel(config as unknown as Parameters<Tf['registerKernel']>[0]);
    registered.push(kernelName);
  };

  put('Conv2DBackpropFilter', ({ inputs, backend, attrs = {} }) =>
    composite(tf, backend, [inputs['x']!, inputs['dy']!], (x, dy) => {
      const info = convInfo(tf, x!.shape, attrs['filterShape'] as number[], attrs, false);
      return conv2dBackpropFilter(tf, toNhwc(tf, x!, attrs['dataFormat']), toNhwc(tf, dy!, attrs['dataFormat']), info);
    }),
  );

  put('Conv2DBackpropInput', ({ inputs, backend, attrs = {} }) =>
    composite(tf, backend, [inputs['dy']!, inputs['filter']!], (dy, filter) => {
      const info = convInfo(tf, attrs['inputShape'] as number[], filter!.shape, attrs, false);
      const dx = conv2dBackpropInput(tf, toNhwc(tf, dy!, attrs['dataFormat']), filter as Tensor4D, info);
      return attrs['dataFormat'] === 'NCHW' ? tf.transpose(dx, [0, 3, 1, 2]) : dx;
    }),
  );

  put('DepthwiseConv2dNativeBackpropFilter', ({ inputs, backend, attrs = {} }) =>
    composite(tf, backend, [inputs['x']!, inputs['dy']!], (x, dy) => {
      const info = convInfo(tf, x!.shape, attrs['filterShape'] as number[], attrs, true);
      return depthwiseBackpropFilter(tf, x as Tensor4D, dy as Tensor4D, info);
    }),
  );

  put('DepthwiseConv2dNativeBackpropInput', ({ inputs, backend, attrs = {} }) =>
    composite(tf, backend, [inputs['dy']!, inputs['filter']!], (dy, filter) => {
      const info = convInfo(tf, attrs['inputShape'] as number[], filter!.shape, attrs, true);
      return depthwiseBackpropInput(tf, dy as Tensor4D, filter as Tensor4D, info);
    }),
  );

  put('MaxPoolGrad', ({ inputs, backend, attrs = {} }) => {
    const x = inputs['input']!;
    const info = maxPoolGradInfo(tf, x, attrs);
    const heap = wasmHeap(backend);
    const dx = heap.makeOutput(x.shape, 'float32');
    // Views are taken after the allocation: it may grow (and so move) the wasm heap.
    maxPoolBackpropInto(heap.typedArrayFromHeap(dx) as Float32Array, heap.typedArrayFromHeap(inputs['dy']!), heap.typedArrayFromHeap(x), info);
    return dx;
  });

  for (const name of ['BatchMatMul', '_FusedMatMul']) {
    const own = tf.getKernel(name, 'wasm') as { nnspec?: boolean; kernelFunc: KernelFunc } | undefined;
    if (own && !own.nnspec) put(name, plainMatMul(tf, own.kernelFunc));
  }

  const identity = tf.getKernel('Identity', 'wasm') as { nnspec?: boolean; kernelFunc: KernelFunc } | undefined;
  if (identity && !identity.nnspec) {
    const copy = identity.kernelFunc;
    put('Identity', (args) => {
      const x = args.inputs['x']!;
      if (x.dtype === 'string') return copy(args);
      args.backend.incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
    });
  }

  for (const [name, mean] of [['Sum', false], ['Mean', true]] as const) {
    const own = tf.getKernel(name, 'wasm') as { nnspec?: boolean; kernelFunc: KernelFunc } | undefined;
    if (!own || own.nnspec) continue;
    const other = own.kernelFunc;
    put(name, (args) => {
      const x = args.inputs['x']!;
      if (x.dtype !== 'float32') return other(args);
      const attrs = args.attrs ?? {};
      const axes = tf.util.parseAxisParam(attrs['axis'] as number | number[], x.shape);
      const keepDims = attrs['keepDims'] === true;
      const shape = x.shape.flatMap((d, i) => (axes.includes(i) ? (keepDims ? [1] : []) : [d]));
      const heap = wasmHeap(args.backend);
      const out = heap.makeOutput(shape, 'float32');
      // Views are taken after the allocation: it may grow (and so move) the wasm heap.
      reduceInto(heap.typedArrayFromHeap(out) as Float32Array, heap.typedArrayFromHeap(x), x.shape, axes, mean);
      return out;
    });
  }

  // The gradient of gather (embeddings, index-based ops): a one-hot matMul.
  put('UnsortedSegmentSum', ({ inputs, backend, attrs = {} }) =>
    composite(tf, backend, [inputs['x']!, inputs['segmentIds']!], (x, ids) => {
      const numSegments = attrs['numSegments'] as number;
      const lead = ids!.size;
      const rest = x!.shape.slice(ids!.rank);
      const flat = x!.reshape([lead, -1]);
      const oneHot = tf.oneHot(ids!.reshape([lead]).toInt(), numSegments).toFloat();
      const summed = tf.matMul(oneHot, flat.toFloat(), true, false);
      return (x!.dtype === 'int32' ? summed.round().toInt() : summed).reshape([numSegments, ...rest]);
    }),
  );

  return registered;
}
