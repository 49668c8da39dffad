import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toJson } from '../../src/diagnostics/format.js';
import { loadConfig } from '../../src/lint/config.js';
import { lintFile } from '../../src/lint/lint.js';
import type { RuleLevel } from '../../src/lint/rule.js';
import { RULES } from '../../src/lint/rules/index.js';

const dir = mkdtempSync(join(tmpdir(), 'nnspec-lint-graph-'));
let count = 0;

interface Found {
  line: number;
  column: number;
  severity: string;
  message: string;
  hint?: string;
  /** The source text under the reported span. */
  text: string;
}

/** Lints `text` with rule `id` at error on top of the recommended preset; returns its findings and every diagnostic. */
async function lint(text: string, id: string, ext = 'prototxt', extra: { id: string; level: RuleLevel }[] = []) {
  const path = join(dir, `t${count++}.${ext}`);
  writeFileSync(path, text);
  const result = await lintFile(path, await loadConfig(null, { rules: [{ id, level: 'error' }, ...extra] }));
  const found: Found[] = result.diagnostics
    .filter((d) => d.code === id)
    .map((d) => {
      const j = toJson(d);
      return { line: j.line, column: j.column, severity: j.severity, message: j.message, ...(j.hint ? { hint: j.hint } : {}), text: text.slice(d.span.start, d.span.end) };
    });
  return { found, all: result.diagnostics };
}

/** 1-based line and column of the first occurrence of `needle` in `text`. */
function at(text: string, needle: string, from = 0): { line: number; column: number } {
  const i = text.indexOf(needle, from);
  if (i < 0) throw new Error(`'${needle}' not in the text`);
  const before = text.slice(0, i).split('\n');
  return { line: before.length, column: before[before.length - 1]!.length + 1 };
}

const input = (c: number, h: number, w = h, tops = ['data']) =>
  `layer { name: "input" type: "Input" ${tops.map((t) => `top: "${t}"`).join(' ')} input_param { ${tops.map((_, i) => (i === 0 ? `shape { dim: 1 dim: ${c} dim: ${h} dim: ${w} }` : 'shape { dim: 1 }')).join(' ')} } }\n`;

const meta = (id: string) => RULES.find((r) => r.meta.id === id)!.meta;

describe('graph/dropped-border', () => {
  const id = 'graph/dropped-border';

  it('reports a strided convolution that never reads the last row and column, at its stride', async () => {
    const text = `${input(3, 224)}layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
  convolution_param { num_output: 8 kernel_size: 3 stride: 2 } }\n`;
    const rem = (224 + 0 - 3) % 2;
    expect(rem).toBe(1);
    const { found } = await lint(text, id);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ severity: 'error', text: 'stride: 2', ...at(text, 'stride: 2') });
    expect(found[0]!.message).toBe(
      `'conv1' never reads the last row and the last column of its 224×224 input: a convolution rounds down and leaves (224 + 0 − 3) mod 2 = ${rem} position after the last window on each axis`,
    );
    expect(found[0]!.hint).toContain('pad the end by 1');
  });

  it('counts only input rows, not end padding', async () => {
    const text = `${input(1, 13, 14)}layer { name: "c" type: "Convolution" bottom: "data" top: "c"
  convolution_param { num_output: 1 kernel_size: 5 stride: 4 pad: 1 } }\n`;
    // Height: (13 + 2 − 5) mod 4 = 2 left over, one of them padding: 1 row lost.
    // Width: (14 + 2 − 5) mod 4 = 3 left over, one of them padding: 2 columns lost.
    expect([(13 + 2 - 5) % 4, (14 + 2 - 5) % 4]).toEqual([2, 3]);
    const { found } = await lint(text, id);
    expect(found).toHaveLength(1);
    expect(found[0]!.message).toBe(
      `'c' never reads the last row and the last 2 columns of its 13×14 input: a convolution rounds down and leaves (13 + 2 − 5) mod 4 = 2 positions after the last window, 1 of them end padding; (14 + 2 − 5) mod 4 = 3 positions after the last window, 1 of them end padding`,
    );
  });

  it('reports a floor-rounded nnspec pooling on an odd map', async () => {
    const text = `nnspec: 1
input { name: x shape: [1, 8, 7, 7] }
MaxPool { name: pool kernel: 2 stride: 2 round: floor }
`;
    const { found } = await lint(text, id, 'nnspec');
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ text: 'stride: 2', ...at(text, 'stride: 2') });
    expect(found[0]!.message).toContain(`never reads the last row and the last column of its 7×7 input: floor rounding leaves (7 + 0 − 2) mod 2 = ${(7 - 2) % 2} position`);
    expect(found[0]!.hint).toContain('round up');
  });

  it('passes sizes that tile, padding that absorbs the rest, ceil rounding and windows smaller than the stride', async () => {
    const cases = [
      // AlexNet: (227 − 11) mod 4 = 0.
      `${input(3, 227)}layer { name: "c" type: "Convolution" bottom: "data" top: "c" convolution_param { num_output: 4 kernel_size: 11 stride: 4 } }\n`,
      // (224 + 2 − 3) mod 2 = 1, but that position is padding.
      `${input(3, 224)}layer { name: "c" type: "Convolution" bottom: "data" top: "c" convolution_param { num_output: 4 kernel_size: 3 stride: 2 pad: 1 } }\n`,
      // Caffe pooling rounds up: a last clipped window covers the rest.
      `${input(3, 7)}layer { name: "p" type: "Pooling" bottom: "data" top: "p" pooling_param { pool: MAX kernel_size: 2 stride: 2 } }\n`,
      // A 1×1 window with stride 2 skips every other row anyway.
      `${input(3, 56)}layer { name: "c" type: "Convolution" bottom: "data" top: "c" convolution_param { num_output: 4 kernel_size: 1 stride: 2 } }\n`,
    ];
    for (const text of cases) expect((await lint(text, id)).found).toEqual([]);
  });

  it('says nothing without shapes', async () => {
    const text = `layer { name: "d" type: "Data" top: "data" data_param { source: "x" batch_size: 1 } }
layer { name: "c" type: "Convolution" bottom: "data" top: "c" convolution_param { num_output: 4 kernel_size: 3 stride: 2 } }\n`;
    expect((await lint(text, id)).found).toEqual([]);
  });

  it('is a warning in the recommended preset', () => {
    expect(meta(id).recommended).toBe('warn');
  });
});

describe('graph/pool-window-outside-input', () => {
  const id = 'graph/pool-window-outside-input';

  it("reports Caffe's rounded-up unpadded window that starts past the input", async () => {
    const text = `${input(1, 5)}layer { name: "pool" type: "Pooling" bottom: "data" top: "pool" pooling_param { pool: MAX kernel_size: 1 stride: 3 } }\n`;
    // ceil((5 − 1) / 3) + 1 = 3 windows, starting at 0, 3 and 6; 6 ≥ 5.
    const out = Math.ceil((5 - 1) / 3) + 1;
    expect((out - 1) * 3).toBe(6);
    const { found } = await lint(text, id);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ severity: 'error', text: 'stride: 3', ...at(text, 'stride: 3') });
    expect(found[0]!.message).toBe(
      "'pool' has outputs computed from no input: with Caffe's rounding (up, with no clipping when unpadded), its last window along the height starts at row 6, past the 5 rows of the input (kernel 1, stride 3), and its last window along the width starts at column 6, past the 5 columns of the input (kernel 1, stride 3): Caffe writes −FLT_MAX there",
    );
  });

  it('reports the nnspec caffe rounding too, at round', async () => {
    const text = `nnspec: 1
input { name: x shape: [1, 2, 5, 9] }
AvgPool { name: p kernel: 1 stride: 3 round: caffe }
`;
    const { found } = await lint(text, id, 'nnspec');
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ text: 'round: caffe', ...at(text, 'round: caffe') });
    // Width: ceil((9 − 1) / 3) + 1 = 4 windows at 0, 3, 6, 9; 9 ≥ 9.
    expect(found[0]!.message).toContain('along the width starts at column 9, past the 9 columns of the input');
    expect(found[0]!.message).toContain('Caffe writes 0 there');
  });

  it('passes floor rounding, PyTorch ceil_mode, and kernels at least as large as the stride', async () => {
    const cases: [string, string][] = [
      [`${input(1, 5)}layer { name: "p" type: "Pooling" bottom: "data" top: "p" pooling_param { pool: MAX kernel_size: 1 stride: 3 round_mode: FLOOR } }\n`, 'prototxt'],
      [`${input(1, 5)}layer { name: "p" type: "Pooling" bottom: "data" top: "p" pooling_param { pool: MAX kernel_size: 3 stride: 3 } }\n`, 'prototxt'],
      ['nnspec: 1\ninput { name: x shape: [1, 2, 5, 5] }\nMaxPool { name: p kernel: 1 stride: 3 round: ceil }\n', 'nnspec'],
    ];
    for (const [text, ext] of cases) expect((await lint(text, id, ext)).found).toEqual([]);
  });
});

describe('graph/padding-only-output', () => {
  const id = 'graph/padding-only-output';

  it('reports a 1×1 convolution padded by 1 (SqueezeNet v1.0 conv10), at pad', async () => {
    const text = `${input(8, 13)}layer { name: "conv10" type: "Convolution" bottom: "data" top: "conv10" convolution_param { num_output: 4 pad: 1 kernel_size: 1 } }\n`;
    const { found } = await lint(text, id);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ severity: 'error', text: 'pad: 1', ...at(text, 'pad: 1') });
    const out = 13 + 2 - 1 + 1;
    expect(found[0]!.message).toBe(
      `'conv10' has outputs that see only zero padding: along the height it pads 1 with a kernel of 1 (stride 1), so the first and the last rows of its ${out}-row output; along the width it pads 1 with a kernel of 1 (stride 1), so the first and the last columns of its ${out}-column output see no input and are the bias alone`,
    );
  });

  it('counts several padding-only outputs and dilated extents (nnspec)', async () => {
    // Extent 2·(3 − 1) + 1 = 5 with pad 6: outputs 0 and 1 start at 0 and 1 and end before 6.
    const text = 'nnspec: 1\ninput { name: x shape: [1, 1, 10, 10] }\nConv { name: c out: 1 kernel: 3 dilation: 2 pad: 6 bias: false }\n';
    const { found } = await lint(text, id, 'nnspec');
    expect(found).toHaveLength(1);
    const first = Math.floor((6 - 5) / 1) + 1;
    expect(first).toBe(2);
    expect(found[0]!.message).toContain(`along the height it pads 6 with a dilated kernel spanning 5 (stride 1), so the first ${first} and the last ${first} rows of its ${10 + 12 - 5 + 1}-row output`);
    expect(found[0]!.message).toMatch(/see no input and are zero$/);
    expect(found[0]).toMatchObject(at(text, 'pad: 6'));
  });

  it('passes "same" and "full" padding', async () => {
    for (const pad of [1, 2]) {
      const text = `${input(1, 8)}layer { name: "c" type: "Convolution" bottom: "data" top: "c" convolution_param { num_output: 1 kernel_size: 3 pad: ${pad} } }\n`;
      expect((await lint(text, id)).found).toEqual([]);
    }
  });
});

describe('graph/misaligned-merge', () => {
  const id = 'graph/misaligned-merge';
  // Two paths to 4×4 from 8×8: a 3×3 convolution with stride 2 and pad 1 (centre (3 − 1)/2 − 1 = 0)
  // and a 2×2 pooling with stride 2 (centre (2 − 1)/2 − 0 = 0.5).
  const text = `${input(1, 8)}layer { name: "a" type: "Convolution" bottom: "data" top: "a" convolution_param { num_output: 1 kernel_size: 3 stride: 2 pad: 1 } }
layer { name: "b" type: "Pooling" bottom: "data" top: "b" pooling_param { pool: MAX kernel_size: 2 stride: 2 } }
layer { name: "sum" type: "Eltwise" bottom: "a" bottom: "b" top: "sum" }
`;

  it("reports paths centred on different pixels, naming both, and replaces check's rf/misaligned", async () => {
    const { found, all } = await lint(text, id);
    expect(found).toHaveLength(1);
    const centreA = (3 - 1) / 2 - 1;
    const centreB = (2 - 1) / 2 - 0;
    expect(found[0]).toMatchObject({ severity: 'error', text: 'bottom: "b"', ...at(text, 'bottom: "b"', text.indexOf('"sum"')) });
    expect(found[0]!.message).toBe(
      `'sum' merges paths whose receptive fields are not aligned along the height: 'a' (stride 2, centre ${centreA}, receptive field 3) and 'b' (stride 2, centre ${centreB}, receptive field 2); output position i combines features centred on input pixels 2i and 2i + 0.5, ${centreB - centreA} pixels apart`,
    );
    expect(all.filter((d) => d.code === 'rf/misaligned')).toEqual([]);
  });

  it("leaves check's rf/misaligned in place when the rule is off", async () => {
    const { found, all } = await lint(text, 'graph/dead-branch', 'prototxt', [{ id, level: 'off' }]);
    expect(found).toEqual([]);
    expect(all.filter((d) => d.code === 'rf/misaligned')).toHaveLength(1);
    expect(all.filter((d) => d.code === id)).toEqual([]);
  });

  it('passes aligned paths (a 1×1 projection beside a padded 3×3, both stride 2)', async () => {
    const ok = `nnspec: 1
input { name: x shape: [1, 4, 8, 8] }
Conv { name: a bottom: x out: 4 kernel: 3 stride: 2 pad: 1 }
Conv { name: b bottom: x out: 4 kernel: 1 stride: 2 }
Add { name: sum bottom: [a, b] }
`;
    expect((await lint(ok, id, 'nnspec')).found).toEqual([]);
  });

  it('reports different strides in nnspec, at the second path', async () => {
    // Both 4×4 from 8×8: a 3×3 with stride 2 and pad 1 (stride 2, centre 0, field 3) and an
    // unpadded 5×5 with stride 1 (stride 1, centre (5 − 1)/2 = 2, field 5).
    const bad = `nnspec: 1
input { name: x shape: [1, 4, 8, 8] }
Conv { name: a bottom: x out: 4 kernel: 3 stride: 2 pad: 1 }
Conv { name: b bottom: x out: 4 kernel: 5 }
Concat { name: cat bottom: [a, b] }
`;
    const { found } = await lint(bad, id, 'nnspec');
    expect(found).toHaveLength(1);
    expect(found[0]!.message).toBe(
      `'cat' merges paths whose receptive fields are not aligned along the height: 'a' (stride 2, centre 0, receptive field 3) and 'b' (stride 1, centre ${(5 - 1) / 2}, receptive field 5); the paths sample the input on different grids (pixels 2i and i + 2 at position i)`,
    );
    expect(found[0]).toMatchObject({ text: 'b', ...at(bad, 'b]') });
  });
});

describe('graph/small-receptive-field', () => {
  const id = 'graph/small-receptive-field';
  const net = (head: string) => `nnspec: 1
input { name: x shape: [1, 3, 64, 64] }
Conv { name: c1 out: 8 kernel: 3 pad: 1 }
ReLU { name: r1 }
Conv { name: c2 out: 8 kernel: 3 pad: 1 }
ReLU { name: r2 }
${head}
`;

  it('reports global pooling over features that see a small patch', async () => {
    const text = net('AvgPool { name: gap global: true }\nLinear { name: fc out: 10 }');
    // Two 3×3 convolutions: r = 1 + 2 + 2 = 5.
    const rf = 1 + 2 + 2;
    const { found } = await lint(text, id, 'nnspec');
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ severity: 'error', text: 'global: true', ...at(text, 'global: true') });
    expect(found[0]!.message).toBe(
      `'gap' pools globally over 'r2', whose receptive field is ${rf}×${rf} on the 64×64 input 'x': every feature it pools sees a patch of at most ${rf} pixels, so the classifier cannot respond to anything larger`,
    );
  });

  it('passes a fully connected head, which keeps the layout', async () => {
    expect((await lint(net('Linear { name: fc out: 10 }'), id, 'nnspec')).found).toEqual([]);
  });

  it('takes minCoverage from the configuration', async () => {
    const sub = mkdtempSync(join(dir, 'cfg-'));
    const cfg = join(sub, 'nnspec.config.json');
    writeFileSync(cfg, JSON.stringify({ rules: { [id]: ['error', { minCoverage: 0.05 }] } }));
    const path = join(sub, 'net.nnspec');
    writeFileSync(path, net('AvgPool { name: gap global: true }\nLinear { name: fc out: 10 }'));
    // 5 ≥ 0.05 · 64 = 3.2.
    const result = await lintFile(path, await loadConfig(cfg));
    expect(result.diagnostics.filter((d) => d.code === id)).toEqual([]);
  });

  it('reports a Caffe pooling window as large as the map, but not a squeeze-and-excitation pooling', async () => {
    const text = `${input(8, 16)}layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1" convolution_param { num_output: 8 kernel_size: 3 pad: 1 } }
layer { name: "se_pool" type: "Pooling" bottom: "conv1" top: "se_pool" pooling_param { pool: AVE global_pooling: true } }
layer { name: "se_fc" type: "InnerProduct" bottom: "se_pool" top: "se_fc" inner_product_param { num_output: 8 } }
layer { name: "se_gate" type: "Sigmoid" bottom: "se_fc" top: "se_fc" }
layer { name: "scaled" type: "Scale" bottom: "conv1" bottom: "se_fc" top: "scaled" scale_param { axis: 0 } }
layer { name: "pool" type: "Pooling" bottom: "scaled" top: "pool" pooling_param { pool: AVE kernel_size: 16 stride: 1 } }
layer { name: "fc" type: "InnerProduct" bottom: "pool" top: "fc" inner_product_param { num_output: 10 } }
`;
    const { found } = await lint(text, id);
    expect(found).toHaveLength(1);
    expect(found[0]!.message).toContain("'pool' pools globally over 'scaled', whose receptive field is 3×3 on the 16×16 input 'data'");
    expect(found[0]).toMatchObject({ text: 'kernel_size: 16' });
  });

  it('passes a field that spans the input', async () => {
    const text = `nnspec: 1
input { name: x shape: [1, 3, 16, 16] }
Conv { name: c1 out: 8 kernel: 5 stride: 2 pad: 2 }
Conv { name: c2 out: 8 kernel: 3 stride: 2 pad: 1 }
AvgPool { name: gap global: true }
`;
    // r = 1 + 4 + 2·2 = 9 ≥ 0.5 · 16.
    expect((await lint(text, id, 'nnspec')).found).toEqual([]);
  });
});

// A training net: data and label, a working path to the loss.
const trainHead = `${input(3, 8, 8, ['data', 'label'])}layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1" convolution_param { num_output: 4 kernel_size: 3 } }
`;
const trainTail = `layer { name: "fc" type: "InnerProduct" bottom: "a" top: "fc" inner_product_param { num_output: 10 } }
layer { name: "loss" type: "SoftmaxWithLoss" bottom: "fc" bottom: "label" top: "loss" }
`;

describe('graph/unused-output', () => {
  const id = 'graph/unused-output';

  it("reports a working layer's extra output that no layer reads in a net with a loss, at its top", async () => {
    const text = `${trainHead}layer { name: "split" type: "Slice" bottom: "conv1" top: "a" top: "b" slice_param { axis: 1 } }
${trainTail}`;
    const { found } = await lint(text, id);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ severity: 'error', text: 'top: "b"', ...at(text, 'top: "b"') });
    expect(found[0]!.message).toBe(
      "'split' writes 'b', which no layer reads and which is not a loss (its other output 'a' is used): Caffe computes it every iteration, makes it a net output and logs its values",
    );
  });

  it('reports an input no layer reads, in any net', async () => {
    const text = `${input(3, 8, 8, ['data', 'extra'])}layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1" convolution_param { num_output: 4 kernel_size: 3 } }\n`;
    const { found } = await lint(text, id);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ text: 'top: "extra"', ...at(text, 'top: "extra"') });
    expect(found[0]!.message).toBe("input 'extra' of 'input' is read by no layer: it is loaded for nothing, and Caffe returns it as a net output");
  });

  it('reports an unread nnspec input, without Caffe’s net-output remark', async () => {
    const text = `nnspec: 1
input { name: x shape: [1, 3, 8, 8] }
input { name: unused shape: [1, 3] }
Conv { name: c bottom: x out: 4 kernel: 3 }
`;
    const { found } = await lint(text, id, 'nnspec');
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ text: 'name: unused', ...at(text, 'name: unused') });
    expect(found[0]!.message).toBe("input 'unused' of 'unused' is read by no layer: it is loaded for nothing");
  });

  it('passes a Silence-consumed top, accuracy outputs, and unread blobs of a net without a loss', async () => {
    const silenced = `${trainHead}layer { name: "split" type: "Slice" bottom: "conv1" top: "a" top: "b" slice_param { axis: 1 } }
layer { name: "quiet" type: "Silence" bottom: "b" }
${trainTail}layer { name: "acc" type: "Accuracy" bottom: "fc" bottom: "label" top: "acc" }
`;
    expect((await lint(silenced, id)).found).toEqual([]);
    const deploy = `${input(3, 8)}layer { name: "split" type: "Slice" bottom: "data" top: "a" top: "b" slice_param { axis: 1 slice_point: 1 } }\n`;
    expect((await lint(deploy, id)).found).toEqual([]);
  });
});

describe('graph/dead-branch', () => {
  const id = 'graph/dead-branch';

  it('reports a branch that reaches no loss once, at its first layer', async () => {
    const text = `${trainHead.replace('"conv1" convolution_param', '"a" convolution_param')}layer { name: "aux_conv" type: "Convolution" bottom: "data" top: "aux_conv" convolution_param { num_output: 4 kernel_size: 3 } }
layer { name: "aux_relu" type: "ReLU" bottom: "aux_conv" top: "aux_conv" }
layer { name: "aux_fc" type: "InnerProduct" bottom: "aux_conv" top: "aux_fc" inner_product_param { num_output: 10 } }
${trainTail}`;
    const { found } = await lint(text, id);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ severity: 'error', text: 'name: "aux_conv"', ...at(text, 'name: "aux_conv"') });
    expect(found[0]!.message).toBe(
      "'aux_conv' and 2 layers after it ('aux_relu' and 'aux_fc') reach no loss: 'aux_fc' is read by no layer, so they are computed every iteration but their weights get no gradient (Caffe’s weight decay alone shrinks them)",
    );
  });

  it('reports an nnspec branch beside an explicit loss layer', async () => {
    const text = `nnspec: 1
input { name: x shape: [2, 3, 8, 8] }
input { name: label shape: [2] }
Conv { name: c bottom: x out: 4 kernel: 3 }
Linear { name: fc out: 10 }
Conv { name: stray bottom: x out: 4 kernel: 1 }
SoftmaxCrossEntropy { name: loss bottom: [fc, label] }
`;
    const { found } = await lint(text, id, 'nnspec');
    expect(found).toHaveLength(1);
    expect(found[0]!.message).toBe("'stray' reaches no loss: 'stray' is read by no layer, so it is computed every iteration but its weights get no gradient");
  });

  it('passes branches that end in a loss or an accuracy, and nets without a loss', async () => {
    const text = `${trainHead.replace('"conv1" convolution_param', '"a" convolution_param')}layer { name: "aux_fc" type: "InnerProduct" bottom: "data" top: "aux_fc" inner_product_param { num_output: 10 } }
layer { name: "aux_loss" type: "SoftmaxWithLoss" bottom: "aux_fc" bottom: "label" top: "aux_loss" loss_weight: 0.3 }
layer { name: "acc_conv" type: "InnerProduct" bottom: "data" top: "acc_fc" inner_product_param { num_output: 10 } }
layer { name: "acc" type: "Accuracy" bottom: "acc_fc" bottom: "label" top: "acc" }
${trainTail}`;
    expect((await lint(text, id)).found).toEqual([]);
    const deploy = `${input(3, 8)}layer { name: "a" type: "Convolution" bottom: "data" top: "a" convolution_param { num_output: 4 kernel_size: 3 } }
layer { name: "b" type: "Convolution" bottom: "data" top: "b" convolution_param { num_output: 4 kernel_size: 3 } }\n`;
    expect((await lint(deploy, id)).found).toEqual([]);
  });
});

describe('graph/extra-net-output', () => {
  const id = 'graph/extra-net-output';

  it('names every unread blob of a loss-free net besides the last one, at its top', async () => {
    const text = `${input(3, 8)}layer { name: "aux" type: "Convolution" bottom: "data" top: "aux" convolution_param { num_output: 4 kernel_size: 3 } }
layer { name: "main" type: "Convolution" bottom: "data" top: "main" convolution_param { num_output: 4 kernel_size: 3 } }
layer { name: "prob" type: "Softmax" bottom: "main" top: "prob" }
`;
    const { found } = await lint(text, id);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ severity: 'error', text: 'top: "aux"', ...at(text, 'top: "aux"') });
    expect(found[0]!.message).toBe("'aux' is read by no layer, so it is an output of the net besides 'prob': 2 blobs come out of every forward pass");
  });

  it('works on nnspec graphs too', async () => {
    const text = `nnspec: 1
input { name: x shape: [1, 3, 8, 8] }
Conv { name: side bottom: x out: 4 kernel: 1 }
Conv { name: main bottom: x out: 4 kernel: 3 }
`;
    const { found } = await lint(text, id, 'nnspec');
    expect(found.map((f) => f.message)).toEqual(["'side' is read by no layer, so it is an output of the net besides 'main': 2 blobs come out of every forward pass"]);
  });

  it('passes one output, and nets with a loss', async () => {
    const one = `${input(3, 8)}layer { name: "prob" type: "Softmax" bottom: "data" top: "prob" }\n`;
    expect((await lint(one, id)).found).toEqual([]);
    const train = `${trainHead}layer { name: "split" type: "Slice" bottom: "conv1" top: "a" top: "b" slice_param { axis: 1 } }
${trainTail}`;
    expect((await lint(train, id)).found).toEqual([]);
  });

  it('is off in the recommended preset (only strict turns it on)', () => {
    expect(meta(id).recommended).toBe('off');
  });
});

describe('graph rules on odd models', () => {
  it('never fail on opaque layers, unknown shapes or a net without layers', async () => {
    const ids = RULES.filter((r) => r.meta.category === 'graph').map((r) => r.meta.id);
    const texts: [string, string][] = [
      ['layer { name: "py" type: "Python" top: "data" python_param { module: "m" layer: "L" } }\nlayer { name: "c" type: "Convolution" bottom: "data" top: "c" convolution_param { num_output: 1 kernel_size: 3 stride: 2 } }\nlayer { name: "e" type: "Eltwise" bottom: "c" bottom: "c" top: "e" }\n', 'prototxt'],
      ['name: "empty"\n', 'prototxt'],
      ['nnspec: 1\ninput { name: x shape: [N, 3, H, W] }\nConv { name: c out: 2 kernel: 3 stride: 2 }\nAvgPool { name: g global: true }\n', 'nnspec'],
    ];
    for (const [text, ext] of texts) {
      const path = join(dir, `odd${count++}.${ext}`);
      writeFileSync(path, text);
      const result = await lintFile(path, await loadConfig(null, { rules: ids.map((id) => ({ id, level: 'error' as const })) }));
      expect(result.diagnostics.filter((d) => d.code === 'lint/rule-failed')).toEqual([]);
    }
  });
});
