/**
 * One layer (or a small group) at a time: the emitted module's output equals a reference
 * written in the test with plain torch operations from the layer's Caffe or nnspec definition
 * (sd is the module's state_dict, so learned blobs enter the reference as data).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { announceSkip } from '../../verify/torch.js';
import { emit, runChecks, type Emitted } from './harness.js';

const caffe = (layers: string, shape = [2, 6, 5, 5]) =>
  `name: "t"\nlayer { name: "data" type: "Input" top: "data" input_param { shape { ${shape.map((d) => `dim: ${d}`).join(' ')} } } }\n${layers}\n`;
const nnspec = (body: string, shape = [2, 6, 5, 5]) => `nnspec: 1\nname: t\ninput { name: x shape: [${shape.join(', ')}] }\n${body}\n`;
const gaussian = 'filler { type: "gaussian" std: 1 }';

interface OpCase {
  name: string;
  path: string;
  text: string;
  ref: string;
  positive?: boolean;
  /** Multiplies the random input, so that clipping bounds are reached. */
  scale?: number;
}

const c = (name: string, layers: string, ref: string, positive = false): OpCase => ({
  name,
  path: 'op.prototxt',
  text: caffe(layers),
  ref,
  positive,
});
const n = (name: string, body: string, ref: string, scale = 1): OpCase => ({
  name,
  path: 'op.nnspec',
  text: nnspec(body),
  ref,
  scale,
});

const CASES: OpCase[] = [
  c(
    'Eltwise sum with coefficients',
    'layer { name: "r" type: "ReLU" bottom: "data" top: "r" }\nlayer { name: "e" type: "Eltwise" bottom: "data" bottom: "r" top: "e" eltwise_param { operation: SUM coeff: 2 coeff: -1 } }',
    '2 * x - F.relu(x)',
  ),
  c(
    'Eltwise product',
    'layer { name: "r" type: "ReLU" bottom: "data" top: "r" }\nlayer { name: "e" type: "Eltwise" bottom: "data" bottom: "r" top: "e" eltwise_param { operation: PROD } }',
    'x * F.relu(x)',
  ),
  c(
    'Eltwise max',
    'layer { name: "m" type: "Power" bottom: "data" top: "m" power_param { scale: -1 } }\nlayer { name: "e" type: "Eltwise" bottom: "data" bottom: "m" top: "e" eltwise_param { operation: MAX } }',
    'x.abs()',
  ),
  c(
    'Concat over channels',
    'layer { name: "r" type: "ReLU" bottom: "data" top: "r" }\nlayer { name: "cat" type: "Concat" bottom: "data" bottom: "r" top: "cat" }',
    'torch.cat([x, F.relu(x)], 1)',
  ),
  c(
    'Slice at points, outputs in order',
    'layer { name: "s" type: "Slice" bottom: "data" top: "a" top: "b" top: "c" slice_param { axis: 1 slice_point: 2 slice_point: 5 } }',
    '(x[:, :2], x[:, 2:5], x[:, 5:])',
  ),
  c(
    'Crop to the second input from axis 2 with an offset',
    'layer { name: "p" type: "Pooling" bottom: "data" top: "p" pooling_param { pool: MAX kernel_size: 2 stride: 2 } }\nlayer { name: "crop" type: "Crop" bottom: "data" bottom: "p" top: "crop" crop_param { axis: 2 offset: 1 } }',
    'x[:, :, 1:4, 1:4]',
  ),
  c(
    'Reshape with 0 (copy) and -1 (inferred)',
    'layer { name: "r" type: "Reshape" bottom: "data" top: "r" reshape_param { shape { dim: 0 dim: -1 dim: 5 } } }',
    'x.reshape(2, 30, 5)',
  ),
  c('Softmax over channels', 'layer { name: "s" type: "Softmax" bottom: "data" top: "s" }', 'torch.exp(x) / torch.exp(x).sum(1, keepdim=True)'),
  c('Power', 'layer { name: "p" type: "Power" bottom: "data" top: "p" power_param { power: 2 scale: 0.5 shift: 1 } }', '(1 + 0.5 * x) ** 2'),
  c('Exp with a base', 'layer { name: "e" type: "Exp" bottom: "data" top: "e" exp_param { base: 2 scale: 0.5 shift: 1 } }', '2 ** (1 + 0.5 * x)'),
  c('Log with a base', 'layer { name: "l" type: "Log" bottom: "data" top: "l" log_param { base: 10 shift: 3 } }', 'torch.log10(3 + x)', true),
  c('BNLL', 'layer { name: "b" type: "BNLL" bottom: "data" top: "b" }', 'torch.log1p(torch.exp(x))'),
  c('AbsVal', 'layer { name: "a" type: "AbsVal" bottom: "data" top: "a" }', 'torch.where(x < 0, -x, x)'),
  c('Threshold', 'layer { name: "t" type: "Threshold" bottom: "data" top: "t" threshold_param { threshold: 0.2 } }', '(x > 0.2).float()'),
  c('ELU', 'layer { name: "e" type: "ELU" bottom: "data" top: "e" elu_param { alpha: 0.5 } }', 'torch.where(x > 0, x, 0.5 * (torch.exp(x) - 1))'),
  c('Leaky ReLU', 'layer { name: "r" type: "ReLU" bottom: "data" top: "r" relu_param { negative_slope: 0.1 } }', 'torch.where(x > 0, x, 0.1 * x)'),
  c('Dropout is the identity in inference', 'layer { name: "d" type: "Dropout" bottom: "data" top: "d" dropout_param { dropout_ratio: 0.3 } }', 'x'),
  c('Tile', 'layer { name: "t" type: "Tile" bottom: "data" top: "t" tile_param { axis: 1 tiles: 2 } }', 'torch.cat([x, x], 1)'),
  c('Flatten', 'layer { name: "f" type: "Flatten" bottom: "data" top: "f" }', 'x.reshape(2, -1)'),
  c('ArgMax along an axis', 'layer { name: "a" type: "ArgMax" bottom: "data" top: "a" argmax_param { top_k: 2 axis: 1 } }', 'x.argsort(1, descending=True)[:, :2].float()'),
  c(
    'Reduction (sum of squares, coefficient)',
    'layer { name: "r" type: "Reduction" bottom: "data" top: "r" reduction_param { operation: SUMSQ axis: 2 coeff: 0.5 } }',
    '0.5 * (x * x).sum((2, 3))',
  ),
  c('Bias (learned, over channels)', `layer { name: "b" type: "Bias" bottom: "data" top: "b" bias_param { ${gaussian} } }`, 'x + sd["b.bias"][None, :, None, None]'),
  c(
    'Scale by a second input from axis 0',
    'layer { name: "g" type: "Pooling" bottom: "data" top: "g" pooling_param { pool: AVE global_pooling: true } }\nlayer { name: "r" type: "Reshape" bottom: "g" top: "r" reshape_param { shape { dim: 0 dim: -1 } } }\nlayer { name: "s" type: "Scale" bottom: "data" bottom: "r" top: "s" scale_param { axis: 0 } }',
    'x * x.mean((2, 3))[:, :, None, None]',
  ),
  c(
    'Scale (learned, two axes, with bias)',
    `layer { name: "s" type: "Scale" bottom: "data" top: "s" scale_param { axis: 1 num_axes: 2 bias_term: true ${gaussian} bias_${gaussian} } }`,
    'x * sd["s.weight"][None, :, :, None] + sd["s.bias"][None, :, :, None]',
  ),
  c(
    'MVN',
    'layer { name: "m" type: "MVN" bottom: "data" top: "m" }',
    '(x - x.mean((2, 3), keepdim=True)) / ((x - x.mean((2, 3), keepdim=True)).pow(2).mean((2, 3), keepdim=True).sqrt() + 1e-9)',
  ),
  c(
    'MVN across channels, mean only',
    'layer { name: "m" type: "MVN" bottom: "data" top: "m" mvn_param { normalize_variance: false across_channels: true } }',
    'x - x.mean((1, 2, 3), keepdim=True)',
  ),
  c(
    'Deconvolution',
    `layer { name: "d" type: "Deconvolution" bottom: "data" top: "d" convolution_param { num_output: 4 kernel_size: 3 stride: 2 pad: 1 weight_${gaussian} bias_${gaussian} } }`,
    'F.conv_transpose2d(x, sd["d.weight"], sd["d.bias"], stride=2, padding=1)',
  ),
  c(
    'Convolution with groups and dilation',
    `layer { name: "c" type: "Convolution" bottom: "data" top: "c" convolution_param { num_output: 4 kernel_size: 3 pad: 2 dilation: 2 group: 2 weight_${gaussian} bias_${gaussian} } }`,
    'F.conv2d(x, sd["c.weight"], sd["c.bias"], padding=2, dilation=2, groups=2)',
  ),
  c('PReLU per channel', `layer { name: "p" type: "PReLU" bottom: "data" top: "p" prelu_param { ${gaussian} } }`, 'torch.where(x > 0, x, sd["p.weight"][None, :, None, None] * x)'),
  c(
    'InnerProduct on a 4-D blob flattens C, H, W',
    `layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip" inner_product_param { num_output: 7 weight_${gaussian} bias_${gaussian} } }`,
    'x.reshape(2, -1) @ sd["ip.weight"].t() + sd["ip.bias"]',
  ),
  c(
    'InnerProduct transpose: true',
    `layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip" inner_product_param { num_output: 7 transpose: true weight_${gaussian} bias_term: false } }`,
    'x.reshape(2, -1) @ sd["ip.weight"].t()',
  ),
  n('Asymmetric convolution padding', 'Conv { name: c out: 4 kernel: 3 pad_begin: [0, 1] pad_end: [2, 1] }', 'F.conv2d(F.pad(x, (1, 1, 0, 2)), sd["c.weight"], sd["c.bias"])'),
  n(
    'Transposed convolution with output_padding',
    'ConvTranspose { name: d out: 4 kernel: 3 stride: 2 pad: 1 output_padding: 1 }',
    'F.conv_transpose2d(x, sd["d.weight"], sd["d.bias"], stride=2, padding=1, output_padding=1)',
  ),
  n('Dropout with scale_train: false scales in inference', 'Dropout { drop_prob: 0.3 scale_train: false }', '0.7 * x'),
  c(
    'Caffe BatchNorm with use_global_stats: false normalises with the batch also in inference',
    'layer { name: "bn" type: "BatchNorm" bottom: "data" top: "bn" batch_norm_param { use_global_stats: false } }',
    '(x - x.mean((0, 2, 3), keepdim=True)) / (x.var((0, 2, 3), unbiased=False, keepdim=True) + 1e-5).sqrt()',
  ),
  n('ReLU6', 'ReLU6 { }', 'x.clamp(0, 6)', 10),
  n('Clip', 'Clip { min: -0.5 max: 0.25 }', 'x.clamp(-0.5, 0.25)', 10),
  n('SELU', 'SELU { }', '1.0507009873554805 * torch.where(x > 0, x, 1.6732632423543772 * (torch.exp(x) - 1))'),
  n('GELU (exact)', 'GELU { }', 'x * 0.5 * (1 + torch.erf(x / math.sqrt(2)))'),
  n('Swish with beta', 'Swish { beta: 2 }', 'x / (1 + torch.exp(-2 * x))'),
  n('Maxout over consecutive channels', 'Maxout { pieces: 2 }', 'torch.stack([x[:, 0::2], x[:, 1::2]]).amax(0)'),
];

const emitted = new Map<string, Emitted>();
let results: Record<string, any> | null = null;
let skipReason = '';

beforeAll(async () => {
  const cases: unknown[] = [];
  for (const k of CASES) {
    const e = await emit(k.path, k.text);
    emitted.set(k.name, e);
    if (e.code)
      cases.push({
        id: k.name,
        file: e.file,
        check: 'expr',
        ref: k.ref,
        positive: k.positive ?? false,
        scale: k.scale ?? 1,
      });
  }
  const r = await runChecks({ cases });
  if (r.ok) results = r.data.cases;
  else {
    skipReason = r.reason;
    announceSkip('pytorch/ops.test.ts', r.reason);
  }
}, 300_000);

describe('each layer computes its definition', () => {
  for (const k of CASES) {
    it(k.name, (ctx) => {
      const e = emitted.get(k.name)!;
      expect(e.code, JSON.stringify(e.diagnostics.map((d) => d.message))).not.toBeNull();
      if (!results) return ctx.skip(skipReason);
      const r = results[k.name];
      expect(r.error, r.error).toBeUndefined();
      expect(r.shapes).toEqual(r.ref_shapes);
      for (const d of r.diffs) expect(d).toBeLessThan(1e-4);
    });
  }
});
