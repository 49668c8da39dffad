/**
 * Caffe's and nnspec's semantics, computed by the emitted PyTorch and compared numerically
 * with references written with plain torch operations in check_models.py (Caffe's loops for
 * pooling and LRN, the BatchNorm formulas): pooling rounding, padding and divisors, LRN,
 * BatchNorm statistics and fusion, initialisation statistics, weights through
 * pytorchStateDict and load_weights, and names that try to inject code.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { pytorchStateDict, type IrWeights } from '../../../src/backends/pytorch/index.js';
import { announceSkip } from '../../verify/torch.js';
import { emit, OUT_DIR, runChecks, type Emitted } from './harness.js';

const dims = (shape: number[]) => shape.map((d) => `dim: ${d}`).join(' ');
const caffe = (shape: number[], layers: string) => `name: "t"\nlayer { name: "data" type: "Input" top: "data" input_param { shape { ${dims(shape)} } } }\n${layers}\n`;
const nnspec = (shape: number[], body: string) => `nnspec: 1\nname: t\ninput { name: x shape: [${shape.join(', ')}] }\n${body}\n`;

interface PoolCase {
  name: string;
  text: string;
  file: 'prototxt' | 'nnspec';
  mode: 'max' | 'avg';
  kernel: number;
  stride: number;
  pad_begin: number;
  pad_end: number;
  rounding: 'floor' | 'ceil' | 'caffe';
  count_include_pad: boolean;
  /** Which PyTorch construct must carry it. */
  expect: RegExp;
}

function caffePool(name: string, h: number, pool: 'MAX' | 'AVE', k: number, s: number | null, p: number, expect: RegExp): PoolCase {
  const param = `pool: ${pool} kernel_size: ${k}${s === null ? '' : ` stride: ${s}`}${p ? ` pad: ${p}` : ''}`;
  return {
    name,
    text: caffe([2, 3, h, h], `layer { name: "pool" type: "Pooling" bottom: "data" top: "pool" pooling_param { ${param} } }`),
    file: 'prototxt',
    mode: pool === 'MAX' ? 'max' : 'avg',
    kernel: k,
    stride: s ?? 1,
    pad_begin: p,
    pad_end: p,
    rounding: 'caffe',
    count_include_pad: true,
    expect,
  };
}

const POOLS: PoolCase[] = [
  caffePool('Caffe max, rounds up without padding (ceil_mode)', 6, 'MAX', 3, 2, 0, /nn\.MaxPool2d\(3, stride=2, ceil_mode=True\)/),
  caffePool('Caffe max, padded, last window clipped', 6, 'MAX', 3, 2, 1, /nn\.MaxPool2d\(3, stride=2, padding=1, ceil_mode=True\)/),
  caffePool('Caffe average, divisor counts the padding up to the padded end', 6, 'AVE', 3, 2, 1, /nn\.AvgPool2d\(3, stride=2, padding=1, ceil_mode=True\)/),
  caffePool('Caffe average, odd size', 7, 'AVE', 3, 2, 1, /nn\.AvgPool2d\(3, stride=2, padding=1, ceil_mode=True\)/),
  caffePool('Caffe max, pad over half the kernel (explicit -inf padding)', 7, 'MAX', 3, 2, 2, /WindowPool\("max"/),
  caffePool('Caffe average, pad over half the kernel (explicit padding and divisor)', 7, 'AVE', 3, 2, 2, /WindowPool\("avg"/),
  caffePool("Caffe's default stride is 1", 5, 'AVE', 2, null, 0, /nn\.AvgPool2d\(2, stride=1, ceil_mode=True\)/),
  {
    name: 'nnspec average, asymmetric padding counted in the divisor',
    text: nnspec([2, 3, 7, 7], 'AvgPool { kernel: 3 stride: 2 pad_begin: 0 pad_end: 2 round: caffe count_pad: true }'),
    file: 'nnspec',
    mode: 'avg',
    kernel: 3,
    stride: 2,
    pad_begin: 0,
    pad_end: 2,
    rounding: 'caffe',
    count_include_pad: true,
    expect: /WindowPool\("avg"/,
  },
  {
    name: 'nnspec average, padding not counted',
    text: nnspec([2, 3, 8, 8], 'AvgPool { kernel: 3 stride: 2 pad: 1 round: floor count_pad: false }'),
    file: 'nnspec',
    mode: 'avg',
    kernel: 3,
    stride: 2,
    pad_begin: 1,
    pad_end: 1,
    rounding: 'floor',
    count_include_pad: false,
    expect: /nn\.AvgPool2d\(3, stride=2, padding=1, count_include_pad=False\)/,
  },
  {
    name: 'nnspec max, floor rounding',
    text: nnspec([2, 3, 8, 8], 'MaxPool { kernel: 3 stride: 2 pad: 1 round: floor }'),
    file: 'nnspec',
    mode: 'max',
    kernel: 3,
    stride: 2,
    pad_begin: 1,
    pad_end: 1,
    rounding: 'floor',
    count_include_pad: false,
    expect: /nn\.MaxPool2d\(3, stride=2, padding=1\)/,
  },
];

const LRN_ACROSS = caffe([2, 7, 5, 5], 'layer { name: "norm" type: "LRN" bottom: "data" top: "norm" lrn_param { local_size: 5 alpha: 0.5 beta: 0.75 k: 2 } }');
const LRN_WITHIN = caffe(
  [2, 3, 6, 6],
  'layer { name: "norm" type: "LRN" bottom: "data" top: "norm" lrn_param { local_size: 3 alpha: 0.5 beta: 0.75 norm_region: WITHIN_CHANNEL } }',
);

const BN_NNSPEC = nnspec([4, 3, 5, 5], 'BatchNorm { name: bn eps: 0.001 momentum: 0.3 }');
const BN_SCALE = caffe(
  [4, 3, 5, 5],
  `layer { name: "bn" type: "BatchNorm" bottom: "data" top: "data" batch_norm_param { eps: 0.001 moving_average_fraction: 0.9 } }
layer { name: "sc" type: "Scale" bottom: "data" top: "data" scale_param { bias_term: true } }`,
);
const BN_FROZEN = caffe([4, 3, 5, 5], 'layer { name: "bn" type: "BatchNorm" bottom: "data" top: "bn" batch_norm_param { eps: 0.001 use_global_stats: true } }');

const INIT = caffe(
  [1, 256, 8, 8],
  `layer { name: "xavier" type: "Convolution" bottom: "data" top: "xavier" convolution_param { num_output: 256 kernel_size: 3 weight_filler { type: "xavier" } bias_filler { type: "constant" value: 0.3 } } }
layer { name: "msra" type: "Convolution" bottom: "data" top: "msra" convolution_param { num_output: 256 kernel_size: 3 weight_filler { type: "msra" } bias_term: false } }
layer { name: "sparse" type: "Convolution" bottom: "data" top: "sparse" convolution_param { num_output: 64 kernel_size: 3 weight_filler { type: "gaussian" std: 0.1 sparse: 16 } bias_term: false } }
layer { name: "uniform" type: "Convolution" bottom: "data" top: "uniform" convolution_param { num_output: 64 kernel_size: 3 weight_filler { type: "uniform" min: -0.5 max: 0.5 } bias_term: false } }
layer { name: "up" type: "Deconvolution" bottom: "data" top: "up" convolution_param { num_output: 256 group: 256 kernel_size: 4 stride: 2 weight_filler { type: "bilinear" } bias_term: false } }
layer { name: "unitball" type: "InnerProduct" bottom: "data" top: "unitball" inner_product_param { num_output: 10 weight_filler { type: "positive_unitball" } } }`,
);
const INIT_TRUNC = nnspec([1, 256, 8, 8], 'Conv { name: trunc out: 256 kernel: 3 bias: false weight { init { type: kaiming mode: fan_in distribution: truncated_normal } } }');

const STATE = caffe(
  [1, 3, 4, 4],
  `layer { name: "conv" type: "Convolution" bottom: "data" top: "conv" convolution_param { num_output: 2 kernel_size: 3 } }
layer { name: "bn" type: "BatchNorm" bottom: "conv" top: "conv" }
layer { name: "sc" type: "Scale" bottom: "conv" top: "conv" scale_param { bias_term: true } }
layer { name: "pr" type: "PReLU" bottom: "conv" top: "conv" prelu_param { channel_shared: true } }
layer { name: "ip" type: "InnerProduct" bottom: "conv" top: "ip" inner_product_param { num_output: 3 transpose: true } }`,
);

const GROUPS = caffe(
  [1, 3, 4, 4],
  `layer { name: "frozen" type: "Convolution" bottom: "data" top: "a" param { lr_mult: 0 } param { lr_mult: 0 } convolution_param { num_output: 2 kernel_size: 1 } }
layer { name: "conv" type: "Convolution" bottom: "a" top: "b" param { lr_mult: 1 decay_mult: 1 } param { lr_mult: 2 decay_mult: 0 } convolution_param { num_output: 2 kernel_size: 1 } }`,
);

const INJECT = `name: "x\\"); import os #"
layer { name: "in\\"put" type: "Input" top: "in\\"put" input_param { shape { dim: 1 dim: 3 dim: 4 dim: 4 } } }
layer { name: "x\\"); import os #" type: "Convolution" bottom: "in\\"put" top: "a\\nb" convolution_param { num_output: 2 kernel_size: 1 } }
layer { name: "line\\nbreak\\r\\n# import sys" type: "ReLU" bottom: "a\\nb" top: "c'''" }
layer { name: "forward" type: "Convolution" bottom: "c'''" top: "d" convolution_param { num_output: 2 kernel_size: 1 } }
layer { name: "__class__" type: "Convolution" bottom: "d" top: "e" convolution_param { num_output: 2 kernel_size: 1 } }
layer { name: "0" type: "Convolution" bottom: "e" top: "import" convolution_param { num_output: 2 kernel_size: 1 } }
layer { name: "0.0" type: "Convolution" bottom: "import" top: "self" convolution_param { num_output: 2 kernel_size: 1 } }
layer { name: "x_\\");_import_os_#" type: "Convolution" bottom: "self" top: "f" convolution_param { num_output: 2 kernel_size: 1 } }
`;

const emitted = new Map<string, Emitted>();
let results: Record<string, any> | null = null;
let skipReason = '';
const irWeights: IrWeights = new Map();
let stateEntries: ReturnType<typeof pytorchStateDict> = [];

/** A safetensors file (F32 only): 8-byte header length, JSON header, data. */
function writeSafetensors(path: string, entries: { key: string; shape: number[]; data: Float32Array }[]): void {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const e of entries) {
    header[e.key] = {
      dtype: 'F32',
      shape: e.shape,
      data_offsets: [offset, offset + e.data.byteLength],
    };
    offset += e.data.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const head = Buffer.alloc(8);
  head.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  writeFileSync(path, Buffer.concat([head, Buffer.from(json), ...entries.map((e) => Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength))]));
}

beforeAll(async () => {
  const cases: Record<string, unknown>[] = [];
  for (const p of POOLS) {
    const e = await emit(`pool.${p.file}`, p.text);
    emitted.set(p.name, e);
    if (e.code) {
      cases.push({
        id: p.name,
        file: e.file,
        check: 'pool',
        mode: p.mode,
        kernel: [p.kernel, p.kernel],
        stride: [p.stride, p.stride],
        pad_begin: [p.pad_begin, p.pad_begin],
        pad_end: [p.pad_end, p.pad_end],
        rounding: p.rounding,
        count_include_pad: p.count_include_pad,
      });
    }
  }
  const add = async (id: string, path: string, text: string, extra: Record<string, unknown>) => {
    const e = await emit(path, text);
    emitted.set(id, e);
    if (e.code) cases.push({ id, file: e.file, ...extra });
  };
  await add('lrn across', 'lrn.prototxt', LRN_ACROSS, {
    check: 'lrn_across',
    size: 5,
    alpha: 0.5,
    beta: 0.75,
    k: 2,
  });
  await add('lrn within', 'lrn.prototxt', LRN_WITHIN, {
    check: 'lrn_within',
    size: 3,
    alpha: 0.5,
    beta: 0.75,
  });
  await add('bn nnspec', 'bn.nnspec', BN_NNSPEC, {
    check: 'batchnorm',
    eps: 0.001,
    momentum: 0.3,
  });
  await add('bn+scale', 'bn.prototxt', BN_SCALE, {
    check: 'batchnorm',
    eps: 0.001,
    momentum: 0.1,
  });
  await add('bn frozen', 'bn.prototxt', BN_FROZEN, {
    check: 'batchnorm',
    eps: 0.001,
    momentum: 0.1,
    frozen: true,
  });
  await add('init', 'init.prototxt', INIT, { check: 'init' });
  await add('init trunc', 'init.nnspec', INIT_TRUNC, { check: 'init' });
  await add('groups', 'groups.prototxt', GROUPS, { check: 'param_groups' });
  await add('inject', 'inject.prototxt', INJECT, { check: 'forward' });

  // Weights: synthetic IR blobs, each value telling its blob and position.
  const state = await emit('state.prototxt', STATE);
  emitted.set('state', state);
  if (state.input && state.code) {
    const blob = (shape: number[], base: number) => ({
      shape,
      data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => base + i),
    });
    irWeights.set(
      'conv',
      new Map([
        ['weight', blob([2, 3, 3, 3], 100)],
        ['bias', blob([2], 200)],
      ]),
    );
    irWeights.set(
      'bn',
      new Map([
        ['running_mean', blob([2], 300)],
        ['running_var', blob([2], 400)],
        ['scale_factor', blob([1], 1)],
      ]),
    );
    irWeights.set(
      'sc',
      new Map([
        ['weight', blob([2], 500)],
        ['bias', blob([2], 600)],
      ]),
    );
    irWeights.set('pr', new Map([['weight', blob([], 700)]]));
    irWeights.set(
      'ip',
      new Map([
        ['weight', blob([8, 3], 800)],
        ['bias', blob([3], 900)],
      ]),
    );
    stateEntries = pytorchStateDict(state.input, irWeights);
    const weights = join(OUT_DIR, 'state.safetensors');
    writeSafetensors(weights, stateEntries);
    cases.push({ id: 'state', file: state.file, check: 'state_dict', weights });
  }
  const r = await runChecks({ cases });
  if (r.ok) results = r.data.cases;
  else {
    skipReason = r.reason;
    announceSkip('pytorch/semantics.test.ts', r.reason);
  }
}, 300_000);

function result(id: string, skip: (reason?: string) => void): any {
  if (!results) {
    skip(skipReason);
    return null;
  }
  const r = results[id];
  expect(r, `no result for ${id}`).toBeDefined();
  expect(r.error, r.error).toBeUndefined();
  return r;
}

describe('pooling equals Caffe (pooling_layer.cpp loops)', () => {
  for (const p of POOLS)
    it(p.name, (ctx) => {
      const e = emitted.get(p.name)!;
      expect(e.code, JSON.stringify(e.diagnostics)).not.toBeNull();
      expect(e.code).toMatch(p.expect);
      const r = result(p.name, ctx.skip);
      expect(r.shape).toEqual(r.ref_shape);
      expect(r.diff).toBeLessThan(1e-6);
    });
});

describe('LRN equals Caffe', () => {
  it('across channels: nn.LocalResponseNorm with Caffe alpha/size', (ctx) => {
    expect(emitted.get('lrn across')!.code).toMatch(/nn\.LocalResponseNorm\(5, alpha=0\.5, beta=0\.75, k=2\)/);
    expect(result('lrn across', ctx.skip).diff).toBeLessThan(1e-6);
  });
  it('within channel: alpha/size², padded window, k ignored', (ctx) => {
    expect(emitted.get('lrn within')!.code).toMatch(/LRNWithinChannel\(3, 0\.5, 0\.75\)/);
    expect(result('lrn within', ctx.skip).diff).toBeLessThan(1e-6);
  });
});

describe('BatchNorm', () => {
  it('nnspec eps and momentum: batch statistics in training, the running update, running statistics in eval', (ctx) => {
    expect(emitted.get('bn nnspec')!.code).toMatch(/nn\.BatchNorm2d\(3, eps=0\.001, momentum=0\.3\)/);
    const r = result('bn nnspec', ctx.skip);
    expect(r.train_diff).toBeLessThan(1e-5);
    expect(r.mean_diff).toBeLessThan(1e-6);
    expect(r.var_diff).toBeLessThan(1e-6);
    expect(r.eval_diff).toBeLessThan(1e-5);
  });
  it("Caffe BatchNorm + Scale: one BatchNorm2d(affine=True) under the BatchNorm's name, momentum 1 − moving_average_fraction", (ctx) => {
    const e = emitted.get('bn+scale')!;
    expect(e.code).toMatch(/self\.bn = nn\.BatchNorm2d\(3, eps=0\.001\)/);
    expect(e.code).not.toMatch(/Scale\(/);
    expect(e.diagnostics.some((d) => d.code === 'convert/fused' && d.severity === 'note')).toBe(true);
    const r = result('bn+scale', ctx.skip);
    expect(r.keys).toEqual(['bn.bias', 'bn.num_batches_tracked', 'bn.running_mean', 'bn.running_var', 'bn.weight']);
    expect(r.train_diff).toBeLessThan(1e-5);
    expect(r.eval_diff).toBeLessThan(1e-5);
  });
  it('Caffe use_global_stats: the stored statistics even while training', (ctx) => {
    expect(emitted.get('bn frozen')!.code).toMatch(/FrozenBatchNorm\(3, eps=0\.001, affine=False\)/);
    const r = result('bn frozen', ctx.skip);
    expect(r.train_diff).toBeLessThan(1e-5);
    expect(r.mean_diff).toBe(0);
    expect(r.var_diff).toBe(0);
    expect(r.eval_diff).toBeLessThan(1e-5);
  });
});

describe('initialisation reproduces the fillers', () => {
  const within = (got: number, want: number, rel: number) => expect(Math.abs(got - want) / want).toBeLessThan(rel);
  it('Caffe xavier U(±√(3/fan_in)), msra N(0, √(2/fan_in)), constant', (ctx) => {
    const s = result('init', ctx.skip).stats;
    const fanIn = 256 * 9;
    within(s['xavier.weight'].std, Math.sqrt(1 / fanIn), 0.03);
    expect(s['xavier.weight'].max).toBeLessThanOrEqual(Math.sqrt(3 / fanIn));
    within(s['msra.weight'].std, Math.sqrt(2 / fanIn), 0.03);
    expect(s['xavier.bias'].min).toBeCloseTo(0.3, 6);
    expect(s['xavier.bias'].max).toBeCloseTo(0.3, 6);
  });
  it('sparse Gaussian keeps about sparse/outputs of the values; uniform stays in its range', (ctx) => {
    const s = result('init', ctx.skip).stats;
    within(s['sparse.weight'].zeros, 1 - 16 / 64, 0.05);
    expect(s['uniform.weight'].min).toBeGreaterThanOrEqual(-0.5);
    expect(s['uniform.weight'].max).toBeLessThanOrEqual(0.5);
    within(s['uniform.weight'].std, 1 / Math.sqrt(12), 0.03);
  });
  it("bilinear: Caffe's upsampling kernel; positive_unitball: rows of non-negative weights summing to 1", (ctx) => {
    const s = result('init', ctx.skip).stats;
    expect(s['up.weight'].min).toBeCloseTo(0.0625, 6);
    expect(s['up.weight'].max).toBeCloseTo(0.5625, 6);
    expect(s['unitball.weight'].min).toBeGreaterThanOrEqual(0);
    expect(s['unitball.weight'].mean).toBeCloseTo(1 / (256 * 64), 9);
  });
  it('truncated normal: bounded at two standard deviations, with the requested variance', (ctx) => {
    const s = result('init trunc', ctx.skip).stats['trunc.weight'];
    const std = Math.sqrt(2 / (256 * 9));
    within(s.std, std, 0.03);
    expect(Math.max(-s.min, s.max)).toBeLessThanOrEqual((2 * std) / 0.8796256610342398 + 1e-9);
  });
});

describe('weights', () => {
  it('pytorchStateDict maps IR blobs to the keys and layouts that load strictly through load_weights', (ctx) => {
    const keys = stateEntries.map((e) => e.key).sort();
    expect(keys).toEqual(['bn.bias', 'bn.running_mean', 'bn.running_var', 'bn.weight', 'conv.bias', 'conv.weight', 'ip.bias', 'ip.weight', 'pr.weight']);
    const byKey = new Map(stateEntries.map((e) => [e.key, e]));
    expect(byKey.get('ip.weight')!.shape).toEqual([3, 8]);
    expect(byKey.get('pr.weight')!.shape).toEqual([1]);
    const r = result('state', ctx.skip);
    expect(r.loaded).toContain('bn.num_batches_tracked');
    // The Scale's blobs are the BatchNorm's affine part; the InnerProduct weight is turned round.
    expect(r.values['bn.weight']).toEqual([500, 501]);
    expect(r.values['bn.bias']).toEqual([600, 601]);
    expect(r.values['bn.running_var']).toEqual([400, 401]);
    expect(r.values['pr.weight']).toEqual([700]);
    const ir = irWeights.get('ip')!.get('weight')!.data;
    expect(r.values['ip.weight']).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map((k) => ir[k * 3]!));
  });
});

describe('param_groups', () => {
  it('scales lr and weight decay per parameter and leaves lr_mult 0 out', (ctx) => {
    const groups = result('groups', ctx.skip).groups as { lr: number; weight_decay: number; params: string[] }[];
    const norm = groups.map((g) => ({ ...g, lr: Number(g.lr.toPrecision(12)), weight_decay: Number(g.weight_decay.toPrecision(12)) }));
    expect(norm).toEqual([
      { lr: 0.1, weight_decay: 0.001, params: ['conv.weight'] },
      { lr: 0.2, weight_decay: 0, params: ['conv.bias'] },
    ]);
  });
});

describe('names from the input never become code', () => {
  it('quotes, newlines, keywords and reserved attribute names give a module that imports and runs', (ctx) => {
    const e = emitted.get('inject')!;
    expect(e.code, JSON.stringify(e.diagnostics)).not.toBeNull();
    const imports = e.code!.split('\n').filter((l) => /^\s*(import|from)\b/.test(l) || /\bimport\s+(os|sys)\b/.test(l.replace(/"(?:[^"\\]|\\.)*"/g, '""')));
    expect(
      imports.every((l) =>
        /^(import (json|math|os|struct|torch)|from torch import nn|import torch\.nn\.functional as F|from collections import OrderedDict|        from safetensors\.torch import load_file)$/.test(
          l,
        ),
      ),
    ).toBe(true);
    for (const line of e.code!.split('\n')) expect(line).not.toMatch(/[\r\u2028\u2029]/);
    const r = result('inject', ctx.skip);
    expect(r.shapes).toEqual([[1, 2, 4, 4]]);
  });
});
