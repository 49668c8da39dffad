/**
 * The activation rules: each on Caffe and nnspec snippets that must pass and that must fail,
 * checking the rule id, the message, the severity and where it points.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/lint/config.js';
import { lintFile } from '../../src/lint/lint.js';
import { CORPUS, HAS_CORPUS, ROOT, specFiles } from '../helpers.js';
import { at, lintRule as lint, lintRulePath as lintPath } from './rule-kit.js';

const dir = mkdtempSync(join(tmpdir(), 'nnspec-lint-activation-'));
let serial = 0;

const caffeHead = (dims: number[]) => `name: "t"
layer { name: "data" type: "Input" top: "data" top: "label" input_param { shape { ${dims.map((d) => `dim: ${d}`).join(' ')} } shape { dim: ${dims[0]} } } }
`;
const ip = (name: string, bottom: string, out: number) =>
  `layer { name: "${name}" type: "InnerProduct" bottom: "${bottom}" top: "${name}" inner_product_param { num_output: ${out} weight_filler { type: "xavier" } } }\n`;
const conv = (name: string, bottom: string, out: number) =>
  `layer { name: "${name}" type: "Convolution" bottom: "${bottom}" top: "${name}" convolution_param { num_output: ${out} kernel_size: 3 pad: 1 weight_filler { type: "xavier" } } }\n`;
const act = (type: string, name: string, blob: string) => `layer { name: "${name}" type: "${type}" bottom: "${blob}" top: "${blob}" }\n`;
const loss = (bottom: string) => `layer { name: "loss" type: "SoftmaxWithLoss" bottom: "${bottom}" bottom: "label" top: "loss" }\n`;

// ---------------------------------------------------------------------------------------------

describe('activation/saturating-hidden-units', () => {
  const ID = 'activation/saturating-hidden-units';
  const mlp = (hidden: number, fn: string, output = '') => {
    let text = `nnspec: 1
input { name: data shape: [N, 64] }
`;
    for (let i = 1; i <= hidden; i++) text += `Linear { name: fc${i} out: 64 }\n${fn} { name: h${i} }\n`;
    return `${text}Linear { name: out out: 10 }\n${output}`;
  };

  it('reports every hidden sigmoid once a net has 3, with the (1/4)^n bound', async () => {
    const text = mlp(3, 'Sigmoid');
    const { found, errors } = await lint(text, 'nnspec', ID);
    expect(errors).toEqual([]);
    const bound = (0.25 ** 3).toExponential(0);
    expect(found.map((f) => f.message)).toEqual(
      [1, 2, 3].map(
        (i) =>
          `'h${i}' is one of 3 hidden sigmoid/tanh layers in this net: sigmoid is flat away from 0 (its slope is at most 1/4), so the gradient shrinks at every such layer on its way to the first layers, by up to (1/4)^3 ≈ ${bound} over all of them`,
      ),
    );
    expect(found[1]!).toMatchObject(at(text, 'Sigmoid { name: h2'));
    expect(found[1]!.severity).toBe('error');
    expect(found[1]!.hint).toMatch(/^use ReLU \(or LeakyReLU \/ PReLU \/ ELU \/ GELU\)/);
  });

  it('reports Caffe TanH layers at the layer, and is a warning under the recommended preset', async () => {
    let text = caffeHead([2, 32]);
    let bottom = 'data';
    for (let i = 1; i <= 3; i++) {
      text += ip(`fc${i}`, bottom, 32) + act('TanH', `tanh${i}`, `fc${i}`);
      bottom = `fc${i}`;
    }
    text += ip('out', bottom, 10) + loss('out');
    const { found, errors } = await lint(text, 'prototxt', ID, { recommended: true });
    expect(errors).toEqual([]);
    expect(found.map((f) => f.severity)).toEqual(['warning', 'warning', 'warning']);
    expect(found[0]!.message).toBe(
      "'tanh1' is one of 3 hidden sigmoid/tanh layers in this net: tanh is flat away from 0 (its slope is at most 1 and below 0.42 once |x| > 1), so the gradient shrinks at every such layer on its way to the first layers",
    );
    // tanh′(1) = 1 − tanh²(1):
    expect(1 - Math.tanh(1) ** 2).toBeCloseTo(0.42, 2);
    expect(found[0]!).toMatchObject(at(text, 'layer { name: "tanh1"'));
    expect(found[0]!.hint).toMatch(/^use ReLU \(or PReLU \/ ELU\)/);
  });

  it('passes two hidden sigmoids, and a sigmoid output layer', async () => {
    expect((await lint(mlp(2, 'Sigmoid'), 'nnspec', ID)).found).toEqual([]);
    // Two hidden ones plus one on the output: the output is not counted.
    expect((await lint(mlp(2, 'TanH', 'Sigmoid { name: prob }\n'), 'nnspec', ID)).found).toEqual([]);
  });

  it('passes gates (sigmoid weights multiplied into features) and sigmoids with BatchNorm before them', async () => {
    let text = caffeHead([2, 8, 8, 8]);
    let bottom = 'data';
    for (let i = 1; i <= 3; i++) {
      text +=
        conv(`conv${i}`, bottom, 8) +
        conv(`gate${i}`, `conv${i}`, 8) +
        act('Sigmoid', `sig${i}`, `gate${i}`) +
        `layer { name: "mul${i}" type: "Eltwise" bottom: "conv${i}" bottom: "gate${i}" top: "mul${i}" eltwise_param { operation: PROD } }\n`;
      bottom = `mul${i}`;
    }
    text += ip('out', bottom, 10) + loss('out');
    const gated = await lint(text, 'prototxt', ID);
    expect(gated.errors).toEqual([]);
    expect(gated.found).toEqual([]);
    expect((await lint(mlp(4, 'BatchNorm { name: bn }\nSigmoid').replace(/BatchNorm \{ name: bn \}\nSigmoid \{ name: (h\d) \}/g, 'BatchNorm { name: bn_$1 }\nSigmoid { name: $1 }'), 'nnspec', ID)).found).toEqual([]);
  });

  it('follows minLayers', async () => {
    expect((await lint(mlp(2, 'Sigmoid'), 'nnspec', ID, { options: { minLayers: 2 } })).found).toHaveLength(2);
  });

  it.skipIf(!HAS_CORPUS)("reports the six hidden sigmoids of Caffe's MNIST autoencoder, and not the sigmoid+BatchNorm CIFAR-10 net", async () => {
    const auto = await lintPath(join(CORPUS, 'BVLC__caffe/mnist_autoencoder.prototxt'), ID);
    expect(auto.found.map((f) => f.message.split(' is one of')[0])).toEqual(["'encode1neuron'", "'encode2neuron'", "'encode3neuron'", "'decode4neuron'", "'decode3neuron'", "'decode2neuron'"]);
    expect((await lintPath(join(CORPUS, 'BVLC__caffe/cifar10_full_sigmoid_train_test_bn.prototxt'), ID)).found).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------

describe('activation/selu-setup', () => {
  const ID = 'activation/selu-setup';
  const net = (init: string, between = '', after = '') => `nnspec: 1
input { name: data shape: [N, 100] }
Linear { name: fc1 out: 100${init ? ` weight { init: ${init} }` : ''} }
${between}SELU { name: act1 }
${after}Linear { name: fc2 out: 10 weight { init: lecun } }
`;

  it('passes LeCun-normal weights straight into SELU', async () => {
    expect((await lint(net('lecun'), 'nnspec', ID)).found).toEqual([]);
  });

  it("reports He and PyTorch's default initialisation by their Σw² (fan_in × variance)", async () => {
    const he = net('kaiming');
    const { found, errors } = await lint(he, 'nnspec', ID);
    expect(errors).toEqual([]);
    // He: variance 2/fan_in, over fan_in inputs: Σw² ≈ 2.
    expect(found.map((f) => f.message)).toEqual([
      "'fc1' feeds SELU 'act1' with He/MSRA (variance 2/fan_in), so each unit's weights start with Σw² ≈ 2: SELU self-normalises around mean 0 and variance 1 only when Σw² ≈ 1 (variance 1/fan_in, LeCun normal)",
    ]);
    expect(found[0]!.text).toBe('init: kaiming');
    expect(found[0]!).toMatchObject(at(he, 'init: kaiming'));
    expect(found[0]!.hint).toBe('use init: lecun (normal, variance 1/fan_in)');
    // PyTorch's default: U(±1/sqrt(fan_in)), variance 1/(3·fan_in): Σw² ≈ 1/3.
    const torch = await lint(net(''), 'nnspec', ID);
    expect(torch.found.map((f) => f.message.split(':')[0])).toEqual([`'fc1' feeds SELU 'act1' with PyTorch's default (variance 1/(3·fan_in)), so each unit's weights start with Σw² ≈ ${Number((1 / 3).toPrecision(3))}`]);
    expect(torch.found[0]!).toMatchObject(at(net(''), 'Linear { name: fc1'));
    // A fixed Gaussian sized for this fan-in (std 0.1 over 100 inputs: Σw² = 100 × 0.01 = 1) is fine.
    expect((await lint(net('{ type: gaussian std: 0.1 }'), 'nnspec', ID)).found).toEqual([]);
  });

  it('reports standard dropout after a SELU at its drop_prob', async () => {
    const text = net('lecun', '', 'Dropout { name: drop1 drop_prob: 0.1 }\n');
    const { found } = await lint(text, 'nnspec', ID);
    expect(found.map((f) => f.message)).toEqual([
      "'drop1' applies standard dropout to the output of SELU 'act1': zeroing units and scaling the rest by 1/(1 − 0.1) moves the mean and variance that SELU keeps at 0 and 1 (self-normalising nets use alpha dropout)",
    ]);
    expect(found[0]!.text).toBe('drop_prob: 0.1');
    expect(found[0]!).toMatchObject(at(text, 'drop_prob: 0.1'));
  });

  it('reports BatchNorm between the layer and its SELU (and not the init it makes irrelevant), as a warning under recommended', async () => {
    const text = net('kaiming', 'BatchNorm { name: bn1 }\n');
    const { found } = await lint(text, 'nnspec', ID, { recommended: true });
    expect(found.map((f) => [f.severity, f.message])).toEqual([
      ['warning', "'bn1' normalises the input of SELU 'act1': SELU keeps mean 0 and variance 1 by itself, so with BatchNorm its self-normalising property goes unused"],
    ]);
    expect(found[0]!).toMatchObject(at(text, 'BatchNorm { name: bn1'));
  });
});

// ---------------------------------------------------------------------------------------------

describe('activation/activation-before-loss', () => {
  const ID = 'activation/activation-before-loss';
  const caffe = (classes: number, type: string, lossType = 'SoftmaxWithLoss', extra = '') => `name: "t"
layer { name: "data" type: "Input" top: "data" top: "label" input_param { shape { dim: 2 dim: 100 } shape { dim: 2 dim: ${lossType === 'SoftmaxWithLoss' ? 1 : classes} } } }
layer { name: "fc" type: "InnerProduct" bottom: "data" top: "fc" inner_product_param { num_output: ${classes} weight_filler { type: "xavier" } } }
layer { name: "act" type: "${type}" bottom: "fc" top: "fc"${extra} }
layer { name: "loss" type: "${lossType}" bottom: "fc" bottom: "label" top: "loss" }
`;

  it('reports a sigmoid before SoftmaxWithLoss with the probability and loss floor it imposes', async () => {
    const text = caffe(1000, 'Sigmoid');
    const { found, errors } = await lint(text, 'prototxt', ID);
    expect(errors).toEqual([]);
    // Scores in (0, 1): the best a class can get is e¹ / (e¹ + 999·e⁰).
    const p = Math.E / (Math.E + 999);
    expect(p.toExponential(1)).toBe('2.7e-3');
    expect(found.map((f) => f.message)).toEqual([
      `'act' is a sigmoid, whose outputs lie in (0, 1), and its output goes to 'loss' (softmax cross-entropy), which applies its own softmax to raw scores: with 1000 classes the largest probability it can reach is 2.7e-3, so the loss never falls below ${(-Math.log(p)).toPrecision(3)}`,
    ]);
    expect(found[0]!).toMatchObject(at(text, 'layer { name: "act"'));
    expect(found[0]!.severity).toBe('error');
    expect(found[0]!.hint).toBe('feed the scores to the loss directly (keep the Sigmoid only for deployment, on a separate branch)');
  });

  it('reports a ReLU on the scores of a softmax loss (no gradient below 0), and of a sigmoid loss (probabilities ≥ 0.5)', async () => {
    const soft = await lint(caffe(10, 'ReLU'), 'prototxt', ID);
    expect(soft.found.map((f) => f.message)).toEqual([
      "'act' is a ReLU, whose outputs are never negative, and its output goes to 'loss' (softmax cross-entropy), which applies its own softmax to raw scores: a score clamped to 0 passes no gradient, so classes can only be pushed up, and a class stuck at 0 stops learning",
    ]);
    const sig = await lint(caffe(10, 'ReLU', 'SigmoidCrossEntropyLoss'), 'prototxt', ID);
    expect(sig.errors).toEqual([]);
    expect(sig.found.map((f) => f.message.split(': ')[1])).toEqual(["the loss's own sigmoid then gives probabilities of at least 0.5, so it can never predict a label as absent"]);
    const twice = await lint(caffe(10, 'Sigmoid', 'SigmoidCrossEntropyLoss'), 'prototxt', ID);
    expect(twice.found.map((f) => f.message.split(': ')[1])).toEqual([`the loss's own sigmoid then gives probabilities of at least 0.5 and at most ${(1 / (1 + Math.exp(-1))).toPrecision(3)}, so it can never predict a label as absent`]);
  });

  it('reports an nnspec net that ends in Softmax while its train section applies softmax cross-entropy', async () => {
    const text = `nnspec: 1
input { name: data shape: [N, 100] }
Linear { name: fc1 out: 10 }
Softmax { name: prob }
train { solver { type: sgd lr: 0.01 } epochs: 1 batch_size: 8 loss: softmax_cross_entropy }
`;
    const { found, errors } = await lint(text, 'nnspec', ID, { recommended: true });
    expect(errors).toEqual([]);
    const p = Math.E / (Math.E + 9);
    expect(found.map((f) => [f.severity, f.message])).toEqual([
      [
        'warning',
        `'prob' is a softmax, whose outputs are probabilities in (0, 1), and its output goes to the softmax cross-entropy loss of the train section, which applies its own softmax to raw scores: with 10 classes the largest probability it can reach is ${p.toPrecision(3)}, so the loss never falls below ${(-Math.log(p)).toPrecision(3)}`,
      ],
    ]);
    expect(found[0]!).toMatchObject(at(text, 'Softmax { name: prob'));
    // Without a train section the Softmax is the deployed output: nothing to say.
    expect((await lint(text.replace(/train \{.*\}\n/, ''), 'nnspec', ID)).found).toEqual([]);
  });

  it('passes raw scores into the loss with a Softmax beside it for deployment, and a sigmoid before a Euclidean loss', async () => {
    const text = `name: "t"
layer { name: "data" type: "Input" top: "data" top: "label" input_param { shape { dim: 2 dim: 100 } shape { dim: 2 } } }
layer { name: "fc" type: "InnerProduct" bottom: "data" top: "fc" inner_product_param { num_output: 10 weight_filler { type: "xavier" } } }
layer { name: "prob" type: "Softmax" bottom: "fc" top: "prob" }
layer { name: "loss" type: "SoftmaxWithLoss" bottom: "fc" bottom: "label" top: "loss" }
`;
    expect((await lint(text, 'prototxt', ID)).found).toEqual([]);
    expect((await lint(caffe(10, 'Sigmoid', 'EuclideanLoss'), 'prototxt', ID)).found).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------

describe('the activation rules on the shipped specs and odd nets', () => {
  it('find nothing in specs/ under the recommended preset', async () => {
    const config = await loadConfig(null);
    for (const file of specFiles()) {
      const result = await lintFile(join(ROOT, file), config);
      expect(result.diagnostics.filter((d) => d.code.startsWith('activation/') || d.code === 'lint/rule-failed').map((d) => `${file}: ${d.code}`)).toEqual([]);
    }
  });

  it('never fail on cycles of in-place layers, opaque layers and dangling inputs', async () => {
    const text = `name: "odd"
layer { name: "data" type: "Python" top: "data" python_param { module: "m" layer: "L" } }
layer { name: "s" type: "Sigmoid" bottom: "data" top: "data" }
layer { name: "t" type: "TanH" bottom: "missing" top: "t" }
layer { name: "x" type: "Python" bottom: "data" bottom: "t" top: "x" python_param { module: "m" layer: "M" } }
layer { name: "s2" type: "Sigmoid" bottom: "x" top: "x" }
`;
    for (const id of ['activation/saturating-hidden-units', 'activation/selu-setup', 'activation/activation-before-loss']) {
      const sub = join(dir, String(serial++));
      mkdirSync(sub);
      writeFileSync(join(sub, 'net.prototxt'), text);
      const result = await lintFile(join(sub, 'net.prototxt'), await loadConfig(null, { rules: [{ id, level: 'error' }] }));
      expect(result.diagnostics.filter((d) => d.code === 'lint/rule-failed')).toEqual([]);
    }
  });
});
