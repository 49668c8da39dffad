/**
 * `--weights` loading: safetensors in the PyTorch state_dict layout back to IR weights (the
 * inverse of pytorchStateDict, byte-for-byte round trips), .caffemodel files, and the errors a
 * file that does not fit the net gives.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { prepareBackendInput, type BackendInput } from '../../src/backends/backend.js';
import { pytorchStateDict } from '../../src/backends/pytorch/index.js';
import { bindCaffeWeights, readCaffeModel, readSafetensors, writeSafetensors, type IrWeights, type NamedTensor } from '../../src/weights/index.js';
import { irWeightsFromStateDict, loadWeights } from '../../src/weights/load-weights.js';
import { ROOT } from '../helpers.js';
import { ALL, CONV1, DECONV1, FC1, PROTOC_SKIP_REASON, SCALE1, TINY_NET, bn1, encodeNet, layer } from './caffemodel-builder.js';

const TMP = mkdtempSync(join(tmpdir(), 'nnspec-load-weights-'));
const LENET = join(ROOT, 'specs/lenet.nnspec');
const META = { format: 'pt', source: 'nnspec train' };
const itProtoc = PROTOC_SKIP_REASON ? it.skip : it;
if (PROTOC_SKIP_REASON) console.warn(`[weights/load-weights] some tests skipped: ${PROTOC_SKIP_REASON}`);

async function prepare(path: string, text?: string): Promise<BackendInput> {
  const prepared = await prepareBackendInput(path, {}, text);
  if (!prepared.input) throw new Error(prepared.diagnostics.items.map((d) => d.message).join('\n'));
  return prepared.input;
}

/** Every IR parameter of the net, filled with distinct values (the shapes from the analysis). */
function someWeights(input: BackendInput, shapes: Record<string, number[][]>): IrWeights {
  const out: IrWeights = new Map();
  let v = 0;
  for (const node of input.model.graph.nodes) {
    if (node.params.length === 0) continue;
    const blobs = new Map();
    node.params.forEach((p, i) => {
      const shape = shapes[node.name]![i]!;
      const n = shape.reduce((a, b) => a * b, 1);
      blobs.set(p.name, { shape, data: Float32Array.from({ length: n }, () => Math.sin(++v) * 0.5) });
    });
    out.set(node.name, blobs);
  }
  return out;
}

const plain = (w: IrWeights) => Object.fromEntries([...w].map(([node, blobs]) => [node, Object.fromEntries([...blobs].map(([k, b]) => [k, { shape: b.shape, data: Array.from(b.data) }]))]));
const bytesOf = (input: BackendInput, w: IrWeights) => writeSafetensors(pytorchStateDict(input, w), META);
function read(bytes: Uint8Array): NamedTensor[] {
  const r = readSafetensors(bytes);
  if ('error' in r) throw new Error(r.error);
  return r.file.tensors;
}
function write(name: string, tensors: NamedTensor[]): string {
  const path = join(TMP, name);
  writeFileSync(path, writeSafetensors(tensors, META));
  return path;
}

const LENET_SHAPES = {
  conv1: [[20, 1, 5, 5], [20]],
  conv2: [[50, 20, 5, 5], [50]],
  ip1: [[500, 800], [500]],
  ip2: [[10, 500], [10]],
};

/** An InnerProduct stored transposed ([K, N] in Caffe, [N, K] in PyTorch) and a channel-shared PReLU (a scalar in the IR, [1] in PyTorch). */
const TRANSPOSED = `name: "t"
layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 2 dim: 6 } } }
layer { name: "fc" type: "InnerProduct" bottom: "data" top: "fc" inner_product_param { num_output: 3 transpose: true } }
layer { name: "act" type: "PReLU" bottom: "fc" top: "fc" prelu_param { channel_shared: true } }
`;

describe('safetensors (PyTorch layout) → IR weights', () => {
  it('is the inverse of pytorchStateDict: IR → safetensors → IR → safetensors gives the same bytes', async () => {
    const input = await prepare(LENET);
    const weights = someWeights(input, LENET_SHAPES);
    const first = bytesOf(input, weights);
    const back = irWeightsFromStateDict(input, read(first));
    expect(input.diagnostics.errorCount).toBe(0);
    expect(plain(back!)).toEqual(plain(weights));
    expect(Buffer.from(bytesOf(input, back!)).equals(Buffer.from(first))).toBe(true);
  });

  it('turns transposed InnerProduct weights back round', async () => {
    const input = await prepare('t.prototxt', TRANSPOSED);
    const weights = someWeights(input, { fc: [[6, 3], [3]], act: [[]] });
    const tensors = read(bytesOf(input, weights));
    expect(Object.fromEntries(tensors.map((t) => [t.key, t.shape]))).toEqual({ 'fc.weight': [3, 6], 'fc.bias': [3], 'act.weight': [1] });
    // PyTorch's [N, K] row n is Caffe's [K, N] column n.
    const fc = tensors.find((t) => t.key === 'fc.weight')!;
    const ir = weights.get('fc')!.get('weight')!;
    expect(fc.data[1 * 6 + 4]).toBe(ir.data[4 * 3 + 1]);
    const back = irWeightsFromStateDict(input, tensors);
    expect(plain(back!)).toEqual(plain(weights));
    expect(Buffer.from(bytesOf(input, back!)).equals(Buffer.from(bytesOf(input, weights)))).toBe(true);
  });

  itProtoc('round-trips a fused BatchNorm + Scale (tiny.prototxt) bound from a caffemodel', async () => {
    const input = await prepare(TINY_NET);
    const model = readCaffeModel(encodeNet(ALL), 'tiny.caffemodel');
    if ('error' in model) throw new Error(model.error);
    const bound = bindCaffeWeights(input.model.graph, model.model, input.diagnostics, input.reports);
    const first = bytesOf(input, bound);
    const back = irWeightsFromStateDict(input, read(first));
    expect(input.diagnostics.errorCount).toBe(0);
    expect(plain(back!)).toEqual(plain(bound));
    expect(Buffer.from(bytesOf(input, back!)).equals(Buffer.from(first))).toBe(true);
  });

  it('names the key and both shapes when a tensor has another shape (and loads nothing)', async () => {
    const input = await prepare(LENET);
    const tensors = pytorchStateDict(input, someWeights(input, LENET_SHAPES)).map((t) => (t.key === 'ip2.weight' ? { key: t.key, shape: [9, 500], data: new Float32Array(4500) } : t));
    const r = loadWeights(write('wrong-shape.safetensors', tensors), input);
    expect(r).toEqual({ mismatch: 1 });
    const d = input.diagnostics.items.find((x) => x.severity === 'error')!;
    expect(d.code).toBe('weights/shape-mismatch');
    expect(d.message).toContain("'ip2.weight'");
    expect(d.message).toContain('[9, 500]');
    expect(d.message).toContain('[10, 500]');
    // At the layer: the span is that of ip2 in the spec.
    expect(input.source.text.slice(d.span.start, d.span.end)).toContain('ip2');
  });

  it('reports missing and unexpected tensors by key, and ignores PyTorch-only buffers', async () => {
    const input = await prepare(LENET);
    const full = pytorchStateDict(input, someWeights(input, LENET_SHAPES));
    const tensors = [...full.filter((t) => t.key !== 'conv2.bias'), { key: 'conv3.weight', shape: [2], data: new Float32Array(2) }, { key: 'bn.num_batches_tracked', shape: [], data: new Float32Array(1) }];
    const r = loadWeights(write('missing-extra.safetensors', tensors), input);
    expect(r).toEqual({ mismatch: 2 });
    const errors = input.diagnostics.items.filter((x) => x.severity === 'error');
    expect(errors.map((e) => e.code).sort()).toEqual(['weights/missing-tensor', 'weights/unexpected-tensor']);
    expect(errors.find((e) => e.code === 'weights/missing-tensor')!.message).toContain("'conv2.bias' [50] (layer 'conv2')");
    const extra = errors.find((e) => e.code === 'weights/unexpected-tensor')!.message;
    expect(extra).toContain("'conv3.weight' [2]");
    expect(extra).not.toContain('num_batches_tracked');
  });

  it('loads a complete file', async () => {
    const input = await prepare(LENET);
    const weights = someWeights(input, LENET_SHAPES);
    const r = loadWeights(write('lenet.safetensors', pytorchStateDict(input, weights)), input);
    if (!('weights' in r)) throw new Error(JSON.stringify(r));
    expect(r.format).toBe('safetensors');
    expect(plain(r.weights)).toEqual(plain(weights));
  });
});

describe('loading --weights files', () => {
  itProtoc('reads a .caffemodel as Caffe does (BatchNorm sums divided by the scale factor)', async () => {
    const input = await prepare(TINY_NET);
    const path = join(TMP, 'tiny.caffemodel');
    writeFileSync(path, encodeNet(ALL));
    const r = loadWeights(path, input);
    if (!('weights' in r)) throw new Error(JSON.stringify(r));
    expect(r.format).toBe('caffemodel');
    expect(Array.from(r.weights.get('bn1')!.get('running_mean')!.data)).toEqual([1, 2, -0.5, 0.25]);
    expect(r.weights.get('fc1')!.get('weight')!.shape).toEqual([5, 64]);
  });

  itProtoc('refuses a caffemodel that leaves a layer out (it would run at its random start)', async () => {
    const input = await prepare(TINY_NET);
    const path = join(TMP, 'partial.caffemodel');
    writeFileSync(path, encodeNet([CONV1, bn1(4), SCALE1, layer('relu1', 'ReLU', []), DECONV1].join('\n')));
    const r = loadWeights(path, input);
    expect(r).toEqual({ mismatch: 1 });
    const d = input.diagnostics.items.find((x) => x.severity === 'error')!;
    expect(d.code).toBe('weights/missing-values');
    expect(d.message).toContain("'fc1' (weight, bias)");
    void FC1;
  });

  it('says why a file cannot be read at all', async () => {
    const input = await prepare(LENET);
    const missing = loadWeights(join(TMP, 'nope.safetensors'), input);
    expect(missing).toEqual({ unreadable: `cannot read weights '${join(TMP, 'nope.safetensors')}': no such file` });
    const garbage = join(TMP, 'garbage.safetensors');
    writeFileSync(garbage, 'not weights at all');
    const r = loadWeights(garbage, input);
    expect('unreadable' in r && r.unreadable).toMatch(/not a readable safetensors file/);
    expect(input.diagnostics.errorCount).toBe(0);
  });
});
