/**
 * The exporter's contract beyond numerics: the model.json a user loads (reviewed golden for
 * LeNet), the files on disk (tfjs-converter's shard names and sizes, loadable from disk, written
 * atomically with model.json last), any batch size at inference, and refusals that name the
 * layer and write nothing.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadGraphModel } from '@tensorflow/tfjs-converter';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { prepareBackendInput, type BackendInput } from '../../../src/backends/backend.js';
import { lowerToTfjs } from '../../../src/backends/tfjs/index.js';
import { exportGraphModel, saveGraphModel, writeGraphModel } from '../../../src/backends/tfjs-graph/index.js';
import { permute } from '../../../src/backends/tfjs-graph/emit.js';
import { ROOT } from '../../helpers.js';
import { random, TF, useBackend } from '../tfjs/harness.js';
import { fileHandler, loadFromMemory, relativeError } from './kit.js';

const LENET = join(ROOT, 'specs/lenet.nnspec');
const tempDir = () => mkdtempSync(join(tmpdir(), 'nnspec-tfjs-graph-'));

async function compiled(path: string, text?: string): Promise<BackendInput> {
  const { input, diagnostics } = await prepareBackendInput(path, {}, text);
  if (!input) throw new Error(diagnostics.items.map((d) => d.message).join('; '));
  return input;
}

beforeAll(async () => {
  await useBackend('cpu');
});

describe('model.json', () => {
  it('matches the reviewed golden for LeNet (weights excluded)', async () => {
    const input = await compiled(LENET);
    const lowered = lowerToTfjs(TF, input, { seed: 1 })!;
    const { model } = exportGraphModel(input, lowered.params.toIrWeights(), { version: 'golden' });
    lowered.dispose();
    await expect(`${JSON.stringify(model!.modelJson, null, 2)}\n`).toMatchFileSnapshot(join(ROOT, 'golden/tfjs-graph/lenet.model.json'));
  });

  it("names nnspec's version, the inputs and outputs after the net's blobs, and every weight once", async () => {
    const input = await compiled(LENET);
    const lowered = lowerToTfjs(TF, input, { seed: 1 })!;
    const { model } = exportGraphModel(input, lowered.params.toIrWeights());
    lowered.dispose();
    const json = model!.modelJson;
    const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    expect(json.format).toBe('graph-model');
    expect(json.convertedBy).toBe(`nnspec ${version}`);
    expect(Object.keys(json.signature.inputs)).toEqual(['data']);
    expect(Object.keys(json.signature.outputs)).toEqual(['ip2']);
    // The batch axis is free; the rest is the IR's NCHW.
    expect(json.signature.inputs.data!.tensorShape.dim.map((d) => Number(d.size))).toEqual([-1, 1, 28, 28]);
    const names = json.weightsManifest[0]!.weights.map((w) => w.name);
    expect(new Set(names).size).toBe(names.length);
    const consts = json.modelTopology.node.filter((n) => n.op === 'Const').map((n) => n.name);
    expect(consts.sort()).toEqual([...names].sort());
    const bytes = json.weightsManifest[0]!.weights.reduce((n, w) => n + 4 * w.shape.reduce((a, b) => a * b, 1), 0);
    expect(model!.weightData.byteLength).toBe(bytes);
  });
});

describe('files', () => {
  it('writes group1-shardNofM.bin shards of at most the shard size, which load from disk and compute the same', async () => {
    const input = await compiled(LENET);
    const lowered = lowerToTfjs(TF, input, { seed: 2 })!;
    const dir = join(tempDir(), 'tfjs');
    const shardBytes = 256 * 1024;
    const { files, model } = saveGraphModel(dir, input, lowered.params.toIrWeights(), { shardBytes });
    const count = Math.ceil(model!.weightData.byteLength / shardBytes);
    expect(count).toBeGreaterThan(1);
    const shards = Array.from({ length: count }, (_, i) => `group1-shard${i + 1}of${count}.bin`);
    expect(readdirSync(dir).sort()).toEqual([...shards, 'model.json'].sort());
    expect(files.map((f) => f.slice(dir.length + 1))).toEqual([...shards, 'model.json']);
    for (const s of shards) expect(statSync(join(dir, s)).size).toBeLessThanOrEqual(shardBytes);
    expect(Buffer.concat(shards.map((s) => readFileSync(join(dir, s)))).equals(model!.weightData)).toBe(true);

    const graph = await loadGraphModel(fileHandler(dir));
    const x = random([3, 1, 28, 28], 5);
    const actual = graph.execute({ data: x }, ['ip2']) as ReturnType<typeof random>;
    const expected = lowered.forward({ data: x }, 'inference').ip2!;
    expect(actual.shape).toEqual([3, 10]);
    expect(relativeError(actual, expected)).toBeLessThanOrEqual(1e-4);
    graph.dispose();

    // Exporting again into the folder with another shard count leaves only the new files.
    saveGraphModel(dir, input, lowered.params.toIrWeights());
    expect(readdirSync(dir).sort()).toEqual(['group1-shard1of1.bin', 'model.json']);
    lowered.dispose();
  });

  it('uses 4 MiB shards by default', async () => {
    const input = await compiled(join(ROOT, 'specs/squeezenet1_1.nnspec'));
    const lowered = lowerToTfjs(TF, input, { seed: 2 })!;
    const { model } = exportGraphModel(input, lowered.params.toIrWeights());
    lowered.dispose();
    const sizes = model!.shards.map((s) => s.data.byteLength);
    expect(model!.weightData.byteLength).toBeGreaterThan(4 * 1024 * 1024);
    expect(sizes.slice(0, -1).every((n) => n === 4 * 1024 * 1024)).toBe(true);
    expect(model!.modelJson.weightsManifest[0]!.paths).toEqual(sizes.map((_, i) => `group1-shard${i + 1}of${sizes.length}.bin`));
  });

  it('leaves the previous model whole and no temporary files when a write fails', async () => {
    const input = await compiled(LENET);
    const lowered = lowerToTfjs(TF, input, { seed: 2 })!;
    const weights = lowered.params.toIrWeights();
    lowered.dispose();
    const dir = tempDir();
    saveGraphModel(dir, input, weights);
    const before = readFileSync(join(dir, 'model.json'), 'utf8');
    // A directory where the second shard of a 3-shard export goes: its rename must fail.
    const { model } = exportGraphModel(input, weights, { shardBytes: 700 * 1024, version: 'next' });
    expect(model!.shards).toHaveLength(3);
    mkdirSync(join(dir, 'group1-shard2of3.bin', 'occupied'), { recursive: true });
    expect(() => writeGraphModel(dir, model!)).toThrow();
    expect(readFileSync(join(dir, 'model.json'), 'utf8')).toBe(before);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});

describe('batch size', () => {
  it('runs any batch size when the spec leaves it open (N) or fixes it', async () => {
    for (const text of [undefined, readFileSync(LENET, 'utf8').replace('shape: [N, 1, 28, 28]', 'shape: [4, 1, 28, 28]')]) {
      const input = await compiled(LENET, text);
      const lowered = lowerToTfjs(TF, input, { seed: 4 })!;
      const graph = await loadFromMemory(exportGraphModel(input, lowered.params.toIrWeights()).model!);
      for (const n of [1, 5]) {
        const x = random([n, 1, 28, 28], n);
        const actual = graph.execute({ data: x }, ['ip2']) as ReturnType<typeof random>;
        expect(actual.shape).toEqual([n, 10]);
        expect(relativeError(actual, lowered.forward({ data: x }, 'inference').ip2!)).toBeLessThanOrEqual(1e-4);
      }
      graph.dispose();
      lowered.dispose();
    }
  });
});

describe('preprocessing', () => {
  it("is left to the caller by default and put into the graph on request (LeNet's scale: 1/256)", async () => {
    const input = await compiled(LENET);
    const lowered = lowerToTfjs(TF, input, { seed: 4 })!;
    const weights = lowered.params.toIrWeights();
    const raw = random([2, 1, 28, 28], 9, 0, 255);
    const expected = lowered.forward({ data: TF.mul(raw, 0.00390625) }, 'inference').ip2!;
    const plain = await loadFromMemory(exportGraphModel(input, weights).model!);
    const baked = await loadFromMemory(exportGraphModel(input, weights, { preprocess: true }).model!);
    expect(relativeError(baked.execute({ data: raw }, ['ip2']) as ReturnType<typeof random>, expected)).toBeLessThanOrEqual(1e-4);
    expect(relativeError(plain.execute({ data: raw }, ['ip2']) as ReturnType<typeof random>, expected)).toBeGreaterThan(0.1);
    plain.dispose();
    baked.dispose();
    lowered.dispose();
  });
});

describe('refusals', () => {
  const SPP_NET = `name: "spp"
input: "data"
input_shape { dim: 1 dim: 3 dim: 8 dim: 8 }
layer { name: "conv" type: "Convolution" bottom: "data" top: "conv" convolution_param { num_output: 4 kernel_size: 3 } }
layer { name: "pyramid" type: "SPP" bottom: "conv" top: "pyramid" spp_param { pyramid_height: 2 } }
`;

  it('names a layer the graph cannot express, at its span, and writes nothing', async () => {
    const input = await compiled('spp.prototxt', SPP_NET);
    const lowered = lowerToTfjs(TF, input, { seed: 1 })!;
    const dir = join(tempDir(), 'out');
    const { model, files, diagnostics } = saveGraphModel(dir, input, lowered.params.toIrWeights());
    lowered.dispose();
    expect(model).toBeNull();
    expect(files).toEqual([]);
    expect(existsSync(dir)).toBe(false);
    const errors = diagnostics.items.filter((d) => d.severity === 'error');
    expect(errors.map((d) => d.code)).toEqual(['export/unsupported']);
    expect(errors[0]!.message).toContain("'pyramid'");
    expect(SPP_NET.slice(errors[0]!.span.start, errors[0]!.span.end)).toContain('pyramid');
  });

  it('says which weights are missing or misshapen', async () => {
    const input = await compiled(LENET);
    const lowered = lowerToTfjs(TF, input, { seed: 1 })!;
    const weights = lowered.params.toIrWeights();
    lowered.dispose();
    weights.get('conv2')!.delete('bias');
    weights.get('ip1')!.set('weight', { shape: [500, 10], data: new Float32Array(5000) });
    const { model, diagnostics } = exportGraphModel(input, weights);
    expect(model).toBeNull();
    const messages = diagnostics.items.filter((d) => d.code === 'export/weights').map((d) => d.message);
    expect(messages).toHaveLength(2);
    expect(messages[0]).toMatch(/'conv2'.*'bias'/);
    expect(messages[1]).toMatch(/'ip1'.*\[500, 10\].*\[500, 800\]/);
  });
});

describe('permute (weight layouts)', () => {
  it('moves every value to the position the permutation gives', () => {
    const shapeAndPerm = fc
      .array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 })
      .chain((shape) => fc.tuple(fc.constant(shape), fc.shuffledSubarray(shape.map((_, i) => i), { minLength: shape.length, maxLength: shape.length })));
    fc.assert(
      fc.property(shapeAndPerm, ([shape, perm]) => {
        const count = shape.reduce((a, b) => a * b, 1);
        const data = Float32Array.from({ length: count }, (_, i) => i);
        const out = permute(data, shape, perm);
        expect(out.shape).toEqual(perm.map((p) => shape[p]));
        // Out index (j0, j1, …) holds in index (i_perm[0] = j0, …).
        for (let o = 0; o < count; o++) {
          const j: number[] = [];
          let rest = o;
          for (let a = out.shape.length - 1; a >= 0; a--) {
            j[a] = rest % out.shape[a]!;
            rest = Math.floor(rest / out.shape[a]!);
          }
          const i: number[] = [];
          perm.forEach((p, a) => (i[p] = j[a]!));
          const at = i.reduce((acc, v, a) => acc * shape[a]! + v, 0);
          expect(out.data[o]).toBe(at);
        }
      }),
    );
  });
});
