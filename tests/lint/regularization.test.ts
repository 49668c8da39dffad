/**
 * The regularization rules: each on Caffe and nnspec snippets that must pass and that must
 * fail, checking the rule id, the message, the severity and where it points.
 */
import { describe, expect, it } from 'vitest';
import { at, lintRule } from './rule-kit.js';

/** Lints `text` with rule `id` at error, with the rule's options if given. */
const lint = (text: string, ext: 'nnspec' | 'prototxt', id: string, options?: Record<string, unknown>) => lintRule(text, ext, id, options ? { options } : {});

const pct = (x: number) => Math.round(x * 100);

// ---------------------------------------------------------------------------------------------

describe('regularization/dropout-keep-probability', () => {
  const ID = 'regularization/dropout-keep-probability';
  const caffe = (ratio: number) => `name: "n"
input: "data"
input_shape { dim: 1 dim: 100 }
layer { name: "fc6" type: "InnerProduct" bottom: "data" top: "fc6" inner_product_param { num_output: 10 } }
layer { name: "drop6" type: "Dropout" bottom: "fc6" top: "fc6" dropout_param { dropout_ratio: ${ratio} } }
`;
  const nnspec = (prob: string) => `nnspec: 1
input { name: data shape: [N, 100] }
Linear { name: fc6 out: 10 }
Dropout { name: drop6 ${prob} }
`;

  it('reports a Caffe dropout_ratio of 0.9 (10% kept) at the ratio', async () => {
    const text = caffe(0.9);
    const { found, errors } = await lint(text, 'prototxt', ID);
    expect(errors).toEqual([]);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      severity: 'error',
      text: 'dropout_ratio: 0.9',
      ...at(text, 'dropout_ratio'),
      message: `'drop6' drops ${pct(0.9)}% of its units (drop probability 0.9) and keeps only ${pct(1 - 0.9)}%; this looks like a keep probability`,
    });
    expect(found[0]!.hint).toContain('dropout_ratio: 0.1');
  });

  it('reports an nnspec drop_prob at the threshold (0.8)', async () => {
    const text = nnspec('drop_prob: 0.8');
    const { found, errors } = await lint(text, 'nnspec', ID);
    expect(errors).toEqual([]);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ text: 'drop_prob: 0.8', ...at(text, 'drop_prob'), message: `'drop6' drops ${pct(0.8)}% of its units (drop probability 0.8) and keeps only ${pct(1 - 0.8)}%; this looks like a keep probability` });
    expect(found[0]!.hint).toContain('drop_prob: 0.2');
  });

  it('passes ordinary drop probabilities', async () => {
    for (const r of [0.5, 0.2, 0.79]) expect((await lint(caffe(r), 'prototxt', ID)).found).toEqual([]);
    expect((await lint(nnspec(''), 'nnspec', ID)).found).toEqual([]); // default 0.5
    expect((await lint(nnspec('drop_prob: 0.5'), 'nnspec', ID)).found).toEqual([]);
  });

  it('takes its threshold from the options', async () => {
    expect((await lint(caffe(0.9), 'prototxt', ID, { threshold: 0.95 })).found).toEqual([]);
    expect((await lint(caffe(0.7), 'prototxt', ID, { threshold: 0.6 })).found).toHaveLength(1);
  });
});

// ---------------------------------------------------------------------------------------------

describe('regularization/dropout-before-batchnorm', () => {
  const ID = 'regularization/dropout-before-batchnorm';
  const nnspec = (middle: string) => `nnspec: 1
input { name: data shape: [N, 3, 8, 8] mean: [0.5] std: [0.25] }
Conv { name: conv1 out: 4 kernel: 3 }
${middle}
`;

  it('reports dropout feeding BatchNorm (nnspec) at its drop_prob', async () => {
    const text = nnspec('Dropout { name: drop1 drop_prob: 0.3 }\nBatchNorm { name: bn1 }');
    const { found, errors } = await lint(text, 'nnspec', ID);
    expect(errors).toEqual([]);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      severity: 'error',
      text: 'drop_prob: 0.3',
      ...at(text, 'drop_prob'),
      message: "'drop1' (drop probability 0.3) feeds BatchNorm 'bn1', whose running variance is learnt from dropped-out values and is wrong in inference, where dropout is off",
    });
  });

  it('follows activations between them, and points at the layer when drop_prob is not written', async () => {
    const text = nnspec('Dropout { name: drop1 }\nReLU { name: r }\nBatchNorm { name: bn1 }');
    const { found } = await lint(text, 'nnspec', ID);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ ...at(text, 'Dropout {'), message: expect.stringContaining("'drop1' (drop probability 0.5) feeds BatchNorm 'bn1'") });
  });

  it('reports an in-place Caffe dropout read by BatchNorm', async () => {
    const text = `name: "n"
input: "data"
input_shape { dim: 1 dim: 3 dim: 8 dim: 8 }
layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1" convolution_param { num_output: 4 kernel_size: 3 } }
layer { name: "drop1" type: "Dropout" bottom: "conv1" top: "conv1" dropout_param { dropout_ratio: 0.2 } }
layer { name: "bn1" type: "BatchNorm" bottom: "conv1" top: "conv1" }
`;
    const { found, errors } = await lint(text, 'prototxt', ID);
    expect(errors).toEqual([]);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ text: 'dropout_ratio: 0.2', ...at(text, 'dropout_ratio'), message: expect.stringContaining("'drop1' (drop probability 0.2) feeds BatchNorm 'bn1'") });
  });

  it('passes dropout after the last BatchNorm, and BatchNorm that always uses batch statistics', async () => {
    expect((await lint(nnspec('BatchNorm { name: bn1 }\nReLU { name: r }\nDropout { name: drop1 }\nLinear { name: fc out: 10 }'), 'nnspec', ID)).found).toEqual([]);
    expect((await lint(nnspec('Dropout { name: drop1 }\nBatchNorm { name: bn1 statistics: batch }'), 'nnspec', ID)).found).toEqual([]);
    // A convolution in between: the rule is about dropout immediately before BatchNorm.
    expect((await lint(nnspec('Dropout { name: drop1 }\nConv { name: conv2 out: 4 kernel: 1 }\nBatchNorm { name: bn1 }'), 'nnspec', ID)).found).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------

describe('regularization/unregularized-fully-connected', () => {
  const ID = 'regularization/unregularized-fully-connected';
  // fc6: 9216 inputs × 4096 outputs + 4096 biases, as AlexNet's.
  const FC6 = 9216 * 4096 + 4096;
  const nnspec = (opts: { decay?: string; between?: string; fc6?: string; train?: boolean } = {}) => `nnspec: 1
input { name: data shape: [N, 9216] }
Linear { name: fc6 out: 4096 ${opts.fc6 ?? ''}}
ReLU { name: relu6 }
${opts.between ?? ''}
Linear { name: fc7 out: 10 }
${
  opts.train === false
    ? ''
    : `train {
  solver { type: sgd lr: 0.01 momentum: 0.9 }
  ${opts.decay ?? ''}
  epochs: 10
  validation { split: 0.1 }
}`
}
`;

  it('reports a large layer with neither dropout nor weight decay (nnspec), at the layer', async () => {
    const text = nnspec();
    const { found, errors } = await lint(text, 'nnspec', ID);
    expect(errors).toEqual([]);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      severity: 'error',
      ...at(text, 'Linear { name: fc6'),
      message: `'fc6' has ${FC6.toLocaleString('en-US')} trainable parameters with no dropout on its input or output, and the training setup has no weight decay; a layer this large overfits without regularisation`,
    });
  });

  it('reports a weight whose decay_mult is 0, at the decay_mult', async () => {
    const text = nnspec({ decay: 'weight_decay: 5e-4', fc6: 'weight { decay_mult: 0 } ' });
    const { found } = await lint(text, 'nnspec', ID);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ text: 'decay_mult: 0', ...at(text, 'decay_mult'), message: expect.stringContaining('and its weight has decay_mult 0;') });
  });

  it('passes with weight decay, with dropout after the activation, with dropout before the layer, or with no training setup', async () => {
    expect((await lint(nnspec({ decay: 'weight_decay: 5e-4' }), 'nnspec', ID)).found).toEqual([]);
    expect((await lint(nnspec({ between: 'Dropout { name: drop6 }' }), 'nnspec', ID)).found).toEqual([]);
    expect((await lint(nnspec({ train: false }), 'nnspec', ID)).found).toEqual([]);
    // fc8 of AlexNet: dropout on its input regularises it.
    const before = `nnspec: 1
input { name: data shape: [N, 4096] }
Dropout { name: drop7 }
Linear { name: fc8 out: 1000 }
train { solver { type: sgd lr: 0.01 } epochs: 1 validation { split: 0.1 } }
`;
    expect((await lint(before, 'nnspec', ID)).found).toEqual([]);
  });

  it('reports a Caffe solver whose embedded net has a large layer and no weight decay', async () => {
    const text = `base_lr: 0.01
lr_policy: "fixed"
max_iter: 1000
test_iter: 10
test_interval: 100
net_param {
  name: "n"
  layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 9216 } } }
  layer { name: "fc6" type: "InnerProduct" bottom: "data" top: "fc6" inner_product_param { num_output: 4096 } }
  layer { name: "relu6" type: "ReLU" bottom: "fc6" top: "fc6" }
  layer { name: "fc7" type: "InnerProduct" bottom: "fc6" top: "fc7" inner_product_param { num_output: 10 } }
}
`;
    const { found, errors } = await lint(text, 'prototxt', ID);
    expect(errors).toEqual([]);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ ...at(text, 'layer { name: "fc6"'), message: expect.stringContaining(`'fc6' has ${FC6.toLocaleString('en-US')} trainable parameters`) });
    // The same solver with weight decay passes; so does the net alone (no training setup to judge).
    expect((await lint(text.replace('max_iter: 1000', 'max_iter: 1000\nweight_decay: 0.0005'), 'prototxt', ID)).found).toEqual([]);
    const net = text.slice(text.indexOf('{') + 1, text.lastIndexOf('}'));
    expect((await lint(net, 'prototxt', ID)).found).toEqual([]);
  });

  it('takes the size threshold from the options', async () => {
    expect((await lint(nnspec(), 'nnspec', ID, { minParams: FC6 + 1 })).found).toEqual([]);
    expect((await lint(nnspec(), 'nnspec', ID, { minParams: FC6 })).found).toHaveLength(1);
  });
});

// ---------------------------------------------------------------------------------------------

describe('regularization/decay-on-bias-or-norm', () => {
  const ID = 'regularization/decay-on-bias-or-norm';
  const nnspec = (layers: string, decay = 'weight_decay: 1e-4') => `nnspec: 1
input { name: data shape: [N, 3, 8, 8] mean: [0.5] std: [0.25] }
${layers}
train { solver { type: sgd lr: 0.1 momentum: 0.9 } ${decay} epochs: 1 validation { split: 0.1 } }
`;

  it('is off in the recommended preset', async () => {
    const { RULES } = await import('../../src/lint/rules/index.js');
    expect(RULES.find((r) => r.meta.id === ID)!.meta.recommended).toBe('off');
  });

  it('reports a decayed convolution bias and BatchNorm γ/β (nnspec)', async () => {
    const text = nnspec('Conv { name: conv1 out: 4 kernel: 3 bias { decay_mult: 1 } }\nBatchNorm { name: bn1 }');
    const { found, errors } = await lint(text, 'nnspec', ID);
    expect(errors).toEqual([]);
    expect(found).toHaveLength(2);
    expect(found[0]).toMatchObject({
      severity: 'error',
      text: 'decay_mult: 1',
      ...at(text, 'decay_mult: 1'),
      message: "'conv1' applies L2 weight decay 0.0001 to its bias (decay_mult 1); decaying it pulls it towards zero without limiting the network's capacity",
    });
    expect(found[1]).toMatchObject({
      ...at(text, 'BatchNorm {'),
      message: "'bn1' applies L2 weight decay 0.0001 to its BatchNorm γ (decay_mult 1) and BatchNorm β (decay_mult 1); decaying them pulls them towards zero without limiting the network's capacity",
    });
  });

  it('passes decay_mult 0 on those blobs, a layer without bias, and a setup without weight decay', async () => {
    const clean = 'Conv { name: conv1 out: 4 kernel: 3 bias { decay_mult: 0 } }\nBatchNorm { name: bn1 weight { decay_mult: 0 } bias { decay_mult: 0 } }\nConv { name: conv2 out: 4 kernel: 1 bias: false }';
    expect((await lint(nnspec(clean), 'nnspec', ID)).found).toEqual([]);
    expect((await lint(nnspec('Conv { name: conv1 out: 4 kernel: 3 }\nBatchNorm { name: bn1 }', ''), 'nnspec', ID)).found).toEqual([]);
  });

  it('reports Caffe biases at their param block, the Scale after BatchNorm and PReLU slopes, in a solver', async () => {
    const text = `base_lr: 0.01
lr_policy: "fixed"
weight_decay: 0.0005
max_iter: 100
test_iter: 1
test_interval: 10
net_param {
  name: "n"
  layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 3 dim: 8 dim: 8 } } }
  layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1" param { lr_mult: 1 } param { lr_mult: 2 } convolution_param { num_output: 4 kernel_size: 3 } }
  layer { name: "conv2" type: "Convolution" bottom: "conv1" top: "conv2" param { lr_mult: 1 } param { lr_mult: 2 decay_mult: 0 } convolution_param { num_output: 4 kernel_size: 1 } }
  layer { name: "bn2" type: "BatchNorm" bottom: "conv2" top: "conv2" param { lr_mult: 0 } param { lr_mult: 0 } param { lr_mult: 0 } }
  layer { name: "scale2" type: "Scale" bottom: "conv2" top: "conv2" scale_param { bias_term: true } }
  layer { name: "prelu2" type: "PReLU" bottom: "conv2" top: "conv2" }
}
`;
    const { found, errors } = await lint(text, 'prototxt', ID);
    expect(errors).toEqual([]);
    expect(found.map((f) => f.message.split(' applies')[0])).toEqual(["'conv1'", "'scale2'", "'prelu2'"]);
    const line = (name: string) => text.split('\n').findIndex((l) => l.includes(`name: "${name}"`)) + 1;
    // conv1: the second param block (the bias's), which writes no decay_mult.
    const conv1 = text.indexOf('name: "conv1"');
    expect(found[0]).toMatchObject({ text: 'param { lr_mult: 2 }', ...at(text, 'param { lr_mult: 2 }', conv1), message: expect.stringContaining('L2 weight decay 0.0005 to its bias (decay_mult 1)') });
    expect(found[1]).toMatchObject({ line: line('scale2'), message: expect.stringContaining('to its BatchNorm γ (Scale) (decay_mult 1) and BatchNorm β (Scale bias) (decay_mult 1)') });
    expect(found[2]).toMatchObject({ line: line('prelu2'), message: expect.stringContaining('to its PReLU slope (decay_mult 1)') });
  });

  it('says nothing about a Caffe net without a solver', async () => {
    const text = `name: "n"
input: "data"
input_shape { dim: 1 dim: 3 dim: 8 dim: 8 }
layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1" convolution_param { num_output: 4 kernel_size: 3 } }
`;
    expect((await lint(text, 'prototxt', ID)).found).toEqual([]);
  });
});
