import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { prepareBackendInput } from '../../src/backends/backend.js';
import { emitCaffe } from '../../src/backends/caffe/index.js';
import { toJson } from '../../src/diagnostics/format.js';
import { loadConfig } from '../../src/lint/config.js';
import { lintFile } from '../../src/lint/lint.js';
import type { Target } from '../../src/lint/rule.js';
import { RULES } from '../../src/lint/rules/index.js';

const dir = mkdtempSync(join(tmpdir(), 'nnspec-lint-portability-'));
let count = 0;

/** Lints `text` with rule `id` at error (and the target, if any); returns the rule's findings. */
async function lint(text: string, id: string, target: Target | null, ext = 'prototxt') {
  const path = join(dir, `t${count++}.${ext}`);
  writeFileSync(path, text);
  const result = await lintFile(path, await loadConfig(null, { rules: [{ id, level: 'error' }], ...(target ? { target } : {}) }));
  return result.diagnostics
    .filter((d) => d.code === id)
    .map((d) => {
      const j = toJson(d);
      return { line: j.line, column: j.column, severity: j.severity, message: j.message, text: text.slice(d.span.start, d.span.end) };
    });
}

/**
 * What `nnspec convert --to caffe` says about each layer ('layer code' pairs), so that the
 * rules' "nnspec will …" can be held to what the backend does.
 */
async function caffeConversion(text: string, ext = 'nnspec'): Promise<string[]> {
  const path = join(dir, `c${count++}.${ext}`);
  writeFileSync(path, text);
  const { input: prepared } = await prepareBackendInput(path);
  if (!prepared) throw new Error('the test net does not compile');
  emitCaffe(prepared);
  return prepared.diagnostics.items.filter((d) => d.code.startsWith('convert/')).map((d) => `${/layer '([^']*)'/.exec(d.message)?.[1] ?? '?'} ${d.code}`);
}

function at(text: string, needle: string): { line: number; column: number } {
  const i = text.indexOf(needle);
  if (i < 0) throw new Error(`'${needle}' not in the text`);
  const before = text.slice(0, i).split('\n');
  return { line: before.length, column: before[before.length - 1]!.length + 1 };
}

const input = (c: number, h: number, w = h) => `layer { name: "input" type: "Input" top: "data" input_param { shape { dim: 1 dim: ${c} dim: ${h} dim: ${w} } } }\n`;
const nn = (shape: string, body: string) => `nnspec: 1\ninput { name: x shape: [${shape}] }\n${body}\n`;

describe('portability/grouped-conv', () => {
  const id = 'portability/grouped-conv';
  const grouped = `${input(96, 27)}layer { name: "conv2" type: "Convolution" bottom: "data" top: "conv2" convolution_param { num_output: 256 kernel_size: 5 pad: 2 group: 2 } }\n`;

  it('reports a grouped convolution for TensorFlow.js, at group', async () => {
    const found = await lint(grouped, id, 'tfjs');
    expect(found).toEqual([
      {
        ...at(grouped, 'group: 2'),
        severity: 'error',
        text: 'group: 2',
        message: `'conv2' is a grouped convolution (2 groups of ${96 / 2} input and ${256 / 2} output channels each); TensorFlow.js has no grouped convolution: nnspec will slice the input into 2 channel groups, run one tf.conv2d per group and concatenate the outputs`,
      },
    ]);
  });

  it('reports grouped transposed convolutions (nnspec), even depthwise ones', async () => {
    const text = nn('1, 4, 8, 8', 'ConvTranspose { name: up out: 4 kernel: 4 stride: 2 pad: 1 groups: 4 }');
    const found = await lint(text, id, 'tfjs', 'nnspec');
    expect(found).toHaveLength(1);
    expect(found[0]!.message).toContain("'up' is a grouped transposed convolution (4 groups of 1 input and 1 output channels each)");
    expect(found[0]!.message).toContain('tf.conv2dTranspose');
    expect(found[0]).toMatchObject({ text: 'groups: 4' });
  });

  it('hedges when the input channels are unknown', async () => {
    const text = `layer { name: "d" type: "Data" top: "data" data_param { source: "db" batch_size: 1 } }
layer { name: "conv2" type: "Convolution" bottom: "data" top: "conv2" convolution_param { num_output: 256 kernel_size: 5 group: 2 } }\n`;
    expect((await lint(text, id, 'tfjs')).map((f) => f.message)).toEqual([
      "'conv2' is a convolution with 2 groups (its input channels are unknown here); TensorFlow.js has no grouped convolution: unless they are one per input channel (depthwise, which is tf.depthwiseConv2d), nnspec will slice the input into 2 channel groups, run one tf.conv2d per group and concatenate the outputs",
    ]);
  });

  it('passes depthwise convolutions, other targets and no target', async () => {
    const depthwise = `${input(32, 14)}layer { name: "dw" type: "Convolution" bottom: "data" top: "dw" convolution_param { num_output: 32 kernel_size: 3 pad: 1 group: 32 } }\n`;
    expect(await lint(depthwise, id, 'tfjs')).toEqual([]);
    expect(await lint(grouped, id, 'pytorch')).toEqual([]);
    expect(await lint(grouped, id, null)).toEqual([]);
  });
});

describe('portability/dilated-conv', () => {
  const id = 'portability/dilated-conv';

  it('reports a strided, dilated convolution for TensorFlow.js', async () => {
    const text = nn('1, 3, 32, 32', 'Conv { name: c out: 8 kernel: 3 stride: 2 dilation: 2 pad: 2 }');
    const found = await lint(text, id, 'tfjs', 'nnspec');
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ text: 'dilation: 2', ...at(text, 'dilation: 2') });
    expect(found[0]!.message).toBe(
      `'c' has stride 2×2 and dilation 2×2; TensorFlow.js convolutions take one or the other: nnspec will convolve with stride 1 and keep one output in 2×2, the same values for ${2 * 2}× the multiply-adds`,
    );
  });

  it('reports a dilated transposed convolution', async () => {
    const text = nn('1, 3, 8, 8', 'ConvTranspose { name: up out: 3 kernel: 3 dilation: 2 }');
    const found = await lint(text, id, 'tfjs', 'nnspec');
    expect(found).toHaveLength(1);
    // Extent 2·(3 − 1) + 1 = 5.
    expect(found[0]!.message).toContain('spread the 3×3 kernel to 5×5 with zeros between the taps');
  });

  it('passes dilation without stride, and other targets', async () => {
    const text = nn('1, 3, 32, 32', 'Conv { name: c out: 8 kernel: 3 dilation: 2 pad: 2 }');
    expect(await lint(text, id, 'tfjs', 'nnspec')).toEqual([]);
    const strided = nn('1, 3, 32, 32', 'Conv { name: c out: 8 kernel: 3 stride: 2 dilation: 2 pad: 2 }');
    expect(await lint(strided, id, 'pytorch', 'nnspec')).toEqual([]);
  });
});

describe('portability/lrn', () => {
  const id = 'portability/lrn';
  const across = `${input(96, 27)}layer { name: "norm1" type: "LRN" bottom: "data" top: "norm1" lrn_param { local_size: 5 alpha: 0.0001 beta: 0.75 } }\n`;
  const within = `${input(32, 16)}layer { name: "norm1" type: "LRN" bottom: "data" top: "norm1" lrn_param { local_size: 3 alpha: 5e-05 beta: 0.75 norm_region: WITHIN_CHANNEL } }\n`;

  it('reports across-channel LRN for TensorFlow.js with the converted alpha', async () => {
    const found = await lint(across, id, 'tfjs');
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ severity: 'error', text: 'local_size: 5', ...at(across, 'local_size: 5') });
    expect(found[0]!.message).toBe(
      `'norm1' is an LRN layer; TensorFlow.js layers have none: nnspec will call tf.localResponseNormalization on channels-last data with depthRadius ${(5 - 1) / 2} (size 5), alpha ${0.0001 / 5} (0.0001 / 5: TensorFlow does not divide by the size), bias 1 and beta 0.75`,
    );
  });

  it('reports within-channel LRN for PyTorch and TensorFlow.js, at norm_region', async () => {
    const torch = await lint(within, id, 'pytorch');
    expect(torch).toHaveLength(1);
    expect(torch[0]).toMatchObject({ text: 'norm_region: WITHIN_CHANNEL' });
    expect(torch[0]!.message).toBe(
      "'norm1' is a within-channel LRN (3×3 window); PyTorch has no such layer: nnspec will compute it from F.avg_pool2d(x², 3, stride 1, padding 1, count_include_pad=True), as x · (1 + 0.00005 · mean of x²)^−0.75",
    );
    const tfjs = await lint(within, id, 'tfjs');
    expect(tfjs[0]!.message).toContain('tf.depthwiseConv2d with a kernel of ones, padding 1');
  });

  it('passes across-channel LRN for PyTorch (LocalResponseNorm has the same convention) and Caffe', async () => {
    expect(await lint(across, id, 'pytorch')).toEqual([]);
    expect(await lint(within, id, 'caffe')).toEqual([]);
  });
});

describe('portability/missing-caffe-layer', () => {
  const id = 'portability/missing-caffe-layer';

  it('reports GELU, SELU and Maxout for Caffe with what replaces them', async () => {
    const text = nn('1, 8, 4, 4', 'GELU { name: g }\nGELU { name: gt approximate: tanh }\nSELU { name: s }\nMaxout { name: m pieces: 2 }');
    const found = await lint(text, id, 'caffe', 'nnspec');
    expect(found.map((f) => f.message)).toEqual([
      "'g' is an exact GELU (x·Φ(x)); Caffe has no GELU layer and no erf, so nnspec cannot convert it exactly and refuses; with approximate: tanh (up to 4.7e-4 from x·Φ(x)) it would be written as Power, Eltwise, TanH and Eltwise PROD layers",
      "'gt' is a GELU (tanh approximation); Caffe has no GELU layer: nnspec will write 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) as Power, Eltwise, TanH and Eltwise PROD layers, which compute the same",
      "'s' is a SELU; Caffe has no SELU layer: nnspec will write an ELU with alpha 1.6732632 followed by a Power with scale 1.0507010, which computes the same",
      "'m' is a Maxout over groups of 2 channels; Caffe has no Maxout layer: nnspec will write Reshape (channels as rows), a MAX Pooling with a 2×1 window and stride, and Reshape back, which computes the same",
    ]);
    expect(found[1]).toMatchObject({ text: 'approximate: tanh', ...at(text, 'approximate: tanh') });
    // What the rule promises is what the Caffe backend does.
    expect(await caffeConversion(text)).toEqual(['g convert/unsupported', 'gt convert/rewritten', 's convert/rewritten', 'm convert/rewritten']);
    expect(found[3]).toMatchObject({ text: 'pieces: 2' });
  });

  it('reports DropConnect for Caffe as refused, and the Caffe backend refuses it', async () => {
    const text = nn('1, 16', 'DropConnect { name: dc out: 4 drop_prob: 0.5 }');
    const found = await lint(text, 'portability/missing-caffe-layer', 'caffe', 'nnspec');
    expect(found.map((f) => f.message)).toEqual([
      "'dc' is a DropConnect layer (drops each weight with probability 0.5 while training); Caffe has no such layer, so nnspec refuses to convert it (a plain InnerProduct would match in inference only)",
    ]);
    expect(await caffeConversion(text)).toEqual(['dc convert/unsupported']);
  });

  it('reports adaptive pooling: exact when the input divides, impossible when it does not', async () => {
    const fits = await lint(nn('1, 8, 8, 8', 'AvgPool { name: a output: 2 }'), id, 'caffe', 'nnspec');
    expect(fits[0]!.message).toContain(`an AVE Pooling with kernel and stride ${8 / 2}×${8 / 2} (the 8×8 input divides evenly)`);
    const uneven = await lint(nn('1, 8, 7, 7', 'MaxPool { name: a output: 3 }'), id, 'caffe', 'nnspec');
    expect(uneven[0]!.message).toBe(
      "'a' is an adaptive pooling to 3×3; Caffe has no adaptive pooling and its windows are all one size: nnspec can write it as a MAX Pooling only for inputs whose size is a multiple of 3×3, and 7×7 is not",
    );
    expect(uneven[0]).toMatchObject({ text: 'output: 3' });
  });

  it('passes adaptive pooling to 1×1 (global pooling), Caffe layers, and other targets', async () => {
    expect(await lint(nn('1, 8, 7, 7', 'AvgPool { name: a output: 1 }\nELU { name: e }\nSwish { name: s }'), id, 'caffe', 'nnspec')).toEqual([]);
    expect(await lint(nn('1, 8, 4, 4', 'GELU { name: g }'), id, 'pytorch', 'nnspec')).toEqual([]);
  });
});

describe('portability/asymmetric-padding', () => {
  const id = 'portability/asymmetric-padding';
  // TensorFlow's SAME for a 3×3 stride-2 convolution on 8×8: 0 before, 1 after.
  const conv = nn('1, 3, 8, 8', 'Conv { name: c out: 4 kernel: 3 stride: 2 pad_begin: 0 pad_end: 1 }');

  it('reports SAME-style padding for Caffe: a larger pad and a Crop', async () => {
    const found = await lint(conv, id, 'caffe', 'nnspec');
    // Pad P ≥ 1 with P − 0 a multiple of 2: P = 2, cropping 2 / 2 = 1 leading output of floor((8 + 1 − 3) / 2) + 1 = 4.
    const out = Math.floor((8 + 1 - 3) / 2) + 1;
    expect(found).toEqual([
      {
        ...at(conv, 'pad_begin: 0'),
        severity: 'error',
        text: 'pad_begin: 0',
        message: `'c' (convolution) pads 0 before and 1 after along the height and width; Caffe pads both sides equally: nnspec will pad 2×2 on both sides and Crop the output at offset 1×1 to its ${out}×${out} size, which keeps the same windows`,
      },
    ]);
  });

  it('reports it for PyTorch: explicit F.pad (−inf for max pooling)', async () => {
    expect((await lint(conv, id, 'pytorch', 'nnspec'))[0]!.message).toBe(
      "'c' (convolution) pads 0 before and 1 after along the height and width; PyTorch pads both sides equally: nnspec will pad explicitly (F.pad(x, (0, 1, 0, 1)), zeros) and convolve with padding 0, which computes the same",
    );
    const pool = nn('1, 3, 7, 7', 'MaxPool { name: p kernel: 2 stride: 2 pad_begin: [0, 1] pad_end: [1, 0] round: floor }');
    const found = await lint(pool, id, 'pytorch', 'nnspec');
    expect(found[0]!.message).toBe(
      "'p' (max pooling) pads 0 before and 1 after along the height, 1 before and 0 after along the width; PyTorch pads both sides equally: nnspec will pad explicitly with F.pad(x, (1, 0, 0, 1), value=−inf) and pool with padding 0",
    );
  });

  it('says when Caffe cannot: a pooling pad must stay below the kernel', async () => {
    const pool = nn('1, 3, 7, 7', 'MaxPool { name: p kernel: 2 stride: 2 pad_begin: 0 pad_end: 1 round: floor }');
    const found = await lint(pool, id, 'caffe', 'nnspec');
    expect(found[0]!.message).toContain("padding 2×2 on both sides would keep the same windows, but Caffe's pooling pad must be smaller than the kernel 2×2, so nnspec cannot write this layer for Caffe");
  });

  it("reports a transposed convolution's output_padding for Caffe only", async () => {
    const up = nn('1, 3, 8, 8', 'ConvTranspose { name: up out: 3 kernel: 3 stride: 2 pad: 1 output_padding: 1 }');
    const found = await lint(up, id, 'caffe', 'nnspec');
    expect(found[0]!.message).toBe(
      "'up' (transposed convolution) has output_padding 1×1 with padding 1×1; Caffe's Deconvolution crops both sides equally and has no output_padding: nnspec will write pad 0×0 and Crop the output at offset 1×1, which computes the same",
    );
    expect(await lint(up, id, 'pytorch', 'nnspec')).toEqual([]);
  });

  it('passes symmetric padding, Caffe files, and TensorFlow.js (explicit padding is native)', async () => {
    expect(await lint(nn('1, 3, 8, 8', 'Conv { name: c out: 4 kernel: 3 stride: 2 pad: 1 }'), id, 'caffe', 'nnspec')).toEqual([]);
    expect(await lint(conv, id, 'tfjs', 'nnspec')).toEqual([]);
  });
});

describe('portability/pool-rounding', () => {
  const id = 'portability/pool-rounding';
  const emptyWindow = `${input(1, 5)}layer { name: "pool" type: "Pooling" bottom: "data" top: "pool" pooling_param { pool: MAX kernel_size: 1 stride: 3 } }\n`;

  it("reports Caffe rounding that PyTorch's ceil_mode cannot reproduce (unpadded, window past the input)", async () => {
    const found = await lint(emptyWindow, id, 'pytorch');
    // Caffe: ceil((5 − 1) / 3) + 1 = 3; PyTorch drops the window at 6: 2. Explicit end pad so that floor gives 3: (3 − 1)·3 + 1 − 5 = 2.
    expect((3 - 1) * 3 + 1 - 5).toBe(2);
    expect(found).toEqual([
      {
        ...at(emptyWindow, 'stride: 3'),
        severity: 'error',
        text: 'stride: 3',
        message:
          "'pool' rounds up the Caffe way on 5×5, unpadded, and keeps a last window that starts past the input along the height and width: Caffe gives 3×3, PyTorch's ceil_mode 2×2; nnspec will pad the end explicitly to 2×2 and round down, so PyTorch also gives 3×3 (−inf where Caffe writes −FLT_MAX)",
      },
    ]);
  });

  it("reports PyTorch's ceil_mode for Caffe in the same case, written as Caffe pooling and a Crop", async () => {
    const text = nn('1, 1, 5, 5', 'MaxPool { name: p kernel: 1 stride: 3 round: ceil }');
    const found = await lint(text, id, 'caffe', 'nnspec');
    expect(found[0]!.message).toBe(
      "'p' uses PyTorch's ceil_mode on 5×5, unpadded, where the rounded-up last window would start past the input along the height and width: PyTorch drops it (2×2) but Caffe keeps it when unpadded (3×3); nnspec will write Caffe's Pooling followed by a Crop to 2×2 (the windows start at the same places)",
    );
    expect(found[0]).toMatchObject({ text: 'round: ceil' });
    expect(await caffeConversion(text)).toContain('p convert/rewritten');
  });

  it('reports rounding up for TensorFlow.js, with the explicit end padding', async () => {
    // ResNet pool1: 3×3, stride 2 on 112 rounds up to 56; floor would give 55; extra end pad (56 − 1)·2 + 3 − 112 = 1.
    const text = `${input(64, 112)}layer { name: "pool1" type: "Pooling" bottom: "data" top: "pool1" pooling_param { pool: MAX kernel_size: 3 stride: 2 } }\n`;
    const found = await lint(text, id, 'tfjs');
    expect((56 - 1) * 2 + 3 - 112).toBe(1);
    expect(found[0]!.message).toBe(
      "'pool1' rounds its 112×112 input up to 56×56 outputs (Caffe's rounding); TensorFlow.js pooling has no such rounding (tfjs-core's 'ceil' has no clip): nnspec will pass the padding explicitly with 1 row and 1 column more at the end and round down, which gives the same windows",
    );
  });

  it('passes rounding that agrees: Caffe vs ceil_mode on ResNet pool1, tiling sizes for TensorFlow.js, and floor', async () => {
    const pool1 = `${input(64, 112)}layer { name: "pool1" type: "Pooling" bottom: "data" top: "pool1" pooling_param { pool: MAX kernel_size: 3 stride: 2 } }\n`;
    expect(await lint(pool1, id, 'pytorch')).toEqual([]);
    const tiles = `${input(64, 8)}layer { name: "p" type: "Pooling" bottom: "data" top: "p" pooling_param { pool: MAX kernel_size: 2 stride: 2 } }\n`;
    expect(await lint(tiles, id, 'tfjs')).toEqual([]);
    expect(await lint(emptyWindow, id, 'caffe')).toEqual([]);
    expect(await lint(emptyWindow, id, null)).toEqual([]);
  });
});

describe('portability/pool-padding-limit', () => {
  const id = 'portability/pool-padding-limit';

  it('reports a pooling pad above half the kernel for PyTorch', async () => {
    const text = `${input(8, 8)}layer { name: "pool" type: "Pooling" bottom: "data" top: "pool" pooling_param { pool: MAX kernel_size: 3 stride: 1 pad: 2 } }\n`;
    const found = await lint(text, id, 'pytorch');
    expect(found).toEqual([
      {
        ...at(text, 'pad: 2'),
        severity: 'error',
        text: 'pad: 2',
        message: `'pool' (max pooling) pads 2×2 with a 3×3 window; PyTorch pooling allows at most ${Math.floor(3 / 2)}×${Math.floor(3 / 2)} (half the kernel): nnspec will pad explicitly with F.pad(…, value=−inf) and pool with padding 0`,
      },
    ]);
  });

  it('mentions the count rescaling for an average pooling that leaves padding out', async () => {
    const text = nn('1, 8, 8, 8', 'AvgPool { name: p kernel: 3 stride: 1 pad: 2 round: floor count_pad: false }');
    const found = await lint(text, id, 'pytorch', 'nnspec');
    expect(found[0]!.message).toContain('value=0) and pool with padding 0 and rescale each output by its count of in-bounds cells');
  });

  it('passes pads up to half the kernel, and Caffe', async () => {
    const ok = `${input(8, 8)}layer { name: "pool" type: "Pooling" bottom: "data" top: "pool" pooling_param { pool: MAX kernel_size: 3 stride: 1 pad: 1 } }\n`;
    expect(await lint(ok, id, 'pytorch')).toEqual([]);
    const big = ok.replace('pad: 1', 'pad: 2');
    expect(await lint(big, id, 'caffe')).toEqual([]);
  });
});

describe('portability/avg-pool-divisor', () => {
  const id = 'portability/avg-pool-divisor';
  const caffeAve = `${input(8, 8)}layer { name: "pool" type: "Pooling" bottom: "data" top: "pool" pooling_param { pool: AVE kernel_size: 3 stride: 1 pad: 1 } }\n`;

  it("reports Caffe's padded average pooling for TensorFlow.js", async () => {
    const found = await lint(caffeAve, id, 'tfjs');
    expect(found).toEqual([
      {
        ...at(caffeAve, 'pad: 1'),
        severity: 'error',
        text: 'pad: 1',
        message:
          "'pool' averages 3×3 windows that overlap its padding and counts the padded cells (Caffe, PyTorch's default); TensorFlow.js's avgPool divides by the in-bounds cells only: nnspec will multiply the border outputs by a precomputed ratio of in-bounds to window cells",
      },
    ]);
  });

  it('reports an nnspec pooling that leaves padding out, for Caffe', async () => {
    const text = nn('1, 8, 8, 8', 'AvgPool { name: p kernel: 3 stride: 1 pad: 1 round: floor count_pad: false }');
    const found = await lint(text, id, 'caffe', 'nnspec');
    expect(found[0]!.message).toBe(
      "'p' averages 3×3 windows that overlap its padding over the in-bounds cells only (count_pad: false); Caffe always counts the padding, so nnspec cannot convert it",
    );
    expect(found[0]).toMatchObject({ text: 'count_pad: false' });
    expect(await caffeConversion(text)).toContain('p convert/unsupported');
    expect(await lint(text, id, 'tfjs', 'nnspec')).toEqual([]);
  });

  it('passes unpadded pooling, end padding no window reaches, max pooling, and matching conventions', async () => {
    expect(await lint(caffeAve, id, 'caffe')).toEqual([]);
    expect(await lint(caffeAve, id, 'pytorch')).toEqual([]);
    // floor((8 + 1 − 2) / 2) + 1 = 4 windows; the last covers 6…7, short of the end padding at 8.
    const endPad = nn('1, 8, 8, 8', 'AvgPool { name: p kernel: 2 stride: 2 pad_begin: 0 pad_end: 1 round: floor }');
    expect(await lint(endPad, id, 'tfjs', 'nnspec')).toEqual([]);
    expect(await lint(caffeAve.replace('AVE', 'MAX'), id, 'tfjs')).toEqual([]);
  });
});

describe('portability/stochastic-pooling', () => {
  const id = 'portability/stochastic-pooling';
  const text = `${input(8, 8)}layer { name: "pool" type: "Pooling" bottom: "data" top: "pool" pooling_param { pool: STOCHASTIC kernel_size: 2 stride: 2 } }\n`;

  it('reports stochastic pooling for PyTorch and TensorFlow.js', async () => {
    const found = await lint(text, id, 'pytorch');
    expect(found).toEqual([
      {
        ...at(text, 'pool: STOCHASTIC'),
        severity: 'error',
        text: 'pool: STOCHASTIC',
        message: "'pool' is a stochastic pooling; PyTorch has none: nnspec will write its test-time form, Σx²/Σx per window from two average poolings (exact in inference), and a custom layer for the random sampling in training",
      },
    ]);
    expect(await lint(text, id, 'tfjs')).toHaveLength(1);
  });

  it('passes Caffe', async () => {
    expect(await lint(text, id, 'caffe')).toEqual([]);
  });
});

describe('portability/batchnorm-running-average', () => {
  const id = 'portability/batchnorm-running-average';
  const train = `${input(8, 8)}layer { name: "label" type: "Input" top: "label" input_param { shape { dim: 1 } } }
layer { name: "bn1" type: "BatchNorm" bottom: "data" top: "data" batch_norm_param { moving_average_fraction: 0.99 } }
layer { name: "fc" type: "InnerProduct" bottom: "data" top: "fc" inner_product_param { num_output: 2 } }
layer { name: "loss" type: "SoftmaxWithLoss" bottom: "fc" bottom: "label" top: "loss" }
`;

  it("reports Caffe's running sums in a trained net for PyTorch and TensorFlow.js", async () => {
    const torch = await lint(train, id, 'pytorch');
    expect(torch).toHaveLength(1);
    expect(torch[0]).toMatchObject({ text: 'moving_average_fraction: 0.99', ...at(train, 'moving_average_fraction') });
    expect(torch[0]!.message).toBe(
      `'bn1' keeps Caffe's bias-corrected running sums (moving_average_fraction 0.99); PyTorch's BatchNorm keeps an exponential moving average started at mean 0 and variance 1: nnspec will write momentum ${Number((1 - 0.99).toPrecision(6))}, and the running statistics will differ early in training`,
    );
    expect((await lint(train, id, 'tfjs'))[0]!.message).toContain("nnspec will write momentum 0.99 (Keras' convention, the weight of the old average)");
  });

  it("reports an nnspec moving average in a spec with a train section, for Caffe", async () => {
    const text = `nnspec: 1
input { name: x shape: [N, 3, 8, 8] }
BatchNorm { name: bn momentum: 0.1 }
Linear { name: fc out: 2 }
train { solver { type: sgd lr: 0.1 } iterations: 10 batch_size: 2 loss: softmax_cross_entropy }
`;
    const found = await lint(text, id, 'caffe', 'nnspec');
    expect(found[0]!.message).toBe(
      "'bn' keeps an exponential moving average of the batch statistics (momentum 0.1); Caffe's BatchNorm keeps bias-corrected sums instead: nnspec will write moving_average_fraction 0.9, and the running statistics will differ early in training",
    );
    expect(found[0]).toMatchObject({ text: 'momentum: 0.1' });
  });

  it('passes deploy nets, frozen statistics and matching conventions', async () => {
    const deploy = `${input(8, 8)}layer { name: "bn1" type: "BatchNorm" bottom: "data" top: "data" }\n`;
    expect(await lint(deploy, id, 'pytorch')).toEqual([]);
    expect(await lint(train.replace('moving_average_fraction: 0.99', 'use_global_stats: true'), id, 'pytorch')).toEqual([]);
    expect(await lint(train, id, 'caffe')).toEqual([]);
  });
});

describe('portability/non-inverted-dropout', () => {
  const id = 'portability/non-inverted-dropout';
  const text = nn('1, 16', 'Dropout { name: drop drop_prob: 0.25 scale_train: false }');

  it('reports dropout that scales in inference, for every target', async () => {
    for (const target of ['pytorch', 'caffe', 'tfjs'] as const) {
      const found = await lint(text, id, target, 'nnspec');
      expect(found).toHaveLength(1);
      expect(found[0]).toMatchObject({ text: 'scale_train: false', ...at(text, 'scale_train: false') });
      expect(found[0]!.message).toContain(`scales by ${1 - 0.25} in inference instead of by 1/${1 - 0.25} in training`);
      expect(found[0]!.message).toContain(`followed by a constant scale of ${1 - 0.25}, which computes the same`);
    }
  });

  it('passes inverted dropout', async () => {
    expect(await lint(nn('1, 16', 'Dropout { name: drop drop_prob: 0.25 }'), id, 'pytorch', 'nnspec')).toEqual([]);
  });
});

describe('portability rules without a target', () => {
  it('say nothing, and each names the targets it speaks about', async () => {
    const ids = RULES.filter((r) => r.meta.category === 'portability').map((r) => r.meta.id);
    const text = nn(
      '1, 8, 9, 9',
      'Conv { name: c out: 8 kernel: 3 stride: 2 dilation: 2 pad_begin: 0 pad_end: 1 groups: 2 }\nLRN { name: n size: 3 alpha: 1e-4 region: within_channel }\nGELU { name: g }\nAvgPool { name: p kernel: 3 stride: 1 pad: 2 round: caffe }\nDropout { name: d scale_train: false }',
    );
    const path = join(dir, `all${count++}.nnspec`);
    writeFileSync(path, text);
    const result = await lintFile(path, await loadConfig(null, { rules: ids.map((id) => ({ id, level: 'error' as const })) }));
    expect(result.diagnostics.filter((d) => d.code.startsWith('portability/') || d.code === 'lint/rule-failed')).toEqual([]);
    for (const id of ids) expect(RULES.find((r) => r.meta.id === id)!.meta.targets?.length).toBeGreaterThan(0);
  });
});
