// Per-kernel time of one training step (and one inference step) of a bench model on the
// backend nnspec selects: where a step's time goes, to pick what to speed up.
//
//   npm run build && node bench/train/profile.mjs [--model cnn|alexnet] [--threads N] [--batch B]
//
// Kernels that nnspec composes from others (the wasm gradient kernels) are listed with their
// total time, and the kernels they run are listed too, so the column does not add up to the step.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildModel } from './models.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const { values: opt } = parseArgs({
  options: {
    model: { type: 'string', default: 'cnn' },
    threads: { type: 'string' },
    batch: { type: 'string' },
    backend: { type: 'string', default: 'wasm' },
    top: { type: 'string', default: '15' },
  },
});
const { selectBackend, describeBackend } = await import(join(ROOT, 'dist/runtime/backend.js'));
const selected = await selectBackend({ backend: opt.backend, ...(opt.threads ? { threads: Number(opt.threads) } : {}) });
const tf = selected.tf;
console.log(describeBackend(selected));
const model = await buildModel(tf, opt.model, opt.batch ? Number(opt.batch) : undefined);
const { trainStep, inferStep } = model.steps();

for (const [name, step] of [['train', trainStep], ['infer', inferStep]]) {
  step();
  step();
  const t0 = performance.now();
  const info = await tf.profile(step);
  const wall = performance.now() - t0;
  const by = new Map();
  for (const k of info.kernels) {
    const e = by.get(k.name) ?? { ms: 0, calls: 0 };
    e.ms += k.kernelTimeMs;
    e.calls += 1;
    by.set(k.name, e);
  }
  const rows = [...by.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, Number(opt.top));
  console.log(`\n${model.name} ${name} step, batch ${model.batch}: ${wall.toFixed(0)} ms wall (profiled), new tensors ${info.newTensors}`);
  for (const [k, e] of rows) console.log(`  ${k.padEnd(28)} ${e.ms.toFixed(1).padStart(8)} ms  ${String(e.calls).padStart(4)} calls`);
}
