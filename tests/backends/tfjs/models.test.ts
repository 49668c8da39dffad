/**
 * For every shipped spec and a selection of corpus nets PyTorch can express: with the same
 * weights (the tfjs store's, written as safetensors in the PyTorch layout and loaded by the
 * emitted module's load_weights) and the same random input (batch 2, small images where the
 * net allows), the tfjs forward pass in inference mode and the emitted PyTorch module in eval
 * mode agree within 1e-4 relative to the output's largest magnitude.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackendInput } from '../../../src/backends/backend.js';
import { emitPyTorchWith, pytorchStateDict } from '../../../src/backends/pytorch/index.js';
import { planModel } from '../../../src/backends/pytorch/plan.js';
import { lowerToTfjs, type LoweredModel } from '../../../src/backends/tfjs/index.js';
import { writeSafetensors } from '../../../src/weights/safetensors.js';
import { CORPUS, CORPUS_SKIP_REASON, HAS_CORPUS, ROOT, specFiles } from '../../helpers.js';
import { announceSkip } from '../../verify/torch.js';
import { dump, random, removeTempFiles, runCompare, TF, tempFile, useBackend, type Comparison, type FilePair } from './harness.js';
import { prepare, randomiseConstants } from './nets.js';

const TOLERANCE = 1e-4;

/** Deploy nets of the corpus that PyTorch expresses, chosen for the layers they exercise. */
const CORPUS_NETS = [
  'BVLC__caffe/lenet.prototxt', // Caffe's ceil pooling rule
  'BVLC__caffe/cifar10_quick.prototxt', // average pooling with Caffe's divisor
  'BVLC__caffe/cifar10_full.prototxt', // LRN within a channel
  'BVLC__caffe/bvlc_alexnet__deploy.prototxt', // LRN across channels, groups = 2
  'BVLC__caffe/bvlc_googlenet__deploy.prototxt', // padded ceil pooling, concat
  'forresti__SqueezeNet/SqueezeNet_v1.0__deploy.prototxt',
  'forresti__SqueezeNet/SqueezeNet_v1.1__deploy.prototxt',
  'shicai__MobileNet-Caffe/mobilenet_deploy.prototxt', // depthwise convolution, Caffe BatchNorm + Scale
  'shicai__MobileNet-Caffe/mobilenet_v2_deploy.prototxt',
  'BVLC__caffe/V0_2e33058__imagenet_deploy.prototxt', // the V0 format
  'KaimingHe__deep-residual-networks/ResNet-50-deploy.prototxt', // eltwise sum, BatchNorm + Scale
];

interface Case {
  id: string;
  input: BackendInput;
  lowered: LoweredModel;
  job: unknown;
}

const cases = new Map<string, Case>();
const failures = new Map<string, string>();
let results: Record<string, Comparison> | null = null;
let skipReason = '';

async function build(id: string, path: string): Promise<void> {
  const input = await prepare(path);
  if (typeof input === 'string') {
    failures.set(id, input);
    return;
  }
  const lowered = lowerToTfjs(TF, input, { seed: 7 });
  if (!lowered) {
    failures.set(id, input.diagnostics.items.filter((d) => d.severity === 'error').map((d) => d.message).join('; '));
    return;
  }
  randomiseConstants(lowered, input);
  const code = emitPyTorchWith(input, {});
  if (code === null) {
    failures.set(id, `PyTorch: ${input.diagnostics.items.filter((d) => d.severity === 'error').map((d) => d.message).join('; ')}`);
    return;
  }
  const file = tempFile('model.py');
  writeFileSync(file, code);
  const weights = tempFile('weights.safetensors');
  writeFileSync(weights, writeSafetensors(pytorchStateDict(input, lowered.params.toIrWeights())));
  const plan = planModel({ ...input, diagnostics: input.diagnostics });
  const inputs: Record<string, FilePair> = {};
  const given: Record<string, ReturnType<typeof random>> = {};
  plan.inputs.forEach((v, i) => {
    const node = input.model.graph.nodes.find((n) => (n.op === 'input' || n.op === 'data') && n.outputs.includes(v.blob))!;
    const shape = input.reports.get(node)!.outputs[node.outputs.indexOf(v.blob)]!.shape as number[];
    given[v.blob] = random(shape, 100 + i);
    inputs[v.blob] = dump(given[v.blob]!);
  });
  // The inputs of softmax layers whose input blob keeps its value to the end (compare.py records them).
  const probes = plan.items
    .filter((it, i) => it.node.op === 'softmax' && !plan.items.slice(i + 1).some((later) => later.node.outputs.includes(it.node.inputs[0]!)))
    .map((it) => it.node.inputs[0]!);
  const wanted = [...plan.outputs.map((v) => v.blob), ...probes];
  const outputs = lowered.forward(given, 'inference', { outputs: wanted });
  const job = { id, kind: 'module', file, weights, inputs, softmax_inputs: probes.length, outputs: wanted.map((b) => dump(outputs[b]!)) };
  cases.set(id, { id, input, lowered, job });
}

const specs = specFiles();

beforeAll(async () => {
  await useBackend('wasm');
  for (const spec of specs) await build(spec, join(ROOT, spec));
  if (HAS_CORPUS) for (const net of CORPUS_NETS) await build(net, join(CORPUS, net));
  const r = await runCompare([...cases.values()].map((c) => c.job));
  if (r.ok) results = r.data;
  else {
    skipReason = r.reason;
    announceSkip('tests/backends/tfjs/models.test.ts', r.reason);
  }
}, 600_000);

afterAll(() => {
  removeTempFiles();
  for (const c of cases.values()) c.lowered.dispose();
});

function check(id: string): void {
  expect(failures.get(id), `${id} did not lower`).toBeUndefined();
  if (!results) return;
  const r = results[id]!;
  if ('error' in r) throw new Error(`${id}: ${r.error}`);
  const worst = Math.max(...r.rel);
  const inputShape = (cases.get(id)!.job as { inputs: Record<string, FilePair> }).inputs;
  console.log(`${id}: max relative error ${worst.toExponential(2)} (per output ${r.rel.map((e) => e.toExponential(1)).join(', ')}; inputs ${Object.values(inputShape).map(([, s]) => s.join('×')).join(', ')}; outputs ${r.shapes.map((s) => s.join('×')).join(', ')})`);
  expect(worst).toBeLessThan(TOLERANCE);
}

describe('shipped specs: tfjs forward = emitted PyTorch forward', () => {
  it.each(specs)('%s', (spec) => check(spec));
});

describe.skipIf(!HAS_CORPUS)(`corpus nets: tfjs forward = emitted PyTorch forward${HAS_CORPUS ? '' : ` (${CORPUS_SKIP_REASON})`}`, () => {
  it.each(CORPUS_NETS)('%s', (net) => check(net));
});

it('says why the comparison was skipped, if it was', () => {
  if (!results) expect(skipReason).not.toBe('');
});
