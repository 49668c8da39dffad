/**
 * Shape analysis over the shared corpus of real Caffe files: the blob shapes and parameter
 * counts Caffe itself reports for the reference nets, every net of known layer types shaped
 * end to end, and nets with opaque (Python, fork) layers shaped up to the first one, with a
 * note that names it. Nothing throws, and no internal error is reported anywhere.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileFile, type CompileOptions } from '../../src/compile.js';
import type { Shape } from '../../src/ir/dims.js';
import type { Node } from '../../src/ir/graph.js';
import { CORPUS, CORPUS_SKIP_REASON, corpusFiles, HAS_CORPUS, ROOT, specFiles } from '../helpers.js';
import { analyseFile, total, type Analysis } from './reference.js';

const corpus = (rel: string) => join(CORPUS, rel);

/** The spatial/channel part of a blob shape (Caffe's published shapes leave the batch out). */
const perImage = (a: Analysis, blob: string) => a.blob(blob)?.slice(1);

describe.skipIf(!HAS_CORPUS)('reference nets give the blob shapes Caffe reports', () => {
  it('CaffeNet deploy (10×3×227×227): conv1 … fc8 and 60,965,224 parameters', async () => {
    const a = await analyseFile(corpus('BVLC__caffe/bvlc_reference_caffenet__deploy.prototxt'));
    expect(a.result.errorCount).toBe(0);
    // The shapes printed by `caffe time` / net.blobs for this net.
    const expected: Record<string, Shape> = {
      data: [3, 227, 227],
      conv1: [96, 55, 55],
      pool1: [96, 27, 27],
      norm1: [96, 27, 27],
      conv2: [256, 27, 27],
      pool2: [256, 13, 13],
      conv3: [384, 13, 13],
      conv4: [384, 13, 13],
      conv5: [256, 13, 13],
      pool5: [256, 6, 6],
      fc6: [4096],
      fc7: [4096],
      fc8: [1000],
      prob: [1000],
    };
    for (const [blob, shape] of Object.entries(expected)) {
      expect(perImage(a, blob), blob).toEqual(shape);
      expect(a.blob(blob)![0], `${blob} batch`).toBe(10);
    }
    expect(total(a.rows, 'params')).toBe(60_965_224);
    expect(total(a.rows, 'trainableParams')).toBe(60_965_224);
  });

  it('LeNet (64×1×28×28): conv1 20×24×24 … ip1 500, 431,080 parameters', async () => {
    const a = await analyseFile(corpus('BVLC__caffe/lenet.prototxt'));
    expect(a.result.errorCount).toBe(0);
    const expected: Record<string, Shape> = {
      conv1: [20, 24, 24],
      pool1: [20, 12, 12],
      conv2: [50, 8, 8],
      pool2: [50, 4, 4],
      ip1: [500],
      ip2: [10],
    };
    for (const [blob, shape] of Object.entries(expected)) expect(perImage(a, blob), blob).toEqual(shape);
    // By hand: conv1 20·1·5·5 + 20, conv2 50·20·5·5 + 50, ip1 500·800 + 500, ip2 10·500 + 10.
    expect(20 * 25 + 20 + (50 * 20 * 25 + 50) + (500 * 800 + 500) + (10 * 500 + 10)).toBe(431_080);
    expect(total(a.rows, 'params')).toBe(431_080);
  });

  it('fully convolutional CaffeNet on a 451×451 input ends in 1000×8×8', async () => {
    const a = await analyseFile(corpus('BVLC__caffe/bvlc_caffenet_full_conv.prototxt'));
    expect(a.result.errorCount).toBe(0);
    expect(a.blob('data')).toEqual([1, 3, 451, 451]);
    expect(perImage(a, 'fc8-conv')).toEqual([1000, 8, 8]);
    expect(perImage(a, 'prob')).toEqual([1000, 8, 8]);
    // Converting fc6/7/8 to convolutions keeps the parameter count (net_surgery.ipynb).
    expect(total(a.rows, 'params')).toBe(60_965_224);
  });

  it('FCN-8s: score is 21×500×500 and both skip fusions are aligned', async () => {
    const a = await analyseFile(corpus('shelhamer__fcn.berkeleyvision.org/deploy.prototxt'));
    expect(a.result.errorCount).toBe(0);
    expect(a.blob('score')).toEqual([1, 21, 500, 500]);
    const fusions = a.rows.filter((r) => r.node.op === 'eltwise');
    expect(fusions.map((r) => r.node.name)).toEqual(['fuse_pool4', 'fuse_pool3']);
    for (const f of fusions) {
      // Both inputs of each fusion have one shape (the Crop offsets 5 and 9 make it so).
      expect(f.inputs[0]!.shape).toEqual(f.inputs[1]!.shape);
    }
    expect(a.codes).not.toContain('rf/misaligned');
    expect(a.diagnostics.filter((d) => d.severity !== 'note')).toEqual([]);
  });
});

// -------------------------------------------------------------------------------------------
// Every corpus net, in every state its include rules name.

interface State {
  /** null: the file's own default (a solver's training net, a deploy net's TEST). */
  phase: 'TRAIN' | 'TEST' | null;
  stages: string[];
}

/** The phases (and stages) a file's include rules name; both phases when it names none. */
function statesOf(ruleStages: Map<string, Set<string>> | undefined): State[] {
  if (!ruleStages) return [{ phase: null, stages: [] }];
  const phases = (['TRAIN', 'TEST'] as const).filter((p) => ruleStages.has(p));
  const out: State[] = [];
  for (const phase of phases.length ? phases : (['TRAIN', 'TEST'] as const)) {
    const own = ruleStages.get(phase) ?? new Set<string>();
    if (own.size === 0) out.push({ phase, stages: [] });
    for (const s of new Set([...own, ...(ruleStages.get('ANY') ?? [])])) out.push({ phase, stages: [s] });
  }
  return out;
}

/**
 * The image shape a Data layer reads, from what the dataset is (MNIST digits are 1×28×28, the
 * siamese pairs two of them stacked, CIFAR-10 images 3×32×32; ImageNet crops crop_size²).
 */
function dataShape(node: Node): Shape {
  if (node.op !== 'data') throw new Error(`${node.name} is not a data layer`);
  const { source, batch_size, transform } = node.attrs;
  const n = batch_size ?? 1;
  const src = (source ?? '').toLowerCase();
  if (src.includes('siamese')) return [n, 2, 28, 28];
  if (src.includes('mnist')) return [n, 1, 28, 28];
  if (src.includes('cifar')) return [n, 3, 32, 32];
  const crop = transform?.crop_size ?? 0;
  if (crop > 0) return [n, 3, crop, crop];
  throw new Error(`no image shape known for data layer '${node.name}' (${source})`);
}

interface FileRun {
  state: State;
  a: Analysis;
  nodes: Node[];
  given: Map<string, Shape>;
}

async function runAllStates(path: string): Promise<FileRun[]> {
  const probe = await compileFile(path, { keepNodes: true, analyze: false });
  const runs: FileRun[] = [];
  for (const state of statesOf(probe.ruleStages as Map<string, Set<string>> | undefined)) {
    const options: CompileOptions = state.phase ? { phase: state.phase, stages: state.stages } : {};
    const first = await compileFile(path, { ...options, keepNodes: true, analyze: false });
    const nodes = first.model.graph?.nodes ?? [];
    // Data layers read their image shape from the data: give it, as `--input-shape` would.
    const given = new Map<string, Shape>();
    for (const n of nodes) {
      if (n.op !== 'data') continue;
      n.outputs.forEach((top, i) => {
        if (n.op === 'data' && !n.attrs.shapes[i]) given.set(top, dataShape(n));
      });
    }
    const a = await analyseFile(path, { ...options, keepNodes: true, ...(given.size ? { inputShapes: given } : {}) });
    runs.push({ state, a, nodes: a.result.model.graph?.nodes ?? nodes, given });
  }
  return runs;
}

const netFiles = corpusFiles().filter((f) => !/solver/.test(f) || f.includes('consolidated'));

describe.skipIf(!HAS_CORPUS)('every corpus net is shaped as far as its layers are known', () => {
  it.each(netFiles)('%s', async (file) => {
    const runs = await runAllStates(corpus(file));
    expect(runs.length).toBeGreaterThan(0);
    for (const { state, a, given } of runs) {
      const where = `${file} (${state.phase ?? 'default'}${state.stages.length ? `, ${state.stages.join(',')}` : ''})`;
      expect(a.codes, where).not.toContain('internal/analysis');
      // Real nets have no shape errors (DeepLab's test file lacks data in its TRAIN net: a
      // graph error, not the analysis's).
      expect(a.diagnostics.filter((d) => d.severity === 'error' && !d.code.startsWith('graph/')).map((d) => `${d.code}: ${d.message}`), where).toEqual([]);
      expect(a.codes, where).not.toContain('shape/unused-input-shape');
      for (const name of given.keys()) expect(a.blob(name), `${where}: given shape of '${name}' is used`).toEqual(given.get(name));

      // A net state that reads blobs no layer produces (DeepLab's test file in TRAIN) has no
      // shapes past them; the graph check has said so.
      if (a.codes.includes('graph/unknown-blob')) continue;
      const opaque = a.rows.filter((r) => r.node.op === 'opaque');
      const shapeless = a.rows.filter((r) => r.outputs.some((o) => o.shape === null));
      if (opaque.length === 0) {
        // All layer types known: every node of the net has every output shaped.
        expect(shapeless.map((r) => r.node.name), where).toEqual([]);
        expect(a.codes, where).not.toContain('shape/unknown');
        continue;
      }
      // Shapes stop only at opaque layers: a node without shapes is opaque or reads a blob
      // that has none.
      for (const r of shapeless) {
        if (r.node.op === 'opaque') continue;
        expect(r.inputs.some((i) => i.shape === null), `${where}: '${r.node.name}' lost its shapes with all inputs known`).toBe(true);
      }
      // Every node before the first opaque one has its shapes.
      const firstOpaque = a.rows.indexOf(opaque[0]!);
      expect(
        a.rows.slice(0, firstOpaque).filter((r) => r.outputs.some((o) => o.shape === null)).map((r) => r.node.name),
        where,
      ).toEqual([]);
      // The first opaque layer whose outputs something reads gets a note naming it, at its text.
      const readers = new Set(a.rows.flatMap((r) => r.node.inputs));
      const blocking = opaque.find((r) => r.inputs.every((i) => i.shape !== null) && r.node.outputs.some((o) => readers.has(o) && !r.node.inputs.includes(o)));
      if (blocking) {
        const notes = a.diagnostics.filter((d) => d.code === 'shape/unknown');
        const note = notes.find((d) => d.message.includes(`'${blocking.node.name}'`));
        expect(note, `${where}: a shape/unknown note naming '${blocking.node.name}' among ${notes.map((d) => d.message).join(' | ')}`).toBeDefined();
        expect(note!.severity).toBe('note');
        expect(note!.message).toMatch(/opaque/);
        const node = blocking.node;
        if (node.op === 'opaque') expect(note!.message).toContain(node.attrs.type);
        expect(note!.span.start).toBeGreaterThanOrEqual(blocking.node.span.start);
        expect(note!.span.end).toBeLessThanOrEqual(blocking.node.span.end);
      }
    }
  });

  it('a train/val net without the data shapes says where shapes stop and how to give them', async () => {
    const a = await analyseFile(corpus('BVLC__caffe/bvlc_reference_caffenet__train_val.prototxt'), { phase: 'TRAIN' });
    const notes = a.diagnostics.filter((d) => d.code === 'shape/unknown');
    expect(notes).toHaveLength(1);
    expect(notes[0]!.message).toContain("'data'");
    expect(notes[0]!.message).toContain('data=');
    const text = readFileSync(corpus('BVLC__caffe/bvlc_reference_caffenet__train_val.prototxt'), 'utf8');
    expect(text.slice(notes[0]!.span.start, notes[0]!.span.end)).toMatch(/type:\s*"Data"/);
    // With the crop size as the input shape, the same net has Caffe's shapes.
    const given = await analyseFile(corpus('BVLC__caffe/bvlc_reference_caffenet__train_val.prototxt'), {
      phase: 'TRAIN',
      inputShapes: new Map([['data', [256, 3, 227, 227]]]),
    });
    expect(given.codes).not.toContain('shape/unknown');
    expect(given.blob('pool5')).toEqual([256, 256, 6, 6]);
    expect(given.blob('fc8')).toEqual([256, 1000]);
  });

  it('an opaque Python layer in Faster R-CNN stops shapes there, and the layers before it are shaped', async () => {
    const a = await analyseFile(corpus('rbgirshick__py-faster-rcnn/VGG16__faster_rcnn_end2end__test.prototxt'));
    const note = a.diagnostics.find((d) => d.code === 'shape/unknown');
    expect(note?.message).toContain("'proposal'");
    expect(note?.message).toContain('Python');
    // The VGG-16 trunk on a 224×224 input: conv5_3 is 512×14×14.
    expect(a.blob('conv5_3')).toEqual([1, 512, 14, 14]);
    expect(a.blob('rois')).toBeNull();
  });
});

if (!HAS_CORPUS) it.skip(CORPUS_SKIP_REASON, () => undefined);

describe('no internal analysis error in any shipped spec', () => {
  it.each(specFiles())('%s', async (file) => {
    const a = await analyseFile(join(ROOT, file));
    expect(a.codes).not.toContain('internal/analysis');
    expect(a.result.errorCount).toBe(0);
    expect(a.rows.filter((r) => r.outputs.some((o) => o.shape === null)).map((r) => r.node.name)).toEqual([]);
  });
});
