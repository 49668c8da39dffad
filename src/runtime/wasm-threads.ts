// Starting the threaded (SIMD + pthreads) build of tfjs-backend-wasm under Node.
//
// As shipped (4.22) it cannot start there, for three reasons, each handled below without
// touching node_modules:
//  1. The flag WASM_HAS_MULTITHREAD_SUPPORT is hard-wired to false when IS_NODE
//     (tfjs issue #3830), so the single-threaded binary is loaded. We set the flag.
//  2. Emscripten's pthread workers are created with `new Worker(locateFile('…worker.js'))`,
//     and tfjs's locateFile answers with `URL.createObjectURL(blob)`: a `blob:` URL, which
//     Node's worker_threads rejects. While the backend initialises we make createObjectURL
//     answer a `data:` URL object (which Node accepts) holding an ES module that sets up
//     `require`/`__filename` and then runs the very same worker script tfjs ships.
//     The worker is told to import the main script from a Blob it cannot read synchronously;
//     the bootstrap points it at the identical file in wasm-out/ instead.
//  3. The C++ side caps the pool at emscripten_num_logical_cores() / 2 — on Node that is
//     os.cpus().length / 2, i.e. one thread on a two-core machine, whatever
//     setThreadsCount asks for. While the module initialises, os.cpus() reports enough
//     CPUs for the requested count.
// All three patches are undone as soon as the backend is up.
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';
import type { Tf } from './tf.js';

const require = createRequire(import.meta.url);

export function wasmPackageDir(): string {
  // The package's "main" is dist/tf-backend-wasm.node.js.
  return dirname(dirname(require.resolve('@tensorflow/tfjs-backend-wasm')));
}

function workerBootstrap(): string {
  const outDir = join(wasmPackageDir(), 'wasm-out');
  const mainScript = join(outDir, 'tfjs-backend-wasm-threaded-simd.js');
  const { wasmWorkerContents } = require(join(outDir, 'tfjs-backend-wasm-threaded-simd.worker.js')) as {
    wasmWorkerContents: string;
  };
  // tfjs escapes newlines the same way before putting this text in its Blob: the
  // template literal it comes from turned "\n" escapes into real line breaks.
  const workerScript = wasmWorkerContents.replace(/\n/g, '\\n');
  const source = `import { createRequire } from 'node:module';
import { parentPort } from 'node:worker_threads';
const mainScript = ${JSON.stringify(mainScript)};
globalThis.require = createRequire(mainScript);
globalThis.__filename = mainScript;
const on = parentPort.on.bind(parentPort);
parentPort.on = (event, listener) => on(event, event !== 'message' ? listener : (data) => {
  if (data && data.cmd === 'load' && typeof data.urlOrBlob !== 'string') data.urlOrBlob = mainScript;
  listener(data);
});
(0, eval)(${JSON.stringify(workerScript)});
`;
  return `data:text/javascript;base64,${Buffer.from(source).toString('base64')}`;
}

/**
 * Initialises the wasm backend with `threads` XNNPACK threads (1 = the plain SIMD build).
 * Resolves to the thread count the backend reports.
 */
export async function initWasm(tf: Tf, threads: number): Promise<number> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  wasm.setWasmPaths(join(wasmPackageDir(), 'dist') + '/');
  if (threads <= 1) {
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend failed to initialise');
    return wasm.getThreadsCount();
  }
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  wasm.setThreadsCount(threads);
  const bootstrap = new URL(workerBootstrap());
  const createObjectURL = URL.createObjectURL;
  const cpus = os.cpus;
  const real = cpus();
  URL.createObjectURL = (obj: Blob) =>
    obj instanceof Blob && obj.type === 'application/javascript' ? (bootstrap as unknown as string) : createObjectURL(obj);
  os.cpus = () => Array.from({ length: Math.max(real.length, 2 * threads) }, (_, i) => real[i % real.length]!);
  try {
    if (!(await tf.setBackend('wasm'))) throw new Error('the threaded wasm backend failed to initialise');
  } finally {
    URL.createObjectURL = createObjectURL;
    os.cpus = cpus;
  }
  // XNNPACK's pool threads park in their workers for good, and emscripten ref()s a
  // worker while it runs a thread: without this a process that trained never exits.
  const module = (tf.backend() as unknown as { wasm?: { PThread?: { runningWorkers: { unref(): void }[] } } }).wasm;
  for (const worker of module?.PThread?.runningWorkers ?? []) worker.unref();
  return wasm.getThreadsCount();
}
