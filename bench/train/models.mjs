// The benchmark models, shared by run.mjs and profile.mjs. Each has a PyTorch twin of the
// same name in torch_models.py.
//   cnn:     issue 6's reference CIFAR-size CNN as plain tfjs ops (NHWC); batch 64, 32×32×3.
//   alexnet: specs/alexnet.nnspec (Caffe's AlexNet: LRN, groups 2, ceil pooling) through
//            nnspec's own tfjs lowering — what `nnspec train` runs; batch 8, 224×224.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const MODELS = { cnn: { batch: 64 }, alexnet: { batch: 8, size: 224 } };

function referenceCnn(tf, batch) {
  const glorot = (shape, fanIn, fanOut, seed) =>
    tf.variable(tf.randomUniform(shape, -1, 1, 'float32', seed).mul(Math.sqrt(6 / (fanIn + fanOut))));
  const p = {
    w1: glorot([5, 5, 3, 32], 75, 800, 1), b1: tf.variable(tf.zeros([32])),
    w2: glorot([5, 5, 32, 64], 800, 1600, 2), b2: tf.variable(tf.zeros([64])),
    w3: glorot([7 * 7 * 64, 256], 3136, 256, 3), b3: tf.variable(tf.zeros([256])),
    w4: glorot([256, 10], 256, 10, 4), b4: tf.variable(tf.zeros([10])),
  };
  const forward = (x, training) => {
    let h = tf.fused.conv2d({ x, filter: p.w1, strides: 1, pad: 'same', bias: p.b1, activation: 'relu' });
    h = tf.maxPool(h, 3, 2, 'valid');
    h = tf.fused.conv2d({ x: h, filter: p.w2, strides: 1, pad: 'same', bias: p.b2, activation: 'relu' });
    h = tf.maxPool(h, 3, 2, 'valid');
    h = tf.fused.matMul({ a: h.reshape([h.shape[0], -1]), b: p.w3, bias: p.b3, activation: 'relu' });
    if (training) h = tf.dropout(h, 0.5);
    return tf.fused.matMul({ a: h, b: p.w4, bias: p.b4 });
  };
  const params = Object.entries(p).map(([name, variable]) => ({ node: 'cnn', name, variable, trainable: true, lr_mult: 1, decay_mult: 1 }));
  return { inputShape: [batch, 32, 32, 3], classes: 10, forward, params };
}

async function loweredSpec(tf, file, batch, size) {
  const { prepareBackendInput } = await import(join(ROOT, 'dist/backends/backend.js'));
  const { lowerToTfjs } = await import(join(ROOT, 'dist/backends/tfjs/index.js'));
  const path = join(ROOT, file);
  // The spec states 227×227 (Caffe's crop); the benchmark uses 224×224.
  const text = readFileSync(path, 'utf8').replace(/shape: \[N, 3, \d+, \d+\]/, `shape: [N, 3, ${size}, ${size}]`);
  const { input, diagnostics } = await prepareBackendInput(path, {}, text);
  if (!input) throw new Error(`${file} did not compile: ${diagnostics.items.map((d) => d.message).join('; ')}`);
  const lowered = lowerToTfjs(tf, input, { seed: 1 });
  if (!lowered) throw new Error(`${file} did not lower: ${input.diagnostics.items.map((d) => d.message).join('; ')}`);
  const [inName] = lowered.inputs;
  const [outName] = lowered.outputs;
  const forward = (x, training) => lowered.forward({ [inName]: x }, training ? 'train' : 'inference', { outputs: [outName] })[outName];
  const params = [...lowered.params.entries()].filter((q) => q.trainable);
  return { inputShape: [batch, 3, size, size], classes: 1000, forward, params };
}

/** A model with ready-made training (nnspec's Optimizer: SGD, momentum 0.9) and inference steps on fixed data. */
export async function buildModel(tf, name, batchArg) {
  const spec = MODELS[name];
  if (!spec) throw new Error(`unknown model ${name} (known: ${Object.keys(MODELS).join(', ')})`);
  const batch = batchArg ?? spec.batch;
  const m = name === 'cnn' ? referenceCnn(tf, batch) : await loweredSpec(tf, 'specs/alexnet.nnspec', batch, spec.size);
  const x = tf.randomNormal(m.inputShape, 0, 1, 'float32', 2);
  const labels = tf.oneHot(tf.randomUniform([batch], 0, m.classes, 'int32', 3), m.classes);
  // nnspec's own optimizer, as `nnspec train` runs it: SGD, momentum 0.9 in PyTorch's
  // convention (v ← 0.9v + g, w ← w − lr·v), like the torch twin's torch.optim.SGD.
  const { Optimizer } = await import(join(ROOT, 'dist/train/optimizer.js'));
  const solver = { type: 'sgd', base_lr: 0.01, momentum: 0.9, momentum_convention: 'pytorch', beta2: 0.999, eps: 1e-8, rms_decay: 0.99 };
  const optimizer = new Optimizer(tf, solver, { l2: 0, l1: 0 }, m.params, null);
  const variables = optimizer.variables();
  const steps = () => ({
    trainStep: () => {
      const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(labels, m.forward(x, true)), variables);
      optimizer.step(grads, 0.01);
      tf.dispose(grads);
      value.dataSync();
      value.dispose();
    },
    inferStep: () => tf.tidy(() => m.forward(x, false).dataSync()),
  });
  return { name, batch, steps };
}
