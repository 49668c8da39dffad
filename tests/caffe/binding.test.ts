/**
 * Caffe semantics, one rule at a time: defaults from caffe.proto (not from the docs), the
 * CHECKs of each layer's setup, the legacy formats, phases, and the net-level blob rules.
 */
import { describe, expect, it } from 'vitest';
import { checkFile, compileText, type CompileOptions } from '../../src/compile.js';
import type { Node, NodeOf } from '../../src/ir/graph.js';
import type { OpName } from '../../src/ir/ops/index.js';

async function bind(text: string, options: CompileOptions = {}) {
  const r = await compileText('test.prototxt', text, { keepNodes: true, ...options });
  const codes = r.diagnostics.map((d) => d.code);
  return { r, nodes: r.model.graph?.nodes ?? [], codes, diags: r.diagnostics };
}

function node<O extends OpName>(nodes: Node[], name: string, op: O): NodeOf<O> {
  const n = nodes.find((x) => x.name === name);
  expect(n?.op).toBe(op);
  return n as NodeOf<O>;
}

const INPUT = 'input: "data" input_shape { dim: 1 dim: 3 dim: 32 dim: 32 }\n';

describe('pooling', () => {
  it('defaults the stride to 1 and rounds up with the clip rule (Caffe), not like PyTorch', async () => {
    const { nodes, codes } = await bind(`${INPUT}layer { name: "p" type: "Pooling" bottom: "data" top: "p" pooling_param { pool: MAX kernel_size: 3 } }`);
    expect(codes).toEqual([]);
    const p = node(nodes, 'p', 'pool');
    expect(p.attrs).toMatchObject({ mode: 'max', kernel: [3, 3], stride: [1, 1], pad_begin: [0, 0], rounding: 'caffe' });
  });

  it('honours round_mode, and the fork field ceil_mode with a warning', async () => {
    const floor = await bind(`${INPUT}layer { name: "p" type: "Pooling" bottom: "data" top: "p" pooling_param { kernel_size: 2 stride: 2 round_mode: FLOOR } }`);
    expect(node(floor.nodes, 'p', 'pool').attrs.rounding).toBe('floor');
    const fork = await bind(`${INPUT}layer { name: "p" type: "Pooling" bottom: "data" top: "p" pooling_param { kernel_size: 2 stride: 2 ceil_mode: false } }`);
    expect(fork.codes).toEqual(['proto/fork-field']);
    expect(node(fork.nodes, 'p', 'pool').attrs.rounding).toBe('floor');
    const both = await bind(`${INPUT}layer { name: "p" type: "Pooling" bottom: "data" top: "p" pooling_param { kernel_size: 2 round_mode: CEIL ceil_mode: true } }`);
    expect(both.codes).toContain('caffe/conflicting-fields');
  });

  it('counts padded cells in the average divisor, and rejects a pad as large as the kernel', async () => {
    const ave = await bind(`${INPUT}layer { name: "p" type: "Pooling" bottom: "data" top: "p" pooling_param { pool: AVE kernel_size: 3 stride: 2 pad: 1 } }`);
    expect(node(ave.nodes, 'p', 'pool').attrs).toMatchObject({ mode: 'avg', count_include_pad: true, pad_begin: [1, 1], pad_end: [1, 1] });
    const bad = await bind(`${INPUT}layer { name: "p" type: "Pooling" bottom: "data" top: "p" pooling_param { kernel_size: 2 pad: 2 } }`);
    expect(bad.codes).toContain('caffe/invalid-value');
  });

  it('binds global pooling and refuses a kernel with it', async () => {
    const g = await bind(`${INPUT}layer { name: "p" type: "Pooling" bottom: "data" top: "p" pooling_param { pool: AVE global_pooling: true } }`);
    expect(node(g.nodes, 'p', 'global_pool').attrs.mode).toBe('avg');
    const bad = await bind(`${INPUT}layer { name: "p" type: "Pooling" bottom: "data" top: "p" pooling_param { global_pooling: true kernel_size: 3 } }`);
    expect(bad.codes).toContain('caffe/conflicting-fields');
  });
});

describe('convolution and fillers', () => {
  it('fills weights with the constant 0 when no weight_filler is given', async () => {
    const { nodes } = await bind(`${INPUT}layer { name: "c" type: "Convolution" bottom: "data" top: "c" convolution_param { num_output: 8 kernel_size: 3 } }`);
    const c = node(nodes, 'c', 'conv');
    expect(c.params.map((p) => [p.name, p.init])).toEqual([
      ['weight', { type: 'constant', value: 0 }],
      ['bias', { type: 'constant', value: 0 }],
    ]);
  });

  it('maps xavier to U(±√(3/fan_in)) and msra to N(0, √(2/fan_in)), with variance_norm', async () => {
    const conv = (filler: string) => `${INPUT}layer { name: "c" type: "Convolution" bottom: "data" top: "c" convolution_param { num_output: 8 kernel_size: 3 weight_filler { ${filler} } } }`;
    const init = async (filler: string) => node((await bind(conv(filler))).nodes, 'c', 'conv').params[0]!.init;
    expect(await init('type: "xavier"')).toEqual({ type: 'variance_scaling', distribution: 'uniform', mode: 'fan_in', scale: 1, fan_of: 'self' });
    expect(await init('type: "msra"')).toEqual({ type: 'variance_scaling', distribution: 'normal', mode: 'fan_in', scale: 2, fan_of: 'self' });
    expect(await init('type: "xavier" variance_norm: AVERAGE')).toMatchObject({ mode: 'fan_avg' });
    expect(await init('type: "gaussian" std: 0.01')).toEqual({ type: 'normal', mean: 0, std: 0.01, sparse: -1 });
    const bad = await bind(conv('type: "he_normal"'));
    expect(bad.codes).toContain('caffe/unknown-filler');
  });

  it('reads kernel_h/kernel_w, groups and dilation, and the CHECKs around them', async () => {
    const ok = await bind(`${INPUT}layer { name: "c" type: "Convolution" bottom: "data" top: "c" convolution_param { num_output: 8 kernel_h: 3 kernel_w: 5 pad_h: 1 pad_w: 2 group: 1 dilation: 2 bias_term: false } }`);
    expect(ok.codes).toEqual([]);
    expect(node(ok.nodes, 'c', 'conv').attrs).toMatchObject({ kernel: [3, 5], pad_begin: [1, 2], pad_end: [1, 2], dilation: [2, 2], bias: false });
    expect(node(ok.nodes, 'c', 'conv').params.map((p) => p.name)).toEqual(['weight']);
    const both = await bind(`${INPUT}layer { name: "c" type: "Convolution" bottom: "data" top: "c" convolution_param { num_output: 8 kernel_size: 3 kernel_h: 3 kernel_w: 3 } }`);
    expect(both.codes).toContain('caffe/conflicting-fields');
    const groups = await bind(`${INPUT}layer { name: "c" type: "Convolution" bottom: "data" top: "c" convolution_param { num_output: 9 kernel_size: 3 group: 2 } }`);
    expect(groups.codes).toContain('caffe/invalid-value');
    const missing = await bind(`${INPUT}layer { name: "c" type: "Convolution" bottom: "data" top: "c" convolution_param { kernel_size: 3 } }`);
    expect(missing.codes).toContain('caffe/missing-field');
  });

  it('binds Deconvolution as a transposed convolution', async () => {
    const { nodes } = await bind(`${INPUT}layer { name: "up" type: "Deconvolution" bottom: "data" top: "up" convolution_param { num_output: 3 kernel_size: 4 stride: 2 bias_term: false weight_filler { type: "bilinear" } } }`);
    expect(node(nodes, 'up', 'conv_transpose').params[0]!.init).toEqual({ type: 'bilinear' });
  });

  it("reads the DeepLab fork's hole as the dilation", async () => {
    const { nodes, codes } = await bind(`${INPUT}layer { name: "c" type: "Convolution" bottom: "data" top: "c" convolution_param { num_output: 8 kernel_size: 3 hole: 4 } }`);
    expect(codes).toEqual(['proto/fork-field']);
    expect(node(nodes, 'c', 'conv').attrs.dilation).toEqual([4, 4]);
  });
});

describe('normalisation, activations, dropout', () => {
  it('uses caffe.proto LRN defaults (local_size 5, alpha 1, beta 0.75, k 1) and wants an odd size', async () => {
    const { nodes } = await bind(`${INPUT}layer { name: "n" type: "LRN" bottom: "data" top: "n" }`);
    expect(node(nodes, 'n', 'lrn').attrs).toEqual({ size: 5, alpha: 1, beta: 0.75, k: 1, region: 'across_channels' });
    expect((await bind(`${INPUT}layer { name: "n" type: "LRN" bottom: "data" top: "n" lrn_param { local_size: 4 } }`)).codes).toContain('caffe/invalid-value');
  });

  it('converts BatchNorm conventions and forbids learning its statistics', async () => {
    const { nodes, codes } = await bind(`${INPUT}layer { name: "bn" type: "BatchNorm" bottom: "data" top: "data" param { lr_mult: 0 } param { lr_mult: 0 } param { lr_mult: 0 } batch_norm_param { moving_average_fraction: 0.9 } }`);
    expect(codes).toEqual([]);
    const bn = node(nodes, 'bn', 'batchnorm');
    expect(bn.attrs.momentum).toBeCloseTo(0.1, 12);
    expect(bn.attrs).toMatchObject({ eps: 1e-5, statistics: 'auto', running_update: 'caffe', affine: false });
    expect(bn.params.map((p) => [p.name, p.trainable, p.lr_mult])).toEqual([
      ['running_mean', false, 0],
      ['running_var', false, 0],
      ['scale_factor', false, 0],
    ]);
    const frozen = await bind(`${INPUT}layer { name: "bn" type: "BatchNorm" bottom: "data" top: "data" batch_norm_param { use_global_stats: true } }`);
    expect(node(frozen.nodes, 'bn', 'batchnorm').attrs.statistics).toBe('running');
    const learned = await bind(`${INPUT}layer { name: "bn" type: "BatchNorm" bottom: "data" top: "data" param { lr_mult: 1 } }`);
    expect(learned.codes).toContain('caffe/batchnorm-lr');
  });

  it('starts Scale at 1 and PReLU slopes at 0.25 when no filler is given', async () => {
    const { nodes } = await bind(`${INPUT}layer { name: "s" type: "Scale" bottom: "data" top: "s" scale_param { bias_term: true } }
layer { name: "pr" type: "PReLU" bottom: "s" top: "pr" }`);
    expect(node(nodes, 's', 'scale').params.map((p) => p.init)).toEqual([
      { type: 'constant', value: 1 },
      { type: 'constant', value: 0 },
    ]);
    const pr = node(nodes, 'pr', 'prelu');
    expect(pr.attrs.channel_shared).toBe(false);
    expect(pr.params[0]!.init).toEqual({ type: 'constant', value: 0.25 });
  });

  it('keeps dropout_ratio as the probability of dropping', async () => {
    const { nodes } = await bind(`${INPUT}layer { name: "d" type: "Dropout" bottom: "data" top: "data" dropout_param { dropout_ratio: 0.3 } }`);
    expect(node(nodes, 'd', 'dropout').attrs).toEqual({ drop_prob: 0.3, scale_train: true });
    expect((await bind(`${INPUT}layer { name: "d" type: "Dropout" bottom: "data" top: "data" dropout_param { dropout_ratio: 1.0 } }`)).codes).toContain('caffe/invalid-value');
  });
});

describe('protobuf text format, as protoc reads it', () => {
  it('reports unknown fields with a suggestion, and keeps going', async () => {
    const { diags } = await bind(`${INPUT}layer { name: "c" type: "Convolution" bottom: "data" top: "c" convolution_param { num_output: 8 kernel_size: 3 kernal_size: 3 } }`);
    const d = diags.find((x) => x.code === 'proto/unknown-field')!;
    expect(d.message).toBe("ConvolutionParameter has no field 'kernal_size'; it is ignored");
    expect(d.hint).toBe("did you mean 'kernel_size'?");
  });

  it('rejects values of the wrong type and repeated non-repeated fields', async () => {
    const { diags } = await bind(`${INPUT}layer { name: "c" type: "Convolution" bottom: "data" top: "c" convolution_param { num_output: "8" kernel_size: 3 bias_term: maybe } }
layer { name: "p" type: "Pooling" bottom: "c" top: "p" pooling_param { pool: "MAX" kernel_size: 2 kernel_size: 3 } }`);
    const messages = diags.map((d) => `${d.code}: ${d.message}`);
    expect(messages).toContain(`proto/type-mismatch: 'num_output' expects a non-negative integer, got the string "8"`);
    expect(messages).toContain(`proto/type-mismatch: 'bias_term' expects true or false, got 'maybe'`);
    expect(messages).toContain(`proto/type-mismatch: 'pool' expects a PoolMethod value written without quotes, got the string "MAX"`);
    expect(messages).toContain(`proto/duplicate-field: 'kernel_size' is not a repeated field but is given more than once (protoc rejects this)`);
  });

  it('warns about a *_param message the layer type never reads', async () => {
    const { codes } = await bind(`${INPUT}layer { name: "r" type: "ReLU" bottom: "data" top: "data" pooling_param { kernel_size: 2 } }`);
    expect(codes).toEqual(['caffe/ignored-param']);
  });
});

describe('layer types', () => {
  it('keeps fork and Python layers as opaque nodes with a warning and a suggestion for typos', async () => {
    const { nodes, diags } = await bind(`${INPUT}layer { name: "up" type: "Interp" bottom: "data" top: "up" interp_param { zoom_factor: 8 } }
layer { name: "c" type: "Convolutoin" bottom: "up" top: "c" }
layer { name: "py" type: "Python" bottom: "c" top: "py" python_param { module: "m" layer: "L" param_str: "'k': 1" } }`);
    expect(diags.map((d) => d.code)).toEqual(['shape/unknown', 'caffe/unknown-layer-type', 'caffe/unknown-layer-type', 'caffe/python-layer']);
    expect(diags[2]!.hint).toBe("did you mean 'Convolution'?");
    expect(diags[0]!.message).toBe("shapes stop at 'up': Caffe layer type 'Interp' is opaque to nnspec, so its output shapes are unknown; 2 later layers have no shape");
    expect(node(nodes, 'up', 'opaque').attrs).toEqual({ framework: 'caffe', type: 'Interp', params: { interp_param: { zoom_factor: 8 } } });
    expect(node(nodes, 'py', 'opaque').attrs.params).toEqual({ python_param: { module: 'm', layer: 'L', param_str: "'k': 1" } });
  });

  it('gives loss layers a loss_weight of 1 and an anonymous top when they have none (Net::Init)', async () => {
    const { nodes, codes } = await bind(`${INPUT}layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip" inner_product_param { num_output: 10 } }
input: "label" input_shape { dim: 1 }
layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" }
layer { name: "aux" type: "EuclideanLoss" bottom: "ip" bottom: "ip" top: "aux" loss_weight: 0.3 }`);
    expect(codes).not.toContain('graph/output-count');
    expect(node(nodes, 'loss', 'loss')).toMatchObject({ outputs: ['loss'], loss_weight: [1] });
    expect(node(nodes, 'aux', 'loss').loss_weight).toEqual([0.3]);
    expect(node(nodes, 'ip', 'linear').loss_weight).toBeUndefined();
  });
});

describe('net structure', () => {
  it('turns legacy input/input_dim into an Input layer placed first', async () => {
    const { nodes, codes } = await bind(`layer { name: "r" type: "ReLU" bottom: "data" top: "r" }
input: "data" input_dim: 2 input_dim: 3 input_dim: 4 input_dim: 5`);
    expect(codes).toEqual(['caffe/late-input']);
    expect(nodes[0]).toMatchObject({ op: 'input', outputs: ['data'], attrs: { shapes: [[2, 3, 4, 5]] } });
    const bad = await bind('input: "data" input_dim: 1 input_dim: 3');
    expect(bad.codes).toEqual(['caffe/input-shape']);
  });

  it('accepts in-place layers and fan-out, and rejects a second producer of a blob', async () => {
    const ok = await bind(`${INPUT}layer { name: "r" type: "ReLU" bottom: "data" top: "data" }
layer { name: "a" type: "ReLU" bottom: "data" top: "a" }
layer { name: "b" type: "ReLU" bottom: "data" top: "b" }`);
    expect(ok.codes).toEqual([]);
    const bad = await bind(`${INPUT}layer { name: "a" type: "ReLU" bottom: "data" top: "x" }
layer { name: "b" type: "ReLU" bottom: "data" top: "x" }`);
    expect(bad.diags.map((d) => d.message)).toEqual(["'b' writes blob 'x', which 'a' already produces; only an in-place layer (output i = input i) may write an existing blob"]);
  });

  it('renames a layer whose name is taken (Caffe allows it; the IR needs unique names) and points at the name', async () => {
    const { nodes, diags } = await bind(`${INPUT}layer { name: "a_2" type: "ReLU" bottom: "data" top: "x" }
layer { name: "a" type: "ReLU" bottom: "x" top: "y" }
layer { name: "a" type: "ReLU" bottom: "y" top: "z" }
layer { name: "a" type: "ReLU" bottom: "z" top: "data" }`);
    expect(nodes.map((n) => n.name)).toEqual(['input', 'a_2', 'a', 'a_3', 'a_4']);
    expect(diags.map((d) => [d.code, d.message])).toEqual([
      ['caffe/duplicate-layer-name', "another layer is already named 'a'; this one is called 'a_3' in the IR"],
      ['caffe/duplicate-layer-name', "another layer is already named 'a'; this one is called 'a_4' in the IR"],
      ['graph/duplicate-output', "'a_4' writes blob 'data', which 'input' already produces; only an in-place layer (output i = input i) may write an existing blob"],
    ]);
    expect(diags[0]!.source.text.slice(diags[0]!.span.start, diags[0]!.span.end)).toBe('"a"');
  });

  it('points at an unknown bottom and suggests the blob meant', async () => {
    const { diags } = await bind(`${INPUT}layer { name: "conv1" type: "ReLU" bottom: "dat" top: "conv1" }`);
    expect(diags).toHaveLength(1);
    expect(diags[0]).toMatchObject({ code: 'graph/unknown-blob', hint: "did you mean 'data'?" });
    const text = diags[0]!.source.text;
    expect(text.slice(diags[0]!.span.start, diags[0]!.span.end)).toBe('"dat"');
  });

  it('checks the number of inputs and outputs of each operation', async () => {
    const { codes } = await bind(`${INPUT}layer { name: "e" type: "Eltwise" bottom: "data" top: "e" }`);
    expect(codes).toEqual(['graph/input-count']);
  });

  it('filters layers by phase, stage and level, and refuses include with exclude', async () => {
    const net = `${INPUT}
layer { name: "train_only" type: "ReLU" bottom: "data" top: "t" include { phase: TRAIN } }
layer { name: "test_only" type: "ReLU" bottom: "data" top: "t" include { phase: TEST } }
layer { name: "staged" type: "ReLU" bottom: "t" top: "s" include { phase: TEST stage: "deploy" } }
layer { name: "not_level" type: "ReLU" bottom: "t" top: "l" exclude { min_level: 1 } }`;
    const names = async (o: CompileOptions) => (await bind(net, o)).nodes.map((n) => n.name);
    expect(await names({ phase: 'TRAIN' })).toEqual(['input', 'train_only', 'not_level']);
    expect(await names({ phase: 'TEST' })).toEqual(['input', 'test_only', 'not_level']);
    expect(await names({ phase: 'TEST', stages: ['deploy'], level: 1 })).toEqual(['input', 'test_only', 'staged']);
    const both = await bind(`${INPUT}layer { name: "r" type: "ReLU" bottom: "data" top: "r" include { phase: TRAIN } exclude { phase: TEST } }`);
    expect(both.codes).toContain('caffe/include-and-exclude');
  });

  it('reads V1 layers (enum types, blobs_lr, weight_decay) as Caffe upgrades them', async () => {
    const { nodes, codes } = await bind(`${INPUT}layers { name: "c" type: CONVOLUTION bottom: "data" top: "c" blobs_lr: 1 blobs_lr: 2 weight_decay: 1 weight_decay: 0 convolution_param { num_output: 4 kernel_size: 1 } }`);
    expect(codes).toEqual([]);
    expect(node(nodes, 'c', 'conv').params.map((p) => [p.lr_mult, p.decay_mult])).toEqual([
      [1, 1],
      [2, 0],
    ]);
  });

  it('refuses a net that mixes layer and layers entries', async () => {
    const { codes } = await bind(`${INPUT}layer { name: "a" type: "ReLU" bottom: "data" top: "a" }
layers { name: "b" type: RELU bottom: "a" top: "b" }`);
    expect(codes).toContain('caffe/mixed-formats');
  });
});

describe('solvers', () => {
  it('binds a solver with an embedded V1 net', async () => {
    const { r, codes } = await bind(`net_param { name: "n" layers { name: "d" type: DUMMY_DATA top: "x" dummy_data_param { shape { dim: 2 dim: 3 } } } }
base_lr: 0.01 lr_policy: "step" gamma: 0.1 stepsize: 100 momentum: 0.9 weight_decay: 0.0005 max_iter: 1000 type: "Nesterov" random_seed: 7 snapshot_prefix: "x"`);
    expect(codes).toEqual([]);
    expect(r.model.format).toBe('caffe-solver');
    expect(r.model.train).toMatchObject({
      solver: { type: 'nesterov', base_lr: 0.01, momentum: 0.9, momentum_convention: 'caffe' },
      regularization: { l2: 0.0005, l1: 0 },
      lr_schedule: { policy: 'step', gamma: 0.1, step_size: 100, unit: 'iteration' },
      iterations: 1000,
      seed: 7,
      extra: { snapshot_prefix: 'x' },
    });
    expect(r.model.graph!.nodes.map((n) => n.op)).toEqual(['data']);
  });

  it('reports what a solver is missing', async () => {
    const { codes } = await bind('base_lr: 0.1 lr_policy: "stepp"');
    expect(codes).toEqual(['caffe/solver-net', 'caffe/unknown-lr-policy']);
  });
});

describe('checking every net a train_val file describes', () => {
  it('checks both phases and says where a problem occurs', async () => {
    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'nnspec-'));
    const file = join(dir, 'tv.prototxt');
    writeFileSync(
      file,
      `${INPUT}layer { name: "t" type: "ReLU" bottom: "data" top: "t" include { phase: TRAIN } }
layer { name: "u" type: "ReLU" bottom: "t" top: "u" include { phase: TEST } }`,
    );
    const r = await checkFile(file);
    expect(r.states).toEqual(['TRAIN', 'TEST']);
    expect(r.diagnostics.map((d) => d.message)).toEqual(["'u' reads blob 't', which no layer produces (in the TEST net)"]);
  });
});
