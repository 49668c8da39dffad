/**
 * The init rules: each on Caffe and nnspec snippets that must pass and that must fail,
 * checking the rule id, the message, the severity and where it points. Expected numbers are
 * worked out here from the lesson's arithmetic (fan-in × weight variance, ReLU keeping half of
 * E[x²]), not by calling the rules' helpers.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/lint/config.js';
import { lintFile } from '../../src/lint/lint.js';
import { CORPUS, HAS_CORPUS, ROOT, specFiles } from '../helpers.js';
import { at, lintRule as lint, lintRulePath as lintPath } from './rule-kit.js';

const dir = mkdtempSync(join(tmpdir(), 'nnspec-lint-init-'));
let serial = 0;

/** How messages print numbers: 3 significant digits, or one decimal of an exponent below 0.01. */
function num(x: number): string {
  if (x === 0) return '0';
  if (Math.abs(x) < 1e-2 || Math.abs(x) >= 1e5) {
    const [m, e] = x.toExponential(1).split('e');
    return `${m}e${Number(e)}`;
  }
  return String(Number(x.toPrecision(3)));
}

// Caffe snippets: an Input layer with data and labels, layers chained by name.
const caffeHead = (dims: number[]) => `name: "t"
layer { name: "data" type: "Input" top: "data" top: "label" input_param { shape { ${dims.map((d) => `dim: ${d}`).join(' ')} } shape { dim: ${dims[0]} } } }
`;
const conv = (name: string, bottom: string, out: number, filler: string | null, bias = '', param = '') =>
  `layer { name: "${name}" type: "Convolution" bottom: "${bottom}" top: "${name}"${param} convolution_param { num_output: ${out} kernel_size: 3 pad: 1${filler ? ` weight_filler { ${filler} }` : ''}${bias ? ` bias_filler { ${bias} }` : ''} } }\n`;
const ip = (name: string, bottom: string, out: number, filler: string | null, bias = '', param = '') =>
  `layer { name: "${name}" type: "InnerProduct" bottom: "${bottom}" top: "${name}"${param} inner_product_param { num_output: ${out}${filler ? ` weight_filler { ${filler} }` : ''}${bias ? ` bias_filler { ${bias} }` : ''} } }\n`;
const act = (type: string, name: string, blob: string, extra = '') => `layer { name: "${name}" type: "${type}" bottom: "${blob}" top: "${blob}"${extra} }\n`;
const loss = (bottom: string) => `layer { name: "loss" type: "SoftmaxWithLoss" bottom: "${bottom}" bottom: "label" top: "loss" }\n`;

// ---------------------------------------------------------------------------------------------

describe('init/constant-weights', () => {
  const ID = 'init/constant-weights';

  it('reports a Caffe layer without weight_filler (constant 0) before a ReLU as never learning, at the layer', async () => {
    const text =
      caffeHead([2, 3, 16, 16]) +
      conv('conv1', 'data', 16, 'type: "msra"') +
      act('ReLU', 'relu1', 'conv1') +
      conv('conv2', 'conv1', 16, null) +
      act('ReLU', 'relu2', 'conv2') +
      ip('fc', 'conv2', 10, 'type: "xavier"') +
      loss('fc');
    const { found, errors } = await lint(text, 'prototxt', ID);
    expect(errors).toEqual([]);
    expect(found).toHaveLength(1);
    expect(found[0]!.severity).toBe('error');
    expect(found[0]!.message).toBe(
      "'conv2' has no weight_filler, so Caffe fills its weights with the constant 0: with a zero bias it outputs 0, ReLU passes no gradient at 0, so 'conv2' never learns and blocks the gradient to every layer below it",
    );
    expect(found[0]!).toMatchObject(at(text, 'layer { name: "conv2"'));
    expect(found[0]!.text.startsWith('layer { name: "conv2"')).toBe(true);
    expect(found[0]!.hint).toMatch(/weight_filler \{ type: "msra" \}.*\.caffemodel/);
  });

  it('reports an explicit constant weight_filler at the filler, as unbroken symmetry', async () => {
    const text =
      caffeHead([2, 3, 16, 16]) +
      conv('conv1', 'data', 32, 'type: "constant" value: 0.1') +
      act('ReLU', 'relu1', 'conv1') +
      conv('conv2', 'conv1', 16, 'type: "msra"') +
      act('ReLU', 'relu2', 'conv2') +
      ip('fc', 'conv2', 10, 'type: "xavier"') +
      loss('fc');
    const { found } = await lint(text, 'prototxt', ID);
    expect(found.map((f) => f.message)).toEqual([
      "'conv1' initialises every weight to the constant 0.1: all 32 of its filters start with the same weights, respond identically to every input and can only drift apart through the layers above (symmetry is not broken)",
    ]);
    expect(found[0]!.text).toBe('weight_filler { type: "constant" value: 0.1 }');
    expect(found[0]!).toMatchObject(at(text, 'weight_filler { type: "constant"'));
  });

  it('reports nnspec init: 0 on a hidden layer at its init field', async () => {
    const text = `nnspec: 1
input { name: data shape: [N, 100] }
Linear { name: fc1 out: 64 weight { init: 0 } bias { init: 0 } }
ReLU { name: relu1 }
Linear { name: fc2 out: 10 }
`;
    const { found, errors } = await lint(text, 'nnspec', ID);
    expect(errors).toEqual([]);
    expect(found).toHaveLength(1);
    expect(found[0]!.message).toBe(
      "'fc1' initialises every weight to the constant 0: with a zero bias it outputs 0, ReLU passes no gradient at 0, so 'fc1' never learns and blocks the gradient to every layer below it",
    );
    expect(found[0]!.text).toBe('init: 0');
    expect(found[0]!).toMatchObject(at(text, 'init: 0'));
    // PyTorch's default bias is random: the units differ by their bias, not by their weights.
    const random = await lint(text.replace(' bias { init: 0 }', ''), 'nnspec', ID);
    expect(random.found.map((f) => f.message)).toEqual([
      "'fc1' initialises every weight to the constant 0: all 64 of its units start with the same weights, respond identically to every input and can only drift apart through the layers above (symmetry is not broken)",
    ]);
  });

  it('is a warning under the recommended preset', async () => {
    const text = `nnspec: 1
input { name: data shape: [N, 100] }
Linear { name: fc1 out: 64 weight { init: 0.5 } }
Sigmoid { name: s1 }
Linear { name: fc2 out: 10 }
`;
    const { found } = await lint(text, 'nnspec', ID, { recommended: true });
    expect(found.map((f) => [f.severity, f.message])).toEqual([
      ['warning', "'fc1' initialises every weight to the constant 0.5: all 64 of its units start with the same weights, respond identically to every input and can only drift apart through the layers above (symmetry is not broken)"],
    ]);
  });

  it('passes a deploy net without fillers (its weights come from a .caffemodel)', async () => {
    const text = `name: "t"
layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 3 dim: 16 dim: 16 } } }
${conv('conv1', 'data', 16, null)}${act('ReLU', 'relu1', 'conv1')}${ip('fc', 'conv1', 10, null)}layer { name: "prob" type: "Softmax" bottom: "fc" top: "prob" }
`;
    expect((await lint(text, 'prototxt', ID)).found).toEqual([]);
  });

  it('passes a fine-tuning net: most layers without filler (copied from trained weights), a new head with one', async () => {
    const text =
      caffeHead([2, 3, 16, 16]) +
      conv('conv1', 'data', 16, null) +
      act('ReLU', 'relu1', 'conv1') +
      conv('conv2', 'conv1', 16, null) +
      act('ReLU', 'relu2', 'conv2') +
      ip('fc_new', 'conv2', 10, 'type: "gaussian" std: 0.01') +
      loss('fc_new');
    expect((await lint(text, 'prototxt', ID)).found).toEqual([]);
  });

  it('judges a weight shared by name (Caffe param { name }) by the filler of its first holder', async () => {
    const share = ' param { name: "w" } param { name: "b" }';
    const branch = (suffix: string, filler: string | null) =>
      conv(`conv_${suffix}`, 'data', 16, filler, '', share) + act('ReLU', `relu_${suffix}`, `conv_${suffix}`) + ip(`fc_${suffix}`, `conv_${suffix}`, 10, 'type: "xavier"');
    const tail = 'layer { name: "sum" type: "Eltwise" bottom: "fc_a" bottom: "fc_b" top: "sum" }\n' + loss('sum');
    // The second branch writes no filler: Caffe fills the shared blob once, from the first.
    expect((await lint(caffeHead([2, 3, 16, 16]) + branch('a', 'type: "msra"') + branch('b', null) + tail, 'prototxt', ID)).found).toEqual([]);
    const constant = caffeHead([2, 3, 16, 16]) + branch('a', 'type: "constant" value: 0.5') + branch('b', 'type: "msra"') + tail;
    const { found, errors } = await lint(constant, 'prototxt', ID);
    expect(errors).toEqual([]);
    expect(found.map((f) => f.message.split(':')[0])).toEqual(["'conv_a' initialises every weight to the constant 0.5"]);
  });

  it('passes a zero-initialised last layer (each output gets its own error from the loss), frozen layers and constant biases', async () => {
    const text =
      caffeHead([2, 3, 16, 16]) +
      conv('conv1', 'data', 16, 'type: "msra"', 'type: "constant" value: 0.1') +
      act('ReLU', 'relu1', 'conv1') +
      conv('frozen', 'conv1', 16, 'type: "constant" value: 1', '', ' param { lr_mult: 0 } param { lr_mult: 0 }') +
      act('ReLU', 'relu2', 'frozen') +
      ip('score', 'frozen', 10, 'type: "constant" value: 0') +
      loss('score');
    expect((await lint(text, 'prototxt', ID)).found).toEqual([]);
    const nn = `nnspec: 1
input { name: data shape: [N, 100] }
Linear { name: fc1 out: 64 weight { init: kaiming } bias { init: 0.1 } }
ReLU { name: relu1 }
Linear { name: head out: 10 weight { init: 0 } }
`;
    expect((await lint(nn, 'nnspec', ID)).found).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------

describe('init/relu-init-mismatch', () => {
  const ID = 'init/relu-init-mismatch';
  const mlp = (layers: number, init: string, between = '') => {
    let text = `nnspec: 1
input { name: data shape: [N, 256] }
defaults { Linear { weight { init: ${init} } bias { init: 0 } } }
`;
    for (let i = 1; i <= layers; i++) text += `Linear { name: fc${i} out: 256 }\n${between.replace(/#/g, String(i))}ReLU { name: relu${i} }\n`;
    return `${text}Linear { name: out out: 10 }\n`;
  };

  it('reports each Xavier layer before a ReLU once a path crosses 5 of them, with the compounded factor', async () => {
    const text = mlp(5, 'xavier');
    const { found, errors } = await lint(text, 'nnspec', ID);
    expect(errors).toEqual([]);
    // Xavier gives each output variance 1·E[x²]; the ReLU keeps half of it: ×1/2 per layer.
    const total = 0.5 ** 5;
    expect(found).toHaveLength(5);
    expect(found[2]!.message).toBe(
      `'fc3' initialises its weights with Glorot/Xavier (variance 1/((fan_in + fan_out)/2)) before ReLU 'relu3': that scale suits units that are linear around 0, and with the ReLU each such layer keeps ×0.5 of the signal's variance;` +
        ` the longest path through this net crosses 5 such layers, together ×${num(total)} (standard deviation ×${num(Math.sqrt(total))})`,
    );
    expect(found[2]!.severity).toBe('error');
    // The init is written in `defaults`: the finding points at the layer.
    expect(found[2]!).toMatchObject(at(text, 'Linear { name: fc3'));
    expect(found[2]!.hint).toBe('use init: kaiming (He: variance 2/fan_in) before ReLUs');
  });

  it("counts PyTorch's default (variance 1/(3·fan_in)) as ×1/6 per layer", async () => {
    const text = mlp(5, 'torch_default');
    const { found } = await lint(text, 'nnspec', ID);
    const ratio = 1 / 3 / 2;
    expect(found[0]!.message).toContain(`with PyTorch's default (variance 1/(3·fan_in)) before ReLU 'relu1'`);
    expect(found[0]!.message).toContain(`keeps ×${num(ratio)} of the signal's variance; the longest path through this net crosses 5 such layers, together ×${num(ratio ** 5)}`);
  });

  it('reports Caffe xavier before leaky ReLUs against He\'s 2/(1 + a²), at the weight_filler', async () => {
    let text = caffeHead([2, 3, 16, 16]);
    let bottom = 'data';
    for (let i = 1; i <= 5; i++) {
      text += conv(`conv${i}`, bottom, 16, 'type: "xavier"') + act('ReLU', `relu${i}`, `conv${i}`, ' relu_param { negative_slope: 0.2 }');
      bottom = `conv${i}`;
    }
    text += ip('fc', bottom, 10, 'type: "xavier"') + loss('fc');
    const { found, errors } = await lint(text, 'prototxt', ID);
    expect(errors).toEqual([]);
    const ratio = 1 / (2 / (1 + 0.2 ** 2));
    expect(found).toHaveLength(5);
    expect(found[0]!.message).toBe(
      `'conv1' initialises its weights with Xavier/LeCun (variance 1/fan_in) before LeakyReLU 'relu1': that scale suits units that are linear around 0, and with the ReLU each such layer keeps ×${num(ratio)} of the signal's variance;` +
        ` the longest path through this net crosses 5 such layers, together ×${num(ratio ** 5)} (standard deviation ×${num(Math.sqrt(ratio ** 5))})`,
    );
    expect(found[0]!.text).toBe('weight_filler { type: "xavier" }');
    expect(found[0]!.hint).toBe('use weight_filler { type: "msra" } (He: variance 2/fan_in) before ReLUs');
  });

  it('passes shallow stacks, He initialisation, Xavier before tanh, and layers normalised by BatchNorm', async () => {
    expect((await lint(mlp(4, 'xavier'), 'nnspec', ID)).found).toEqual([]);
    expect((await lint(mlp(8, 'kaiming'), 'nnspec', ID)).found).toEqual([]);
    expect((await lint(mlp(8, 'xavier').replace(/ReLU \{/g, 'TanH {'), 'nnspec', ID)).found).toEqual([]);
    expect((await lint(mlp(8, 'xavier', 'BatchNorm { name: bn# }\n'), 'nnspec', ID)).found).toEqual([]);
  });

  it('follows minLayers, and is off under the recommended preset', async () => {
    const text = mlp(2, 'lecun');
    expect((await lint(text, 'nnspec', ID)).found).toEqual([]);
    expect((await lint(text, 'nnspec', ID, { options: { minLayers: 2 } })).found).toHaveLength(2);
    expect((await lint(mlp(8, 'xavier'), 'nnspec', ID, { recommended: true })).found).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------

describe('init/vanishing-activations', () => {
  const ID = 'init/vanishing-activations';
  /** An MLP of 1000-wide layers with a fixed Gaussian, on a normalised input (std 1). */
  const mlp = (std: number, layers: number, extra = '') => {
    let text = `nnspec: 1
input { name: data shape: [N, 1000] }
defaults { Linear { weight { init { type: gaussian std: ${std} } } bias { init: 0 } } }
`;
    for (let i = 1; i <= layers; i++) text += `Linear { name: fc${i} out: 1000 }\n${extra.replace(/#/g, String(i))}ReLU { name: relu${i} }\n`;
    return `${text}Linear { name: out out: 10 }\n`;
  };

  it('reports the first layer of a std-0.01 MLP whose outputs fall below 1e-3, with the variance arithmetic', async () => {
    const text = mlp(0.01, 8);
    const { found, errors } = await lint(text, 'nnspec', ID);
    expect(errors).toEqual([]);
    // Var(fc_k) = 1000 × 0.01² × E[x²]; E[x²] = 1 at the input, half the variance after each ReLU.
    const gain = 1000 * 0.01 ** 2;
    let q = 1;
    let layer = 0;
    let v = 0;
    let qIn = 0;
    while (layer < 8) {
      layer++;
      qIn = q;
      v = gain * q;
      if (Math.sqrt(v) < 1e-3) break;
      q = v / 2;
    }
    expect(layer).toBe(5);
    expect(found).toHaveLength(1);
    expect(found[0]!.message).toBe(
      `'fc5' (weight layer 5 from the input) starts with outputs of estimated standard deviation ${num(Math.sqrt(v))}:` +
        ` its gaussian std 0.01 over 1000 inputs scales the variance by D·E[w²] = 1000 × ${num(0.01 ** 2)} = ${num(gain)}, of an input whose E[x²] is already down to ${num(qIn)};` +
        ' activations this small give near-zero weight gradients (estimated from a normalised input (mean 0, standard deviation 1))',
    );
    expect(found[0]!).toMatchObject(at(text, 'Linear { name: fc5'));
    expect(found[0]!.severity).toBe('error');
  });

  it('reports a Caffe conv stack at its weight_filler, and stays quiet when biases of 1 keep the ReLUs active (as in AlexNet)', async () => {
    const net = (bias: string) => {
      let text = caffeHead([2, 3, 32, 32]);
      let bottom = 'data';
      for (let i = 1; i <= 6; i++) {
        text += conv(`conv${i}`, bottom, 64, 'type: "gaussian" std: 0.01', bias) + act('ReLU', `relu${i}`, `conv${i}`);
        bottom = `conv${i}`;
      }
      return text + ip('fc', bottom, 10, 'type: "gaussian" std: 0.01') + loss('fc');
    };
    const text = net('type: "constant" value: 0');
    const { found, errors } = await lint(text, 'prototxt', ID);
    expect(errors).toEqual([]);
    // conv1 sums 3·3·3 = 27 inputs, the others 3·3·64 = 576; each multiplies E[x²] by D·0.0001.
    const v1 = 27 * 1e-4;
    const v2 = 576 * 1e-4 * (v1 / 2);
    const v3 = 576 * 1e-4 * (v2 / 2);
    const v4 = 576 * 1e-4 * (v3 / 2);
    expect([v1, v2, v3].every((v) => Math.sqrt(v) >= 1e-3)).toBe(true);
    expect(Math.sqrt(v4)).toBeLessThan(1e-3);
    expect(found).toHaveLength(1);
    expect(found[0]!.message).toContain(`'conv4' (weight layer 4 from the input) starts with outputs of estimated standard deviation ${num(Math.sqrt(v4))}`);
    expect(found[0]!.text).toBe('weight_filler { type: "gaussian" std: 0.01 }');
    expect(found[0]!).toMatchObject(at(text, 'weight_filler', text.indexOf('name: "conv4"')));
    expect((await lint(net('type: "constant" value: 1'), 'prototxt', ID)).found).toEqual([]);
  });

  it('passes He initialisation, BatchNorm between layers, and a larger input scale', async () => {
    expect((await lint(mlp(0.01, 8).replace('init { type: gaussian std: 0.01 }', 'init: kaiming'), 'nnspec', ID)).found).toEqual([]);
    expect((await lint(mlp(0.01, 8, 'BatchNorm { name: bn# }\n'), 'nnspec', ID)).found).toEqual([]);
    // Seven weight layers: with inputs of std 1 fc5 falls below 1e-3; with std 100 the last one
    // still has 100 × sqrt(0.1 × 0.05⁶) ≈ 0.004.
    expect(100 * Math.sqrt(0.1 * 0.05 ** 6)).toBeGreaterThan(1e-3);
    expect((await lint(mlp(0.01, 6), 'nnspec', ID)).found).toHaveLength(1);
    expect((await lint(mlp(0.01, 6), 'nnspec', ID, { options: { inputStd: 100 } })).found).toEqual([]);
  });

  it('reads the input scale from the preprocessing (8-bit pixels with the mean subtracted: std about 0.226 × 255)', async () => {
    const text = mlp(0.01, 8).replace('input { name: data shape: [N, 1000] }', 'input { name: data shape: [N, 1000] mean: [120] }');
    const { found } = await lint(text, 'nnspec', ID);
    const pixel = 0.226 * 255;
    // The input's E[x²] is pixel²: the std falls 58 times later.
    let q = pixel * pixel;
    let layer = 0;
    let v = 0;
    while (layer < 8) {
      layer++;
      v = 0.1 * q;
      if (Math.sqrt(v) < 1e-3) break;
      q = v / 2;
    }
    expect(found).toHaveLength(1);
    expect(found[0]!.message).toContain(`'fc${layer}' (weight layer ${layer} from the input) starts with outputs of estimated standard deviation ${num(Math.sqrt(v))}`);
    expect(found[0]!.message).toContain(`estimated from image 8-bit pixels with the mean subtracted (standard deviation about ${pixel.toPrecision(2)})`);
  });

  it('can report the first layer itself (cifar10_quick\'s std 1e-4 on a normalised input)', async () => {
    const text = caffeHead([2, 3, 32, 32]) + conv('conv1', 'data', 32, 'type: "gaussian" std: 0.0001') + act('ReLU', 'relu1', 'conv1') + conv('conv2', 'conv1', 32, 'type: "msra"') + act('ReLU', 'relu2', 'conv2') + ip('fc', 'conv2', 10, 'type: "xavier"') + loss('fc');
    const { found } = await lint(text, 'prototxt', ID);
    // 3·3·3 = 27 inputs of E[x²] = 1: std sqrt(27) × 1e-4.
    expect(found.map((f) => f.message)).toEqual([
      `'conv1' (weight layer 1 from the input) starts with outputs of estimated standard deviation ${num(Math.sqrt(27) * 1e-4)}: its gaussian std 0.0001 over 27 inputs scales the variance by D·E[w²] = 27 × ${num(1e-8)} = ${num(27e-8)}, of the network input, whose E[x²] is 1;` +
        ' activations this small give near-zero weight gradients (estimated from a normalised input (mean 0, standard deviation 1))',
    ]);
  });

  it('passes a last layer that starts small on purpose (scores near 0)', async () => {
    const text = `nnspec: 1
input { name: data shape: [N, 1000] }
Linear { name: fc1 out: 1000 weight { init: kaiming } }
ReLU { name: relu1 }
Linear { name: score out: 10 weight { init { type: gaussian std: 0.00001 } } }
`;
    expect((await lint(text, 'nnspec', ID)).found).toEqual([]);
  });

  it('follows minStd', async () => {
    const { found } = await lint(mlp(0.01, 8), 'nnspec', ID, { options: { minStd: 0.05 } });
    // sqrt(0.1) ≈ 0.32, then sqrt(0.1 × 0.05) ≈ 0.071, then sqrt(0.1 × 0.05²) ≈ 0.016.
    expect(found.map((f) => f.message.slice(0, 40))).toEqual(["'fc3' (weight layer 3 from the input) st"]);
  });

  it.skipIf(!HAS_CORPUS)("says nothing about CaffeNet's std-0.01 train_val: its biases of 1 and pixel-scale input keep the estimate near 1", async () => {
    const { found, errors } = await lintPath(join(CORPUS, 'BVLC__caffe/bvlc_reference_caffenet__train_val.prototxt'), ID);
    expect(errors).toEqual([]);
    expect(found).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------

describe('init/saturating-activations', () => {
  const ID = 'init/saturating-activations';
  const net = (inputs: number, std: number, fn: 'TanH' | 'Sigmoid', between = '') => `nnspec: 1
input { name: data shape: [N, ${inputs}] }
Linear { name: fc1 out: 100 weight { init { type: gaussian std: ${std} } } bias { init: 0 } }
${between}${fn} { name: act1 }
Linear { name: fc2 out: 10 weight { init: xavier } }
`;
  /** E[f'(Y)] / f'(0) for Y ~ N(0, s²), by a Riemann sum. */
  const slope = (s: number, sigmoid: boolean) => {
    let total = 0;
    let weight = 0;
    for (let z = -10; z <= 10; z += 0.001) {
      const p = Math.exp(-z * z / 2);
      const y = sigmoid ? (s * z) / 2 : s * z;
      total += p * (1 - Math.tanh(y) ** 2);
      weight += p;
    }
    return total / weight;
  };

  it('reports a tanh after a std-1 Gaussian over 500 inputs (pre-activation std sqrt(500))', async () => {
    const text = net(500, 1, 'TanH');
    const { found, errors } = await lint(text, 'nnspec', ID);
    expect(errors).toEqual([]);
    const rms = Math.sqrt(500 * 1 * 1);
    expect(found).toHaveLength(1);
    expect(found[0]!.message).toBe(
      `'act1' starts with inputs from 'fc1' (gaussian std 1) of estimated root mean square ${num(rms)}: tanh is saturated for most of them, its average slope is ${Math.round(slope(rms, false) * 100)}% of its slope at 0, so little gradient passes through it`,
    );
    expect(found[0]!).toMatchObject(at(text, 'TanH { name: act1'));
    expect(found[0]!.severity).toBe('error');
  });

  it('gives the sigmoid twice the room (sigmoid(x) = (1 + tanh(x/2))/2)', async () => {
    // 100 inputs: std 0.5 gives pre-activations of std 5, std 0.7 of std 7.
    expect((await lint(net(100, 0.5, 'TanH'), 'nnspec', ID)).found).toHaveLength(1);
    expect((await lint(net(100, 0.5, 'Sigmoid'), 'nnspec', ID)).found).toEqual([]);
    const { found } = await lint(net(100, 0.7, 'Sigmoid'), 'nnspec', ID);
    expect(found.map((f) => f.message)).toEqual([
      `'act1' starts with inputs from 'fc1' (gaussian std 0.7) of estimated root mean square ${num(7)}: sigmoid is saturated for most of them, its average slope is ${Math.round(slope(7, true) * 100)}% of its slope at 0, so little gradient passes through it`,
    ]);
  });

  it('reports a Caffe TanH after a std-1 InnerProduct, and passes one with BatchNorm or xavier before it', async () => {
    const text = caffeHead([2, 400]) + ip('fc1', 'data', 100, 'type: "gaussian" std: 1') + act('TanH', 'tanh1', 'fc1') + ip('fc2', 'fc1', 10, 'type: "xavier"') + loss('fc2');
    const { found, errors } = await lint(text, 'prototxt', ID);
    expect(errors).toEqual([]);
    expect(found.map((f) => f.message.split(':')[0])).toEqual([`'tanh1' starts with inputs from 'fc1' (gaussian std 1) of estimated root mean square ${num(20)}`]);
    expect(found[0]!).toMatchObject(at(text, 'layer { name: "tanh1"'));
    expect((await lint(net(500, 1, 'TanH', 'BatchNorm { name: bn1 }\n'), 'nnspec', ID)).found).toEqual([]);
    expect((await lint(net(500, 1, 'TanH').replace('init { type: gaussian std: 1 }', 'init: xavier'), 'nnspec', ID)).found).toEqual([]);
  });

  it('follows maxStd', async () => {
    expect((await lint(net(100, 0.5, 'TanH'), 'nnspec', ID, { options: { maxStd: 6 } })).found).toEqual([]);
  });

  it.skipIf(!HAS_CORPUS)("finds the saturated decoder of Caffe's MNIST autoencoder once its input shape is given", async () => {
    const { found } = await lintPath(join(CORPUS, 'BVLC__caffe/mnist_autoencoder.prototxt'), ID, null, { inputShapes: new Map([['data', ['N', 1, 28, 28]]]) });
    // encode4 (no nonlinearity) leaves a 30-wide code of large variance; decode4's sparse std-1 weights multiply it again.
    expect(found.map((f) => f.message.split(' of estimated')[0])).toEqual(["'decode4neuron' starts with inputs from 'decode4' (gaussian std 1 sparse 15)"]);
  });
});

// ---------------------------------------------------------------------------------------------

describe('the init rules on the shipped specs and odd nets', () => {
  const IDS = ['init/constant-weights', 'init/vanishing-activations', 'init/saturating-activations'];

  it('find nothing in specs/ under the recommended preset', async () => {
    const config = await loadConfig(null);
    for (const file of specFiles()) {
      const result = await lintFile(join(ROOT, file), config);
      expect(result.diagnostics.filter((d) => d.code.startsWith('init/') || d.code === 'lint/rule-failed').map((d) => `${file}: ${d.code}`)).toEqual([]);
    }
    expect(IDS.every((id) => config.rules.has(id))).toBe(true);
  });

  it('never fail on unknown shapes, opaque layers and merges', async () => {
    const text = `name: "odd"
layer { name: "data" type: "Python" top: "data" top: "label" python_param { module: "m" layer: "L" } }
${conv('conv1', 'data', 8, 'type: "gaussian" std: 0.01')}${act('TanH', 'tanh1', 'conv1')}layer { name: "cat" type: "Concat" bottom: "conv1" bottom: "data" top: "cat" }
layer { name: "sum" type: "Eltwise" bottom: "cat" bottom: "cat" top: "sum" eltwise_param { operation: PROD } }
${ip('fc', 'sum', 10, 'type: "constant" value: 0')}${loss('fc')}`;
    for (const id of [...IDS, 'init/relu-init-mismatch']) {
      const sub = join(dir, String(serial++));
      mkdirSync(sub);
      writeFileSync(join(sub, 'net.prototxt'), text);
      const result = await lintFile(join(sub, 'net.prototxt'), await loadConfig(null, { rules: [{ id, level: 'error' }] }));
      expect(result.diagnostics.filter((d) => d.code === 'lint/rule-failed')).toEqual([]);
    }
  });
});
