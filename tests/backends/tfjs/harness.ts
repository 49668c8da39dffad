/**
 * Runs lowered models on tfjs and hands the same inputs, weights and tfjs outputs to
 * compare.py, which computes the reference with torch (one Python process per test file).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// tfjs-core alone registers no gradients (the @tensorflow/tfjs bundle does).
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';
import '@tensorflow/tfjs-backend-wasm';
import type { Tf } from '../../../src/backends/tfjs/index.js';
import { loadNative, registerNativeKernels } from '../../../src/runtime/native.js';
import type { Tf as RuntimeTf } from '../../../src/runtime/tf.js';
import { registerWasmGradientKernels } from '../../../src/runtime/wasm-gradient-kernels.js';
import { PYTHON } from '../../verify/torch.js';

const HERE = dirname(fileURLToPath(import.meta.url));
export const OUT_DIR = mkdtempSync(join(tmpdir(), 'nnspec-tfjs-'));
/** Deletes the files handed to compare.py (whole nets' weights and gradients reach gigabytes). */
export function removeTempFiles(): void {
  // NNSPEC_KEEP_TEMP=1 keeps them, with the job compare.py was given (job.json), to rerun it by hand.
  if (process.env['NNSPEC_KEEP_TEMP'] !== '1') rmSync(OUT_DIR, { recursive: true, force: true });
}
process.once('exit', removeTempFiles);
export const TF = tf as unknown as Tf;
let counter = 0;

/**
 * Switches backend. wasm gets the kernels nnspec's runtime gives it (selectBackend does the
 * same): the gradient kernels it lacks and, when built, the native ones (NNSPEC_NATIVE=0:
 * wasm's own), so these tests check what `nnspec train` runs.
 */
export async function useBackend(name: 'cpu' | 'wasm'): Promise<void> {
  if (!(await tf.setBackend(name))) throw new Error(`the tfjs ${name} backend did not start`);
  if (name === 'wasm') {
    registerWasmGradientKernels(tf as unknown as RuntimeTf);
    const load = loadNative(Math.min(8, availableParallelism()));
    if (load.native) registerNativeKernels(tf as unknown as RuntimeTf, load.native);
  }
}

export type FilePair = [string, number[]];

/** Writes a tensor (or raw values) as little-endian float32 for compare.py. */
export function dump(t: tf.Tensor | { shape: number[]; data: Float32Array }): FilePair {
  const path = join(OUT_DIR, `t${counter++}.f32`);
  const data = 'dataSync' in t ? (t.dataSync() as Float32Array) : t.data;
  writeFileSync(path, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  return [path, [...t.shape]];
}

export function tempFile(name: string): string {
  return join(OUT_DIR, `${counter++}-${name}`);
}

/** A seeded uniform tensor in [lo, hi). */
export function random(shape: number[], seed: number, lo = -1, hi = 1): tf.Tensor {
  return tf.randomUniform(shape, lo, hi, 'float32', seed);
}

export type Comparison = { rel: number[]; max_abs: number[]; shapes: number[][] } | { error: string };
export type CompareResult = { ok: true; data: Record<string, Comparison> } | { ok: false; reason: string };

export function runCompare(cases: unknown[], timeoutMs = 300_000): Promise<CompareResult> {
  if (process.env['NNSPEC_KEEP_TEMP'] === '1') writeFileSync(join(OUT_DIR, 'job.json'), JSON.stringify({ cases }));
  const setup = 'install them with: apt-get install -y python3-torch python3-torchvision (see .ci/run)';
  if (!existsSync(PYTHON)) return Promise.resolve({ ok: false, reason: `${PYTHON} does not exist; ${setup}` });
  return new Promise((resolve, reject) => {
    const child = execFile(PYTHON, [join(HERE, 'compare.py')], { maxBuffer: 64 * 1024 * 1024, timeout: timeoutMs }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      if (code === 3) {
        resolve({ ok: false, reason: `${PYTHON} cannot import torch (${stdout.trim()}); ${setup}` });
        return;
      }
      if (error) {
        reject(new Error(`compare.py failed (${error.message}):\n${stderr}`));
        return;
      }
      resolve({ ok: true, data: JSON.parse(stdout) as Record<string, Comparison> });
    });
    child.stdin?.end(JSON.stringify({ cases }));
  });
}
