/**
 * The nnspec language: chains, scoped names, blocks with arguments, seq/repeat/when,
 * defaults, initialisers and the train section — and the messages its mistakes get.
 */
import { describe, expect, it } from 'vitest';
import { compileText } from '../../src/compile.js';
import type { Node } from '../../src/ir/graph.js';

async function bind(body: string, header = 'nnspec: 1\nname: t\ninput { name: x shape: [N, 3, 32, 32] }\n') {
  const r = await compileText('t.nnspec', header + body, { keepNodes: true });
  const nodes = r.model.graph?.nodes ?? [];
  return { r, nodes, codes: r.diagnostics.map((d) => d.code), messages: r.diagnostics.map((d) => d.message), byName: (n: string) => nodes.find((x) => x.name === n) as Node };
}

describe('chains and names', () => {
  it('feeds each layer the previous output and names unnamed layers by type', async () => {
    const { nodes, codes } = await bind('Conv { out: 8 kernel: 3 }\nReLU { }\nConv { out: 8 kernel: 3 }\nReLU { }');
    expect(codes).toEqual([]);
    expect(nodes.map((n) => [n.name, n.inputs[0]])).toEqual([
      ['x', undefined],
      ['conv1', 'x'],
      ['relu1', 'conv1'],
      ['conv2', 'relu1'],
      ['relu2', 'conv2'],
    ]);
  });

  it('names the entries of a seq by index, as PyTorch names Sequential children', async () => {
    const { nodes } = await bind('seq { name: features Conv { out: 8 kernel: 3 } ReLU { } seq { Conv { out: 8 kernel: 1 } } }\nLinear { name: fc out: 10 }');
    expect(nodes.map((n) => n.name)).toEqual(['x', 'features.0', 'features.1', 'features.2.0', 'fc']);
    expect(nodes.at(-1)!.inputs).toEqual(['features.2.0']);
  });

  it('resolves explicit bottoms and tops, with in-place writes', async () => {
    const { nodes, codes } = await bind('Conv { name: a out: 8 kernel: 3 }\nConv { name: b out: 8 kernel: 3 bottom: x }\nConcat { name: cat bottom: [a, b] }\nReLU { name: r top: cat }');
    expect(codes).toEqual([]);
    expect(nodes.find((n) => n.name === 'cat')!.inputs).toEqual(['a', 'b']);
    expect(nodes.find((n) => n.name === 'r')).toMatchObject({ inputs: ['cat'], outputs: ['cat'] });
  });

  it('reports unknown blobs, duplicate names and unknown layer types helpfully', async () => {
    const { diags } = { diags: (await bind('Conv { name: a out: 8 kernel: 3 }\nReLU { name: a }\nLinear { out: 2 bottom: x1 }\nConvolution { }\nBatchNorm2d { }')).r.diagnostics };
    expect(diags.map((d) => [d.code, d.message, d.hint])).toEqual([
      ['nnspec/duplicate-name', "'a' is already used in this scope", undefined],
      ['nnspec/unknown-blob', "no blob named 'x1' is defined before this point", "did you mean 'x'?"],
      ['nnspec/unknown-layer-type', "'Convolution' is not a layer type or a block", "nnspec calls it 'Conv'"],
      ['nnspec/unknown-layer-type', "'BatchNorm2d' is not a layer type or a block", "nnspec calls it 'BatchNorm'"],
    ]);
  });
});

const RESIDUAL = `block {
  name: Res
  args { planes: required stride: 1 project: false }
  Conv { name: conv1 out: $planes kernel: 3 stride: $stride pad: 1 bias: false }
  BatchNorm { name: bn1 }
  ReLU { name: relu }
  Conv { name: conv2 out: $planes * 1 kernel: 3 pad: 1 bias: false }
  seq { name: shortcut bottom: input when: $project Conv { out: $planes kernel: 1 stride: $stride bias: false } }
  Add { name: add bottom: [conv2, shortcut] }
}
`;

describe('blocks', () => {
  it('instantiates blocks with their arguments under scoped names', async () => {
    const { nodes, codes, byName } = await bind(`${RESIDUAL}seq { name: layer1 Res { planes: 16 project: true stride: 2 } Res { planes: 16 repeat: 2 } }`);
    expect(codes).toEqual([]);
    expect(nodes.map((n) => n.name)).toContain('layer1.0.shortcut.0');
    expect(nodes.map((n) => n.name)).toContain('layer1.2.add');
    expect(byName('layer1.0.conv1').attrs).toMatchObject({ num_output: 16, stride: [2, 2] });
    expect(byName('layer1.0.add').inputs).toEqual(['layer1.0.conv2', 'layer1.0.shortcut.0']);
    // Without the projection the shortcut is the block's input itself.
    expect(byName('layer1.1.add').inputs).toEqual(['layer1.1.conv2', 'layer1.0.add']);
    expect(byName('layer1.2.conv1').inputs).toEqual(['layer1.1.add']);
    expect(byName('layer1.1.conv1').instantiated_at).toHaveLength(1);
  });

  it('repeats a named entry outside a seq as an implicit seq of that name', async () => {
    const { nodes, codes } = await bind(`${RESIDUAL}seq { name: stem Conv { out: 16 kernel: 3 } }\nRes { name: blocks planes: 16 repeat: 3 }\nConv { name: c out: 4 kernel: 3 repeat: 2 }`);
    expect(codes).toEqual([]);
    const adds = nodes.filter((n) => n.name.endsWith('.add'));
    expect(adds.map((n) => n.name)).toEqual(['blocks.0.add', 'blocks.1.add', 'blocks.2.add']);
    expect(nodes.find((n) => n.name === 'blocks.0.conv1')!.inputs).toEqual(['stem.0']);
    expect(nodes.find((n) => n.name === 'c.1')!.inputs).toEqual(['c.0']);
    expect(nodes.find((n) => n.name === 'c.0')!.inputs).toEqual(['blocks.2.add']);
  });

  it('reports missing and unknown arguments, with the instantiation site', async () => {
    const { r } = await bind(`${RESIDUAL}Res { plains: 3 }`);
    const d = r.diagnostics.map((x) => [x.code, x.message, x.hint]);
    expect(d).toContainEqual(['nnspec/unknown-argument', "block 'Res' has no argument 'plains'", "did you mean 'planes'?"]);
    expect(d).toContainEqual(['nnspec/missing-argument', "block 'Res' needs the argument 'planes'", undefined]);
  });

  it('reports errors inside a block once, with where it was instantiated', async () => {
    const { r } = await bind('block { name: B args { n: required } Conv { out: $m kernel: 3 } }\nB { n: 1 }\nB { n: 2 }');
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0]!.message).toBe("block 'B' has no argument '$m'");
    expect(r.diagnostics[0]!.related?.[0]?.message).toBe("in block 'B' instantiated here");
  });

  it('refuses recursive blocks and block names that shadow layer types', async () => {
    expect((await bind('block { name: A A { } }\nA { }')).codes).toContain('nnspec/recursive-block');
    expect((await bind('block { name: Conv ReLU { } }')).codes).toContain('nnspec/reserved-name');
  });

  it('evaluates arithmetic on arguments, keeping integers integral', async () => {
    const { byName, codes } = await bind('block { name: B args { w: 3 } Conv { name: c out: ($w + 1) * 4 / 2 kernel: 1 } }\nB { name: b }');
    expect(codes).toEqual([]);
    expect(byName('b.c').attrs).toMatchObject({ num_output: 8 });
    expect((await bind('block { name: B args { w: 3 } Conv { out: $w / 2 kernel: 1 } }\nB { }')).codes).toContain('nnspec/type-mismatch');
  });
});

describe('layer fields', () => {
  it('fills fields from defaults, merging parameter blocks', async () => {
    const { byName, codes } = await bind('defaults { Conv { weight { init: kaiming } bias { lr_mult: 2 } } MaxPool { round: ceil } }\nConv { name: c out: 4 kernel: 3 bias { init: 0.1 } }\nMaxPool { name: p kernel: 2 stride: 2 }');
    expect(codes).toEqual([]);
    expect(byName('c').params.map((p) => [p.name, p.init, p.lr_mult])).toEqual([
      ['weight', { type: 'variance_scaling', distribution: 'normal', mode: 'fan_in', scale: 2, fan_of: 'self' }, 1],
      ['bias', { type: 'constant', value: 0.1 }, 2],
    ]);
    expect(byName('p').attrs).toMatchObject({ rounding: 'ceil' });
  });

  it('replaces, not merges, an init chosen by type', async () => {
    const { byName, codes } = await bind('defaults { Conv { weight { init { type: xavier mode: fan_in } lr_mult: 3 } } }\nConv { name: c out: 4 kernel: 3 weight { init { type: gaussian std: 0.01 } } }');
    expect(codes).toEqual([]);
    expect(byName('c').params[0]).toMatchObject({ init: { type: 'normal', std: 0.01 }, lr_mult: 3 });
  });

  it('asks pooling for its stride and rounding, the two conventions frameworks disagree on', async () => {
    const { messages } = await bind('MaxPool { kernel: 2 }');
    expect(messages[0]).toMatch(/pooling needs 'stride': Caffe defaults it to 1 and PyTorch to the kernel size/);
    expect((await bind('MaxPool { kernel: 2 stride: 2 }')).messages[0]).toMatch(/pooling needs 'round: floor \| ceil \| caffe'/);
    expect((await bind('AvgPool { name: g global: true }\nAvgPool { name: a bottom: x output: [3, 4] }')).byName('a').attrs).toEqual({ mode: 'avg', output_size: [3, 4] });
  });

  it('names dropout’s probability unambiguously', async () => {
    const { r } = await bind('Dropout { p: 0.5 }\nDropout { keep_prob: 0.8 }');
    expect(r.diagnostics.map((d) => d.hint)).toEqual([
      "'p' is ambiguous (PyTorch's p drops, the lecture's p keeps): write drop_prob, the probability of dropping a unit",
      'write drop_prob: 1 − keep_prob (nnspec states the probability of dropping a unit)',
    ]);
    expect((await bind('Dropout { name: d drop_prob: 0.2 }')).byName('d').attrs).toEqual({ drop_prob: 0.2, scale_train: true });
  });

  it('expresses asymmetric padding, dilation and groups', async () => {
    const { byName, codes } = await bind('Conv { name: c out: 6 kernel: [3, 5] pad_begin: [0, 1] pad_end: [1, 2] dilation: 2 groups: 3 }');
    expect(codes).toEqual([]);
    expect(byName('c').attrs).toMatchObject({ kernel: [3, 5], pad_begin: [0, 1], pad_end: [1, 2], dilation: [2, 2], groups: 3 });
    expect((await bind('Conv { out: 6 kernel: 3 pad: 1 pad_begin: [0, 0] pad_end: [1, 1] }')).codes).toContain('nnspec/conflicting-fields');
  });

  it('reads initialisers by name and in full', async () => {
    const init = async (spec: string) => (await bind(`Linear { name: l out: 2 weight { init: ${spec} } }`)).byName('l').params[0]!.init;
    expect(await init('xavier')).toEqual({ type: 'variance_scaling', distribution: 'uniform', mode: 'fan_avg', scale: 1, fan_of: 'self' });
    expect(await init('{ type: kaiming nonlinearity: tanh mode: fan_out }')).toMatchObject({ mode: 'fan_out', scale: 25 / 9 });
    // Exactly Caffe's msra with variance_norm FAN_OUT (squaring √2 in floating point would give 2.0000000000000004).
    expect(await init('{ type: kaiming mode: fan_out }')).toEqual({ type: 'variance_scaling', distribution: 'normal', mode: 'fan_out', scale: 2, fan_of: 'self' });
    expect(await init('{ type: kaiming nonlinearity: leaky_relu a: 0.2 }')).toMatchObject({ scale: 2 / (1 + 0.04) });
    expect(await init('{ type: gaussian std: 0.01 }')).toEqual({ type: 'normal', mean: 0, std: 0.01, sparse: -1 });
    expect(await init('0.5')).toEqual({ type: 'constant', value: 0.5 });
    const defaulted = (await bind('Linear { name: l out: 2 }')).byName('l').params;
    expect(defaulted.map((p) => p.init)).toEqual([
      { type: 'variance_scaling', distribution: 'uniform', mode: 'fan_in', scale: 1 / 3, fan_of: 'self' },
      { type: 'variance_scaling', distribution: 'uniform', mode: 'fan_in', scale: 1 / 3, fan_of: 'weight' },
    ]);
    expect((await bind('Linear { out: 2 weight { init: gaussian } }')).codes).toEqual(['nnspec/incomplete-init']);
  });
});

describe('the train section', () => {
  it('binds a full training setup', async () => {
    const { r, codes } = await bind(`Linear { out: 10 }
train {
  solver { type: adamw lr: 1e-3 }
  weight_decay { l2: 0.05 l1: 1e-5 }
  lr_schedule { policy: cosine warmup { length: 5 start_factor: 0.01 } }
  epochs: 100
  batch_size: 128
  validation { split: 0.1 }
  early_stopping { metric: val_loss patience: 10 }
  augment {
    random_crop { size: 32 padding: 4 }
    hflip: 0.5
    cutout { size: 8 }
    autoaugment { subpolicy { op { type: Rotate p: 0.7 magnitude: 2 } op { type: Color p: 0.3 magnitude: 9 } } }
  }
}`);
    expect(codes).toEqual([]);
    expect(r.model.train).toMatchObject({
      solver: { type: 'adamw', base_lr: 1e-3, momentum: 0.9, beta2: 0.999 },
      regularization: { l2: 0.05, l1: 1e-5 },
      lr_schedule: { policy: 'cosine', warmup: { length: 5, unit: 'epoch', start_factor: 0.01 } },
      epochs: 100,
      early_stopping: { metric: 'val_loss', mode: 'min', patience: 10 },
    });
    expect(r.model.train!.augmentation.map((a) => a.op)).toEqual(['random_crop', 'hflip', 'cutout', 'autoaugment']);
  });

  it('reports what a schedule or solver is missing', async () => {
    const { codes, messages } = await bind('Linear { out: 10 }\ntrain { solver { type: sgd } lr_schedule { policy: step } epochs: 1 iterations: 10 }');
    expect(codes.sort()).toEqual(['nnspec/conflicting-fields', 'nnspec/missing-field', 'nnspec/missing-field']);
    expect(messages).toContain("the 'step' schedule needs step_size");
  });
});
