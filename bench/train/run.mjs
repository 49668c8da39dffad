// Training and inference images/second of issue 6's benchmark models — the reference
// CIFAR-size CNN (batch 64, 32×32×3) and Caffe's AlexNet (specs/alexnet.nnspec through
// nnspec's lowering, batch 8, 224×224); see models.mjs — on TensorFlow.js (the backend
// nnspec selects, at each --threads count) and on PyTorch (/usr/bin/python3,
// torch_models.py), in the same run. Every timing is its own process; rounds run the jobs
// in alternating order so that machine drift hits all engines alike. Prints a table of
// medians; writes bench/out/train.json.
//
//   npm run build && node bench/train/run.mjs [--models cnn,alexnet] [--threads 1,2]
//       [--rounds 3] [--steps 5] [--backend wasm|cpu|node|node-gpu] [--torch-threads 2]
//       [--baseline REF]
//
// --baseline REF also times src/runtime as of git REF (e.g. HEAD), compiled into
// bench/out/runtime-REF: before/after figures from one run.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { MODELS } from './models.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
// nnspec's native kernels tell OpenBLAS which kernels the CPU runs (OPENBLAS_CORETYPE, from its
// flags): on a VM reporting a generic CPU model OpenBLAS would pick its SSE3 ones (see
// src/runtime/native.ts). PyTorch's CPU convolutions and products go through the same system
// OpenBLAS, so it is timed twice: as installed (OpenBLAS's own detection) and with the same
// OPENBLAS_CORETYPE as nnspec.
const { openBlasCore } = await import(join(ROOT, 'dist/runtime/native.js'));
const OPENBLAS_CORE = process.env.OPENBLAS_CORETYPE ?? openBlasCore();
const AS_INSTALLED_ENV = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'OPENBLAS_CORETYPE'));
const CHILD_ENV = { ...AS_INSTALLED_ENV, ...(OPENBLAS_CORE ? { OPENBLAS_CORETYPE: OPENBLAS_CORE } : {}) };
const { values: opt } = parseArgs({
  options: {
    models: { type: 'string', default: 'cnn,alexnet' },
    threads: { type: 'string', default: String(Math.min(8, os.availableParallelism())) },
    rounds: { type: 'string', default: '3' },
    steps: { type: 'string', default: '5' },
    backend: { type: 'string', default: 'wasm' },
    'torch-threads': { type: 'string', default: '2' },
    baseline: { type: 'string' },
  },
});
const models = opt.models.split(',');
for (const m of models) if (!MODELS[m]) throw new Error(`unknown model ${m} (known: ${Object.keys(MODELS).join(', ')})`);
const threadCounts = opt.backend === 'wasm' ? opt.threads.split(',').map(Number) : [1];
const rounds = Number(opt.rounds);
const steps = Number(opt.steps);
const torchThreads = Number(opt['torch-threads']);

/** Compiles src/runtime as of `ref` (its modules import only each other and tfjs). */
function buildBaseline(ref) {
  const dir = join(ROOT, 'bench/out', `runtime-${ref.replace(/[^\w.-]/g, '_')}`);
  const src = join(dir, 'src');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(src, { recursive: true });
  const files = execFileSync('git', ['ls-tree', '--name-only', ref, 'src/runtime/'], { cwd: ROOT, encoding: 'utf8' }).trim().split('\n');
  for (const f of files) writeFileSync(join(src, f.split('/').pop()), execFileSync('git', ['show', `${ref}:${f}`], { cwd: ROOT }));
  execFileSync(join(ROOT, 'node_modules/.bin/tsc'), ['--outDir', dir, '--rootDir', src, '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--skipLibCheck', '--strict', ...files.map((f) => join(src, f.split('/').pop()))], { cwd: ROOT, stdio: 'inherit' });
  return dir;
}

const engines = threadCounts.map((t) => ({ name: `tfjs ${opt.backend} ${t} thr`, kind: 'tfjs', threads: t }));
if (opt.baseline) {
  const dir = buildBaseline(opt.baseline);
  for (const t of threadCounts) engines.push({ name: `tfjs ${opt.backend} ${t} thr @${opt.baseline}`, kind: 'tfjs', threads: t, runtime: dir });
}
engines.push({ name: `torch ${torchThreads} thr`, kind: 'torch', threads: torchThreads, env: AS_INSTALLED_ENV });
if (OPENBLAS_CORE) engines.push({ name: `torch ${torchThreads} thr ${OPENBLAS_CORE}`, kind: 'torch', threads: torchThreads, env: CHILD_ENV });

function run(engine, model, mode) {
  const [cmd, args] = engine.kind === 'torch'
    ? ['/usr/bin/python3', [join(ROOT, 'bench/train/torch_models.py'), model, mode, String(steps), String(MODELS[model].batch), String(torchThreads)]]
    : [process.execPath, [join(ROOT, 'bench/train/tfjs_worker.mjs'), model, mode, String(steps), String(engine.threads), opt.backend, ...(engine.runtime ? [engine.runtime] : [])]];
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: engine.env ?? CHILD_ENV });
  if (r.status !== 0) return { error: (r.stderr || r.error?.message || 'failed').trim().split('\n').pop() };
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

const fmt = (v) => (v >= 100 ? v.toFixed(0) : v.toPrecision(3));
const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');
console.log(`load average at start: ${load()}; OPENBLAS_CORETYPE for nnspec${OPENBLAS_CORE ? ` and "torch … ${OPENBLAS_CORE}"` : ''}: ${OPENBLAS_CORE ?? "(OpenBLAS decides)"}`);
const results = [];
for (let r = 0; r < rounds; r++) {
  const jobs = [];
  for (const model of models) for (const mode of ['train', 'infer']) for (const engine of engines) jobs.push({ model, mode, engine });
  if (r % 2 === 1) jobs.reverse();
  for (const { model, mode, engine } of jobs) {
    const res = run(engine, model, mode);
    results.push({ round: r, model, mode, engine: engine.name, load: os.loadavg()[0], ...res });
    console.log(`round ${r}  ${model.padEnd(8)} ${mode.padEnd(6)} ${engine.name.padEnd(34)} ${res.error ?? `${fmt(res.images_per_s)} img/s`}`);
  }
}

const median = (a) => { const s = [...a].sort((p, q) => p - q); return s.length ? s[Math.floor((s.length - 1) / 2)] : NaN; };
const table = [];
for (const model of models) for (const mode of ['train', 'infer']) for (const engine of engines) {
  const rows = results.filter((x) => x.model === model && x.mode === mode && x.engine === engine.name && !x.error);
  table.push({ model, mode, engine: engine.name, median_images_per_s: median(rows.map((x) => x.images_per_s)), runs: rows.length });
}
console.log(`\nload average at end: ${load()}\n\n${'model'.padEnd(8)} ${'mode'.padEnd(6)} ${'engine'.padEnd(34)} median img/s`);
for (const t of table) console.log(`${t.model.padEnd(8)} ${t.mode.padEnd(6)} ${t.engine.padEnd(34)} ${fmt(t.median_images_per_s)}`);
mkdirSync(join(ROOT, 'bench/out'), { recursive: true });
const out = join(ROOT, 'bench/out/train.json');
writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), cpus: os.cpus().length, steps, rounds, torchThreads, results, table }, null, 2) + '\n');
console.log(`\nwrote ${out}`);
