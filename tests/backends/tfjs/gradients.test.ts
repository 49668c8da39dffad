/**
 * Training mode: with the same weights and input, the gradients of one batch (of the outputs
 * weighted by a fixed random tensor) agree between the tfjs forward pass (tfjs's own autodiff,
 * cpu backend) and the emitted PyTorch module in train mode, with dropout off: batch
 * statistics in BatchNorm, every op's backward. Gradients go to compare.py as a safetensors
 * file in the state_dict's keys (pytorchStateDict), so each is checked against its parameter.
 */
import * as tf from '@tensorflow/tfjs-core';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BackendInput } from '../../../src/backends/backend.js';
import { emitPyTorchWith, pytorchStateDict } from '../../../src/backends/pytorch/index.js';
import { planModel } from '../../../src/backends/pytorch/plan.js';
import { lowerToTfjs } from '../../../src/backends/tfjs/index.js';
import type { AttrsOf } from '../../../src/ir/ops/index.js';
import type { IrWeights, WeightTensor } from '../../../src/weights/ir-weights.js';
import { writeSafetensors } from '../../../src/weights/safetensors.js';
import { ROOT } from '../../helpers.js';
import { announceSkip } from '../../verify/torch.js';
import { graphInput, layer } from './graph-kit.js';
import { dump, random, runCompare, TF, tempFile, useBackend, type FilePair } from './harness.js';
import { prepare, randomiseConstants } from './nets.js';

const TOLERANCE = 1e-4;
/** Nets whose gradients the cpu backend computes in seconds (it is ~100× slower than wasm, which has no backward convolution kernels yet). */
const SPECS = ['specs/lenet.nnspec', 'specs/torchvision/squeezenet1_1.nnspec'];

/**
 * BatchNorm, depthwise and grouped convolution and a residual sum, in a net small enough for
 * the cpu backend. Each BatchNorm sees 4·8·8 values per channel: over two values (batch 2 at
 * 1×1, as whole nets reach at small sizes) it normalises anything to ±1, and the gradient
 * through it is rounding noise in both frameworks.
 */
function bnNet(): BackendInput {
  const conv = (num_output: number, groups: number): AttrsOf<'conv'> => ({ num_output, kernel: [3, 3], stride: [1, 1], dilation: [1, 1], pad_begin: [1, 1], pad_end: [1, 1], groups, bias: false, axis: 1 });
  const bn: AttrsOf<'batchnorm'> = { eps: 1e-5, momentum: 0.1, statistics: 'auto', running_update: 'ema', affine: true };
  const ones = { type: 'uniform', min: 0.5, max: 1.5 } as const;
  const small = { type: 'uniform', min: -0.5, max: 0.5 } as const;
  const bnInit = [ones, small, { type: 'constant', value: 0 } as const, { type: 'constant', value: 1 } as const];
  return graphInput({ x: [4, 3, 8, 8] }, [
    layer({ op: 'conv', name: 'stem', inputs: ['x'], attrs: conv(8, 1) }),
    layer({ op: 'batchnorm', name: 'stem_bn', inputs: ['stem'], attrs: bn, init: bnInit }),
    layer({ op: 'relu', name: 'stem_relu', inputs: ['stem_bn'], attrs: { negative_slope: 0 } }),
    layer({ op: 'conv', name: 'dw', inputs: ['stem_relu'], attrs: conv(8, 8) }),
    layer({ op: 'batchnorm', name: 'dw_bn', inputs: ['dw'], attrs: bn, init: bnInit }),
    layer({ op: 'clip', name: 'dw_relu6', inputs: ['dw_bn'], attrs: { min: 0, max: 6 } }),
    layer({ op: 'conv', name: 'grouped', inputs: ['dw_relu6'], attrs: conv(8, 2) }),
    layer({ op: 'batchnorm', name: 'grouped_bn', inputs: ['grouped'], attrs: bn, init: bnInit }),
    layer({ op: 'eltwise', name: 'residual', inputs: ['grouped_bn', 'stem_relu'], attrs: { operation: 'sum', coeff: [] } }),
    layer({ op: 'global_pool', name: 'gap', inputs: ['residual'], attrs: { mode: 'avg' } }),
    layer({ op: 'linear', name: 'fc', inputs: ['gap'], attrs: { num_output: 5, axis: 1, bias: true, transpose: false, weight_drop_prob: 0 } }),
  ]);
}

const CASES = [...SPECS, 'BatchNorm, depthwise and grouped convolution, residual sum'];

type GradResult = { rel: number[]; max_abs: number[]; keys: string[] } | { error: string };
const jobs: unknown[] = [];
const failures = new Map<string, string>();
let results: Record<string, GradResult> | null = null;

async function build(spec: string, given?: BackendInput): Promise<void> {
  const started = performance.now();
  const input = given ?? (await prepare(join(ROOT, spec)));
  if (typeof input === 'string') return void failures.set(spec, input);
  const lowered = lowerToTfjs(TF, input, { seed: 11 });
  const code = emitPyTorchWith(input, {});
  if (!lowered || code === null) return void failures.set(spec, input.diagnostics.items.map((d) => d.message).join('; '));
  randomiseConstants(lowered, input);
  const file = tempFile('model.py');
  writeFileSync(file, code);
  const weights = tempFile('weights.safetensors');
  writeFileSync(weights, writeSafetensors(pytorchStateDict(input, lowered.params.toIrWeights())));
  const plan = planModel(input);
  const values: Record<string, tf.Tensor> = {};
  const inputs: Record<string, FilePair> = {};
  plan.inputs.forEach((v, i) => {
    const node = input.model.graph.nodes.find((n) => (n.op === 'input' || n.op === 'data') && n.outputs.includes(v.blob))!;
    values[v.blob] = random(input.reports.get(node)!.outputs[node.outputs.indexOf(v.blob)]!.shape as number[], 200 + i);
    inputs[v.blob] = dump(values[v.blob]!);
  });
  const outputs = plan.outputs.map((v) => v.blob);
  const shapes = lowered.forward(values, 'inference', { outputs });
  const outputWeights = outputs.map((b, i) => random(shapes[b]!.shape, 300 + i));
  const params = [...lowered.params.entries()].filter((p) => p.trainable);
  const { grads } = tf.variableGrads(() => {
    const out = lowered.forward(values, 'train', { outputs, dropout: false });
    return tf.addN(outputs.map((b, i) => tf.sum(tf.mul(out[b]!, outputWeights[i]!)))) as tf.Scalar;
  }, params.map((p) => p.variable));
  const gradWeights: IrWeights = new Map();
  for (const p of params) {
    const g = grads[p.variable.name]!;
    const blobs = gradWeights.get(p.node) ?? new Map<string, WeightTensor>();
    blobs.set(p.name, { shape: [...g.shape], data: g.dataSync() as Float32Array });
    gradWeights.set(p.node, blobs);
  }
  const gradFile = tempFile('grads.safetensors');
  writeFileSync(gradFile, writeSafetensors(pytorchStateDict(input, gradWeights)));
  jobs.push({ id: spec, kind: 'gradients', file, weights, inputs, output_weights: outputWeights.map((w) => dump(w)), grads: gradFile });
  lowered.dispose();
  console.log(`${spec}: tfjs gradients in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

beforeAll(async () => {
  await useBackend('cpu');
  for (const spec of SPECS) await build(spec);
  await build(CASES[CASES.length - 1]!, bnNet());
  const r = await runCompare(jobs);
  if (r.ok) results = r.data as unknown as Record<string, GradResult>;
  else announceSkip('tests/backends/tfjs/gradients.test.ts', r.reason);
}, 240_000);

describe('training-mode gradients: tfjs = emitted PyTorch (dropout off)', () => {
  it.each(CASES)('%s', (spec) => {
    expect(failures.get(spec), `${spec} did not lower`).toBeUndefined();
    if (!results) return;
    const r = results[spec]!;
    if ('error' in r) throw new Error(`${spec}: ${r.error}`);
    const worst = r.rel.reduce((w, e, i) => (e > r.rel[w]! ? i : w), 0);
    console.log(`${spec}: ${r.keys.length} parameter gradients, max relative error ${r.rel[worst]!.toExponential(2)} (${r.keys[worst]})`);
    r.rel.forEach((e, i) => expect(e, `${r.keys[i]} (max |Δ| ${r.max_abs[i]})`).toBeLessThan(TOLERANCE));
  });
});
