/**
 * `nnspec train` end to end, in-process (one tfjs backend per test file): LeNet on small
 * synthetic data, with the files --out writes.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runTrain, type TrainFlags } from '../../src/cli/train.js';
import type { EpochMetrics } from '../../src/train/loop.js';
import { readCheckpoint } from '../../src/train/checkpoint.js';
import { readSafetensors } from '../../src/weights/index.js';
import { prepareBackendInput } from '../../src/backends/backend.js';
import { emitPyTorch } from '../../src/backends/pytorch/index.js';
import { BatchLoader, DataPipeline, SubsetDataset, dataOptionsFromModel, openDataset, type Batch } from '../../src/data/index.js';
import { ROOT } from '../helpers.js';
import { announceSkip, runTorchHelper } from '../verify/torch.js';

const LENET = join(ROOT, 'specs/lenet.nnspec');
const TMP = mkdtempSync(join(tmpdir(), 'nnspec-train-'));
let runs = 0;
/** The --out folder of the LeNet run that learned. */
let trained: string | undefined;

async function train(flags: TrainFlags, spec = LENET) {
  const out = join(TMP, `run${runs++}`);
  const lines: string[] = [];
  const errors: string[] = [];
  const code = await runTrain(spec, { out, seed: 7, threads: 2, ...flags }, { out: (l) => lines.push(l), err: (l) => errors.push(l) });
  return { code, out, lines, errors };
}

const metrics = (dir: string) => JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8')) as { stopped: string; message?: string; epochs: EpochMetrics[] };

describe('nnspec train', () => {
  it('starts at a loss of about log(C) for C classes', async () => {
    // lr 0: the weights stay at their initialisation, so every batch's loss is an initial loss.
    const r = await train({ data: 'synthetic:200', iterations: 3, batchSize: 32, lr: 0, valSplit: 0 });
    expect(r.errors).toEqual([]);
    expect(r.code).toBe(0);
    expect(metrics(r.out).epochs[0]!.train_loss).toBeGreaterThan(Math.log(10) - 0.25);
    expect(metrics(r.out).epochs[0]!.train_loss).toBeLessThan(Math.log(10) + 0.25);
  });

  it('learns LeNet on synthetic data and writes metrics and weights', async () => {
    const r = await train({ data: 'synthetic:400', epochs: 3, batchSize: 32, lr: 0.01 });
    expect(r.code).toBe(0);
    expect(r.lines[0]).toMatch(/^tfjs backend: \w+ \(\d+ threads?/);
    const { epochs, stopped } = metrics(r.out);
    expect(stopped).toBe('completed');
    expect(epochs).toHaveLength(3);
    const last = epochs[2]!;
    expect(last.train_loss).toBeLessThan(epochs[0]!.train_loss);
    expect(last.train_top1).toBeGreaterThan(0.9);
    expect(last.val_top1).toBeGreaterThan(0.9);
    expect(last.val_top5).toBeGreaterThanOrEqual(last.val_top1!);
    // 400 examples, 10% held out, batch 32: 12 updates per epoch.
    expect(last.iteration).toBe(36);
    const csv = readFileSync(join(r.out, 'metrics.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('epoch,iteration,lr,train_loss,train_top1,val_loss,val_top1,val_top5,seconds,images_per_second');
    expect(csv).toHaveLength(4);
    expect(Number(csv[3]!.split(',')[3])).toBeCloseTo(last.train_loss, 6);
    // Written atomically: no temporary files are left behind.
    expect(readdirSync(r.out).sort()).toEqual(['best.safetensors', 'checkpoint', 'curves.svg', 'metrics.csv', 'metrics.json', 'tfjs', 'weights.safetensors']);
    // One generation of checkpoint files: older ones are removed once state.json names the new ones.
    // 3 epochs: 3 checkpoints, the last one's files only (the best parameters keep the file of the checkpoint that first held them).
    const files = readdirSync(join(r.out, 'checkpoint')).sort();
    expect(files).toHaveLength(4);
    expect(files.slice(1)).toEqual(['optimizer-3.safetensors', 'state.json', 'weights-3.safetensors']);
    expect(files[0]).toMatch(/^best-[123]\.safetensors$/);
    // lenet.nnspec validates every 500 iterations: within these 36, only at the end of the run.
    expect(epochs.map((m) => m.val_loss === null)).toEqual([true, true, false]);
    const best = readSafetensors(readFileSync(join(r.out, 'best.safetensors')));
    if ('error' in best) throw new Error(best.error);
    expect(best.file.metadata).toMatchObject({ epoch: '3', iteration: '36', val_loss: String(last.val_loss) });
    const read = readSafetensors(readFileSync(join(r.out, 'weights.safetensors')));
    if ('error' in read) throw new Error(read.error);
    const shapes = Object.fromEntries(read.file.tensors.map((t) => [t.key, t.shape]));
    expect(shapes).toEqual({
      'conv1.weight': [20, 1, 5, 5],
      'conv1.bias': [20],
      'conv2.weight': [50, 20, 5, 5],
      'conv2.bias': [50],
      'ip1.weight': [500, 800],
      'ip1.bias': [500],
      'ip2.weight': [10, 500],
      'ip2.bias': [10],
    });
    for (const t of read.file.tensors) expect(t.data.every(Number.isFinite)).toBe(true);
    trained = r.out;
  });

  it('writes weights that the PyTorch module from `nnspec convert` loads and classifies with', async () => {
    expect(trained).toBeDefined();
    const module = join(TMP, 'lenet.py');
    const { input } = await prepareBackendInput(LENET);
    writeFileSync(module, emitPyTorch(input!)!);
    // Examples the run never saw: the same synthetic task (its classes come from the seed), indices past the 400 it used.
    const all = await openDataset('synthetic:464', { shape: [1, 28, 28], numClasses: 10, seed: 7 });
    const dataset = new SubsetDataset(all, Int32Array.from({ length: 64 }, (_, i) => 400 + i));
    const loader = new BatchLoader(await DataPipeline.create(dataset, dataOptionsFromModel(input!.model)), { batchSize: 64, mode: 'eval' });
    let batch: Batch | undefined;
    for await (const b of loader.epoch(0)) batch = b;
    await loader.close();
    const images = join(TMP, 'images.f32');
    writeFileSync(images, Buffer.from(batch!.images.buffer, batch!.images.byteOffset, batch!.images.byteLength));
    writeFileSync(join(TMP, 'labels.json'), JSON.stringify([...batch!.labels]));
    writeFileSync(join(TMP, 'shape.json'), JSON.stringify(batch!.shape));
    const r = await runTorchHelper<{ accuracy: number; loaded: string[] }>('../train/load_weights.py', [module, join(trained!, 'weights.safetensors'), images, join(TMP, 'labels.json'), join(TMP, 'shape.json')]);
    if (!r.ok) {
      announceSkip('tests/train/train.test.ts', r.reason);
      return;
    }
    expect(r.data.loaded).toHaveLength(8);
    expect(r.data.accuracy).toBeGreaterThan(0.9);
  });

  it('is deterministic with --seed', async () => {
    const flags = { data: 'synthetic:160', iterations: 6, batchSize: 32, lr: 0.01 };
    const a = await train(flags);
    const b = await train(flags);
    const strip = (m: EpochMetrics[]) => m.map(({ seconds: _s, images_per_second: _i, ...rest }) => rest);
    expect(strip(metrics(a.out).epochs)).toEqual(strip(metrics(b.out).epochs));
    expect(readFileSync(join(a.out, 'weights.safetensors')).equals(readFileSync(join(b.out, 'weights.safetensors')))).toBe(true);
    const c = await train({ ...flags, seed: 8 });
    expect(strip(metrics(c.out).epochs)).not.toEqual(strip(metrics(a.out).epochs));
  });

  it('stops with a clear message when the loss diverges', async () => {
    const r = await train({ data: 'synthetic:160', iterations: 30, batchSize: 32, lr: 1e6 });
    expect(r.code).toBe(1);
    expect(r.errors.join('\n')).toMatch(/training diverged: the loss became (NaN|-?Infinity) at iteration \d+; try a smaller learning rate/);
    expect(metrics(r.out).stopped).toBe('diverged');
    // Diverged weights are no use to anyone: only the metrics are written.
    expect(readdirSync(r.out)).not.toContain('weights.safetensors');
    expect(readdirSync(r.out)).toContain('metrics.csv');
    // No checkpoint of the diverged state: one there is from before it, with finite values.
    if (readdirSync(r.out).includes('checkpoint')) {
      for (const blobs of readCheckpoint(r.out).weights.values()) for (const w of blobs.values()) expect(w.data.every(Number.isFinite)).toBe(true);
    }
  });

  it('trains a net whose own loss layer takes the labels (Caffe train_val style)', async () => {
    const spec = join(TMP, 'tiny.prototxt');
    writeFileSync(
      spec,
      `name: "tiny"
layer { name: "data" type: "Input" top: "data" top: "label" input_param { shape { dim: 8 dim: 1 dim: 12 dim: 12 } shape { dim: 8 } } }
layer { name: "fc" type: "InnerProduct" bottom: "data" top: "fc" inner_product_param { num_output: 4 weight_filler { type: "xavier" } } }
layer { name: "loss" type: "SoftmaxWithLoss" bottom: "fc" bottom: "label" top: "loss" }
`,
    );
    const r = await train({ data: 'synthetic:96', epochs: 2, batchSize: 8, lr: 0.01 }, spec);
    expect(r.errors.filter((e) => !/warning/.test(e))).toEqual([]);
    expect(r.code).toBe(0);
    const { epochs } = metrics(r.out);
    expect(epochs).toHaveLength(2);
    expect(epochs[0]!.train_loss).toBeGreaterThan(0);
    expect(epochs[1]!.val_top5).toBeNull(); // 4 classes: top-5 says nothing
  });

  it('stops early when the watched metric stops improving', async () => {
    const spec = join(TMP, 'early.nnspec');
    const lenet = readFileSync(LENET, 'utf8');
    writeFileSync(spec, lenet.replace(/train \{[^]*$/, 'train {\n  solver { type: sgd lr: 0.01 }\n  early_stopping { metric: val_loss patience: 1 }\n}\n'));
    // lr 0: the validation loss never improves after the first epoch.
    const r = await train({ data: 'synthetic:100', epochs: 10, batchSize: 30, lr: 0 }, spec);
    expect(r.errors).toEqual([]);
    expect(r.code).toBe(0);
    const m = metrics(r.out);
    expect(m.stopped).toBe('early_stopping');
    expect(m.epochs).toHaveLength(2);
    expect(r.lines.some((l) => /^early stopping: val_loss has not improved for 1 epoch \(best [\d.]+ at epoch 1\)$/.test(l))).toBe(true);
  });

  it('validates every N iterations and counts patience in validation points', async () => {
    const spec = join(TMP, 'every2.nnspec');
    const lenet = readFileSync(LENET, 'utf8');
    writeFileSync(spec, lenet.replace(/train \{[^]*$/, 'train {\n  solver { type: sgd lr: 0.01 }\n  validation { interval: 2 unit: iteration }\n  early_stopping { metric: val_loss patience: 2 }\n}\n'));
    // 90 training examples in batches of 30: 3 updates per epoch; lr 0: the validation loss never improves after the first point.
    const r = await train({ data: 'synthetic:100', epochs: 10, batchSize: 30, lr: 0 }, spec);
    expect(r.code).toBe(0);
    const m = metrics(r.out);
    expect(m.stopped).toBe('early_stopping');
    expect(m.epochs.map((e) => [e.epoch, e.iteration, e.val_loss !== null])).toEqual([
      [1, 2, true],
      [1, 3, false],
      [2, 4, true],
      [2, 6, true],
    ]);
    expect(r.lines).toContain(`early stopping: val_loss has not improved for 2 validations (best ${m.epochs[0]!.val_loss!.toPrecision(4)} at iteration 2)`);
  });

  it("puts a deploy net's cross-entropy on the scores before its final Softmax", async () => {
    const spec = join(TMP, 'deploy.prototxt');
    writeFileSync(
      spec,
      `name: "deploy"
layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 8 dim: 1 dim: 12 dim: 12 } } }
layer { name: "fc" type: "InnerProduct" bottom: "data" top: "fc" inner_product_param { num_output: 4 weight_filler { type: "xavier" } } }
layer { name: "prob" type: "Softmax" bottom: "fc" top: "prob" }
`,
    );
    const r = await train({ data: 'synthetic:64', epochs: 1, batchSize: 8, lr: 0 }, spec);
    expect(r.code).toBe(0);
    expect(r.lines[1]).toContain("loss: softmax cross-entropy on 'fc'");
    // Untrained scores on 0–255 pixels are far from uniform: the loss of the logits is large, while
    // cross-entropy of probabilities could never exceed log(4) by much.
    expect(metrics(r.out).epochs[0]!.train_loss).toBeGreaterThan(2 * Math.log(4));
  });

  it('Ctrl-C ends training cleanly and still writes the outputs', async () => {
    const out = join(TMP, 'interrupted');
    const script = `import { runTrain } from ${JSON.stringify(join(ROOT, 'dist/cli/train.js'))};
process.exitCode = await runTrain(${JSON.stringify(LENET)}, { data: 'synthetic:200', epochs: 100, batchSize: 20, out: ${JSON.stringify(out)}, threads: 1 });`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (/^epoch 1 /m.test(stdout) && !child.killed) child.kill('SIGINT');
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).toContain('nnspec: interrupted; finishing the current update and writing the outputs');
    expect(code).toBe(1);
    const m = metrics(out);
    expect(m.stopped).toBe('interrupted');
    expect(m.epochs.length).toBeGreaterThanOrEqual(1);
    expect(m.epochs.length).toBeLessThan(100);
    expect(readdirSync(out)).toContain('weights.safetensors');
    // The checkpoint holds the interrupted state, ready for --resume.
    const ck = readCheckpoint(out);
    expect(ck.state.iteration).toBe(m.epochs.at(-1)!.iteration);
  });

  it('reports bad flags and data on one line with exit code 2', async () => {
    for (const flags of [{ epochs: 0 }, { batchSize: 'x' }, { data: join(TMP, 'missing') }, { backend: 'gpu' }] as TrainFlags[]) {
      const r = await train({ iterations: 1, ...flags });
      expect(r.code).toBe(2);
      expect(r.errors).toHaveLength(1);
      expect(r.errors[0]).toMatch(/^nnspec: /);
    }
  });
});
