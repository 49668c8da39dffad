// Gradient kernels that @tensorflow/tfjs-backend-wasm 4.22 does not ship (so tf.grads of
// any CNN fails on wasm), registered for the wasm backend and composed from kernels it
// does have. Found by diffing tf.getKernelsForBackend('wasm') against 'cpu' and by
// computing gradients of conv/depthwise/pool/batch-norm/dense/dropout nets on wasm.
import { conv2dBackpropFilter, conv2dBackpropInput, depthwiseBackpropFilter, depthwiseBackpropInput } from './conv-backprop.js';
import { maxPoolBackprop } from './pool-backprop.js';
import type { KernelBackend, Tensor, Tensor4D, TensorInfo, Tf } from './tf.js';

type ConvPad = 'valid' | 'same' | number | [[number, number], [number, number], [number, number], [number, number]];
type Rounding = 'floor' | 'round' | 'ceil' | undefined;
type Attrs = Record<string, unknown>;

/** Kernels registered here, by name; `replaces` marks wasm kernels swapped for faster ones. */
export const WASM_GRADIENT_KERNELS = [
  'Conv2DBackpropFilter',
  'Conv2DBackpropInput',
  'DepthwiseConv2dNativeBackpropFilter',
  'DepthwiseConv2dNativeBackpropInput',
  'MaxPoolGrad',
  'UnsortedSegmentSum',
] as const;

/**
 * Wasm kernels replaced. MaxPoolGrad: wasm's is wrong whenever an input is the maximum of
 * several overlapping windows (2×2/1, 3×3/1, 'same' padding; 3×3/2 'valid' happens to be
 * right). Conv2DBackpropInput: wasm's is a plain single-threaded loop; the composed one
 * runs on XNNPACK's conv2d (bench/train measures both).
 */
const REPLACED = new Set<string>(['MaxPoolGrad', 'Conv2DBackpropInput']);

/** wasm's own configs for the kernels replaced, so bench/train can time them too. */
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
  const put = (kernelName: string, kernelFunc: (args: { inputs: Record<string, TensorInfo>; backend: KernelBackend; attrs?: Attrs }) => TensorInfo) => {
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

  put('MaxPoolGrad', ({ inputs, backend, attrs = {} }) =>
    composite(tf, backend, [inputs['dy']!, inputs['input']!, inputs['output']!], (dy, x, y) => {
      const info = tf.backend_util.computePool2DInfo(
        x!.shape as [number, number, number, number],
        attrs['filterSize'] as number | [number, number],
        attrs['strides'] as number | [number, number],
        1,
        attrs['pad'] as ConvPad,
        attrs['dimRoundingMode'] as Rounding,
      );
      return maxPoolBackprop(tf, dy as Tensor4D, x as Tensor4D, y as Tensor4D, info);
    }),
  );

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
