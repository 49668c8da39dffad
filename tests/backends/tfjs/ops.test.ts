/**
 * Single operations on the tfjs cpu and wasm backends against references written with torch operations
 * (or Caffe's own loops) in compare.py: pooling rounding and divisors, grouped, dilated and
 * asymmetrically padded convolution, transposed convolution, LRN, the flatten order feeding a
 * fully connected layer through a channels-last blob, BatchNorm's training-mode update, the
 * softmax loss and the activations.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lowerToTfjs, type LoweredModel } from '../../../src/backends/tfjs/index.js';
import type { AttrsOf } from '../../../src/ir/ops/index.js';
import { announceSkip } from '../../verify/torch.js';
import { graphInput, layer, type Layer } from './graph-kit.js';
import { dump, random, runCompare, TF, useBackend, type Comparison, type FilePair } from './harness.js';

const TOLERANCE = 1e-5;

interface OpCase {
  id: string;
  job: { id: string; kind: 'op'; op: string; attrs: unknown; tensors: Record<string, FilePair>; outputs: FilePair[] };
}

const cases: OpCase[] = [];
const lowered: LoweredModel[] = [];
let results: Record<string, Comparison> | null = null;

/** Lowers `layers` over input x, runs them (inference unless said) and records the case. */
let backend = 'cpu';

function addCase(name: string, op: string, attrs: unknown, x: number[], layers: Layer[], outputs: string[], extra: { mode?: 'train' | 'inference'; inputs?: Record<string, number[]>; params?: [string, string, string][]; after?: (m: LoweredModel) => FilePair[] } = {}): void {
  const id = `[${backend}] ${name}`;
  const inputs = { x, ...(extra.inputs ?? {}) };
  const input = graphInput(inputs, layers);
  const model = lowerToTfjs(TF, input, { seed: 3 });
  if (!model) throw new Error(`${id}: ${input.diagnostics.items.map((d) => d.message).join('; ')}`);
  lowered.push(model);
  const given: Record<string, ReturnType<typeof random>> = {};
  const tensors: Record<string, FilePair> = {};
  Object.entries(inputs).forEach(([name, shape], i) => {
    given[name] = name === 'labels' ? TF.floor(random(shape, 50 + i, 0, x[1]!)) : random(shape, 50 + i);
    tensors[name] = dump(given[name]!);
  });
  // Parameters before the forward pass (BatchNorm's running statistics change in training).
  for (const [node, param, key] of extra.params ?? []) tensors[key] = dump(model.params.get(node, param)!.variable);
  const out = model.forward(given, extra.mode ?? 'inference', { outputs });
  cases.push({ id, job: { id, kind: 'op', op, attrs, tensors, outputs: [...outputs.map((b) => dump(out[b]!)), ...(extra.after?.(model) ?? [])] } });
}

const window = (kernel: number[], stride: number[], pad_begin: number[], pad_end: number[]) => ({ kernel, stride, pad_begin, pad_end });

const POOLS: [string, AttrsOf<'pool'>, number[]][] = [
  ['max, Caffe rounding, asymmetric padding', { mode: 'max', ...window([3, 3], [2, 2], [1, 0], [0, 1]), rounding: 'caffe', count_include_pad: true }, [2, 3, 8, 9]],
  ['max, ceil, last window past the input', { mode: 'max', ...window([3, 3], [2, 2], [0, 0], [0, 0]), rounding: 'ceil', count_include_pad: true }, [2, 3, 6, 6]],
  ['avg, Caffe rounding, padded: divisor clipped to the padded input', { mode: 'avg', ...window([3, 3], [2, 2], [1, 1], [1, 1]), rounding: 'caffe', count_include_pad: true }, [2, 3, 7, 6]],
  ['avg, Caffe rounding, unpadded: last window clipped to the input', { mode: 'avg', ...window([3, 3], [2, 2], [0, 0], [0, 0]), rounding: 'caffe', count_include_pad: true }, [2, 3, 6, 8]],
  ['avg, ceil, count_include_pad false', { mode: 'avg', ...window([3, 2], [2, 2], [1, 1], [1, 0]), rounding: 'ceil', count_include_pad: false }, [2, 3, 6, 7]],
  ['avg, floor', { mode: 'avg', ...window([2, 2], [2, 2], [0, 0], [0, 0]), rounding: 'floor', count_include_pad: true }, [2, 3, 7, 7]],
];

const conv = (num_output: number, w: ReturnType<typeof window>, dilation: number[], groups: number): AttrsOf<'conv'> => ({ num_output, ...w, dilation, groups, bias: true, axis: 1 });

const CONVS: [string, AttrsOf<'conv'>, number[]][] = [
  ['grouped (2), dilated, strided, asymmetric padding', conv(6, window([3, 2], [2, 2], [1, 0], [2, 1]), [2, 2], 2), [2, 4, 11, 10]],
  ['depthwise with multiplier 2', conv(8, window([3, 3], [2, 1], [1, 1], [1, 1]), [1, 1], 4), [2, 4, 9, 8]],
  ['plain 1×1', conv(5, window([1, 1], [1, 1], [0, 0], [0, 0]), [1, 1], 1), [2, 3, 4, 5]],
  ['padding wider than the kernel, asymmetric, strided', conv(3, window([2, 3], [3, 2], [3, 0], [1, 4]), [1, 1], 1), [2, 2, 7, 6]],
  ['depthwise, dilated and strided, asymmetric padding', conv(3, window([3, 2], [2, 3], [2, 0], [0, 1]), [2, 2], 3), [2, 3, 9, 10]],
];

const DECONVS: [string, AttrsOf<'conv_transpose'>, number[]][] = [
  ['grouped (2), stride 2, padding 1, output_padding 1', { ...conv(4, window([3, 3], [2, 2], [1, 1], [1, 1]), [1, 1], 2), output_padding: [1, 1] }, [2, 4, 5, 6]],
  ['dilated (2), stride 3, output_padding 2 past pad_end 0', { ...conv(3, window([2, 3], [3, 3], [0, 0], [0, 0]), [2, 2], 1), output_padding: [2, 1] }, [2, 2, 4, 3]],
];

const LRNS: [string, AttrsOf<'lrn'>][] = [
  ['across channels, size 5', { size: 5, alpha: 0.3, beta: 0.75, k: 2, region: 'across_channels' }],
  ['across channels, even size 4', { size: 4, alpha: 0.2, beta: 0.6, k: 1, region: 'across_channels' }],
  ['across channels, size 3, large alpha', { size: 3, alpha: 4, beta: 1.3, k: 0.5, region: 'across_channels' }],
  ['across channels, size 9 wider than the 7 channels', { size: 9, alpha: 1.5, beta: 0.75, k: 1, region: 'across_channels' }],
  ['across channels, size 1', { size: 1, alpha: 0.7, beta: 0.75, k: 1, region: 'across_channels' }],
  ['within a channel, size 3', { size: 3, alpha: 0.5, beta: 0.75, k: 1, region: 'within_channel' }],
];

const BACKENDS = ['cpu', 'wasm'] as const;

function buildCases(): void {
  for (const [id, attrs, x] of POOLS) addCase(`pool: ${id}`, 'pool', attrs, x, [layer({ op: 'pool', name: 'p', inputs: ['x'], attrs })], ['p']);
  for (const [id, attrs, x] of CONVS) {
    addCase(`conv: ${id}`, 'conv', attrs, x, [layer({ op: 'conv', name: 'c', inputs: ['x'], attrs })], ['c'], { params: [['c', 'weight', 'weight'], ['c', 'bias', 'bias']] });
  }
  for (const [id, attrs, x] of DECONVS) {
    const ref = { stride: attrs.stride, pad: attrs.pad_begin, output_padding: attrs.output_padding, groups: attrs.groups, dilation: attrs.dilation };
    addCase(`conv_transpose: ${id}`, 'conv_transpose', ref, x, [layer({ op: 'conv_transpose', name: 'd', inputs: ['x'], attrs })], ['d'], { params: [['d', 'weight', 'weight'], ['d', 'bias', 'bias']] });
  }
  const conv1d = conv(4, window([3], [2], [2], [1]), [2], 2);
  addCase('1-D: grouped, dilated, strided, asymmetric padding', 'conv1d', conv1d, [2, 4, 13], [layer({ op: 'conv', name: 'c', inputs: ['x'], attrs: conv1d })], ['c'], { params: [['c', 'weight', 'weight'], ['c', 'bias', 'bias']] });
  const pool1d: AttrsOf<'pool'> = { mode: 'avg', ...window([3], [2], [1], [1]), rounding: 'caffe', count_include_pad: true };
  addCase('1-D: average pooling, Caffe rounding and divisor', 'pool1d', pool1d, [2, 3, 8], [layer({ op: 'pool', name: 'p', inputs: ['x'], attrs: pool1d })], ['p']);
  const deconv1d: AttrsOf<'conv_transpose'> = { ...conv(4, window([3], [2], [1], [1]), [1], 2), output_padding: [1] };
  addCase('1-D: transposed, grouped, output_padding', 'conv_transpose1d', { stride: [2], pad: [1], output_padding: [1], groups: 2, dilation: [1] }, [2, 4, 5], [layer({ op: 'conv_transpose', name: 'd', inputs: ['x'], attrs: deconv1d })], ['d'], { params: [['d', 'weight', 'weight'], ['d', 'bias', 'bias']] });
  for (const mode of ['max', 'avg'] as const) {
    const spp: AttrsOf<'spp'> = { pyramid_height: 3, mode };
    addCase(`SPP, ${mode}, 3 levels over 7×6`, 'spp', spp, [2, 3, 7, 6], [layer({ op: 'spp', name: 's', inputs: ['x'], attrs: spp })], ['s']);
  }
  for (const [id, attrs] of LRNS) addCase(`lrn: ${id}`, 'lrn', attrs, [2, 7, 5, 4], [layer({ op: 'lrn', name: 'n', inputs: ['x'], attrs })], ['n']);
  // The 1×1 convolution leaves its output channels-last: the linear layer must flatten (C, H, W).
  addCase('linear after a channels-last blob flattens (C, H, W)', 'linear_after_conv', {}, [2, 3, 4, 5], [
    layer({ op: 'conv', name: 'c', inputs: ['x'], attrs: conv(6, window([1, 1], [1, 1], [0, 0], [0, 0]), [1, 1], 1) }),
    layer({ op: 'linear', name: 'fc', inputs: ['c'], attrs: { num_output: 7, axis: 1, bias: true, transpose: false, weight_drop_prob: 0 } }),
  ], ['fc'], { params: [['c', 'weight', 'cw'], ['c', 'bias', 'cb'], ['fc', 'weight', 'weight'], ['fc', 'bias', 'bias']] });
  const bn: AttrsOf<'batchnorm'> = { eps: 1e-3, momentum: 0.3, statistics: 'auto', running_update: 'ema', affine: true };
  addCase('batchnorm in training: batch statistics and the running-average update', 'batchnorm_train', { momentum: bn.momentum, eps: bn.eps }, [4, 3, 5, 6], [
    layer({ op: 'pool', name: 'p', inputs: ['x'], attrs: { mode: 'max', ...window([1, 1], [1, 1], [0, 0], [0, 0]), rounding: 'floor', count_include_pad: true } }),
    layer({ op: 'batchnorm', name: 'bn', inputs: ['p'], attrs: bn, init: [{ type: 'uniform', min: 0.5, max: 1.5 }, { type: 'uniform', min: -1, max: 1 }, { type: 'uniform', min: -1, max: 1 }, { type: 'uniform', min: 0.5, max: 2 }] }),
  ], ['bn'], {
    mode: 'train',
    params: [['bn', 'weight', 'weight'], ['bn', 'bias', 'bias'], ['bn', 'running_mean', 'running_mean'], ['bn', 'running_var', 'running_var']],
    after: (m) => [dump(m.params.get('bn', 'running_mean')!.variable), dump(m.params.get('bn', 'running_var')!.variable)],
  });
  const lossAttrs: AttrsOf<'loss'> = { kind: 'softmax_cross_entropy', axis: 1, ignore_label: 2, normalization: 'valid', margin: 1, legacy_version: false, norm: 'l1', source: null };
  addCase('softmax cross-entropy over spatial positions, ignore_label, valid normalisation', 'softmax_loss', { ignore_label: 2 }, [2, 5, 3, 3], [
    layer({ op: 'loss', name: 'loss', inputs: ['x', 'labels'], attrs: lossAttrs }),
  ], ['loss'], { inputs: { labels: [2, 3, 3] } });
  const acts: Layer[] = [
    layer({ op: 'gelu', name: 'gelu', inputs: ['x'], attrs: { approximate: 'none' } }),
    layer({ op: 'gelu', name: 'gelu_tanh', inputs: ['x'], attrs: { approximate: 'tanh' } }),
    layer({ op: 'selu', name: 'selu', inputs: ['x'], attrs: {} }),
    layer({ op: 'elu', name: 'elu', inputs: ['x'], attrs: { alpha: 0.7 } }),
    layer({ op: 'relu', name: 'leaky', inputs: ['x'], attrs: { negative_slope: 0.1 } }),
    layer({ op: 'clip', name: 'relu6', inputs: ['x'], attrs: { min: 0, max: 6 } }),
    layer({ op: 'swish', name: 'swish', inputs: ['x'], attrs: { beta: 2 } }),
    layer({ op: 'bnll', name: 'bnll', inputs: ['x'], attrs: {} }),
    layer({ op: 'prelu', name: 'prelu', inputs: ['x'], attrs: { channel_shared: false } }),
    layer({ op: 'maxout', name: 'maxout', inputs: ['x'], attrs: { pieces: 2 } }),
    layer({ op: 'softmax', name: 'softmax', inputs: ['x'], attrs: { axis: 1 } }),
  ];
  addCase('activations', 'activations', {}, [2, 4, 3, 5], acts, acts.map((l) => l.name), { params: [['prelu', 'weight', 'slope']] });
  // Every op reads `p`, x held channels-last by a 1×1 max pooling, except where a second input mixes layouts.
  const id1 = { mode: 'max', ...window([1, 1], [1, 1], [0, 0], [0, 0]), rounding: 'floor', count_include_pad: true } as AttrsOf<'pool'>;
  const tensorOps: Layer[] = [
    layer({ op: 'pool', name: 'p', inputs: ['x'], attrs: id1 }),
    layer({ op: 'crop', name: 'crop', inputs: ['p', 'r'], attrs: { axis: 2, offset: [1, 2] } }),
    layer({ op: 'slice', name: 'slice', inputs: ['p'], outputs: ['s1', 's2', 's3'], attrs: { axis: 1, slice_points: [2, 5] } }),
    layer({ op: 'concat', name: 'concat', inputs: ['s3', 's1', 'y'], attrs: { axis: 1 } }),
    layer({ op: 'eltwise', name: 'sum', inputs: ['p', 'y'], attrs: { operation: 'sum', coeff: [2, -0.5] } }),
    layer({ op: 'eltwise', name: 'prod', inputs: ['p', 'y'], attrs: { operation: 'prod', coeff: [] } }),
    layer({ op: 'eltwise', name: 'max', inputs: ['y', 'p'], attrs: { operation: 'max', coeff: [] } }),
    layer({ op: 'tile', name: 'tile', inputs: ['p'], attrs: { axis: 1, tiles: 2 } }),
    layer({ op: 'reduction', name: 'sumsq', inputs: ['p'], attrs: { operation: 'sumsq', axis: 2, coeff: 0.5 } }),
    layer({ op: 'reduction', name: 'mean', inputs: ['p'], attrs: { operation: 'mean', axis: 1, coeff: 1 } }),
    layer({ op: 'argmax', name: 'argmax', inputs: ['p'], attrs: { out_max_val: false, top_k: 2, axis: 1 } }),
    layer({ op: 'argmax', name: 'argmax_all', inputs: ['p'], attrs: { out_max_val: true, top_k: 3, axis: null } }),
    layer({ op: 'flatten', name: 'flatten', inputs: ['p'], attrs: { axis: 1, end_axis: 2 } }),
    layer({ op: 'reshape', name: 'reshape', inputs: ['p'], attrs: { shape: [0, -1, 10], axis: 0, num_axes: -1 } }),
    layer({ op: 'scale', name: 'scale', inputs: ['p'], attrs: { axis: 1, num_axes: 2, bias: true } }),
    layer({ op: 'bias', name: 'bias', inputs: ['p'], attrs: { axis: 2, num_axes: 2 } }),
    layer({ op: 'power', name: 'power', inputs: ['p'], attrs: { power: 2, scale: 0.5, shift: 1 } }),
    layer({ op: 'exp', name: 'exp', inputs: ['p'], attrs: { base: 2, scale: 0.5, shift: 0.1 } }),
    layer({ op: 'log', name: 'log', inputs: ['p'], attrs: { base: 10, scale: 1, shift: 2 } }),
    layer({ op: 'threshold', name: 'threshold', inputs: ['p'], attrs: { threshold: 0.2 } }),
    layer({ op: 'absval', name: 'absval', inputs: ['p'], attrs: {} }),
    layer({ op: 'softmax', name: 'softmax2', inputs: ['p'], attrs: { axis: 2 } }),
    layer({ op: 'mvn', name: 'mvn', inputs: ['p'], attrs: { normalize_variance: true, across_channels: false, eps: 1e-9 } }),
    layer({ op: 'global_pool', name: 'gap', inputs: ['p'], attrs: { mode: 'avg' } }),
    layer({ op: 'adaptive_pool', name: 'amp', inputs: ['p'], attrs: { mode: 'max', output_size: [2, 3] } }),
    layer({ op: 'adaptive_pool', name: 'aap', inputs: ['p'], attrs: { mode: 'avg', output_size: [3, 3] } }),
    layer({ op: 'im2col', name: 'im2col', inputs: ['p'], attrs: { ...window([2, 2], [1, 1], [0, 0], [0, 0]), dilation: [1, 1], axis: 1 } }),
  ];
  const tensorOutputs = tensorOps.slice(1).flatMap((l) => l.outputs ?? [l.name]);
  addCase('tensor ops on a channels-last blob', 'tensor_ops', {}, [2, 6, 5, 4], tensorOps, tensorOutputs, {
    inputs: { y: [2, 6, 5, 4], r: [2, 6, 3, 2] },
    params: [['scale', 'weight', 'sw'], ['scale', 'bias', 'sb'], ['bias', 'bias', 'bb']],
  });
  const lossOf = (name: string, kind: AttrsOf<'loss'>['kind'], inputs: string[], normalization: AttrsOf<'loss'>['normalization'] = 'batch_size') =>
    layer({ op: 'loss', name, inputs, attrs: { kind, axis: 1, ignore_label: null, normalization, margin: 1, legacy_version: false, norm: 'l1', source: null } });
  addCase('euclidean, sigmoid cross-entropy, top-3 accuracy, L1 hinge', 'losses', {}, [4, 6], [
    layer({ op: 'sigmoid', name: 'target', inputs: ['y'], attrs: {} }),
    lossOf('euclidean', 'euclidean', ['x', 'y']),
    lossOf('sigmoid_ce', 'sigmoid_cross_entropy', ['x', 'target']),
    layer({ op: 'accuracy', name: 'accuracy', inputs: ['x', 'labels'], attrs: { top_k: 3, axis: 1, ignore_label: null } }),
    lossOf('hinge', 'hinge', ['x', 'labels']),
  ], ['euclidean', 'sigmoid_ce', 'accuracy', 'hinge'], { inputs: { y: [4, 6], labels: [4] } });
}

beforeAll(async () => {
  for (const b of BACKENDS) {
    await useBackend(b);
    backend = b;
    buildCases();
  }
  const r = await runCompare(cases.map((c) => c.job));
  if (r.ok) results = r.data;
  else announceSkip('tests/backends/tfjs/ops.test.ts', r.reason);
}, 120_000);

afterAll(() => lowered.forEach((m) => m.dispose()));

function checkCase(id: string): void {
  if (!results) return;
  const r = results[id]!;
  if ('error' in r) throw new Error(`${id}: ${r.error}`);
  r.rel.forEach((rel, i) => expect(rel, `${id}: output ${i + 1} (max |Δ| ${r.max_abs[i]})`).toBeLessThan(TOLERANCE));
}

describe.each(BACKENDS)('tfjs ops on the %s backend = torch references', (b) => {
  const check = (id: string) => checkCase(`[${b}] ${id}`);
  it.each(POOLS.map(([id]) => `pool: ${id}`))('%s', check);
  it.each(CONVS.map(([id]) => `conv: ${id}`))('%s', check);
  it.each(DECONVS.map(([id]) => `conv_transpose: ${id}`))('%s', check);
  it.each(LRNS.map(([id]) => `lrn: ${id}`))('%s', check);
  it.each(['SPP, max, 3 levels over 7×6', 'SPP, avg, 3 levels over 7×6'])('%s', check);
  it.each(['1-D: grouped, dilated, strided, asymmetric padding', '1-D: average pooling, Caffe rounding and divisor', '1-D: transposed, grouped, output_padding'])('%s', check);
  it('linear after a channels-last blob flattens (C, H, W)', () => check('linear after a channels-last blob flattens (C, H, W)'));
  it('batchnorm in training: batch statistics and the running-average update', () => check('batchnorm in training: batch statistics and the running-average update'));
  it('softmax cross-entropy over spatial positions, ignore_label, valid normalisation', () => check('softmax cross-entropy over spatial positions, ignore_label, valid normalisation'));
  it('activations', () => check('activations'));
  it('tensor ops on a channels-last blob', () => check('tensor ops on a channels-last blob'));
  it('euclidean, sigmoid cross-entropy, top-3 accuracy, L1 hinge', () => check('euclidean, sigmoid cross-entropy, top-3 accuracy, L1 hinge'));
});
