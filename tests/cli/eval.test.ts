/**
 * `nnspec eval`, in-process: LeNet trained briefly on synthetic data by `runTrain --out`, then
 * evaluated with the weights it wrote.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runEval, type EvalFlags, type EvalResult } from '../../src/cli/eval.js';
import { runTrain } from '../../src/cli/train.js';
import type { EpochMetrics } from '../../src/train/loop.js';
import { readSafetensors, writeSafetensors } from '../../src/weights/index.js';
import { writeIdx } from '../data/write-fixtures.js';
import { ROOT } from '../helpers.js';

const LENET = join(ROOT, 'specs/lenet.nnspec');
const TMP = mkdtempSync(join(tmpdir(), 'nnspec-eval-'));
const RUN = join(TMP, 'run');
const WEIGHTS = join(RUN, 'weights.safetensors');
/** What the training run used: the data, its validation fraction, seed and batch size. */
const TRAINED_ON = { data: 'synthetic:400', valSplit: 0.1, seed: 7, batchSize: 32 };

async function evaluate(flags: Partial<EvalFlags>, spec = LENET) {
  const lines: string[] = [];
  const errors: string[] = [];
  const code = await runEval(spec, { weights: WEIGHTS, threads: 2, ...flags }, { out: (l) => lines.push(l), err: (l) => errors.push(l) });
  return { code, lines, errors, stdout: lines.join('\n'), stderr: errors.join('\n') };
}

let last: EpochMetrics;

beforeAll(async () => {
  const errors: string[] = [];
  const code = await runTrain(LENET, { out: RUN, epochs: 2, lr: 0.01, threads: 2, ...TRAINED_ON }, { out: () => undefined, err: (l) => errors.push(l) });
  expect(errors).toEqual([]);
  expect(code).toBe(0);
  const metrics = JSON.parse(readFileSync(join(RUN, 'metrics.json'), 'utf8')) as { epochs: EpochMetrics[] };
  last = metrics.epochs[metrics.epochs.length - 1]!;
}, 120_000);

describe('nnspec eval', () => {
  it("reproduces the training run's final validation metrics on the split it held out", async () => {
    const r = await evaluate({ ...TRAINED_ON, split: 'train', format: 'json' });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout) as EvalResult;
    // 10% of 400 held out.
    expect(result.examples).toBe(40);
    expect(result.loss).toBeCloseTo(last.val_loss!, 5);
    expect(result.top1).toBe(last.val_top1);
    expect(result.top5).toBe(last.val_top5);
    // The run learned: otherwise agreeing would prove little.
    expect(result.top1).toBeGreaterThan(0.8);
  });

  it('gives the same numbers whatever the batch size', async () => {
    const a = JSON.parse((await evaluate({ data: 'synthetic:200', seed: 7, format: 'json', batchSize: 64 })).stdout) as EvalResult;
    const b = JSON.parse((await evaluate({ data: 'synthetic:200', seed: 7, format: 'json', batchSize: 7 })).stdout) as EvalResult;
    expect(b.loss).toBeCloseTo(a.loss, 5);
    expect(b.top1).toBe(a.top1);
    expect(b.top5).toBe(a.top5);
  });

  it('evaluates the test split by default and prints the metrics as text', async () => {
    const r = await evaluate({ data: 'synthetic:300', seed: 7 });
    expect(r.code).toBe(0);
    expect(r.lines[0]).toMatch(/^tfjs backend: \w+ \(\d+ threads?/);
    expect(r.lines[1]).toContain('on synthetic:300 (test split): 300 examples, 10 classes');
    expect(r.lines[1]).toContain("softmax cross-entropy on 'ip2'");
    expect(r.lines[2]).toMatch(/^loss \d+\.\d{4}  top-1 \d+\.\d\d%  top-5 \d+\.\d\d%  \(300 examples\)$/);
  });

  it('prints the accuracy the run reached on its own task', async () => {
    const r = await evaluate({ data: 'synthetic:300', seed: 7, split: 'train' });
    expect(r.code).toBe(0);
    expect(r.lines[1]).toContain('(train split): 300 examples');
    const top1 = Number(/top-1 (\d+\.\d\d)%/.exec(r.lines[2]!)![1]);
    expect(top1).toBeGreaterThan(80);
  });

  it('reads a dataset folder, and says how to evaluate one without a test split', async () => {
    const mnist = join(TMP, 'mnist');
    mkdirSync(mnist);
    const n = 12;
    writeIdx(join(mnist, 'train-images-idx3-ubyte'), [n, 28, 28], Array.from({ length: n * 784 }, (_, i) => (i * 13) % 256));
    writeIdx(join(mnist, 'train-labels-idx1-ubyte'), [n], Array.from({ length: n }, (_, i) => i % 10));
    const noTest = await evaluate({ data: mnist });
    expect(noTest.code).toBe(2);
    expect(noTest.errors).toHaveLength(1);
    expect(noTest.stderr).toContain('t10k-images-idx3-ubyte');
    expect(noTest.stderr).toContain('--split train evaluates the training data');
    const r = await evaluate({ data: mnist, split: 'train', format: 'json' });
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout) as EvalResult;
    expect(result).toMatchObject({ examples: n, split: 'train', classes: 10 });
    // Twelve examples: the accuracy counts whole examples.
    expect(result.top1 * n).toBeCloseTo(Math.round(result.top1 * n), 6);
  });

  it('writes JSON with every field', async () => {
    const r = await evaluate({ data: 'synthetic:64', seed: 7, format: 'json' });
    const result = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(Object.keys(result).sort()).toEqual(['backend', 'classes', 'data', 'examples', 'loss', 'loss_on', 'seed', 'spec', 'split', 'threads', 'top1', 'top5', 'val_split', 'weights', 'weights_format'].sort());
    expect(result).toMatchObject({ spec: LENET, weights: WEIGHTS, weights_format: 'safetensors', data: 'synthetic:64', split: 'test', val_split: null, seed: 7, examples: 64, classes: 10, threads: 2 });
    for (const k of ['loss', 'top1', 'top5']) expect(typeof result[k]).toBe('number');
  });

  it('fails with exit 1 naming the tensor and both shapes when the weights do not fit', async () => {
    const read = readSafetensors(readFileSync(WEIGHTS));
    if ('error' in read) throw new Error(read.error);
    const wrong = join(TMP, 'wrong.safetensors');
    writeFileSync(wrong, writeSafetensors(read.file.tensors.map((t) => (t.key === 'conv2.weight' ? { key: t.key, shape: [40, 20, 5, 5], data: new Float32Array(40 * 500) } : t))));
    const r = await evaluate({ weights: wrong, data: 'synthetic:64' });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain("tensor 'conv2.weight' is [40, 20, 5, 5]");
    expect(r.stderr).toContain('needs [50, 20, 5, 5]');
    expect(r.stderr).toContain('weights/shape-mismatch');
  });

  it('fails with exit 2 and one line for a weights file that is not there, or missing flags', async () => {
    const missing = await evaluate({ weights: join(TMP, 'nope.safetensors'), data: 'synthetic:64' });
    expect(missing.code).toBe(2);
    expect(missing.errors).toEqual([`nnspec: cannot read weights '${join(TMP, 'nope.safetensors')}': no such file`]);
    const noData = await evaluate({});
    expect(noData.code).toBe(2);
    expect(noData.stderr).toMatch(/^nnspec: eval needs the data to evaluate on: --data/);
    const noWeights = await evaluate({ weights: undefined, data: 'synthetic:64' });
    expect(noWeights.code).toBe(2);
    expect(noWeights.stderr).toMatch(/needs the trained weights: --weights FILE/);
    const badSplit = await evaluate({ data: 'synthetic:64', split: 'val' });
    expect(badSplit.code).toBe(2);
    const noSpec = await evaluate({ data: 'synthetic:64' }, join(TMP, 'absent.nnspec'));
    expect(noSpec.code).toBe(2);
    expect(noSpec.errors).toHaveLength(1);
  });
});
