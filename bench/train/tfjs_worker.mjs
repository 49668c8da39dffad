// One tfjs timing in its own process (a process can start only one backend, with one
// thread count): run.mjs spawns it per job. Prints one JSON line like torch_models.py.
//
//   node bench/train/tfjs_worker.mjs MODEL MODE STEPS THREADS [BACKEND] [RUNTIME_DIR]
//
// RUNTIME_DIR: a compiled src/runtime to use instead of dist/runtime (run.mjs --baseline
// builds HEAD's there, for before/after figures in one run).
import { join, resolve } from 'node:path';
import { buildModel } from './models.mjs';

const [model, mode, stepsArg, threadsArg, backend = 'wasm', runtime] = process.argv.slice(2);
const ROOT = resolve(import.meta.dirname, '../..');
const { selectBackend, describeBackend } = await import(join(runtime ? resolve(runtime) : join(ROOT, 'dist/runtime'), 'backend.js'));
const selected = await selectBackend({ backend, threads: Number(threadsArg) });
const tf = selected.tf;
const m = await buildModel(tf, model);
const step = m.steps()[mode === 'train' ? 'trainStep' : 'inferStep'];
const steps = Number(stepsArg);
for (let i = 0; i < 2; i++) step();
const t0 = performance.now();
for (let i = 0; i < steps; i++) step();
const dt = (performance.now() - t0) / 1000;
console.log(JSON.stringify({ model, mode, images_per_s: (steps * m.batch) / dt, ms_per_batch: (1000 * dt) / steps, threads: selected.threads, backend: describeBackend(selected) }));
process.exit(0);
