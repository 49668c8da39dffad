// Picks the TensorFlow.js backend nnspec trains and runs on: node-gpu → node → wasm → cpu.
// The two native ones are optionalDependencies (their install downloads libtensorflow,
// which fails offline), so each is tried and skipped with the reason kept when it is
// absent or its native binding does not load.
import os from 'node:os';
import type { Tf } from './tf.js';
import { loadNative, registerNativeKernels } from './native.js';
import { registerWasmGradientKernels } from './wasm-gradient-kernels.js';
import { initWasm } from './wasm-threads.js';

export const BACKENDS = ['node-gpu', 'node', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

export interface BackendRequest {
  /** Force one backend; an error (saying why) when it is unavailable. */
  backend?: BackendName;
  /** Threads for wasm (default: the CPUs Node may use, at most 8 — the wasm pool size). */
  threads?: number;
}

export interface SelectedBackend {
  tf: Tf;
  name: BackendName;
  threads: number;
  /** wasm only: whether the SIMD build runs. */
  simd?: boolean;
  /** wasm only: the native kernels that run convolutions and products (see native.ts), or why none do. */
  native?: { summary: string } | { why: string };
  /** Why the backends before it in the order were skipped, or why threads fell back. */
  why?: string;
}

/** Raised when a forced backend cannot be used; the message says why. */
export class BackendUnavailableError extends Error {}

/** A one-line, human-readable form of a load failure. */
function reason(err: unknown): string {
  const e = err as { code?: string; message?: string };
  if (e?.code === 'ERR_MODULE_NOT_FOUND' || e?.code === 'MODULE_NOT_FOUND') {
    const m = /Cannot find (?:package|module) '([^']+)'/.exec(e.message ?? '');
    return `${m ? m[1] : 'the package'} is not installed`;
  }
  return (e?.message ?? String(err)).split('\n')[0]!.trim();
}

const NATIVE_PACKAGES: Record<'node-gpu' | 'node', string> = {
  'node-gpu': '@tensorflow/tfjs-node-gpu',
  node: '@tensorflow/tfjs-node',
};

async function tryNative(name: 'node-gpu' | 'node'): Promise<Tf> {
  // A variable specifier: the packages are optional, so the type checker must not insist.
  const specifier: string = NATIVE_PACKAGES[name];
  const mod = (await import(specifier)) as { default?: Tf; setBackend?: unknown };
  const tf = (typeof mod.setBackend === 'function' ? mod : mod.default) as Tf;
  if (!(await tf.setBackend('tensorflow'))) throw new Error(`${specifier} loaded but its 'tensorflow' backend did not start`);
  tf.enableProdMode();
  return tf;
}

function defaultThreads(): number {
  const n = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, Math.min(8, n));
}

let selected: Promise<SelectedBackend> | undefined;
let selectedFor: string | undefined;

/**
 * Loads TensorFlow.js and starts a backend. A process can start only one: the wasm
 * module and native bindings cannot be unloaded, so a second call with a different
 * request is an error, and the same request returns the same backend.
 */
export function selectBackend(request: BackendRequest = {}): Promise<SelectedBackend> {
  const key = JSON.stringify([request.backend ?? null, request.threads ?? null]);
  if (selected) {
    if (key !== selectedFor) return Promise.reject(new Error('a TensorFlow.js backend was already selected in this process'));
    return selected;
  }
  selectedFor = key;
  selected = start(request);
  return selected;
}

async function start(request: BackendRequest): Promise<SelectedBackend> {
  if (request.threads !== undefined && !(Number.isInteger(request.threads) && request.threads >= 1)) {
    throw new BackendUnavailableError(`threads must be a whole number ≥ 1, got ${request.threads}`);
  }
  const order: readonly BackendName[] = request.backend ? [request.backend] : BACKENDS;
  const skipped: string[] = [];
  for (const name of order) {
    try {
      return await startOne(name, request, skipped);
    } catch (err) {
      if (request.backend) throw new BackendUnavailableError(`tfjs backend '${name}' is unavailable: ${reason(err)}`);
      skipped.push(`${name}: ${reason(err)}`);
    }
  }
  throw new BackendUnavailableError(`no TensorFlow.js backend could start (${skipped.join('; ')})`);
}

async function startOne(name: BackendName, request: BackendRequest, skipped: string[]): Promise<SelectedBackend> {
  const why = () => (skipped.length ? skipped.join('; ') : undefined);
  if (name === 'node-gpu' || name === 'node') {
    const tf = await tryNative(name);
    // libtensorflow sizes its own intra-op pool; report what it will use.
    const threads = Number(process.env['TF_NUM_INTRAOP_THREADS']) || defaultThreads();
    return withWhy({ tf, name, threads }, why());
  }
  const tf = (await import('@tensorflow/tfjs')) as Tf;
  // Prod mode drops per-op NaN checks and debug bookkeeping; training loops check loss themselves.
  tf.enableProdMode();
  if (name === 'cpu') {
    if (!(await tf.setBackend('cpu'))) throw new Error('the cpu backend failed to initialise');
    return withWhy({ tf, name, threads: 1 }, why());
  }
  const wanted = request.threads ?? defaultThreads();
  const threads = await initWasm(tf, wanted);
  registerWasmGradientKernels(tf);
  const load = loadNative(threads);
  if (load.native) registerNativeKernels(tf, load.native);
  const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) as boolean;
  const notes = [why(), threads < wanted ? `asked for ${wanted} wasm threads, got ${threads}` : undefined].filter(Boolean);
  const native = load.native ? { summary: load.summary } : { why: load.why };
  return withWhy({ tf, name, threads, simd, native }, notes.length ? notes.join('; ') : undefined);
}

function withWhy(b: SelectedBackend, why: string | undefined): SelectedBackend {
  return why ? { ...b, why } : b;
}

/** e.g. `tfjs backend: wasm (2 threads, SIMD; native kernels: OpenBLAS 0.3.21 SkylakeX, 2 threads)`. */
export function describeBackend(b: SelectedBackend): string {
  const parts = [`${b.threads} thread${b.threads === 1 ? '' : 's'}`];
  if (b.name === 'wasm') parts.push(b.simd ? 'SIMD' : 'no SIMD');
  let text = parts.join(', ');
  if (b.native) text += `; ${'summary' in b.native ? b.native.summary : `no native kernels: ${b.native.why}`}`;
  return `tfjs backend: ${b.name} (${text})`;
}
