/**
 * What BVLC Caffe 1.0 lacks: each exact lowering says so with a `convert/rewritten` note and
 * reads back to a net with the same output shapes; each feature without one is refused with
 * `convert/unsupported` at the layer, naming it.
 */
import { describe, expect, test } from 'vitest';
import type { Diagnostic } from '../../../src/diagnostics/diagnostic.js';
import { emitFile, errorsOf, readBack } from './roundtrip.js';

const HEADER = 'nnspec: 1\nname: t\ninput { name: x shape: [2, 8, 16, 16] }\n';

async function convert(body: string, header = HEADER) {
  const text = header + body + '\n';
  const e = await emitFile('t.nnspec', {}, text);
  expect(e.input, `compiles:\n${e.diagnostics.map((d) => d.message).join('\n')}`).not.toBeNull();
  return { ...e, source: text };
}

function outputShape(input: NonNullable<Awaited<ReturnType<typeof convert>>['input']>, blob: string) {
  for (const node of input.model.graph.nodes) {
    const i = node.outputs.indexOf(blob);
    if (i >= 0) return input.reports.get(node)?.outputs[i]?.shape;
  }
  return undefined;
}

function atLayer(d: Diagnostic, source: string, layer: string) {
  expect(d.message).toContain(`'${layer}'`);
  expect(source.slice(d.span.start, d.span.end)).toContain(`name: ${layer}`);
}

describe('exact rewrites', () => {
  const cases: { what: string; body: string; layer: string; note: RegExp; types: string[] }[] = [
    { what: 'ReLU6', body: 'ReLU6 { name: r6 }', layer: 'r6', note: /relu\(x\) − relu\(x − 6\)/, types: ['ReLU', 'Power', 'ReLU', 'Eltwise'] },
    { what: 'SELU', body: 'SELU { name: s }', layer: 's', note: /ELU .* Power/, types: ['ELU', 'Power'] },
    { what: 'Swish', body: 'Swish { name: sw beta: 2 }', layer: 'sw', note: /sigmoid\(2·x\)/, types: ['Power', 'Sigmoid', 'Eltwise'] },
    { what: 'GELU (tanh)', body: 'GELU { name: g approximate: tanh }', layer: 'g', note: /tanh-approximated GELU/, types: ['Power', 'Eltwise', 'TanH', 'Power', 'Eltwise'] },
    { what: 'Maxout', body: 'Maxout { name: m pieces: 2 }', layer: 'm', note: /Reshape/, types: ['Reshape', 'Pooling', 'Reshape'] },
    { what: 'adaptive pooling to 1', body: 'AvgPool { name: ap output: 1 }', layer: 'ap', note: /global pooling/, types: ['Pooling'] },
    { what: 'adaptive pooling, divisible', body: 'MaxPool { name: ap output: 4 }', layer: 'ap', note: /4×4 pooling with stride 4×4/, types: ['Pooling'] },
    { what: 'asymmetric convolution padding', body: 'Conv { name: c out: 4 kernel: 3 stride: 2 pad_begin: 0 pad_end: 2 }', layer: 'c', note: /symmetric padding 2×2 and a Crop at offset 1×1/, types: ['Convolution', 'DummyData', 'Crop'] },
    { what: "PyTorch ceil rounding that drops Caffe's last window", body: 'MaxPool { name: p kernel: 2 stride: 4 round: ceil }', layer: 'p', note: /Caffe's rounding \(5×5\) and a Crop to the 4×4 output/, types: ['Pooling', 'DummyData', 'Crop'] },
    { what: 'floor pooling of the same size', body: 'MaxPool { name: p kernel: 2 stride: 2 round: floor }', layer: 'p', note: /same 8×8 output/, types: ['Pooling'] },
    { what: 'affine BatchNorm', body: 'BatchNorm { name: bn }', layer: 'bn', note: /BatchNorm and a Scale/, types: ['BatchNorm', 'Scale'] },
  ];
  for (const c of cases) {
    test(c.what, async () => {
      const e = await convert(c.body);
      expect(errorsOf(e.diagnostics)).toEqual([]);
      const notes = e.diagnostics.filter((d) => d.code === 'convert/rewritten' && d.message.includes(`'${c.layer}'`));
      expect(notes.length).toBeGreaterThan(0);
      expect(notes.map((d) => d.message).join('\n')).toMatch(c.note);
      for (const n of notes) atLayer(n, e.source, c.layer);
      const back = await readBack(e.text!);
      // The Caffe layer types, in order, after the Input layer.
      expect([...e.text!.matchAll(/^ {2}type: "(\w+)"/gm)].map((m) => m[1]).slice(1)).toEqual(c.types);
      expect(outputShape(back, c.layer)).toEqual(outputShape(e.input!, c.layer)?.map((d) => (typeof d === 'number' ? d : 1)));
    });
  }

  test("PyTorch's default initialisation becomes uniform ±1/√fan_in for the analysed shape", async () => {
    const e = await convert('Linear { name: fc out: 10 weight { init { type: torch_default } } bias { init { type: torch_default } } }');
    expect(errorsOf(e.diagnostics)).toEqual([]);
    const bound = 1 / Math.sqrt(8 * 16 * 16);
    const back = await readBack(e.text!);
    const fc = back.model.graph.nodes.find((n) => n.name === 'fc')!;
    for (const p of fc.params) {
      expect(p.init.type).toBe('uniform');
      if (p.init.type === 'uniform') {
        expect(p.init.min).toBeCloseTo(-bound, 12);
        expect(p.init.max).toBeCloseTo(bound, 12);
      }
    }
    expect(e.diagnostics.filter((d) => d.code === 'convert/rewritten').length).toBe(2);
  });

  test('kaiming normal fan_out is Caffe msra with variance_norm FAN_OUT', async () => {
    const e = await convert('Conv { name: c out: 4 kernel: 3 weight { init { type: kaiming mode: fan_out nonlinearity: relu } } }');
    expect(e.text).toMatch(/weight_filler \{\n\s+type: "msra"\n\s+variance_norm: FAN_OUT\n\s+\}/);
  });

  test('floor pooling that changes the size becomes Caffe rounding and a Crop to the floor size', async () => {
    const e = await convert('MaxPool { name: p kernel: 3 stride: 2 pad: 1 round: floor }');
    expect(errorsOf(e.diagnostics)).toEqual([]);
    expect([...e.text!.matchAll(/^ {2}type: "(\w+)"/gm)].map((m) => m[1])).toEqual(['Input', 'Pooling', 'DummyData', 'Crop']);
    const note = e.diagnostics.find((d) => d.code === 'convert/rewritten')!;
    expect(note.message).toMatch(/Caffe's rounding \(9×9\) and a Crop to the 8×8 output/);
    atLayer(note, e.source, 'p');
    const back = await readBack(e.text!);
    // PyTorch: floor((16 + 2 − 3) / 2) + 1 = 8.
    expect(outputShape(back, 'p')).toEqual([2, 8, 8, 8]);
  });

  test('floor pooling of an unknown input size is written with round_mode FLOOR and a note that it needs Caffe master', async () => {
    const text = 'layer { name: "in" type: "Input" top: "x" }\nlayer { name: "p" type: "Pooling" bottom: "x" top: "p" pooling_param { kernel_size: 3 stride: 2 round_mode: FLOOR } }\n';
    const e = await emitFile('t.prototxt', {}, text);
    expect(errorsOf(e.diagnostics)).toEqual([]);
    expect(e.text).toContain('round_mode: FLOOR');
    const note = e.diagnostics.find((d) => d.code === 'convert/caffe-master')!;
    expect(note.severity).toBe('note');
    expect(note.message).toContain("layer 'p'");
    expect(text.slice(note.span.start, note.span.end)).toContain('name: "p"');
    const back = await readBack(e.text!);
    const p = back.model.graph.nodes.find((n) => n.name === 'p')!;
    expect(p.op === 'pool' && p.attrs.rounding).toBe('floor');
  });

  test('BatchNorm momentum and eps become moving_average_fraction = 1 − momentum and eps', async () => {
    const e = await convert('BatchNorm { name: bn momentum: 0.25 eps: 0.001 affine: false }');
    expect(e.text).toContain('moving_average_fraction: 0.75');
    expect(e.text).toContain('eps: 0.001');
    const back = await readBack(e.text!);
    const bn = back.model.graph.nodes.find((n) => n.name === 'bn')!;
    expect(bn.op === 'batchnorm' && bn.attrs.momentum).toBe(0.25);
  });

  test('dropout keeps its drop probability; LRN its alpha and size', async () => {
    const e = await convert('Dropout { name: d drop_prob: 0.3 }\nLRN { name: n size: 3 alpha: 0.002 beta: 0.5 }');
    expect(e.text).toContain('dropout_ratio: 0.3');
    expect(e.text).toMatch(/local_size: 3\n\s+alpha: 0.002\n\s+beta: 0.5/);
  });
});

describe('refusals', () => {
  const cases: { what: string; header?: string; body: string; layer: string; feature: RegExp }[] = [
    { what: 'exact GELU', body: 'GELU { name: g }', layer: 'g', feature: /exact GELU/ },
    { what: 'clip with a non-zero minimum', body: 'Clip { name: cl min: -1 max: 1 }', layer: 'cl', feature: /clip\(-1, 1\)/ },
    { what: 'adaptive pooling with uneven windows', body: 'AvgPool { name: ap output: 5 }', layer: 'ap', feature: /adaptive pooling to 5×5 from 16×16/ },
    { what: 'average pooling without the padding in the divisor', body: 'AvgPool { name: ap kernel: 3 stride: 1 pad: 1 round: floor count_pad: false }', layer: 'ap', feature: /count_include_pad false/ },
    { what: 'PyTorch ceil rounding of an unknown size', header: 'nnspec: 1\nname: t\ninput { name: x shape: [N, 3, H, W] }\n', body: 'MaxPool { name: q kernel: 2 stride: 4 round: ceil }', layer: 'q', feature: /ceil_mode rounding of an input of unknown size/ },
    { what: 'symbolic spatial input dimensions', header: 'nnspec: 1\nname: t\ninput { name: x shape: [N, 3, H, W] }\n', body: 'ReLU { name: r }', layer: 'x', feature: /symbolic dimensions H, W/ },
    { what: 'asymmetric padding off the stride grid', body: 'Conv { name: c out: 4 kernel: 3 stride: 2 pad_begin: 0 pad_end: 1 }', layer: 'c', feature: /asymmetric padding/ },
    { what: 'asymmetric pooling padding', body: 'MaxPool { name: p kernel: 3 stride: 2 pad_begin: 0 pad_end: 1 round: floor }', layer: 'p', feature: /asymmetric pooling padding/ },
    { what: 'DropConnect', body: 'DropConnect { name: dc out: 4 drop_prob: 0.5 }', layer: 'dc', feature: /DropConnect/ },
    { what: 'orthogonal initialisation', body: 'Conv { name: c out: 4 kernel: 3 weight { init { type: orthogonal } } }', layer: 'c', feature: /orthogonal initialisation .*of its weight/ },
    { what: 'truncated normal initialisation', body: 'Conv { name: c out: 4 kernel: 3 weight { init { type: lecun distribution: truncated_normal } } }', layer: 'c', feature: /truncated-normal initialisation .*of its weight/ },
    { what: 'dropout scaled in inference', body: 'Dropout { name: d scale_train: false }', layer: 'd', feature: /scale_train false/ },
  ];
  for (const c of cases) {
    test(c.what, async () => {
      const e = await convert(c.body, c.header);
      expect(e.text).toBeNull();
      const errors = errorsOf(e.diagnostics);
      const mine = errors.filter((d) => d.message.includes(`'${c.layer}'`));
      expect(mine.length).toBe(1);
      expect(mine[0]!.code).toBe('convert/unsupported');
      expect(mine[0]!.message).toMatch(c.feature);
      atLayer(mine[0]!, e.source, c.layer);
    });
  }
});
