// Training and inference images/second of issue 6's reference CIFAR-size CNN
// (conv5×5·32 → ReLU → maxpool 3/2 → conv5×5·64 → ReLU → maxpool 3/2 → fc256 → ReLU →
// dropout → fc10; batch 64, 32×32×3, SGD) on TensorFlow.js (the backend nnspec selects)
// and on PyTorch (/usr/bin/python3), in the same run, interleaved round by round so that
// machine drift hits both alike. Prints a table; writes bench/out/train.json.
//
//   npm run build && node bench/train/run.mjs [--rounds 3] [--steps 5] [--threads N]
//       [--backend wasm|cpu|node|node-gpu] [--torch-threads 2] [--wasm-kernels]
//
// --wasm-kernels also times the step with wasm's own Conv2DBackpropInput instead of the
// composed one nnspec registers (MaxPoolGrad stays nnspec's: wasm's is wrong).
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const { values: opt } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    steps: { type: 'string', default: '5' },
    batch: { type: 'string', default: '64' },
    threads: { type: 'string' },
    backend: { type: 'string' },
    'torch-threads': { type: 'string', default: '2' },
    'wasm-kernels': { type: 'boolean', default: false },
  },
});
const rounds = Number(opt.rounds);
const steps = Number(opt.steps);
const batch = Number(opt.batch);
const torchThreads = Number(opt['torch-threads']);

const { selectBackend, describeBackend } = await import(join(ROOT, 'dist/runtime/backend.js'));
const { replacedWasmKernels } = await import(join(ROOT, 'dist/runtime/wasm-gradient-kernels.js'));
const selected = await selectBackend({
  ...(opt.backend ? { backend: opt.backend } : {}),
  ...(opt.threads ? { threads: Number(opt.threads) } : {}),
});
const tf = selected.tf;
const backendLine = describeBackend(selected);
console.log(backendLine + (selected.why ? `  [${selected.why}]` : ''));

// --- the model, as plain tfjs ops on variables (NHWC) ------------------------------------
const glorot = (shape, fanIn, fanOut) => tf.variable(tf.randomUniform(shape, -1, 1, 'float32', 1).mul(Math.sqrt(6 / (fanIn + fanOut))));
const params = {
  w1: glorot([5, 5, 3, 32], 75, 800), b1: tf.variable(tf.zeros([32])),
  w2: glorot([5, 5, 32, 64], 800, 1600), b2: tf.variable(tf.zeros([64])),
  w3: glorot([7 * 7 * 64, 256], 3136, 256), b3: tf.variable(tf.zeros([256])),
  w4: glorot([256, 10], 256, 10), b4: tf.variable(tf.zeros([10])),
};
function forward(x, training) {
  let h = tf.fused.conv2d({ x, filter: params.w1, strides: 1, pad: 'same', bias: params.b1, activation: 'relu' });
  h = tf.maxPool(h, 3, 2, 'valid');
  h = tf.fused.conv2d({ x: h, filter: params.w2, strides: 1, pad: 'same', bias: params.b2, activation: 'relu' });
  h = tf.maxPool(h, 3, 2, 'valid');
  h = tf.fused.matMul({ a: h.reshape([h.shape[0], -1]), b: params.w3, bias: params.b3, activation: 'relu' });
  if (training) h = tf.dropout(h, 0.5);
  return tf.fused.matMul({ a: h, b: params.w4, bias: params.b4 });
}
const x = tf.randomNormal([batch, 32, 32, 3], 0, 1, 'float32', 2);
const labels = tf.oneHot(tf.randomUniform([batch], 0, 10, 'int32', 3), 10);
const sgd = tf.train.momentum(0.01, 0.9);
const trainStep = () => {
  const loss = sgd.minimize(() => tf.losses.softmaxCrossEntropy(labels, forward(x, true)), true);
  loss.dataSync();
  loss.dispose();
};
const inferStep = () => tf.tidy(() => forward(x, false).dataSync());

function timeTfjs(step) {
  for (let i = 0; i < 2; i++) step();
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) step();
  const dt = (performance.now() - t0) / 1000;
  return { images_per_s: (steps * batch) / dt, ms_per_batch: (1000 * dt) / steps };
}
function timeTorch(mode) {
  const r = spawnSync('/usr/bin/python3', [join(ROOT, 'bench/train/torch_cnn.py'), mode, String(steps), String(batch), String(torchThreads)], { encoding: 'utf8' });
  if (r.status !== 0) return { error: (r.stderr || r.error?.message || 'python failed').trim().split('\n').pop() };
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

const variants = [['tfjs', () => true]];
const original = replacedWasmKernels.get('Conv2DBackpropInput');
if (opt['wasm-kernels'] && original && selected.name === 'wasm') variants.push(['tfjs, wasm Conv2DBackpropInput', () => true]);
const useKernel = (which) => {
  if (!original) return;
  const mine = tf.getKernel('Conv2DBackpropInput', 'wasm');
  if ((which === 'wasm') === Boolean(mine?.nnspec)) {
    tf.unregisterKernel('Conv2DBackpropInput', 'wasm');
    tf.registerKernel(which === 'wasm' ? original : swapped);
  }
};
const swapped = tf.getKernel('Conv2DBackpropInput', 'wasm');

const results = [];
for (let r = 0; r < rounds; r++) {
  // Alternate who goes first, so neither always runs right after the other.
  const jobs = [
    ...variants.map(([name]) => ['tfjs-train', name]), ['torch-train', 'torch'],
    ...variants.map(([name]) => ['tfjs-infer', name]), ['torch-infer', 'torch'],
  ];
  if (r % 2 === 1) jobs.reverse();
  for (const [kind, name] of jobs) {
    let res;
    if (kind.startsWith('tfjs')) {
      useKernel(name === 'tfjs' ? 'nnspec' : 'wasm');
      res = timeTfjs(kind === 'tfjs-train' ? trainStep : inferStep);
    } else res = timeTorch(kind === 'torch-train' ? 'train' : 'infer');
    results.push({ round: r, kind: kind.endsWith('train') ? 'train' : 'infer', engine: name, ...res });
    console.log(`round ${r}  ${kind.padEnd(12)} ${name.padEnd(32)} ${res.error ?? `${res.images_per_s.toFixed(1)} img/s`}`);
  }
}
useKernel('nnspec');

const median = (a) => { const s = [...a].sort((p, q) => p - q); return s.length ? s[Math.floor((s.length - 1) / 2)] : NaN; };
const table = [];
for (const kind of ['train', 'infer']) {
  for (const engine of [...variants.map(([n]) => n), 'torch']) {
    const rows = results.filter((r) => r.kind === kind && r.engine === engine && !r.error);
    table.push({ kind, engine, median_images_per_s: median(rows.map((r) => r.images_per_s)), runs: rows.length });
  }
}
console.log(`\n${'kind'.padEnd(6)} ${'engine'.padEnd(34)} median img/s`);
for (const t of table) console.log(`${t.kind.padEnd(6)} ${(t.engine === 'torch' ? `torch ${torchThreads} threads` : `${t.engine} (${selected.name}, ${selected.threads} thr)`).padEnd(34)} ${t.median_images_per_s.toFixed(1)}`);
mkdirSync(join(ROOT, 'bench/out'), { recursive: true });
const out = join(ROOT, 'bench/out/train.json');
writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), backend: backendLine, why: selected.why ?? null, batch, steps, rounds, torchThreads, results, table }, null, 2) + '\n');
console.log(`\nwrote ${out}`);
