/**
 * Every shipped spec and every corpus net with layers PyTorch can express: the emitted module
 * imports, runs forward on INPUT_SHAPES, and its output shapes and parameter count are the
 * analysis' (from input.reports, not from the emitter). The torchvision specs load
 * torchvision's state_dict strictly and compute its outputs. Refused files are refused with
 * convert/* errors naming the layer.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Shape } from '../../../src/ir/dims.js';
import { corpusFiles, CORPUS, CORPUS_SKIP_REASON, HAS_CORPUS, ROOT, specFiles } from '../../helpers.js';
import { announceSkip } from '../../verify/torch.js';
import { concrete, emit, runChecks, type Emitted } from './harness.js';

/** Corpus nets above this many multiply-accumulates per forward are only built and counted (CPU time); shipped specs always run. */
const FORWARD_MAC_BUDGET = 6e9;

interface Case {
  id: string;
  emitted: Emitted;
  expectedOutputs: Shape[];
  expectedParams: number;
  forward: boolean;
}

const cases = new Map<string, Case>();
let results: Record<string, any> | null = null;
let skipReason = '';

/**
 * Train/val nets read their images from a database, so their input shapes are the dataset's
 * (MNIST 1×28×28, CIFAR-10 3×32×32, ImageNet crops): given here as `--input-shape` would give
 * them, so that these nets run forward too.
 */
const DATA_SHAPES: [RegExp, Record<string, Shape>][] = [
  [/lenet_train_test\.prototxt$/, { data: [1, 1, 28, 28] }],
  [/mnist_siamese_train_test\.prototxt$/, { pair_data: [1, 2, 28, 28] }],
  [/cifar10_(quick_train|full_train_test|full_sigmoid_train_test_bn)\.prototxt$/, { data: [1, 3, 32, 32] }],
  [/(imagenet_train|bvlc_alexnet__train_val|bvlc_reference_caffenet__train_val|SqueezeNet_v1\.[01]__train_val)\.prototxt$/, { data: [1, 3, 227, 227] }],
  [/bvlc_googlenet__train_val\.prototxt$/, { data: [1, 3, 224, 224] }],
];

async function prepare(path: string): Promise<Emitted> {
  const dataShapes = DATA_SHAPES.find(([re]) => re.test(path))?.[1];
  let emitted = await emit(path, undefined, dataShapes ? { inputShapes: new Map(Object.entries(dataShapes)) } : {});
  // Corpus deploy nets declare batches of 10 to 128: the same net at batch 1 is much cheaper.
  const overrides = new Map<string, Shape>();
  for (const node of emitted.input?.model.graph.nodes ?? []) {
    if (node.op !== 'input' && node.op !== 'data') continue;
    emitted.input!.reports.get(node)?.outputs.forEach((o) => {
      if (o.shape && typeof o.shape[0] === 'number' && o.shape[0] > 1) overrides.set(o.name, [1, ...o.shape.slice(1)]);
    });
  }
  if (overrides.size > 0) emitted = await emit(path, undefined, { inputShapes: new Map([...Object.entries(dataShapes ?? {}), ...overrides]) });
  return emitted;
}

function expectations(e: Emitted): {
  outputs: Shape[];
  params: number;
  macs: number;
} {
  const input = e.input!;
  const consumed = new Set<string>();
  let params = 0;
  let macs = 0;
  const lastShape = new Map<string, Shape | null>();
  const produced: string[] = [];
  const dropped = new Set<string>();
  for (const node of input.model.graph.nodes) {
    const report = input.reports.get(node);
    // A deploy model leaves losses out: what only they read (a classifier's scores) is an output.
    if (node.op === 'loss' || node.op === 'accuracy' || node.op === 'silence') {
      node.outputs.forEach((b) => dropped.add(b));
      continue;
    }
    node.inputs.forEach((b) => consumed.add(b));
    if (node.op !== 'input' && node.op !== 'data') {
      node.outputs.forEach((b, i) => {
        consumed.delete(b);
        dropped.delete(b);
        produced.push(b);
        lastShape.set(b, report?.outputs[i]?.shape ?? null);
      });
    }
    params += report?.cost?.params ?? 0;
    macs += report?.cost?.macs ?? 0;
    // PyTorch has no counterpart of Caffe's BatchNorm scale factor (the statistics are stored already divided).
    if (node.op === 'batchnorm' && node.attrs.running_update === 'caffe') params -= 1;
  }
  const outputs = [...new Set(produced)].filter((b) => !consumed.has(b) && !dropped.has(b)).map((b) => concrete(lastShape.get(b) ?? []));
  return { outputs, params, macs };
}

const specs = specFiles().map((f) => join(ROOT, f));
const corpus = corpusFiles()
  .filter((f) => !/solver/.test(f))
  .map((f) => join(CORPUS, f));

beforeAll(async () => {
  const models: unknown[] = [];
  for (const path of [...specs, ...corpus]) {
    const emitted = await prepare(path);
    if (!emitted.input || emitted.code === null) {
      cases.set(path, {
        id: path,
        emitted,
        expectedOutputs: [],
        expectedParams: 0,
        forward: false,
      });
      continue;
    }
    const { outputs, params, macs } = expectations(emitted);
    const forward = !path.startsWith(CORPUS) || macs <= FORWARD_MAC_BUDGET;
    cases.set(path, {
      id: path,
      emitted,
      expectedOutputs: outputs,
      expectedParams: params,
      forward,
    });
    const tv = path.match(/specs\/torchvision\/(\w+)\.nnspec$/);
    models.push({
      id: path,
      file: emitted.file,
      torchvision: tv ? tv[1] : undefined,
      forward,
    });
  }
  const r = await runChecks({ models });
  if (r.ok) results = r.data.models;
  else {
    skipReason = r.reason;
    announceSkip('pytorch/models.test.ts', r.reason);
  }
}, 600_000);

const rel = (p: string) => p.replace(`${ROOT}/`, '').replace(`${CORPUS}/`, 'corpus/');

describe.each([...specs, ...corpus].map((p) => [rel(p), p] as const))('%s', (_name, path) => {
  it('is emitted, or refused with convert/* errors naming the layer', () => {
    const c = cases.get(path)!;
    if (!c.emitted.input) {
      // The compiler itself rejected the file: not the backend's business.
      expect(c.emitted.diagnostics.some((d) => d.severity === 'error')).toBe(true);
      return;
    }
    if (c.emitted.code === null) {
      const errors = c.emitted.diagnostics.filter((d) => d.severity === 'error');
      expect(errors.length).toBeGreaterThan(0);
      for (const e of errors) {
        expect(e.code).toMatch(/^convert\/(unsupported|unknown-shape)$/);
        expect(e.message).toMatch(/layer '/);
      }
    }
  });

  it('imports and matches the analysis: output shapes (batch 1) and parameter count', (ctx) => {
    const c = cases.get(path)!;
    // A refused file has nothing to run; the test above holds the refusal to its diagnostics.
    if (c.emitted.code === null) return ctx.skip(`not emitted: ${c.emitted.diagnostics.filter((d) => d.severity === 'error').map((d) => d.code)[0] ?? 'the compiler rejected the file'}`);
    if (!results) return ctx.skip(skipReason);
    const r = results[path];
    expect(r.error, r.error).toBeUndefined();
    expect(r.params).toBe(c.expectedParams);
    if (c.forward) expect(r.outputs).toEqual(c.expectedOutputs);
  });
});

describe.skipIf(!HAS_CORPUS)('corpus', () => {
  it('has files that convert', () => {
    expect([...cases.values()].filter((c) => c.id.startsWith(CORPUS) && c.emitted.code !== null).length).toBeGreaterThan(10);
  });

  it('converts the train/val nets once their data shapes are given', () => {
    const trainVal = [...cases.values()].filter((c) => DATA_SHAPES.some(([re]) => re.test(c.id)));
    expect(trainVal.length).toBe(13);
    const refused = trainVal.filter((c) => c.emitted.code === null).map((c) => rel(c.id));
    expect(refused).toEqual([]);
  });
});
if (!HAS_CORPUS) announceSkip('pytorch/models.test.ts', CORPUS_SKIP_REASON);

describe('torchvision specs', () => {
  for (const name of ['alexnet', 'vgg16', 'resnet18', 'resnet50', 'squeezenet1_1', 'mobilenet_v2', 'googlenet']) {
    it(`${name} loads torchvision's state_dict strictly and matches its outputs within 1e-5`, (ctx) => {
      if (!results) return ctx.skip(skipReason);
      const r = results[join(ROOT, 'specs/torchvision', `${name}.nnspec`)];
      expect(r.error, r.error).toBeUndefined();
      if (r.torchvision_skip) return ctx.skip(r.torchvision_skip);
      expect(r.torchvision_diff).toBeLessThanOrEqual(1e-5);
    });
  }
});
