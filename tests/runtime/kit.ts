// What the runtime kernel tests share: reproducible values, running one function on a
// backend, and comparing results relative to their largest magnitude.
import { expect } from 'vitest';
import type { Tensor, Tf } from '../../src/runtime/tf.js';

/** Deterministic values in [-1, 1) (a small LCG), so failures reproduce. */
export function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

export type Pad = 'valid' | 'same' | number | [[number, number], [number, number], [number, number], [number, number]];

/** Runs `f` on `backend` with fresh tensors and returns plain arrays; wasm is the backend again afterwards. */
export function runOn(tf: Tf, backend: 'cpu' | 'wasm', f: () => Tensor | Tensor[]): Float32Array[] {
  tf.setBackend(backend);
  try {
    return tf.tidy(() => [f()].flat().map((t) => t.dataSync() as Float32Array));
  } finally {
    tf.setBackend('wasm');
  }
}

/** Every element within `rel` × the largest |expected| (which must not be 0). */
export function expectClose(actual: Float32Array, expected: Float32Array, rel = 1e-4): void {
  expect(actual.length).toBe(expected.length);
  let scale = 0;
  let err = 0;
  for (let i = 0; i < expected.length; i++) {
    scale = Math.max(scale, Math.abs(expected[i]!));
    err = Math.max(err, Math.abs(actual[i]! - expected[i]!));
  }
  expect(scale).toBeGreaterThan(0);
  expect(err).toBeLessThanOrEqual(rel * scale);
}
