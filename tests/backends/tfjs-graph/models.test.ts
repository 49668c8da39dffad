/**
 * For every shipped spec and a selection of corpus deploy nets: exported with the tfjs lowering's
 * seeded weights (constant-initialised blobs perturbed), loaded by tf.loadGraphModel and run on
 * random input (batch 1; other batch sizes: export.test.ts), the graph model's outputs equal the lowering's inference forward pass within
 * 1e-4 relative to each output's largest magnitude, in the same (NCHW) layout and shapes.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lowerToTfjs, type Tf } from '../../../src/backends/tfjs/index.js';
import { exportGraphModel } from '../../../src/backends/tfjs-graph/index.js';
import { CORPUS, CORPUS_SKIP_REASON, HAS_CORPUS, ROOT, specFiles } from '../../helpers.js';
import { random, TF, useBackend } from '../tfjs/harness.js';
import { prepare, randomiseConstants } from '../tfjs/nets.js';
import { loadFromMemory, relativeError } from './kit.js';

const TOLERANCE = 1e-4;

/**
 * tf with its random draws replaced by a seeded xorshift of the same mean and variance. The
 * lowering's fillers draw in JavaScript (25 s for VGG-16's 138M values); the comparison needs
 * random weights, not their exact distribution.
 */
function fastRandom(tf: Tf): Tf {
  const draw = (shape: number[], mean: number, std: number, seed: number) => {
    const out = new Float32Array(shape.reduce((a, b) => a * b, 1));
    const half = std * Math.sqrt(3);
    let x = (seed ^ 0x9e3779b9) >>> 0 || 1;
    for (let i = 0; i < out.length; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      out[i] = mean + half * (((x >>> 0) / 4294967296) * 2 - 1);
    }
    return tf.tensor(out, shape, 'float32');
  };
  return {
    ...tf,
    randomNormal: (shape: number[], mean = 0, std = 1, _dtype?: unknown, seed = 0) => draw(shape, mean, std, seed),
    truncatedNormal: (shape: number[], mean = 0, std = 1, _dtype?: unknown, seed = 0) => draw(shape, mean, std, seed),
    randomUniform: (shape: number[], lo = 0, hi = 1, _dtype?: unknown, seed = 0) => draw(shape, (lo + hi) / 2, (hi - lo) / Math.sqrt(12), seed),
  } as unknown as Tf;
}

const FAST_TF = fastRandom(TF);

/** Deploy nets of the corpus, for the layers they exercise. */
const CORPUS_NETS = [
  'BVLC__caffe/lenet.prototxt', // Caffe's ceil pooling rule, softmax
  'BVLC__caffe/cifar10_quick.prototxt', // average pooling with Caffe's divisor
  'BVLC__caffe/cifar10_full.prototxt', // LRN within a channel
  'BVLC__caffe/bvlc_alexnet__deploy.prototxt', // LRN across channels, groups = 2
  'shicai__MobileNet-Caffe/mobilenet_deploy.prototxt', // depthwise convolution, Caffe BatchNorm + Scale
];
// GoogLeNet's and ResNet-50's deploy nets (224×224 only) add no layer kind the shipped specs and
// these do not cover, and would double this file's time.

interface Outcome {
  errors: Record<string, number>;
  shapes: Record<string, [number[], number[]]>;
  problem?: string;
}

const outcomes = new Map<string, Outcome>();

async function check(id: string, path: string): Promise<void> {
  const input = await prepare(path, { batch: 1 });
  if (typeof input === 'string') {
    outcomes.set(id, { errors: {}, shapes: {}, problem: input });
    return;
  }
  const lowered = lowerToTfjs(FAST_TF, input, { seed: 7 });
  if (!lowered) {
    outcomes.set(id, { errors: {}, shapes: {}, problem: 'did not lower' });
    return;
  }
  try {
    randomiseConstants(lowered, input);
    const { model } = exportGraphModel(input, lowered.params.toIrWeights());
    if (!model) {
      outcomes.set(id, { errors: {}, shapes: {}, problem: input.diagnostics.items.filter((d) => d.severity === 'error').map((d) => d.message).join('; ') });
      return;
    }
    const graph = await loadFromMemory(model);
    const feeds: Record<string, ReturnType<typeof random>> = {};
    lowered.inputs.forEach((blob, i) => {
      if (!(blob in model.modelJson.signature.inputs)) return;
      const node = input.model.graph.nodes.find((n) => (n.op === 'input' || n.op === 'data') && n.outputs.includes(blob))!;
      feeds[blob] = random(input.reports.get(node)!.outputs[node.outputs.indexOf(blob)]!.shape as number[], 100 + i);
    });
    const expected = lowered.forward(feeds, 'inference');
    const actual = graph.execute(feeds, lowered.outputs);
    const list = Array.isArray(actual) ? actual : [actual];
    const outcome: Outcome = { errors: {}, shapes: {} };
    lowered.outputs.forEach((blob, i) => {
      const values = expected[blob]!.dataSync();
      // An all-zero or non-finite reference would make the comparison meaningless.
      if (!values.every(Number.isFinite) || values.every((v) => v === 0)) outcome.problem = `the lowering's '${blob}' is ${values.every((v) => v === 0) ? 'all zeros' : 'not finite'}`;
      outcome.errors[blob] = relativeError(list[i]!, expected[blob]!);
      outcome.shapes[blob] = [list[i]!.shape, expected[blob]!.shape];
    });
    outcomes.set(id, outcome);
    TF.dispose([...list, ...Object.values(expected), ...Object.values(feeds)]);
    graph.dispose();
  } finally {
    lowered.dispose();
  }
}

const specs = specFiles();

beforeAll(async () => {
  await useBackend('wasm');
}, 60_000);

afterAll(() => outcomes.clear());

function verdict(id: string): void {
  const o = outcomes.get(id)!;
  expect(o.problem, id).toBeUndefined();
  for (const [blob, [actual, expected]] of Object.entries(o.shapes)) expect(actual, `${id}: ${blob}`).toEqual(expected);
  const worst = Math.max(...Object.values(o.errors));
  console.log(`${id}: max relative error ${worst.toExponential(2)} over ${Object.keys(o.errors).join(', ')}`);
  expect(worst).toBeLessThanOrEqual(TOLERANCE);
}

describe('shipped specs: the exported graph model = the tfjs lowering (inference)', () => {
  it.each(specs)('%s', async (spec) => {
    await check(spec, join(ROOT, spec));
    verdict(spec);
  }, 120_000);
});

describe.skipIf(!HAS_CORPUS)(`corpus deploy nets: the exported graph model = the tfjs lowering${HAS_CORPUS ? '' : ` (${CORPUS_SKIP_REASON})`}`, () => {
  it.each(CORPUS_NETS)('%s', async (net) => {
    await check(net, join(CORPUS, net));
    verdict(net);
  }, 120_000);
});
