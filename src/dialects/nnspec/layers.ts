/**
 * The nnspec layer types: for each, its fields (flat, no `*_param` wrapper) and how it maps
 * to an IR operation. Every IR operation has at least one nnspec spelling, so any IR (a Caffe
 * net included) can be written back as nnspec.
 *
 * Choices that prevent the classic conversion traps: pooling states its rounding and stride
 * (Caffe rounds up with stride 1 by default, PyTorch floors with stride = kernel), dropout
 * takes `drop_prob` (never an ambiguous `p`), LRN takes an explicit alpha (Caffe defaults to
 * 1, PyTorch to 1e-4), BatchNorm momentum is PyTorch's (weight of the new batch).
 */
import { constant, TORCH_DEFAULT_BIAS, TORCH_DEFAULT_WEIGHT, type Filler } from '../../ir/filler.js';
import type { ParamBlob } from '../../ir/graph.js';
import type { AttrsOf, OpName } from '../../ir/ops/index.js';
import type { Message, Span } from '../../language/syntax-tree.js';
import { rawJson } from '../../schema/decode-proto.js';
import { many, maybe, opt, req, t, type Aliases, type Decls, type ReadContext, type Values } from './fields.js';
import { biasField, paramBlock, type ParamSpecValue } from './init.js';

export type Built = { [O in OpName]: { op: O; attrs: AttrsOf<O>; params: ParamBlob[] } }[OpName];

export interface BuildContext {
  read: ReadContext;
  /** The layer's type keyword, where problems with the layer as a whole point. */
  key: Span;
  spans: Partial<Record<string, Span>>;
  /** How many inputs the layer has (Scale and Bias learn a blob only with one). */
  inputs: number;
}

export interface LayerType<D extends Decls = Decls> {
  type: string;
  summary: string;
  fields: D;
  aliases?: Aliases;
  build(v: Values<D>, b: BuildContext): Built | null;
}

function layer<D extends Decls>(def: LayerType<D>): LayerType<D> {
  return def;
}

function built<O extends OpName>(op: O, attrs: AttrsOf<O>, params: ParamBlob[] = []): Built {
  return { op, attrs, params } as Built;
}

function error(b: BuildContext, code: string, message: string, field?: string): null {
  b.read.diagnostics.error(code, message, (field && b.spans[field]) || b.key);
  return null;
}

function blob(name: string, spec: ParamSpecValue | undefined, init: Filler, trainable = true): ParamBlob {
  const out: ParamBlob = { name, init: spec?.init ?? init, lr_mult: spec?.lr_mult ?? 1, decay_mult: spec?.decay_mult ?? 1, trainable };
  if (spec?.share) out.share = { name: spec.share, mode: 'strict' };
  return out;
}

/** Weight and optional bias, PyTorch's default initialisation unless the spec says otherwise. */
function weightAndBias(weight: ParamSpecValue | undefined, bias: ParamSpecValue | boolean, weightInit = TORCH_DEFAULT_WEIGHT, biasInit = TORCH_DEFAULT_BIAS): ParamBlob[] {
  const out = [blob('weight', weight, weightInit)];
  if (bias !== false) out.push(blob('bias', bias === true ? undefined : bias, biasInit));
  return out;
}

/** Expands per-axis settings to one value per spatial axis (2 unless a list says otherwise). */
function axes(b: BuildContext, settings: Record<string, number[] | undefined>): Record<string, number[]> | null {
  let n = 0;
  for (const v of Object.values(settings)) if (v && v.length > 1) n = Math.max(n, v.length);
  n ||= 2;
  const out: Record<string, number[]> = {};
  for (const [name, v] of Object.entries(settings)) {
    if (!v) continue;
    if (v.length === 1) out[name] = new Array<number>(n).fill(v[0]!);
    else if (v.length === n) out[name] = v;
    else return error(b, 'nnspec/axis-count', `'${name}' has ${v.length} values but the layer has ${n} spatial axes (give 1 or ${n})`, name);
  }
  return out;
}

/** `pad: 1`, `pad: [1, 2]` (symmetric), or `pad_begin`/`pad_end` for asymmetric padding. */
function padding(b: BuildContext, v: { pad?: number[] | undefined; pad_begin?: number[] | undefined; pad_end?: number[] | undefined }) {
  if (v.pad_begin || v.pad_end) {
    if (v.pad) return error(b, 'nnspec/conflicting-fields', "give either 'pad' or 'pad_begin'/'pad_end', not both", 'pad');
    if (!v.pad_begin || !v.pad_end) return error(b, 'nnspec/conflicting-fields', "'pad_begin' and 'pad_end' go together", v.pad_begin ? 'pad_begin' : 'pad_end');
    return { begin: v.pad_begin, end: v.pad_end };
  }
  const pad = v.pad ?? [0];
  return { begin: pad, end: pad };
}

const ints = (min: number) => t.list(t.int(min), { minItems: 1 });
const axisInt = t.int();
const prob = t.num(0, 1, { exclusiveMax: true });

const convFields = {
  out: req(t.int(1), 'output channels'),
  kernel: req(ints(1), 'kernel size: one value, or one per spatial axis'),
  stride: opt(ints(1), [1], 'step between windows'),
  pad: maybe(ints(0), 'zero padding on both sides of each axis'),
  pad_begin: maybe(ints(0), 'zero padding before each axis (asymmetric padding)'),
  pad_end: maybe(ints(0), 'zero padding after each axis (asymmetric padding)'),
  dilation: opt(ints(1), [1], 'spacing between kernel taps'),
  groups: opt(t.int(1), 1, 'channel groups (equal to the input channels: depthwise)'),
  bias: opt(biasField, true as ParamSpecValue | boolean, 'false for no bias, or a parameter block'),
  weight: maybe(paramBlock('weight'), 'the weight parameter: init, lr_mult, decay_mult'),
  axis: opt(t.int(0), 1, 'the channel axis'),
};

function buildConv(v: Values<typeof convFields> & { output_padding?: number[] }, b: BuildContext, transposed: boolean): Built | null {
  if (v.out % v.groups !== 0) return error(b, 'nnspec/invalid-value', `out (${v.out}) must be a multiple of groups (${v.groups})`, 'groups');
  const pad = padding(b, v);
  if (!pad) return null;
  const a = axes(b, { kernel: v.kernel, stride: v.stride, dilation: v.dilation, pad_begin: pad.begin, pad_end: pad.end, output_padding: v.output_padding ?? [0] });
  if (!a) return null;
  const common = {
    num_output: v.out,
    kernel: a.kernel!,
    stride: a.stride!,
    dilation: a.dilation!,
    pad_begin: a.pad_begin!,
    pad_end: a.pad_end!,
    groups: v.groups,
    bias: v.bias !== false,
    axis: v.axis,
  };
  const params = weightAndBias(v.weight, v.bias);
  return transposed ? built('conv_transpose', { ...common, output_padding: a.output_padding! }, params) : built('conv', common, params);
}

const linearFields = {
  out: req(t.int(1), 'output features'),
  axis: opt(axisInt, 1, 'axes from here on are flattened (row-major, C·H·W) into the inputs'),
  bias: opt(biasField, true as ParamSpecValue | boolean, 'false for no bias, or a parameter block'),
  weight: maybe(paramBlock('weight'), 'the weight parameter: init, lr_mult, decay_mult'),
};

const poolFields = {
  kernel: maybe(ints(1), 'window size'),
  stride: maybe(ints(1), 'step between windows (required: Caffe defaults to 1, PyTorch to the kernel)'),
  pad: maybe(ints(0), 'padding on both sides of each axis'),
  pad_begin: maybe(ints(0), 'padding before each axis'),
  pad_end: maybe(ints(0), 'padding after each axis'),
  round: maybe(t.oneOf(['floor', 'ceil', 'caffe'] as const), "output size rounding: floor (PyTorch's default), ceil (PyTorch ceil_mode) or caffe (ceil, last window dropped only when padded)"),
  global: opt(t.bool, false, 'pool each channel to 1×1'),
  output: maybe(ints(1), 'adaptive pooling to this output size'),
};

function buildPool(v: Values<typeof poolFields> & { count_pad?: boolean }, b: BuildContext, mode: 'max' | 'avg' | 'stochastic'): Built | null {
  const windowFields = ['kernel', 'stride', 'pad', 'pad_begin', 'pad_end', 'round'] as const;
  if (v.global || v.output) {
    const which = v.global ? 'global' : 'output';
    if (v.global && v.output) return error(b, 'nnspec/conflicting-fields', "give either 'global' or 'output', not both", 'output');
    for (const f of windowFields) if (v[f] !== undefined) return error(b, 'nnspec/conflicting-fields', `'${f}' does not apply to ${which === 'global' ? 'global' : 'adaptive'} pooling`, f);
    if (v.global) return built('global_pool', { mode });
    if (mode === 'stochastic') return error(b, 'nnspec/invalid-value', 'adaptive pooling is max or average', 'output');
    return built('adaptive_pool', { mode, output_size: v.output!.length === 1 ? [v.output![0]!, v.output![0]!] : v.output! });
  }
  if (!v.kernel) return error(b, 'nnspec/missing-field', "pooling needs 'kernel' (or 'global: true', or 'output' for adaptive pooling)");
  if (!v.stride) return error(b, 'nnspec/missing-field', "pooling needs 'stride': Caffe defaults it to 1 and PyTorch to the kernel size, so nnspec asks");
  if (!v.round) return error(b, 'nnspec/missing-field', "pooling needs 'round: floor | ceil | caffe' (Caffe rounds up, PyTorch down); set it here or once in defaults { MaxPool { round: … } }");
  const pad = padding(b, v);
  if (!pad) return null;
  const a = axes(b, { kernel: v.kernel, stride: v.stride, pad_begin: pad.begin, pad_end: pad.end });
  if (!a) return null;
  for (let i = 0; i < a.kernel!.length; i++) {
    if (a.pad_begin![i]! >= a.kernel![i]! || a.pad_end![i]! >= a.kernel![i]!) return error(b, 'nnspec/invalid-value', 'pooling padding must be smaller than the kernel', v.pad ? 'pad' : 'pad_begin');
  }
  return built('pool', { mode, kernel: a.kernel!, stride: a.stride!, pad_begin: a.pad_begin!, pad_end: a.pad_end!, rounding: v.round, count_include_pad: v.count_pad ?? false });
}

const lossFields = {
  axis: opt(axisInt, 1, 'the class axis'),
  ignore_label: maybe(t.int(), 'targets with this label do not count'),
  normalization: opt(t.oneOf(['full', 'valid', 'batch_size', 'none'] as const), 'valid' as 'full' | 'valid' | 'batch_size' | 'none', 'what the summed loss is divided by'),
};

function lossBuilder(kind: AttrsOf<'loss'>['kind']) {
  return (v: Values<typeof lossFields> & { margin?: number; legacy_version?: boolean; norm?: 'l1' | 'l2'; source?: string }): Built =>
    built('loss', {
      kind,
      axis: v.axis,
      ignore_label: v.ignore_label ?? null,
      normalization: v.normalization,
      margin: v.margin ?? 1,
      legacy_version: v.legacy_version ?? false,
      norm: v.norm ?? 'l1',
      source: v.source ?? null,
    });
}

const none = {};
const DROPOUT_ALIASES: Aliases = {
  p: "'p' is ambiguous (PyTorch's p drops, the lecture's p keeps): write drop_prob, the probability of dropping a unit",
  keep_prob: 'write drop_prob: 1 − keep_prob (nnspec states the probability of dropping a unit)',
  ratio: 'write drop_prob (the probability of dropping a unit; Caffe calls it dropout_ratio)',
  dropout_ratio: 'write drop_prob (the probability of dropping a unit)',
  rate: 'write drop_prob (the probability of dropping a unit; Keras calls it rate)',
};

export const LAYER_TYPES: LayerType[] = [
  layer({
    type: 'Conv',
    summary: 'Convolution (Caffe Convolution, PyTorch Conv2d).',
    fields: convFields,
    aliases: { num_output: "write 'out'", kernel_size: "write 'kernel'", group: "write 'groups'", bias_term: "write 'bias: false' to drop the bias" },
    build: (v, b) => buildConv(v, b, false),
  }),
  layer({
    type: 'ConvTranspose',
    summary: 'Transposed convolution (Caffe Deconvolution, PyTorch ConvTranspose2d).',
    fields: { ...convFields, output_padding: opt(ints(0), [0], 'extra size added at the end of each axis') },
    aliases: { num_output: "write 'out'", kernel_size: "write 'kernel'" },
    build: (v, b) => buildConv(v, b, true),
  }),
  layer({
    type: 'Im2col',
    summary: 'Unfolds convolution windows into columns (Caffe Im2col).',
    fields: { kernel: req(ints(1), 'window size'), stride: opt(ints(1), [1], 'step'), pad: maybe(ints(0), 'padding'), pad_begin: maybe(ints(0), 'padding before'), pad_end: maybe(ints(0), 'padding after'), dilation: opt(ints(1), [1], 'dilation'), axis: opt(t.int(0), 1, 'channel axis') },
    build: (v, b) => {
      const pad = padding(b, v);
      if (!pad) return null;
      const a = axes(b, { kernel: v.kernel, stride: v.stride, dilation: v.dilation, pad_begin: pad.begin, pad_end: pad.end });
      return a && built('im2col', { kernel: a.kernel!, stride: a.stride!, dilation: a.dilation!, pad_begin: a.pad_begin!, pad_end: a.pad_end!, axis: v.axis });
    },
  }),
  layer({
    type: 'Linear',
    summary: 'Fully connected layer (Caffe InnerProduct); flattens from `axis` like Caffe.',
    fields: linearFields,
    aliases: { num_output: "write 'out'", out_features: "write 'out'" },
    build: (v) => built('linear', { num_output: v.out, axis: v.axis, bias: v.bias !== false, transpose: false, weight_drop_prob: 0 }, weightAndBias(v.weight, v.bias)),
  }),
  layer({
    type: 'DropConnect',
    summary: 'A fully connected layer whose weights are dropped at random while training (Wan et al., 2013).',
    fields: { ...linearFields, drop_prob: req(prob, 'probability of dropping each weight') },
    aliases: DROPOUT_ALIASES,
    build: (v) => built('linear', { num_output: v.out, axis: v.axis, bias: v.bias !== false, transpose: false, weight_drop_prob: v.drop_prob }, weightAndBias(v.weight, v.bias)),
  }),
  ...(['max', 'avg', 'stochastic'] as const).map((mode) =>
    mode === 'avg'
      ? layer({
          type: 'AvgPool',
          summary: 'Average pooling (windowed, global or adaptive).',
          fields: { ...poolFields, count_pad: opt(t.bool, true, 'divide by the window including its padding (Caffe, PyTorch default) or only by the cells inside the input') },
          aliases: { kernel_size: "write 'kernel'", ceil_mode: "write 'round: ceil'", round_mode: "write 'round'" },
          build: (v, b) => buildPool(v, b, mode),
        })
      : layer({
          type: mode === 'max' ? 'MaxPool' : 'StochasticPool',
          summary: mode === 'max' ? 'Max pooling (windowed, global or adaptive).' : 'Stochastic pooling (Zeiler and Fergus, 2013).',
          fields: poolFields,
          aliases: { kernel_size: "write 'kernel'", ceil_mode: "write 'round: ceil'", round_mode: "write 'round'" },
          build: (v, b) => buildPool(v, b, mode),
        }),
  ),
  layer({
    type: 'SPP',
    summary: 'Spatial pyramid pooling (Caffe SPP).',
    fields: { height: req(t.int(1), 'pyramid levels'), mode: opt(t.oneOf(['max', 'avg', 'stochastic'] as const), 'max' as 'max' | 'avg' | 'stochastic', 'pooling method') },
    build: (v) => built('spp', { pyramid_height: v.height, mode: v.mode }),
  }),
  layer({
    type: 'LRN',
    summary: 'Local response normalisation: x / (k + alpha/size · Σx²)^beta (alpha is divided by size, as in Caffe and PyTorch).',
    fields: {
      size: req(t.int(1), 'channels (or window side) summed over; odd'),
      alpha: req(t.num(), 'scale of the sum, divided by size (Caffe defaults to 1, PyTorch to 1e-4, so nnspec asks)'),
      beta: opt(t.num(), 0.75, 'exponent'),
      k: opt(t.num(), 1, 'additive constant (AlexNet used 2)'),
      region: opt(t.oneOf(['across_channels', 'within_channel'] as const), 'across_channels' as 'across_channels' | 'within_channel', 'normalise across channels or within a spatial window'),
    },
    aliases: { local_size: "write 'size'", bias: "write 'k'", depth_radius: "write 'size: 2·depth_radius + 1' (and alpha · size for TF's alpha)" },
    build: (v, b) => (v.size % 2 === 1 ? built('lrn', { size: v.size, alpha: v.alpha, beta: v.beta, k: v.k, region: v.region }) : error(b, 'nnspec/invalid-value', `LRN size must be odd, got ${v.size}`, 'size')),
  }),
  layer({
    type: 'BatchNorm',
    summary: 'Batch normalisation, with learnable γ and β unless affine: false.',
    fields: {
      eps: opt(t.num(0, Infinity, { exclusiveMin: true }), 1e-5, 'added to the variance'),
      momentum: opt(t.num(0, 1), 0.1, "weight of each new batch in the running statistics (PyTorch's convention; Keras' momentum is 1 − this)"),
      statistics: opt(t.oneOf(['auto', 'running', 'batch'] as const), 'auto' as 'auto' | 'running' | 'batch', 'auto: batch statistics in training, running ones in inference; running: frozen'),
      affine: opt(t.bool, true, 'learn γ (weight) and β (bias)'),
      weight: maybe(paramBlock('other'), 'γ: init (1), lr_mult, decay_mult'),
      bias: maybe(paramBlock('other'), 'β: init (0), lr_mult, decay_mult'),
    },
    aliases: { moving_average_fraction: "write 'momentum: 1 − moving_average_fraction'", use_global_stats: "write 'statistics: running'", epsilon: "write 'eps'" },
    build: (v) => {
      const stats = [blob('running_mean', undefined, constant(0), false), blob('running_var', undefined, constant(1), false)];
      for (const s of stats) s.lr_mult = s.decay_mult = 0;
      const params = v.affine ? [blob('weight', v.weight, constant(1)), blob('bias', v.bias, constant(0)), ...stats] : stats;
      return built('batchnorm', { eps: v.eps, momentum: v.momentum, statistics: v.statistics, running_update: 'ema', affine: v.affine }, params);
    },
  }),
  layer({
    type: 'Scale',
    summary: 'Multiplies by a learned blob (or the second input) broadcast from `axis` (Caffe Scale).',
    fields: {
      axis: opt(axisInt, 1, 'first axis the scale lines up with'),
      num_axes: opt(t.int(-1), 1, 'axes the scale covers (−1: all remaining)'),
      bias: opt(biasField, false as ParamSpecValue | boolean, 'also add a learned bias'),
      weight: maybe(paramBlock('other'), 'the scale: init (1), lr_mult, decay_mult'),
    },
    build: (v, b) => {
      const two = b.inputs === 2;
      const params: ParamBlob[] = two ? [] : [blob('weight', v.weight, constant(1))];
      if (v.bias !== false) params.push(blob('bias', v.bias === true ? undefined : v.bias, constant(0)));
      return built('scale', { axis: v.axis, num_axes: v.num_axes, bias: v.bias !== false }, params);
    },
  }),
  layer({
    type: 'Bias',
    summary: 'Adds a learned blob (or the second input) broadcast from `axis` (Caffe Bias).',
    fields: { axis: opt(axisInt, 1, 'first axis the bias lines up with'), num_axes: opt(t.int(-1), 1, 'axes the bias covers'), bias: maybe(paramBlock('other'), 'the bias: init (0), lr_mult, decay_mult') },
    build: (v, b) => built('bias', { axis: v.axis, num_axes: v.num_axes }, b.inputs === 2 ? [] : [blob('bias', v.bias, constant(0))]),
  }),
  layer({
    type: 'MVN',
    summary: 'Mean-variance normalisation per sample.',
    fields: { normalize_variance: opt(t.bool, true, 'divide by the standard deviation'), across_channels: opt(t.bool, false, 'normalise over C·H·W instead of per channel'), eps: opt(t.num(0), 1e-9, 'added to the standard deviation') },
    build: (v) => built('mvn', { normalize_variance: v.normalize_variance, across_channels: v.across_channels, eps: v.eps }),
  }),
  layer({ type: 'ReLU', summary: 'max(x, 0).', fields: none, aliases: { negative_slope: 'use LeakyReLU { slope: … }' }, build: () => built('relu', { negative_slope: 0 }) }),
  layer({ type: 'LeakyReLU', summary: 'x for x > 0, slope · x otherwise.', fields: { slope: opt(t.num(), 0.01, 'negative slope') }, aliases: { negative_slope: "write 'slope'", alpha: "write 'slope'" }, build: (v) => built('relu', { negative_slope: v.slope }) }),
  layer({
    type: 'PReLU',
    summary: 'ReLU with a learned negative slope per channel (or one shared).',
    fields: { shared: opt(t.bool, false, 'one slope for all channels (PyTorch nn.PReLU() default) instead of one per channel (Caffe default)'), weight: maybe(paramBlock('other'), 'the slopes: init (0.25), lr_mult, decay_mult') },
    aliases: { channel_shared: "write 'shared'", num_parameters: "write 'shared: true' for one slope" },
    build: (v) => built('prelu', { channel_shared: v.shared }, [blob('weight', v.weight, constant(0.25))]),
  }),
  layer({ type: 'ReLU6', summary: 'min(max(x, 0), 6).', fields: none, build: () => built('clip', { min: 0, max: 6 }) }),
  layer({ type: 'Clip', summary: 'min(max(x, min), max).', fields: { min: req(t.num(), 'lower bound'), max: req(t.num(), 'upper bound') }, build: (v, b) => (v.min <= v.max ? built('clip', { min: v.min, max: v.max }) : error(b, 'nnspec/invalid-value', 'Clip needs min ≤ max', 'min')) }),
  layer({ type: 'ELU', summary: 'x for x > 0, alpha·(exp(x) − 1) otherwise.', fields: { alpha: opt(t.num(), 1, 'saturation value for negative inputs') }, build: (v) => built('elu', { alpha: v.alpha }) }),
  layer({ type: 'SELU', summary: 'Self-normalising ELU (pair with LeCun-normal init and alpha dropout).', fields: none, build: () => built('selu', {}) }),
  layer({ type: 'GELU', summary: 'x · Φ(x).', fields: { approximate: opt(t.oneOf(['none', 'tanh'] as const), 'none' as 'none' | 'tanh', 'exact, or the tanh approximation') }, build: (v) => built('gelu', { approximate: v.approximate }) }),
  layer({ type: 'Sigmoid', summary: '1 / (1 + exp(−x)).', fields: none, build: () => built('sigmoid', {}) }),
  layer({ type: 'TanH', summary: 'Hyperbolic tangent.', fields: none, build: () => built('tanh', {}) }),
  layer({ type: 'Swish', summary: 'x · sigmoid(beta · x) (SiLU when beta is 1).', fields: { beta: opt(t.num(), 1, 'slope inside the sigmoid') }, build: (v) => built('swish', { beta: v.beta }) }),
  layer({ type: 'Maxout', summary: 'Maximum over groups of `pieces` consecutive channels (Goodfellow et al., 2013).', fields: { pieces: req(t.int(2), 'channels per group; output channels = input channels / pieces') }, build: (v) => built('maxout', { pieces: v.pieces }) }),
  layer({ type: 'Abs', summary: '|x| (Caffe AbsVal).', fields: none, build: () => built('absval', {}) }),
  layer({ type: 'Softplus', summary: 'log(1 + exp(x)) (Caffe BNLL).', fields: none, build: () => built('bnll', {}) }),
  layer({ type: 'Power', summary: '(shift + scale · x)^power.', fields: { power: opt(t.num(), 1, 'exponent'), scale: opt(t.num(), 1, 'multiplies x first'), shift: opt(t.num(), 0, 'added after scaling') }, build: (v) => built('power', { power: v.power, scale: v.scale, shift: v.shift }) }),
  layer({ type: 'Exp', summary: 'base^(shift + scale · x) (base e unless given).', fields: { base: maybe(t.num(0, Infinity, { exclusiveMin: true }), 'the base (e when omitted)'), scale: opt(t.num(), 1, 'multiplies x'), shift: opt(t.num(), 0, 'added') }, build: (v) => built('exp', { base: v.base ?? -1, scale: v.scale, shift: v.shift }) }),
  layer({ type: 'Log', summary: 'log_base(shift + scale · x) (natural log unless given).', fields: { base: maybe(t.num(0, Infinity, { exclusiveMin: true }), 'the base (e when omitted)'), scale: opt(t.num(), 1, 'multiplies x'), shift: opt(t.num(), 0, 'added') }, build: (v) => built('log', { base: v.base ?? -1, scale: v.scale, shift: v.shift }) }),
  layer({ type: 'Threshold', summary: '1 where x > threshold, else 0.', fields: { threshold: opt(t.num(), 0, 'the threshold') }, build: (v) => built('threshold', { threshold: v.threshold }) }),
  layer({
    type: 'Dropout',
    summary: 'Inverted dropout: zeroes each value with probability drop_prob while training.',
    fields: { drop_prob: opt(prob, 0.5, 'probability of dropping a unit (not of keeping it)'), scale_train: opt(t.bool, true, 'scale by 1/(1 − drop_prob) while training (false: scale in inference instead)') },
    aliases: DROPOUT_ALIASES,
    build: (v) => built('dropout', { drop_prob: v.drop_prob, scale_train: v.scale_train }),
  }),
  layer({ type: 'Flatten', summary: 'Merges axes axis…end_axis (row-major).', fields: { axis: opt(axisInt, 1, 'first axis merged'), end_axis: opt(axisInt, -1, 'last axis merged') }, build: (v) => built('flatten', { axis: v.axis, end_axis: v.end_axis }) }),
  layer({
    type: 'Reshape',
    summary: 'New shape for axes [axis, axis + num_axes): 0 copies a dimension, −1 is inferred.',
    fields: { shape: req(t.list(t.int(-1)), 'the new dimensions'), axis: opt(axisInt, 0, 'first axis replaced'), num_axes: opt(t.int(-1), -1, 'axes replaced (−1: all from axis)') },
    build: (v, b) => (v.shape.filter((d) => d === -1).length > 1 ? error(b, 'nnspec/invalid-value', 'Reshape can infer at most one dimension (−1)', 'shape') : built('reshape', { shape: v.shape, axis: v.axis, num_axes: v.num_axes })),
  }),
  layer({ type: 'Concat', summary: 'Joins its inputs along `axis`.', fields: { axis: opt(axisInt, 1, 'the axis joined along') }, build: (v) => built('concat', { axis: v.axis }) }),
  layer({ type: 'Add', summary: 'Elementwise sum of its inputs (residual connections).', fields: none, build: () => built('eltwise', { operation: 'sum', coeff: [] }) }),
  layer({
    type: 'Eltwise',
    summary: 'Elementwise sum (with coefficients), product or maximum.',
    fields: { op: opt(t.oneOf(['sum', 'prod', 'max'] as const), 'sum' as 'sum' | 'prod' | 'max', 'the operation'), coeff: opt(t.list(t.num()), [] as number[], 'one coefficient per input (sum only)') },
    aliases: { operation: "write 'op'" },
    build: (v, b) => {
      if (v.coeff.length > 0 && v.op !== 'sum') return error(b, 'nnspec/invalid-value', 'coefficients apply to sum only', 'coeff');
      if (v.coeff.length > 0 && v.coeff.length !== b.inputs) return error(b, 'nnspec/invalid-value', `one coefficient per input: ${b.inputs} inputs, ${v.coeff.length} coefficients`, 'coeff');
      return built('eltwise', { operation: v.op, coeff: v.coeff });
    },
  }),
  layer({ type: 'Crop', summary: 'Crops the first input to the size of the second from `axis` on.', fields: { axis: opt(axisInt, 2, 'first cropped axis'), offset: opt(t.list(t.int(0)), [0], 'offset: one for all axes or one per axis') }, build: (v) => built('crop', { axis: v.axis, offset: v.offset }) }),
  layer({
    type: 'Slice',
    summary: 'Splits along `axis` at the given points (or evenly, one part per output).',
    fields: { axis: opt(axisInt, 1, 'the axis split'), points: opt(t.list(t.int(1)), [] as number[], 'split positions, strictly increasing') },
    aliases: { slice_point: "write 'points'" },
    build: (v, b) => {
      for (let i = 1; i < v.points.length; i++) if (v.points[i]! <= v.points[i - 1]!) return error(b, 'nnspec/invalid-value', 'slice points must increase', 'points');
      return built('slice', { axis: v.axis, slice_points: v.points });
    },
  }),
  layer({ type: 'Split', summary: 'Copies its input to each output (rarely needed: blobs may feed several layers).', fields: none, build: () => built('split', {}) }),
  layer({ type: 'Tile', summary: 'Repeats the input along `axis`.', fields: { axis: opt(axisInt, 1, 'the axis repeated'), tiles: req(t.int(1), 'number of copies') }, build: (v) => built('tile', { axis: v.axis, tiles: v.tiles }) }),
  layer({ type: 'Softmax', summary: 'Softmax along `axis`.', fields: { axis: opt(axisInt, 1, 'the class axis') }, build: (v) => built('softmax', { axis: v.axis }) }),
  layer({
    type: 'ArgMax',
    summary: 'Indices of the top_k maxima.',
    fields: { top_k: opt(t.int(1), 1, 'how many maxima'), out_max_val: opt(t.bool, false, 'also output the values'), axis: maybe(axisInt, 'the axis (all non-batch axes when omitted)') },
    build: (v) => built('argmax', { top_k: v.top_k, out_max_val: v.out_max_val, axis: v.axis ?? null }),
  }),
  layer({
    type: 'Reduction',
    summary: 'Reduces all axes from `axis` on.',
    fields: { op: opt(t.oneOf(['sum', 'asum', 'sumsq', 'mean'] as const), 'sum' as 'sum' | 'asum' | 'sumsq' | 'mean', 'the reduction'), axis: opt(axisInt, 0, 'first reduced axis'), coeff: opt(t.num(), 1, 'multiplies the result') },
    build: (v) => built('reduction', { operation: v.op, axis: v.axis, coeff: v.coeff }),
  }),
  layer({
    type: 'Embed',
    summary: 'Looks up rows of a learned table by integer index.',
    fields: { out: req(t.int(1), 'embedding size'), input_dim: req(t.int(1), 'vocabulary size'), bias: opt(biasField, true as ParamSpecValue | boolean, 'false for no bias'), weight: maybe(paramBlock('weight'), 'the table') },
    build: (v) => built('embed', { num_output: v.out, input_dim: v.input_dim, bias: v.bias !== false }, weightAndBias(v.weight, v.bias)),
  }),
  ...(['lstm', 'rnn'] as const).map((cell) =>
    layer({
      type: cell.toUpperCase(),
      summary: `${cell.toUpperCase()} over time-major input (Caffe ${cell.toUpperCase()}).`,
      fields: { out: req(t.int(1), 'hidden size'), expose_hidden: opt(t.bool, false, 'expose the hidden state as extra inputs and outputs'), weight: maybe(paramBlock('weight'), 'the weight matrices'), bias: maybe(paramBlock('bias'), 'the biases') },
      build: (v) => {
        const names = cell === 'lstm' ? ['W_xc', 'b_c', 'W_hc'] : ['W_xh', 'b_h', 'W_hh', 'W_ho', 'b_o'];
        const params = names.map((n) => (n.startsWith('b_') ? blob(n, v.bias, constant(0)) : blob(n, v.weight, TORCH_DEFAULT_WEIGHT)));
        return built('recurrent', { cell, num_output: v.out, expose_hidden: v.expose_hidden }, params);
      },
    }),
  ),
  layer({ type: 'LSTMUnit', summary: 'One LSTM step (Caffe LSTMUnit).', fields: none, build: () => built('lstm_unit', {}) }),
  layer({ type: 'BatchReindex', summary: 'Selects batch items by index.', fields: none, build: () => built('batch_reindex', {}) }),
  layer({ type: 'Filter', summary: 'Keeps batch items whose selector is non-zero.', fields: none, build: () => built('filter', {}) }),
  layer({ type: 'Silence', summary: 'Consumes its inputs.', fields: none, build: () => built('silence', {}) }),
  layer({ type: 'Parameter', summary: 'A learned blob as an output.', fields: { shape: req(t.list(t.int(0)), 'the blob shape'), weight: maybe(paramBlock('other'), 'init, lr_mult, decay_mult') }, build: (v) => built('parameter', { shape: v.shape }, [blob('value', v.weight, constant(0))]) }),
  layer({ type: 'HDF5Output', summary: 'Writes its inputs to an HDF5 file.', fields: { file: req(t.string, 'the output file') }, build: (v) => built('hdf5_output', { file_name: v.file }) }),
  layer({
    type: 'Data',
    summary: 'A dataset reader kept from a Caffe net (training data comes from the train section).',
    fields: {
      kind: opt(t.oneOf(['Data', 'ImageData', 'HDF5Data', 'MemoryData', 'WindowData', 'DummyData'] as const), 'Data' as AttrsOf<'data'>['source_type'], 'the Caffe layer type'),
      source: maybe(t.string, 'the dataset'),
      batch_size: maybe(t.int(0), 'examples per batch'),
      shape: many(t.list(t.dim), 'shape of each output, in order'),
      crop_size: opt(t.int(0), 0, 'square crop'),
      mirror: opt(t.bool, false, 'random horizontal flips'),
      mean: maybe(t.list(t.num()), 'per-channel mean'),
      mean_file: maybe(t.string, 'a mean image'),
      scale: opt(t.num(), 1, 'multiplies after the mean is subtracted'),
      options: maybe(t.message, 'other settings, as written'),
    },
    build: (v) => {
      const transform =
        v.crop_size || v.mirror || v.mean || v.mean_file || v.scale !== 1
          ? { preprocess: { mean: v.mean ?? null, mean_file: v.mean_file ?? null, scale: v.scale, std: null }, crop_size: v.crop_size, mirror: v.mirror }
          : null;
      return built('data', {
        source_type: v.kind,
        source: v.source ?? null,
        batch_size: v.batch_size ?? null,
        shapes: v.shape,
        transform,
        options: v.options ? (rawJson(v.options as Message) as Record<string, unknown>) : {},
      });
    },
  }),
  layer({
    type: 'Opaque',
    summary: 'A layer nnspec cannot evaluate, kept as written (a Caffe Python or fork layer).',
    fields: { type: req(t.string, 'the original layer type'), params: maybe(t.message, 'its settings, as written') },
    build: (v) => built('opaque', { framework: 'caffe', type: v.type, params: v.params ? (rawJson(v.params) as Record<string, unknown>) : {} }),
  }),
  layer({ type: 'SoftmaxCrossEntropy', summary: 'Softmax followed by the cross-entropy with integer labels (Caffe SoftmaxWithLoss).', fields: lossFields, build: lossBuilder('softmax_cross_entropy') }),
  layer({ type: 'SigmoidCrossEntropy', summary: 'Sigmoid followed by binary cross-entropy.', fields: { ...lossFields, normalization: opt(lossFields.normalization.type, 'batch_size' as 'full' | 'valid' | 'batch_size' | 'none', 'what the summed loss is divided by') }, build: lossBuilder('sigmoid_cross_entropy') }),
  layer({ type: 'EuclideanLoss', summary: 'Half the mean squared distance per example.', fields: lossFields, build: lossBuilder('euclidean') }),
  layer({ type: 'ContrastiveLoss', summary: 'Contrastive loss for siamese pairs.', fields: { ...lossFields, margin: opt(t.num(), 1, 'margin for dissimilar pairs'), legacy_version: opt(t.bool, false, 'the original formula') }, build: lossBuilder('contrastive') }),
  layer({ type: 'HingeLoss', summary: 'One-vs-all hinge loss.', fields: { ...lossFields, norm: opt(t.oneOf(['l1', 'l2'] as const), 'l1' as 'l1' | 'l2', 'L1 or squared L2 hinge') }, build: lossBuilder('hinge') }),
  layer({ type: 'InfogainLoss', summary: 'Cross-entropy weighted by an information-gain matrix.', fields: { ...lossFields, source: maybe(t.string, 'the matrix file (or a third input)') }, build: lossBuilder('infogain') }),
  layer({ type: 'MultinomialLogisticLoss', summary: 'Negative log-likelihood of probabilities.', fields: lossFields, build: lossBuilder('multinomial_logistic') }),
  layer({
    type: 'Accuracy',
    summary: 'Top-k classification accuracy (an evaluation output).',
    fields: { top_k: opt(t.int(1), 1, 'a prediction counts when the label is among the k best'), axis: opt(axisInt, 1, 'the class axis'), ignore_label: maybe(t.int(), 'labels not counted') },
    build: (v) => built('accuracy', { top_k: v.top_k, axis: v.axis, ignore_label: v.ignore_label ?? null }),
  }),
] as LayerType[];

export const LAYER_TYPE_MAP: ReadonlyMap<string, LayerType> = new Map(LAYER_TYPES.map((l) => [l.type, l]));


/** Caffe and PyTorch names for nnspec layer types, for "did you mean" hints. */
export const LAYER_TYPE_ALIASES: Record<string, string> = {
  Convolution: "'Conv'",
  Conv2d: "'Conv'",
  Deconvolution: "'ConvTranspose'",
  ConvTranspose2d: "'ConvTranspose'",
  InnerProduct: "'Linear'",
  Dense: "'Linear'",
  FullyConnected: "'Linear'",
  Pooling: "'MaxPool' or 'AvgPool' (with round: and stride:)",
  MaxPool2d: "'MaxPool'",
  AvgPool2d: "'AvgPool'",
  AdaptiveAvgPool2d: "'AvgPool { output: … }'",
  AdaptiveMaxPool2d: "'MaxPool { output: … }'",
  BatchNorm2d: "'BatchNorm'",
  LocalResponseNorm: "'LRN'",
  SoftmaxWithLoss: "'SoftmaxCrossEntropy'",
  CrossEntropyLoss: "'SoftmaxCrossEntropy'",
  AbsVal: "'Abs'",
  BNLL: "'Softplus'",
  Tanh: "'TanH'",
  SiLU: "'Swish'",
  Identity: 'nothing: leave the layer out',
  Sequential: "'seq'",
  Input: 'an input { } section',
};
