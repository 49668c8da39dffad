// Backend selection as a user sees it: the automatic order skips the native backends that
// are not installed (saying why), --backend forces one or fails with the reason, and the
// threaded wasm build really starts the threads it reports. Each case runs in a fresh
// Node process, because a process can start only one TensorFlow.js backend.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers.js';

const require = createRequire(import.meta.url);
const installed = (name: string) => {
  try {
    require.resolve(name);
    return true;
  } catch {
    return false;
  }
};
const HAS_NODE = installed('@tensorflow/tfjs-node');
const HAS_NODE_GPU = installed('@tensorflow/tfjs-node-gpu');

/** Runs selectBackend in a child process (from the built dist/) and returns its JSON. */
function select(request: object, extra = '', env: Record<string, string> = {}): { ok: boolean; out: Record<string, unknown>; stderr: string } {
  const script = `
    const { selectBackend, describeBackend } = await import(${JSON.stringify(join(ROOT, 'dist/runtime/backend.js'))});
    try {
      const b = await selectBackend(${JSON.stringify(request)});
      const out = { name: b.name, threads: b.threads, simd: b.simd, why: b.why, line: describeBackend(b) };
      ${extra}
      console.log(JSON.stringify(out));
    } catch (e) {
      console.log(JSON.stringify({ error: e.message, kind: e.constructor.name }));
    }`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, ...env } });
  const last = r.stdout.trim().split('\n').pop() ?? '{}';
  return { ok: r.status === 0, out: JSON.parse(last) as Record<string, unknown>, stderr: r.stderr };
}

describe('selectBackend', () => {
  it.skipIf(HAS_NODE || HAS_NODE_GPU)('falls through node-gpu and node to wasm, keeping why', () => {
    const { ok, out } = select({ threads: 1 });
    expect(ok).toBe(true);
    expect(out['name']).toBe('wasm');
    expect(out['why']).toContain('@tensorflow/tfjs-node-gpu is not installed');
    expect(out['why']).toContain('@tensorflow/tfjs-node is not installed');
    expect(out['line']).toMatch(/^tfjs backend: wasm \(1 thread, (SIMD|no SIMD); (native kernels: OpenBLAS .+, 1 thread|no native kernels: .+)\)$/);
  });

  it.skipIf(HAS_NODE)('--backend node fails with the reason when tfjs-node is absent', () => {
    const { ok, out } = select({ backend: 'node' });
    expect(ok).toBe(true);
    expect(out['kind']).toBe('BackendUnavailableError');
    expect(out['error']).toBe("tfjs backend 'node' is unavailable: @tensorflow/tfjs-node is not installed");
  });

  it('--backend cpu starts the reference backend on one thread', () => {
    const { out } = select({ backend: 'cpu' });
    expect(out).toMatchObject({ name: 'cpu', threads: 1, line: 'tfjs backend: cpu (1 thread)' });
  });

  it('rejects a thread count that is not a whole number ≥ 1', () => {
    const { out } = select({ backend: 'wasm', threads: 0 });
    expect(out['kind']).toBe('BackendUnavailableError');
    expect(out['error']).toMatch(/threads must be a whole number/);
  });

  it('threaded wasm starts two XNNPACK threads in worker_threads, computes correctly, and the process exits', () => {
    // Runs a matMul big enough for XNNPACK to split across the pool, then checks the result
    // against plain JS and that emscripten started pthread workers. Native kernels off: the
    // product must run on wasm itself.
    const extra = `
      const tf = b.tf;
      const n = 96;
      const a = Array.from({ length: n * n }, (_, i) => ((i * 37) % 17) / 17 - 0.5);
      const c = tf.matMul(tf.tensor2d(a, [n, n]), tf.tensor2d(a, [n, n])).dataSync();
      let err = 0;
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
        let s = 0; for (let k = 0; k < n; k++) s += a[i * n + k] * a[k * n + j];
        err = Math.max(err, Math.abs(s - c[i * n + j]));
      }
      out.maxErr = err;
      out.workers = tf.backend().wasm.PThread.runningWorkers.length;`;
    const started = Date.now();
    const { ok, out, stderr } = select({ backend: 'wasm', threads: 2 }, extra, { NNSPEC_NATIVE: '0' });
    expect(stderr).not.toMatch(/worker sent an error|Error/);
    expect(ok).toBe(true);
    expect(out['line']).toBe('tfjs backend: wasm (2 threads, SIMD; no native kernels: NNSPEC_NATIVE=0)');
    expect(out['threads']).toBe(2);
    // XNNPACK's pool keeps the calling thread plus (threads - 1) workers.
    expect(out['workers']).toBeGreaterThanOrEqual(1);
    expect(out['maxErr'] as number).toBeLessThan(1e-4);
    // The pool's workers must not keep the process alive (they park forever).
    expect(Date.now() - started).toBeLessThan(60_000);
  });

  it('a second, different request in the same process is refused', () => {
    const extra = `
      try { await selectBackend({ backend: 'cpu' }); out.second = 'accepted'; }
      catch (e) { out.second = e.message; }`;
    const { out } = select({ backend: 'wasm', threads: 1 }, extra);
    expect(out['second']).toBe('a TensorFlow.js backend was already selected in this process');
  });
});
