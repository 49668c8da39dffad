/**
 * Checkpoints and resumption, validation points, iter_size and --solver, on a tiny net with
 * dropout (so that resuming must also continue the dropout masks' seeds) and small synthetic data.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runTrain, type TrainFlags } from '../../src/cli/train.js';
import type { EpochMetrics } from '../../src/train/loop.js';
import { CheckpointError, readCheckpoint, writeCheckpoint } from '../../src/train/checkpoint.js';
import { readSafetensors } from '../../src/weights/index.js';

const TMP = mkdtempSync(join(tmpdir(), 'nnspec-resume-'));
let runs = 0;

const layers = (hidden: number, dropout: boolean) => `
layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 8 dim: 1 dim: 12 dim: 12 } } }
layer { name: "conv" type: "Convolution" bottom: "data" top: "conv" convolution_param { num_output: 4 kernel_size: 5 weight_filler { type: "xavier" } } }
layer { name: "relu" type: "ReLU" bottom: "conv" top: "conv" }
layer { name: "fc1" type: "InnerProduct" bottom: "conv" top: "fc1" inner_product_param { num_output: ${hidden} weight_filler { type: "xavier" } } }
${dropout ? 'layer { name: "drop" type: "Dropout" bottom: "fc1" top: "fc1" dropout_param { dropout_ratio: 0.5 } }' : ''}
layer { name: "fc2" type: "InnerProduct" bottom: "fc1" top: "fc2" inner_product_param { num_output: 4 weight_filler { type: "xavier" } } }
`;
const TINY = join(TMP, 'tiny.prototxt');
writeFileSync(TINY, `name: "tiny"${layers(16, true)}`);
const WIDER = join(TMP, 'wider.prototxt');
writeFileSync(WIDER, `name: "wider"${layers(24, true)}`);
const PLAIN = join(TMP, 'plain.prototxt');
writeFileSync(PLAIN, `name: "plain"${layers(16, false)}`);

function solver(name: string, text: string): string {
  const path = join(TMP, name);
  writeFileSync(path, text);
  return path;
}
// Adam: its step count and both moment slots must come back for an exact continuation.
const ADAM = solver('adam.prototxt', 'net: "elsewhere/train_val.prototxt"\nbase_lr: 0.001\nlr_policy: "fixed"\ntype: "Adam"\nmomentum: 0.9\n');

async function train(flags: TrainFlags, spec = TINY) {
  const out = flags.out ?? join(TMP, `run${runs++}`);
  const lines: string[] = [];
  const errors: string[] = [];
  const code = await runTrain(spec, { out, threads: 2, ...flags }, { out: (l) => lines.push(l), err: (l) => errors.push(l) });
  return { code, out, lines, errors };
}

const metrics = (dir: string) => JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8')) as { stopped: string; epochs: EpochMetrics[] };
const strip = (m: EpochMetrics[]) => m.map(({ seconds: _s, images_per_second: _i, ...rest }) => rest);
const weights = (dir: string, file = 'weights.safetensors') => {
  const read = readSafetensors(readFileSync(join(dir, file)));
  if ('error' in read) throw new Error(read.error);
  return Object.fromEntries(read.file.tensors.map((t) => [t.key, t.data]));
};

describe('nnspec train --resume', () => {
  // 72 examples, 1/6 held out: 60 training examples, batch 8 → 8 updates per epoch.
  const common: TrainFlags = { data: 'synthetic:72', valSplit: 1 / 6, batchSize: 8, seed: 5, solver: ADAM };

  it('continues a 1-epoch run to 2 epochs exactly as a 2-epoch run (metrics and weights bit for bit)', async () => {
    const whole = await train({ ...common, epochs: 2 });
    expect(whole.errors.filter((e) => !e.startsWith('note:'))).toEqual([]);
    expect(whole.code).toBe(0);
    const first = await train({ ...common, epochs: 1 });
    expect(first.code).toBe(0);
    const state = JSON.parse(readFileSync(join(first.out, 'checkpoint/state.json'), 'utf8')) as { state: { iteration: number; epoch: number; batchInEpoch: number }; draws: number };
    expect(state.state).toMatchObject({ iteration: 8, epoch: 1, batchInEpoch: 0 });
    // One dropout mask per update.
    expect(state.draws).toBe(8);
    // The resumed run takes data, seed, batch size and split from the checkpoint.
    const resumed = await train({ resume: first.out, out: first.out, epochs: 2, solver: ADAM });
    expect(resumed.errors.filter((e) => !e.startsWith('note:'))).toEqual([]);
    expect(resumed.code).toBe(0);
    expect(resumed.lines).toContain(`resuming from ${first.out} at iteration 8 (epoch 2, batch 0)`);
    expect(strip(metrics(resumed.out).epochs)).toEqual(strip(metrics(whole.out).epochs));
    const a = weights(whole.out);
    const b = weights(resumed.out);
    expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
    for (const key of Object.keys(a)) expect(Buffer.from(b[key]!.buffer).equals(Buffer.from(a[key]!.buffer))).toBe(true);
    expect(readFileSync(join(resumed.out, 'best.safetensors')).equals(readFileSync(join(whole.out, 'best.safetensors')))).toBe(true);
  });

  it('resumes exactly from a validation point inside an epoch', async () => {
    // Validation every 3 updates: checkpoints at 3 and 6 (inside epoch 1) and at the epoch's end (8).
    const every3 = solver('every3.prototxt', 'base_lr: 0.001\nlr_policy: "fixed"\ntype: "Adam"\nmomentum: 0.9\ntest_interval: 3\ntest_iter: 1\n');
    const whole = await train({ ...common, solver: every3, iterations: 12 });
    expect(whole.code).toBe(0);
    const rows = metrics(whole.out).epochs;
    // Rows at each validation point and each epoch end; validation (one batch) only at the points.
    expect(rows.map((m) => [m.epoch, m.iteration, m.val_loss !== null])).toEqual([
      [1, 3, true],
      [1, 6, true],
      [1, 8, false],
      [2, 9, true],
      [2, 12, true],
    ]);
    // A run of 7 updates ends inside the epoch, between validation points: its checkpoint holds the row in progress.
    const short = await train({ ...common, solver: every3, iterations: 7 });
    expect(short.code).toBe(0);
    const ck = readCheckpoint(short.out);
    expect(ck.state).toMatchObject({ iteration: 7, epoch: 0, batchInEpoch: 7 });
    expect(ck.state.history.map((m) => m.iteration)).toEqual([3, 6]);
    const resumed = await train({ resume: short.out, out: join(TMP, 'from6'), solver: every3, iterations: 12 });
    expect(resumed.code).toBe(0);
    expect(strip(metrics(resumed.out).epochs)).toEqual(strip(rows));
    expect(readFileSync(join(resumed.out, 'weights.safetensors')).equals(readFileSync(join(whole.out, 'weights.safetensors')))).toBe(true);
  });

  it('refuses a checkpoint of another net, and one with other settings, on one line with exit code 2', async () => {
    const first = await train({ ...common, iterations: 2 });
    expect(first.code).toBe(0);
    const other = await train({ resume: first.out, out: join(TMP, 'other'), iterations: 4, solver: ADAM }, WIDER);
    expect(other.code).toBe(2);
    const problems = other.errors.filter((e) => !e.startsWith('note:'));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^nnspec: the checkpoint was written for another net: 'fc1' weight is 16×256 there, 24×256 here; 'fc1' bias is 16 there, 24 here/);
    const batch = await train({ resume: first.out, out: join(TMP, 'other2'), iterations: 4, batchSize: 16, solver: ADAM });
    expect(batch.code).toBe(2);
    expect(batch.errors.filter((e) => !e.startsWith('note:'))).toEqual(["nnspec: --resume continues the run with its own settings: --batch-size 16 differs from the checkpoint's 8"]);
    const none = await train({ resume: TMP, iterations: 4 });
    expect(none.code).toBe(2);
    expect(none.errors[0]).toMatch(/holds no training checkpoint/);
  });

  it('keeps the previous checkpoint whole when writing a new one fails halfway', async () => {
    const first = await train({ ...common, iterations: 2 });
    const before = readCheckpoint(first.out);
    const failing = {
      settings: before.settings,
      state: { ...before.state, iteration: 99 },
      draws: 0,
      weights: before.weights,
      // The weights file is written, then reading the optimizer's slots fails, as a crash would stop it.
      get optimizer(): never {
        throw new Error('crash');
      },
      best: null,
    };
    expect(() => writeCheckpoint(first.out, failing)).toThrow('crash');
    const after = readCheckpoint(first.out);
    expect(after.state.iteration).toBe(before.state.iteration);
    expect(after.optimizer.steps).toBe(before.optimizer.steps);
    expect(readdirSync(join(first.out, 'checkpoint')).sort()).toEqual(['optimizer-1.safetensors', 'state.json', 'weights-1.safetensors', 'weights-2.safetensors']);
    // The next checkpoint replaces what the failed one left behind.
    writeCheckpoint(first.out, { settings: before.settings, state: before.state, draws: before.draws, weights: before.weights, optimizer: before.optimizer, best: null });
    expect(readdirSync(join(first.out, 'checkpoint')).sort()).toEqual(['optimizer-2.safetensors', 'state.json', 'weights-2.safetensors']);
    expect(() => readCheckpoint(join(TMP, 'nowhere'))).toThrow(CheckpointError);
  });
});

describe('nnspec train --solver and iter_size', () => {
  it('takes the solver settings, says that its net is ignored, and lets flags override them', async () => {
    const r = await train({ data: 'synthetic:40', valSplit: 0, batchSize: 8, seed: 1, solver: ADAM, iterations: 2, lr: 0.002 });
    expect(r.code).toBe(0);
    expect(r.errors).toEqual([`note: the net 'elsewhere/train_val.prototxt' named in ${ADAM} is ignored: the spec given is trained with its settings`]);
    expect(r.lines[1]).toMatch(/, batch 8, 2 iterations \(0\.4 epochs\), adam lr 0\.002, seed 1$/);
    const bad = await train({ iterations: 1, solver: TINY });
    expect(bad.code).toBe(2);
    expect(bad.errors).toEqual([`nnspec: --solver ${TINY} is not a Caffe solver (no SolverParameter fields such as base_lr or max_iter)`]);
  });

  it('iter_size 2 × batch 8 makes the same update as batch 16 (gradients averaged, one step)', async () => {
    const sgd = (iterSize: number) => solver(`sgd${iterSize}.prototxt`, `base_lr: 0.0001\nlr_policy: "fixed"\ntype: "SGD"\nmomentum: 0.9\nweight_decay: 0.01\niter_size: ${iterSize}\n`);
    const flags = { data: 'synthetic:32', valSplit: 0, seed: 2 };
    const big = await train({ ...flags, batchSize: 16, iterations: 2, solver: sgd(1) }, PLAIN);
    const accumulated = await train({ ...flags, batchSize: 8, iterations: 2, solver: sgd(2) }, PLAIN);
    const untrained = await train({ ...flags, batchSize: 16, iterations: 1, lr: 0, solver: sgd(1) }, PLAIN);
    expect(accumulated.code).toBe(0);
    expect(accumulated.lines[1]).toContain('batch 8 × iter_size 2, 2 iterations');
    // Two updates each: 32 examples is one epoch of batch 16, and one of 2 × 8.
    expect(metrics(accumulated.out).epochs.map((m) => m.iteration)).toEqual([2]);
    expect(metrics(accumulated.out).epochs[0]!.train_loss).toBeCloseTo(metrics(big.out).epochs[0]!.train_loss, 4);
    const a = weights(big.out);
    const b = weights(accumulated.out);
    const w0 = weights(untrained.out);
    for (const key of Object.keys(a)) {
      const moved = a[key]!.some((v, i) => Math.abs(v - w0[key]![i]!) > 1e-6);
      expect(moved, key).toBe(true);
      for (let i = 0; i < a[key]!.length; i++) expect(Math.abs(b[key]![i]! - a[key]![i]!)).toBeLessThan(1e-5 + 1e-4 * Math.abs(a[key]![i]! - w0[key]![i]!));
    }
  });
});
