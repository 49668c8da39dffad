/**
 * Receptive fields: every layer of VGG-16 and of CaffeNet against the layer-by-layer
 * recurrence written out here (Araujo et al., Distill 2019), the published end-points of the
 * TF-Slim table (google-research/receptive_field), fully connected layers seeing the whole
 * input, and merges of unaligned paths warned about (and aligned ones not).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CORPUS, CORPUS_SKIP_REASON, corpusFiles, HAS_CORPUS, ROOT } from '../helpers.js';
import { analyseFile, analyseText, caffeNet, rfChain, type Analysis } from './reference.js';

type Layer = { name: string; k: number; s: number; p: number };

/** Checks every node: window layers against the chain, the rest against the layer they follow. */
function expectChain(a: Analysis, layers: Layer[], inputSize: number) {
  const expected = rfChain(layers);
  let last = { r: 1, S: 1, P: 0 };
  let seen = 0;
  let global = false;
  for (const row of a.rows) {
    const rf = row.outputs[0]?.rf;
    const want = expected.get(row.node.name);
    if (want) {
      last = want;
      seen++;
    }
    if (row.node.op === 'linear') global = true;
    if (global) {
      // A fully connected layer (and all after it) sees the whole input.
      expect(rf, row.node.name).toEqual({ size: [inputSize, inputSize], stride: [inputSize, inputSize], padding: [0, 0], global: true, input: rf!.input });
      continue;
    }
    if (row.node.op === 'input' || row.node.op === 'flatten') continue;
    expect({ name: row.node.name, rf }, row.node.name).toEqual({
      name: row.node.name,
      rf: { size: [last.r, last.r], stride: [last.S, last.S], padding: [last.P, last.P], input: rf!.input },
    });
  }
  // Every layer written down was found and checked.
  expect(seen).toBe(layers.length);
  expect(global).toBe(true);
}

// VGG-16 (configuration D): 3×3 convolutions with pad 1, and 2×2 stride-2 pools.
const VGG_STAGES = [2, 2, 3, 3, 3];

function vggLayers(name: (stage: number, conv: number) => string, pool: (stage: number) => string): Layer[] {
  const layers: Layer[] = [];
  VGG_STAGES.forEach((convs, i) => {
    for (let j = 0; j < convs; j++) layers.push({ name: name(i + 1, j), k: 3, s: 1, p: 1 });
    layers.push({ name: pool(i + 1), k: 2, s: 2, p: 0 });
  });
  return layers;
}

/** TF-Slim end-points (google-research/receptive_field RECEPTIVE_FIELD_TABLE.md). */
const VGG_ANCHORS: [string, number, number, number][] = [
  ['conv1_1', 3, 1, 1],
  ['pool1', 6, 2, 2],
  ['conv2_1', 10, 2, 4],
  ['pool2', 16, 4, 6],
  ['conv3_1', 24, 4, 10],
  ['pool3', 44, 8, 18],
  ['conv4_1', 60, 8, 26],
  ['pool4', 100, 16, 42],
  ['conv5_1', 132, 16, 58],
  ['pool5', 212, 32, 90],
];

describe('VGG-16', () => {
  it('specs/vgg16.nnspec: every layer follows the recurrence, and the published end-points hold', async () => {
    const a = await analyseFile(join(ROOT, 'specs/vgg16.nnspec'));
    const layers = vggLayers(
      (stage, conv) => `stage${stage}.convs.${conv}.conv`,
      (stage) => `stage${stage}.pool`,
    );
    expectChain(a, layers, 224);
    const chain = rfChain(layers);
    for (const [anchor, r, S, P] of VGG_ANCHORS) {
      const m = /^(conv|pool)(\d)(?:_(\d))?$/.exec(anchor)!;
      const node = m[1] === 'pool' ? `stage${m[2]}.pool` : `stage${m[2]}.convs.${Number(m[3]) - 1}.conv`;
      expect(chain.get(node), anchor).toEqual({ r, S, P });
      expect(a.node(node).outputs[0]!.rf).toMatchObject({ size: [r, r], stride: [S, S], padding: [P, P] });
    }
  });

  it('specs/torchvision/vgg16.nnspec (features.N): the same fields, and the classifier sees the whole image', async () => {
    const a = await analyseFile(join(ROOT, 'specs/torchvision/vgg16.nnspec'));
    // torchvision numbers the features Sequential: conv, ReLU, … with a MaxPool closing each stage.
    const layers: Layer[] = [];
    let index = 0;
    for (const convs of VGG_STAGES) {
      for (let j = 0; j < convs; j++) {
        layers.push({ name: `features.${index}`, k: 3, s: 1, p: 1 });
        index += 2;
      }
      layers.push({ name: `features.${index}`, k: 2, s: 2, p: 0 });
      index += 1;
    }
    // The adaptive 7×7 pool on a 7×7 map is the identity (kernel 1, stride 1).
    layers.push({ name: 'avgpool', k: 1, s: 1, p: 0 });
    expectChain(a, layers, 224);
    expect(a.node('features.30').outputs[0]!.rf).toMatchObject({ size: [212, 212], stride: [32, 32], padding: [90, 90] });
    expect(a.node('classifier.6').outputs[0]!.rf).toMatchObject({ global: true, size: [224, 224] });
  });
});

describe.skipIf(!HAS_CORPUS)('AlexNet (CaffeNet deploy)', () => {
  it('every layer follows the recurrence; the TF-Slim alexnet_v2 end-points hold', async () => {
    const a = await analyseFile(join(CORPUS, 'BVLC__caffe/bvlc_reference_caffenet__deploy.prototxt'));
    // From the prototxt: conv1 11/4, pool1 3/2, norm1 (LRN across channels), conv2 5 pad 2
    // (group 2), pool2 3/2, norm2, conv3–5 3 pad 1, pool5 3/2, then fc6–fc8.
    const layers: Layer[] = [
      { name: 'conv1', k: 11, s: 4, p: 0 },
      { name: 'pool1', k: 3, s: 2, p: 0 },
      { name: 'conv2', k: 5, s: 1, p: 2 },
      { name: 'pool2', k: 3, s: 2, p: 0 },
      { name: 'conv3', k: 3, s: 1, p: 1 },
      { name: 'conv4', k: 3, s: 1, p: 1 },
      { name: 'conv5', k: 3, s: 1, p: 1 },
      { name: 'pool5', k: 3, s: 2, p: 0 },
    ];
    expectChain(a, layers, 227);
    const published: [string, number, number, number][] = [
      ['conv1', 11, 4, 0],
      ['pool1', 19, 8, 0],
      ['conv2', 51, 8, 16],
      ['pool2', 67, 16, 16],
      ['conv3', 99, 16, 32],
      ['conv4', 131, 16, 48],
      ['conv5', 163, 16, 64],
      ['pool5', 195, 32, 64],
    ];
    const chain = rfChain(layers);
    for (const [name, r, S, P] of published) {
      expect(chain.get(name), name).toEqual({ r, S, P });
      expect(a.node(name).outputs[0]!.rf).toMatchObject({ size: [r, r], stride: [S, S], padding: [P, P] });
    }
    // fc6 reads pool5 (256×6×6) whole: its field is the 227×227 input.
    expect(a.node('fc6').outputs[0]!.rf).toEqual({ size: [227, 227], stride: [227, 227], padding: [0, 0], global: true, input: 'data' });
  });
});

// -------------------------------------------------------------------------------------------

const conv = (name: string, bottom: string, k: number, pad: number, stride = 1) =>
  `layer { name: "${name}" type: "Convolution" bottom: "${bottom}" top: "${name}" convolution_param { num_output: 8 kernel_size: ${k} pad: ${pad} stride: ${stride} } }`;

describe('merging unaligned paths', () => {
  it('a padded and an unpadded 3×3 branch, cropped to one size and summed: warned, naming both blobs', async () => {
    const net = (offset: number) =>
      caffeNet(
        [1, 3, 32, 32],
        [
          conv('a', 'data', 3, 1),
          conv('b', 'data', 3, 0),
          `layer { name: "a_crop" type: "Crop" bottom: "a" bottom: "b" top: "a_crop" crop_param { axis: 2 offset: ${offset} } }`,
          'layer { name: "sum" type: "Eltwise" bottom: "a_crop" bottom: "b" top: "sum" }',
        ].join('\n'),
      );
    const text = net(0);
    const a = await analyseText('t.prototxt', text);
    // Shapes agree (30×30) ...
    expect(a.blob('a_crop')).toEqual([1, 8, 30, 30]);
    expect(a.blob('b')).toEqual([1, 8, 30, 30]);
    expect(a.result.errorCount).toBe(0);
    // ... but a_crop's value 0 is centred on input pixel 0 (pad 1: window −1…1) and b's on
    // pixel 1 (window 0…2).
    const warnings = a.diagnostics.filter((d) => d.code === 'rf/misaligned');
    expect(warnings).toHaveLength(1);
    const w = warnings[0]!;
    expect(w.severity).toBe('warning');
    expect(w.message).toContain("'a_crop'");
    expect(w.message).toContain("'b'");
    expect(w.message).toContain("'sum'");
    expect(text.slice(w.span.start, w.span.end)).toContain('name: "sum"');
    expect(w.message).toMatch(/centre 0\b/);
    expect(w.message).toMatch(/centre 1\b/);

    // Cropping a by one pixel (the offset FCN computes) puts both on the same pixels.
    const fixed = await analyseText('t.prototxt', net(1));
    expect(fixed.blob('a_crop')).toEqual([1, 8, 30, 30]);
    expect(fixed.codes).not.toContain('rf/misaligned');
  });

  it('a strided 3×3 convolution against a 2×2 pool: equal shapes, centres half a pixel apart', async () => {
    const text = caffeNet(
      [1, 8, 32, 32],
      [
        conv('a', 'data', 3, 1, 2),
        'layer { name: "b" type: "Pooling" bottom: "data" top: "b" pooling_param { pool: MAX kernel_size: 2 stride: 2 } }',
        'layer { name: "cat" type: "Concat" bottom: "a" bottom: "b" top: "cat" }',
      ].join('\n'),
    );
    const a = await analyseText('t.prototxt', text);
    expect(a.blob('a')).toEqual([1, 8, 16, 16]);
    expect(a.blob('b')).toEqual([1, 8, 16, 16]);
    expect(a.blob('cat')).toEqual([1, 16, 16, 16]);
    const w = a.diagnostics.find((d) => d.code === 'rf/misaligned');
    expect(w?.message).toContain("'a'");
    expect(w?.message).toContain("'b'");
    expect(text.slice(w!.span.start, w!.span.end)).toContain('name: "cat"');
  });

  it('a ResNet basic block and a downsampling block are aligned', async () => {
    const a = await analyseText(
      't.nnspec',
      `nnspec: 1
input { name: x shape: [N, 64, 56, 56] }
Conv { name: c1 out: 64 kernel: 3 pad: 1 bias: false }
ReLU { name: r1 }
Conv { name: c2 out: 64 kernel: 3 pad: 1 bias: false }
Add { name: add1 bottom: [c2, x] }
ReLU { name: out1 }
Conv { name: d1 out: 128 kernel: 3 stride: 2 pad: 1 bias: false }
ReLU { name: dr }
Conv { name: d2 out: 128 kernel: 3 pad: 1 bias: false }
Conv { name: proj bottom: out1 out: 128 kernel: 1 stride: 2 bias: false }
Add { name: add2 bottom: [d2, proj] }
`,
    );
    expect(a.result.errorCount).toBe(0);
    expect(a.codes).not.toContain('rf/misaligned');
    expect(a.blob('add2')).toEqual(['N', 128, 28, 28]);
    // The merge keeps the larger field (Distill: for an aligned net, the largest over paths):
    // main path 3, 5 | 7 (stride 2) | 11; the 1×1 projection only 5.
    const main = rfChain([
      { name: 'c1', k: 3, s: 1, p: 1 },
      { name: 'c2', k: 3, s: 1, p: 1 },
      { name: 'd1', k: 3, s: 2, p: 1 },
      { name: 'd2', k: 3, s: 1, p: 1 },
    ]).get('d2')!;
    expect(a.node('add2').outputs[0]!.rf).toMatchObject({ size: [main.r, main.r], stride: [main.S, main.S], padding: [main.P, main.P] });
  });
});

describe.skipIf(!HAS_CORPUS)('real nets merge aligned paths', () => {
  it.each(corpusFiles().filter((f) => /deploy|googlenet|ResNet|fcn/.test(f)))('%s: no rf/misaligned warning', async (file) => {
    const a = await analyseFile(join(CORPUS, file));
    expect(a.codes).not.toContain('rf/misaligned');
  });
});

if (!HAS_CORPUS) it.skip(CORPUS_SKIP_REASON, () => undefined);
