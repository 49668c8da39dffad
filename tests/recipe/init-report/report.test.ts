/** What a user relies on from `nnspec init-report`: the JSON shape, Caffe files, the HTML page, usage errors. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { runInitReport, type InitReportFlags } from '../../../src/cli/init-report.js';
import type { InitResult } from '../../../src/recipe/init-report/index.js';
import { CORPUS, CORPUS_SKIP_REASON, HAS_CORPUS, ROOT } from '../../helpers.js';

async function report(path: string, flags: InitReportFlags): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runInitReport(path, flags, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const tmp = mkdtempSync(join(tmpdir(), 'nnspec-init-report-'));
const relu7 = join(ROOT, 'specs/lecture/relu7.nnspec');

const nullableNumber = { type: ['number', 'null'] };
const SCHEMA = {
  type: 'object',
  required: ['spec', 'backend', 'batch', 'seed', 'input', 'thresholds', 'definitions', 'inits'],
  properties: {
    batch: { type: 'integer' },
    inits: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['init', 'filler', 'loss', 'layers', 'flags'],
        properties: {
          init: { type: 'string' },
          loss: { type: 'number' },
          flags: {
            type: 'array',
            items: { type: 'object', required: ['kind', 'layer', 'message'], properties: { kind: { enum: ['collapse', 'vanishing_gradient', 'saturation', 'explosion'] }, layer: { type: 'string' }, message: { type: 'string' } } },
          },
          layers: {
            type: 'array',
            minItems: 1,
            items: {
              type: 'object',
              required: ['name', 'op', 'shape', 'mean', 'std', 'saturated', 'dead', 'grad_norm', 'grad_output_norm', 'histogram'],
              properties: {
                name: { type: 'string' },
                op: { type: 'string' },
                shape: { type: 'array', items: { type: 'integer' } },
                mean: { type: 'number' },
                std: { type: 'number', minimum: 0 },
                saturated: { ...nullableNumber, minimum: 0, maximum: 1 },
                dead: { ...nullableNumber, minimum: 0, maximum: 1 },
                grad_norm: { ...nullableNumber, minimum: 0 },
                grad_output_norm: { ...nullableNumber, minimum: 0 },
                histogram: { type: 'object', required: ['edges', 'counts'] },
              },
            },
          },
        },
      },
    },
  },
};

const TINY_CAFFE = `name: "TinyCaffe"
layer { name: "data" type: "Input" top: "data" top: "label" input_param { shape { dim: 8 dim: 3 dim: 12 dim: 12 } shape { dim: 8 } } }
layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1" convolution_param { num_output: 8 kernel_size: 3 weight_filler { type: "msra" } } }
layer { name: "relu1" type: "ReLU" bottom: "conv1" top: "conv1" }
layer { name: "pool1" type: "Pooling" bottom: "conv1" top: "pool1" pooling_param { pool: MAX kernel_size: 2 stride: 2 } }
layer { name: "drop1" type: "Dropout" bottom: "pool1" top: "pool1" dropout_param { dropout_ratio: 0.5 } }
layer { name: "fc" type: "InnerProduct" bottom: "pool1" top: "fc" inner_product_param { num_output: 5 weight_filler { type: "xavier" } } }
layer { name: "loss" type: "SoftmaxWithLoss" bottom: "fc" bottom: "label" top: "loss" }
`;

describe('nnspec init-report', () => {
  it('writes JSON with one entry per layer and per initialisation', async () => {
    const r = await report(relu7, { init: 'xavier,gaussian:0.01', format: 'json', batch: 16 });
    expect(r.code).toBe(0);
    const json = JSON.parse(r.out) as { batch: number; inits: InitResult[] };
    const ajv = new Ajv({ allErrors: true });
    expect(ajv.validate(SCHEMA, json), ajv.errorsText()).toBe(true);
    expect(json.inits.map((i) => i.init)).toEqual(['xavier', 'gaussian:0.01']);
    for (const init of json.inits) {
      // Every layer of the spec, the input left out, each with the batch asked for.
      expect(init.layers.map((l) => l.name)).toEqual(['fc1', 'relu1', 'fc2', 'relu2', 'fc3', 'relu3', 'fc4', 'relu4', 'fc5', 'relu5', 'fc6', 'relu6', 'fc7', 'relu7', 'classifier']);
      for (const l of init.layers) expect(l.shape[0]).toBe(16);
      expect(init.layers.every((l) => l.histogram.counts.reduce((a, b) => a + b, 0) === l.shape.reduce((a, b) => a * b, 1))).toBe(true);
    }
  });

  it('gives the same numbers for the same seed (seed 0 included) and others for another', async () => {
    const run = async (seed: number) => JSON.parse((await report(relu7, { init: 'kaiming', format: 'json', batch: 8, seed })).out) as { inits: InitResult[] };
    const [a, b, c] = [await run(0), await run(0), await run(1)];
    expect(b.inits).toEqual(a.inits);
    expect(c.inits[0]!.layers[0]!.std).not.toBe(a.inits[0]!.layers[0]!.std);
  });

  it('runs a Caffe prototxt, reporting an in-place layer’s own output, with dropout off', async () => {
    const file = join(tmp, 'tiny.prototxt');
    writeFileSync(file, TINY_CAFFE);
    const r = await report(file, { format: 'json', batch: 6, seed: 3 });
    expect(r.err).not.toMatch(/error/);
    expect(r.code).toBe(0);
    const [init] = (JSON.parse(r.out) as { inits: InitResult[] }).inits;
    const layer = (name: string) => init!.layers.find((l) => l.name === name)!;
    expect(init!.layers.map((l) => l.name)).toEqual(['conv1', 'relu1', 'pool1', 'drop1', 'fc']);
    expect(layer('conv1').shape).toEqual([6, 8, 10, 10]);
    // conv1 and relu1 share a blob in Caffe; each still reports its own output.
    expect(layer('conv1').min).toBeLessThan(0);
    expect(layer('relu1').min).toBeGreaterThanOrEqual(0);
    expect(layer('relu1').dead).not.toBeNull();
    // Dropout is off: it passes its input through unchanged.
    expect(layer('drop1').std).toBeCloseTo(layer('pool1').std, 5);
    expect(layer('conv1').grad_norm!).toBeGreaterThan(0);
    expect(layer('fc').grad_norm!).toBeGreaterThan(0);
    expect(layer('relu1').grad_norm).toBeNull();
    expect(layer('conv1').grad_output_norm!).toBeGreaterThan(0);
  });

  it('takes a real batch with --data, through the spec’s preprocessing', async () => {
    const file = join(tmp, 'tiny-data.prototxt');
    writeFileSync(file, TINY_CAFFE);
    const r = await report(file, { format: 'json', batch: 8, data: 'synthetic:32' });
    expect(r.code).toBe(0);
    const json = JSON.parse(r.out) as { input: string; inits: InitResult[] };
    expect(json.input).toBe('8 examples of synthetic:32');
    expect(json.inits[0]!.layers[0]!.shape).toEqual([8, 8, 10, 10]);
    const small = await report(file, { batch: 64, data: 'synthetic:32' });
    expect(small.code).toBe(2);
    expect(small.err).toMatch(/only 32 examples; use --batch 32/);
  });

  it.skipIf(!HAS_CORPUS)('runs a real Caffe train_val net (LeNet) with --input-shape', async () => {
    const r = await report(join(CORPUS, 'BVLC__caffe/lenet_train_test.prototxt'), { format: 'json', batch: 8, inputShape: ['data=N,1,28,28'], init: 'xavier,kaiming' });
    expect(r.code).toBe(0);
    const json = JSON.parse(r.out) as { inits: InitResult[] };
    expect(json.inits[0]!.layers.map((l) => l.name)).toEqual(['conv1', 'pool1', 'conv2', 'pool2', 'ip1', 'relu1', 'ip2']);
    // The net's own SoftmaxWithLoss, on random labels over 10 classes, starts near log(10).
    expect(json.inits[0]!.loss).toBeGreaterThan(1.5);
    expect(json.inits[0]!.loss).toBeLessThan(4);
  });
  it.skipIf(HAS_CORPUS)(`real Caffe nets: ${CORPUS_SKIP_REASON}`, () => {});

  it('writes a self-contained HTML page with one histogram per layer and initialisation', async () => {
    const html = join(tmp, 'report.html');
    const r = await report(relu7, { init: 'xavier,kaiming', batch: 16, html });
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/tfjs backend: \w+/);
    expect(r.out).toMatch(/init: kaiming/);
    const page = readFileSync(html, 'utf8');
    expect(page).not.toMatch(/https?:/);
    expect(page).not.toMatch(/<script|<link/);
    expect(page.match(/<svg/g)).toHaveLength(15 * 2);
    expect(page).toContain('<title>relu1 (kaiming)</title>');
  });

  it('prints the table with the flagged layer marked', async () => {
    const r = await report(join(ROOT, 'specs/lecture/tanh7.nnspec'), { init: 'gaussian:0.01', batch: 16 });
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Layer\s+Op\s+Shape\s+Mean\s+Std\s+Saturated\s+Dead\s+Grad \(params\)\s+Grad \(output\)/m);
    expect(r.out).toMatch(/^fc\d\s.*◀ collapse/m);
  });

  it.each([
    [{ init: 'xavier,bogus' }, /--init: unknown initialiser 'bogus'/],
    [{ init: 'gaussian:x' }, /--init: 'gaussian:x' needs a standard deviation/],
    [{ batch: '0' }, /--batch expects a whole number ≥ 1, got '0'/],
    [{ format: 'yaml' }, /--format expects table or json/],
  ] as [InitReportFlags, RegExp][])('refuses %o with exit 2 and a one-line message', async (flags, message) => {
    const r = await report(relu7, flags);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.out).toBe('');
  });

  it('exits 2 for a missing file, an unwritable --html (before running) and --data on a non-image input', async () => {
    const missing = await report(join(tmp, 'nope.nnspec'), {});
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/nope\.nnspec/);
    const html = await report(relu7, { html: join(tmp, 'no-such-dir', 'r.html') });
    expect(html.code).toBe(2);
    expect(html.err).toMatch(/cannot write '.*r\.html': /);
    expect(html.out).toBe('');
    const data = await report(relu7, { data: 'synthetic:100', batch: 8 });
    expect(data.code).toBe(2);
    expect(data.err).toMatch(/--data needs an image input/);
  });
});
