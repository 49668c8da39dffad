/**
 * The IR's fillers as tfjs tensors, drawn from seeded generators so that one seed gives the same
 * values on every run. Each distribution is the IR's exactly: a variance_scaling `normal` (Caffe
 * msra, Kaiming normal) is an untruncated normal, never tfjs's heNormal, which truncates.
 */
import type { Filler } from '../../ir/filler.js';
import type { Tensor, Tf } from './types.js';

/** Caffe's and the IR's fans: fan_in = count / shape[0], fan_out = count / shape[1] (count for 1-D). */
export function fans(shape: readonly number[]): { fan_in: number; fan_out: number } {
  const count = shape.reduce((a, b) => a * b, 1);
  if (shape.length === 0) return { fan_in: 1, fan_out: 1 };
  return { fan_in: count / shape[0]!, fan_out: shape.length > 1 ? count / shape[1]! : count };
}

/** FNV-1a: a stable 32-bit seed per parameter, so adding a layer leaves the others' values alone. */
export function seedFor(seed: number, key: string): number {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** Caffe's bilinear upsampling kernel over the last two axes (filler.hpp BilinearFiller). */
function bilinear(shape: readonly number[]): Float32Array {
  const k = shape[shape.length - 1]!;
  const kh = shape[shape.length - 2] ?? 1;
  const f = Math.ceil(k / 2);
  const c = (2 * f - 1 - (f % 2)) / (2 * f);
  const count = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const x = i % k;
    const y = Math.floor(i / k) % kh;
    out[i] = (1 - Math.abs(x / f - c)) * (1 - Math.abs(y / f - c));
  }
  return out;
}

/**
 * The initial value of a blob of `shape`. `weightShape` is the layer's weight's shape, for
 * fillers whose fan is the weight's (PyTorch's default bias initialisation).
 */
export function fill(tf: Tf, filler: Filler, shape: number[], seed: number, weightShape?: number[]): Tensor {
  return tf.tidy(() => {
    switch (filler.type) {
      case 'constant':
        return tf.fill(shape, filler.value);
      case 'uniform':
        return tf.randomUniform(shape, filler.min, filler.max, 'float32', seed);
      case 'normal': {
        const values = tf.randomNormal(shape, filler.mean, filler.std, 'float32', seed);
        if (filler.sparse < 0) return values;
        // Caffe's sparse Gaussian keeps each value with probability sparse / shape[0].
        const keep = Math.min(1, filler.sparse / (shape[0] ?? 1));
        const mask = tf.cast(tf.less(tf.randomUniform(shape, 0, 1, 'float32', seed + 1), keep), 'float32');
        return tf.mul(values, mask);
      }
      case 'variance_scaling': {
        const f = fans(filler.fan_of === 'weight' && weightShape ? weightShape : shape);
        const n = filler.mode === 'fan_in' ? f.fan_in : filler.mode === 'fan_out' ? f.fan_out : (f.fan_in + f.fan_out) / 2;
        const variance = filler.scale / Math.max(1, n);
        if (filler.distribution === 'uniform') {
          const limit = Math.sqrt(3 * variance);
          return tf.randomUniform(shape, -limit, limit, 'float32', seed);
        }
        const std = Math.sqrt(variance);
        // Keras' truncated_normal corrects the std for the truncation at two deviations.
        if (filler.distribution === 'truncated_normal') return tf.truncatedNormal(shape, 0, std / 0.8796256610342398, 'float32', seed);
        return tf.randomNormal(shape, 0, std, 'float32', seed);
      }
      case 'orthogonal': {
        const rows = shape[0] ?? 1;
        const count = shape.reduce((a, b) => a * b, 1);
        const cols = rows === 0 ? 0 : count / rows;
        const tall = rows >= cols;
        const a = tf.randomNormal([Math.max(rows, cols), Math.min(rows, cols)], 0, 1, 'float32', seed) as ReturnType<Tf['randomNormal']>;
        const [q, r] = tf.linalg.qr(a as never) as [Tensor, Tensor];
        // Signs from R's diagonal make the draw uniform over orthogonal matrices (as PyTorch does).
        const d = tf.sign(tf.sum(tf.mul(r, tf.eye(r.shape[0]!, r.shape[1])), 0));
        const signed = tf.mul(q, d);
        const m = tall ? signed : tf.transpose(signed);
        return tf.reshape(tf.mul(m, filler.gain), shape);
      }
      case 'bilinear':
        return tf.tensor(bilinear(shape), shape, 'float32');
      case 'positive_unitball': {
        const rows = shape[0] ?? 1;
        const u = tf.reshape(tf.randomUniform(shape, 0, 1, 'float32', seed), [rows, -1]);
        return tf.reshape(tf.div(u, tf.sum(u, 1, true)), shape);
      }
    }
  });
}
