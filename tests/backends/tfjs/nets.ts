/**
 * Whole nets for the comparisons: compiled at batch 2 (by default) and the smallest image size
 * they accept, with their constant-initialised blobs perturbed so that biases and BatchNorm
 * statistics take part.
 */
import { prepareBackendInput, type BackendInput } from '../../../src/backends/backend.js';
import type { LoweredModel } from '../../../src/backends/tfjs/index.js';
import type { Shape } from '../../../src/ir/dims.js';
import { random, TF } from './harness.js';

export const BATCH = 2;
/** Spatial sizes tried in turn: the first the net accepts is used (fixed-size heads need 224). */
const SIZES = [32, 64, 67, 96, 128, 160, 224, 227];

export interface PrepareOptions {
  batch?: number;
  /** The smallest spatial size to try. */
  minSize?: number;
  /** Shapes (without the batch axis) of data blobs the net leaves to its data, e.g. a Caffe Data layer's. */
  undeclared?: Record<string, number[]>;
  /** Caffe: the phase whose layers are kept. */
  phase?: 'TRAIN' | 'TEST';
}

/** The net with its inputs at batch 2 and the smallest spatial size it accepts. */
export async function prepare(path: string, options: PrepareOptions = {}): Promise<BackendInput | string> {
  const batch = options.batch ?? BATCH;
  const phase = options.phase ? { phase: options.phase } : {};
  const first = await prepareBackendInput(path, phase);
  if (!first.input) return first.diagnostics.items.map((d) => d.message).join('; ');
  const declared = new Map<string, Shape>();
  for (const node of first.input.model.graph.nodes) {
    if (node.op !== 'input' && node.op !== 'data') continue;
    node.outputs.forEach((b, i) => {
      const s = first.input!.reports.get(node)?.outputs[i]?.shape ?? (options.undeclared?.[b] ? [batch, ...options.undeclared[b]!] : null);
      if (s) declared.set(b, s);
    });
  }
  for (const size of SIZES.filter((n) => n >= (options.minSize ?? 0))) {
    const shapes = new Map<string, Shape>();
    for (const [b, s] of declared) shapes.set(b, [batch, ...s.slice(1, 2), ...s.slice(2).map((d) => (typeof d === 'number' && d <= size ? d : size))]);
    const { input } = await prepareBackendInput(path, { ...phase, inputShapes: shapes });
    if (input) return input;
  }
  return `none of the sizes ${SIZES.join(', ')} fits`;
}

/**
 * Perturbs constant-initialised blobs (biases, BatchNorm statistics, and the weights of deploy
 * nets, which Caffe would fill with 0) so that they are exercised. Weights get variance
 * 1/fan-in, so that a deep net's activations stay in float32's range (ResNet-152 with ±0.5
 * weights overflowed to Infinity).
 */
export function randomiseConstants(lowered: LoweredModel, input: BackendInput): void {
  let seed = 1000;
  for (const node of input.model.graph.nodes) {
    for (const blob of node.params) {
      const p = lowered.params.get(node.name, blob.name);
      if (!p || p.sharedWith || blob.init.type !== 'constant') continue;
      const shape = p.variable.shape;
      const init = blob.init;
      const fanIn = shape.length >= 2 && blob.name === 'weight' ? shape.reduce((a, d) => a * d, 1) / shape[0]! : 0;
      const half = fanIn > 0 ? Math.sqrt(3 / fanIn) : 0.5;
      const value = TF.tidy(() => (blob.name === 'running_var' ? random(shape, seed++, 0.5, 1.5) : blob.name === 'scale_factor' ? TF.ones(shape) : TF.add(random(shape, seed++, -half, half), init.value)));
      p.variable.assign(value);
      // The variable now shares the value's data; the value's own handle must go, or the data outlives the variable.
      value.dispose();
    }
  }
}

