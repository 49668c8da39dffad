/**
 * How each IR operation becomes PyTorch: a module built in __init__ (called in forward), an
 * inline expression in forward, or a refusal naming the feature. The table is keyed by every
 * operation, so a new operation cannot be forgotten.
 */
import { canonicalAxis, type Shape } from '../../ir/dims.js';
import type { NodeOf } from '../../ir/graph.js';
import type { OpName } from '../../ir/ops/index.js';
import { pooledSize } from '../../ir/window.js';
import type { HelperName } from './helpers.js';
import { pyAxes, pyNumber, pyTuple } from './python.js';

/** What a translation knows about its node beyond the attributes. */
export interface NodeContext {
  inputs: Shape[];
  outputs: Shape[];
  /** Parameter blob shapes, in the order of the node's params. */
  paramShapes: Shape[];
  /** True when the Caffe Scale after this BatchNorm was folded into it. */
  fusedAffine: boolean;
}

/** How an IR parameter appears in the module's state_dict. */
export interface ParamKey {
  key: string;
  /** 'transpose': a 2-D blob stored the other way round; 'reshape': same values, PyTorch's shape. */
  layout?: 'transpose' | 'reshape';
  /** The shape PyTorch holds (after the layout change). */
  shape?: number[];
}

export type Translation =
  | {
      kind: 'module';
      /** The constructor expression, e.g. nn.Conv2d(3, 64, kernel_size=3). */
      ctor: string;
      helpers?: HelperName[];
      /** Applied to the (single) input before the module: flatten, asymmetric padding. */
      pre?: (x: string) => string;
      /** Applied to the module's result (cropping). */
      post?: (y: string) => string;
      /** The module is applied to each input separately (Caffe layers with one top per bottom). */
      perInput?: boolean;
      /** IR parameter name → state_dict key under the module (default: the same name). */
      keys?: Record<string, ParamKey>;
      /** Parameter names the module creates with PyTorch's own default init, with that default. */
      defaults?: Record<string, DefaultInit>;
      /** Parameter names PyTorch holds as buffers. */
      buffers?: string[];
    }
  | { kind: 'inline'; expr: (args: string[]) => string; helpers?: HelperName[] }
  | { kind: 'alias' }
  | { kind: 'drop' }
  | { kind: 'refuse'; feature: string };

/** PyTorch's own initialisation of a freshly built module's parameter (so no init line is needed). */
export type DefaultInit = 'torch_weight' | 'torch_bias' | { constant: number };

type Translate<O extends OpName> = (node: NodeOf<O>, ctx: NodeContext) => Translation;

const refuse = (feature: string): Translation => ({ kind: 'refuse', feature });
const known = (s: Shape | undefined): number[] | null => (s && s.every((d) => typeof d === 'number') ? (s as number[]) : null);
const rankOf = (ctx: NodeContext) => ctx.inputs[0]?.length ?? 0;
const dimsName = (n: number) => (n >= 1 && n <= 3 ? `${n}d` : null);

function args(parts: (string | null | false | undefined)[]): string {
  return parts.filter((p): p is string => typeof p === 'string').join(', ');
}

/** F.pad's list (last axis first) for per-axis begin/end pads. */
function fpad(begin: number[], end: number[]): string {
  const out: string[] = [];
  for (let i = begin.length - 1; i >= 0; i--) out.push(String(begin[i]), String(end[i]));
  return `[${out.join(', ')}]`;
}

const symmetric = (a: { pad_begin: number[]; pad_end: number[] }) => a.pad_begin.every((p, i) => p === a.pad_end[i]);
const CONV_DEFAULTS: Record<string, DefaultInit> = {
  weight: 'torch_weight',
  bias: 'torch_bias',
};

/** An element-wise module with no parameters. */
const simple = (ctor: string): Translation => ({ kind: 'module', ctor });

function conv(node: NodeOf<'conv'>, ctx: NodeContext): Translation {
  const a = node.attrs;
  const d = dimsName(a.kernel.length);
  if (!d || a.axis !== 1) return refuse(`a convolution over ${a.kernel.length} spatial axes with channel axis ${a.axis}`);
  const w = known(ctx.paramShapes[0]);
  if (!w) return refuse('a convolution whose input channels are unknown');
  const cin = w[1]! * a.groups;
  const sym = symmetric(a);
  const ctor = `nn.Conv${d}(${args([
    String(cin),
    String(a.num_output),
    `kernel_size=${pyAxes(a.kernel)}`,
    a.stride.some((s) => s !== 1) && `stride=${pyAxes(a.stride)}`,
    sym && a.pad_begin.some((p) => p !== 0) && `padding=${pyAxes(a.pad_begin)}`,
    a.dilation.some((x) => x !== 1) && `dilation=${pyAxes(a.dilation)}`,
    a.groups !== 1 && `groups=${a.groups}`,
    !a.bias && 'bias=False',
  ])})`;
  return {
    kind: 'module',
    ctor,
    perInput: node.inputs.length > 1,
    pre: sym ? undefined : (x) => `F.pad(${x}, ${fpad(a.pad_begin, a.pad_end)})`,
    defaults: CONV_DEFAULTS,
  };
}

function convTranspose(node: NodeOf<'conv_transpose'>, ctx: NodeContext): Translation {
  const a = node.attrs;
  const d = dimsName(a.kernel.length);
  if (!d || a.axis !== 1) return refuse(`a transposed convolution over ${a.kernel.length} spatial axes with channel axis ${a.axis}`);
  const w = known(ctx.paramShapes[0]);
  if (!w) return refuse('a transposed convolution whose input channels are unknown');
  const sym = symmetric(a);
  const outPad = a.output_padding ?? a.kernel.map(() => 0);
  if (outPad.some((p, i) => p >= Math.max(a.stride[i]!, a.dilation[i]!))) return refuse('output_padding of at least the stride and the dilation');
  const ctor = `nn.ConvTranspose${d}(${args([
    String(w[0]),
    String(a.num_output),
    `kernel_size=${pyAxes(a.kernel)}`,
    a.stride.some((s) => s !== 1) && `stride=${pyAxes(a.stride)}`,
    sym && a.pad_begin.some((p) => p !== 0) && `padding=${pyAxes(a.pad_begin)}`,
    outPad.some((p) => p !== 0) && `output_padding=${pyAxes(outPad)}`,
    a.groups !== 1 && `groups=${a.groups}`,
    !a.bias && 'bias=False',
    a.dilation.some((x) => x !== 1) && `dilation=${pyAxes(a.dilation)}`,
  ])})`;
  // Asymmetric padding: PyTorch crops the same amount from both ends, so crop by hand.
  const post = sym ? undefined : (y: string) => `${y}[:, :, ${a.pad_begin.map((b, i) => `${b}:${y}.shape[${i + 2}] - ${a.pad_end[i]}`).join(', ')}]`;
  return {
    kind: 'module',
    ctor,
    perInput: node.inputs.length > 1,
    post,
    defaults: CONV_DEFAULTS,
  };
}

function pool(node: NodeOf<'pool'>, ctx: NodeContext): Translation {
  const a = node.attrs;
  if (a.mode === 'stochastic') return refuse('stochastic pooling');
  if (node.outputs.length > 1) return refuse("the max-pooling mask output (Caffe's second top)");
  const d = dimsName(a.kernel.length);
  if (!d) return refuse(`pooling over ${a.kernel.length} spatial axes`);
  const input = ctx.inputs[0]!.slice(2);
  const padded = a.pad_begin.some((p) => p > 0) || a.pad_end.some((p) => p > 0);
  // PyTorch: symmetric padding of at most half the kernel, and its ceil_mode rule must give the same sizes.
  const nativePad = symmetric(a) && a.pad_begin.every((p, i) => 2 * p <= a.kernel[i]!);
  let ceil: boolean | null = a.rounding === 'floor' ? false : a.rounding === 'ceil' || padded ? true : null;
  if (ceil === null) {
    // Caffe's rule without padding keeps a last window PyTorch drops only when it starts past the input.
    const agrees = a.kernel.every((k, i) => {
      const n = input[i];
      const s = a.stride[i]!;
      if (typeof n !== 'number') return s <= k;
      return pooledSize(n, k, s, 0, 0, 'caffe', false) === pooledSize(n, k, s, 0, 0, 'ceil', false);
    });
    ceil = agrees ? true : null;
  }
  const avg = a.mode === 'avg';
  if (nativePad && ceil !== null) {
    const ctor = `nn.${avg ? 'Avg' : 'Max'}Pool${d}(${args([
      pyAxes(a.kernel),
      `stride=${pyAxes(a.stride)}`,
      padded && `padding=${pyAxes(a.pad_begin)}`,
      ceil && 'ceil_mode=True',
      avg && padded && !a.count_include_pad && 'count_include_pad=False',
    ])})`;
    return { kind: 'module', ctor };
  }
  const list = (v: number[]) => `[${v.join(', ')}]`;
  const ctor = `WindowPool(${args([
    `"${a.mode}"`,
    list(a.kernel),
    list(a.stride),
    list(a.pad_begin),
    list(a.pad_end),
    `"${a.rounding}"`,
    avg && !a.count_include_pad && 'count_include_pad=False',
  ])})`;
  return { kind: 'module', ctor, helpers: ['WindowPool'] };
}

function batchnorm(node: NodeOf<'batchnorm'>, ctx: NodeContext): Translation {
  const a = node.attrs;
  const c = ctx.inputs[0]?.[1];
  if (typeof c !== 'number') return refuse('batch normalisation over an unknown number of channels');
  const rank = rankOf(ctx);
  const cls =
    a.statistics === 'running'
      ? 'FrozenBatchNorm'
      : a.statistics === 'batch'
        ? 'BatchStatsBatchNorm'
        : rank <= 3
          ? 'nn.BatchNorm1d'
          : rank === 4
            ? 'nn.BatchNorm2d'
            : rank === 5
              ? 'nn.BatchNorm3d'
              : null;
  if (!cls) return refuse(`batch normalisation of a ${rank}-axis blob`);
  const affine = a.affine || ctx.fusedAffine;
  // Caffe's 1 − moving_average_fraction carries float noise (0.09999999999999998).
  const momentum = Number(a.momentum.toPrecision(12));
  const usesMomentum = a.statistics !== 'running';
  const ctor = `${cls}(${args([String(c), a.eps !== 1e-5 && `eps=${pyNumber(a.eps)}`, usesMomentum && momentum !== 0.1 && `momentum=${pyNumber(momentum)}`, !affine && 'affine=False'])})`;
  return {
    kind: 'module',
    ctor,
    helpers: cls.startsWith('nn.') ? [] : [cls as HelperName],
    keys: { scale_factor: { key: '' } },
    buffers: ['running_mean', 'running_var'],
    defaults: {
      weight: { constant: 1 },
      bias: { constant: 0 },
      running_mean: { constant: 0 },
      running_var: { constant: 1 },
    },
  };
}

/** Scale/Bias blobs line up with the input from `axis`; how many input axes follow them. */
function broadcast(a: { axis: number }, ctx: NodeContext, blob: Shape): { trailing: number } | null {
  const rank = rankOf(ctx);
  const start = ctx.inputs.length === 2 && ctx.inputs[1]!.length === 0 ? 0 : canonicalAxis(a.axis, rank);
  if (start === null) return null;
  return { trailing: rank - start - blob.length };
}

const TRANSLATE: { [O in OpName]: Translate<O> } = {
  input: () => ({ kind: 'drop' }),
  data: () => ({ kind: 'drop' }),
  parameter: (n) => ({
    kind: 'module',
    ctor: `LearnedBlob(${pyTuple(n.attrs.shape.map(String))})`,
    helpers: ['LearnedBlob'],
  }),
  silence: () => ({ kind: 'drop' }),
  hdf5_output: () => refuse('writing HDF5 files (HDF5Output)'),
  opaque: (n) => refuse(`the ${n.attrs.framework === 'caffe' ? 'Caffe' : 'nnspec'} layer type '${n.attrs.type}', which nnspec cannot evaluate`),
  conv,
  conv_transpose: convTranspose,
  im2col: () => refuse('Im2col'),
  pool,
  global_pool: (n, ctx) => {
    if (n.attrs.mode === 'stochastic') return refuse('stochastic pooling');
    const d = dimsName(rankOf(ctx) - 2);
    if (!d) return refuse(`global pooling of a ${rankOf(ctx)}-axis blob`);
    return simple(`nn.Adaptive${n.attrs.mode === 'avg' ? 'Avg' : 'Max'}Pool${d}(1)`);
  },
  adaptive_pool: (n) => {
    const d = dimsName(n.attrs.output_size.length);
    if (!d) return refuse(`adaptive pooling over ${n.attrs.output_size.length} axes`);
    return simple(`nn.Adaptive${n.attrs.mode === 'avg' ? 'Avg' : 'Max'}Pool${d}(${pyAxes(n.attrs.output_size)})`);
  },
  spp: () => refuse('spatial pyramid pooling (SPP)'),
  linear: (n, ctx) => {
    const a = n.attrs;
    if (a.weight_drop_prob > 0) return refuse('DropConnect (weight_drop_prob)');
    const w = known(ctx.paramShapes[0]);
    if (!w) return refuse('a fully connected layer whose input size is unknown');
    const [o, k] = a.transpose ? [w[1]!, w[0]!] : [w[0]!, w[1]!];
    const rank = rankOf(ctx);
    const axis = canonicalAxis(a.axis, rank)!;
    return {
      kind: 'module',
      ctor: `nn.Linear(${args([String(k), String(o), !a.bias && 'bias=False'])})`,
      pre: axis < rank - 1 ? (x) => `torch.flatten(${x}, ${axis})` : undefined,
      keys: a.transpose ? { weight: { key: 'weight', layout: 'transpose', shape: [o, k] } } : undefined,
      defaults: a.transpose ? {} : CONV_DEFAULTS,
    };
  },
  embed: (n) => ({
    kind: 'module',
    ctor: `Embed(${args([String(n.attrs.input_dim), String(n.attrs.num_output), !n.attrs.bias && 'bias=False'])})`,
    helpers: ['Embed'],
  }),
  recurrent: (n) => refuse(`recurrent layers (${n.attrs.cell.toUpperCase()})`),
  lstm_unit: () => refuse('LSTMUnit'),
  batchnorm,
  lrn: (n) => {
    const a = n.attrs;
    if (a.region === 'within_channel')
      return {
        kind: 'module',
        ctor: `LRNWithinChannel(${a.size}, ${pyNumber(a.alpha)}, ${pyNumber(a.beta)})`,
        helpers: ['LRNWithinChannel'],
      };
    // PyTorch divides alpha by size, as Caffe does.
    return simple(`nn.LocalResponseNorm(${args([String(a.size), `alpha=${pyNumber(a.alpha)}`, `beta=${pyNumber(a.beta)}`, `k=${pyNumber(a.k)}`])})`);
  },
  mvn: (n) => ({
    kind: 'module',
    ctor: `MVN(${args([`normalize_variance=${n.attrs.normalize_variance ? 'True' : 'False'}`, `across_channels=${n.attrs.across_channels ? 'True' : 'False'}`, `eps=${pyNumber(n.attrs.eps)}`])})`,
    helpers: ['MVN'],
  }),
  scale: (n, ctx) => {
    const blob = ctx.inputs.length === 2 ? ctx.inputs[1]! : ctx.paramShapes[0];
    const shape = known(blob);
    const b = blob && broadcast(n.attrs, ctx, blob);
    if (!shape || !b) return refuse('a Scale whose blob shape is unknown');
    const second = ctx.inputs.length === 2;
    return {
      kind: 'module',
      ctor: `Scale(${args([pyTuple(shape.map(String)), String(b.trailing), second && 'weight=False', n.attrs.bias && 'bias=True'])})`,
      helpers: ['Scale'],
      defaults: { weight: { constant: 1 }, bias: { constant: 0 } },
    };
  },
  bias: (n, ctx) => {
    const blob = ctx.inputs.length === 2 ? ctx.inputs[1]! : ctx.paramShapes[0];
    const shape = known(blob);
    const b = blob && broadcast(n.attrs, ctx, blob);
    if (!shape || !b) return refuse('a Bias whose blob shape is unknown');
    return {
      kind: 'module',
      ctor: `Bias(${args([pyTuple(shape.map(String)), String(b.trailing), ctx.inputs.length === 2 && 'learned=False'])})`,
      helpers: ['Bias'],
      defaults: { bias: { constant: 0 } },
    };
  },
  relu: (n) => simple(n.attrs.negative_slope === 0 ? 'nn.ReLU()' : `nn.LeakyReLU(${pyNumber(n.attrs.negative_slope)})`),
  prelu: (n, ctx) => {
    const c = ctx.inputs[0]?.[1];
    if (!n.attrs.channel_shared && typeof c !== 'number') return refuse('PReLU over an unknown number of channels');
    return {
      kind: 'module',
      ctor: n.attrs.channel_shared ? 'nn.PReLU()' : `nn.PReLU(num_parameters=${c})`,
      // Caffe's shared slope has no axes; PyTorch's has one.
      keys: n.attrs.channel_shared ? { weight: { key: 'weight', layout: 'reshape', shape: [1] } } : undefined,
      defaults: { weight: { constant: 0.25 } },
    };
  },
  clip: (n) => simple(n.attrs.min === 0 && n.attrs.max === 6 ? 'nn.ReLU6()' : `nn.Hardtanh(${pyNumber(n.attrs.min)}, ${pyNumber(n.attrs.max)})`),
  elu: (n) => simple(n.attrs.alpha === 1 ? 'nn.ELU()' : `nn.ELU(alpha=${pyNumber(n.attrs.alpha)})`),
  selu: () => simple('nn.SELU()'),
  gelu: (n) => simple(n.attrs.approximate === 'tanh' ? 'nn.GELU(approximate="tanh")' : 'nn.GELU()'),
  sigmoid: () => simple('nn.Sigmoid()'),
  tanh: () => simple('nn.Tanh()'),
  swish: (n) =>
    n.attrs.beta === 1
      ? simple('nn.SiLU()')
      : {
          kind: 'inline',
          expr: ([x]) => `${x} * torch.sigmoid(${pyNumber(n.attrs.beta)} * ${x})`,
        },
  maxout: (n) => ({
    kind: 'inline',
    expr: ([x]) => `${x}.reshape(${x}.shape[0], -1, ${n.attrs.pieces}, *${x}.shape[2:]).amax(2)`,
  }),
  absval: () => ({ kind: 'inline', expr: ([x]) => `torch.abs(${x})` }),
  // Softplus switches to the identity above 20, where log(1 + exp(x)) already equals x in float32.
  bnll: () => simple('nn.Softplus()'),
  power: (n) => ({
    kind: 'inline',
    expr: ([x]) => affinePow(x!, n.attrs.scale, n.attrs.shift, n.attrs.power),
  }),
  exp: (n) => {
    const inner = (x: string) => affine(x, n.attrs.scale, n.attrs.shift);
    return {
      kind: 'inline',
      expr: ([x]) => (n.attrs.base === -1 ? `torch.exp(${inner(x!)})` : `torch.pow(${pyNumber(n.attrs.base)}, ${inner(x!)})`),
    };
  },
  log: (n) => {
    const inner = (x: string) => affine(x, n.attrs.scale, n.attrs.shift);
    return {
      kind: 'inline',
      expr: ([x]) => (n.attrs.base === -1 ? `torch.log(${inner(x!)})` : `torch.log(${inner(x!)}) / math.log(${pyNumber(n.attrs.base)})`),
    };
  },
  threshold: (n) => ({
    kind: 'inline',
    expr: ([x]) => `(${x} > ${pyNumber(n.attrs.threshold)}).to(${x}.dtype)`,
  }),
  dropout: (n) =>
    n.attrs.scale_train
      ? simple(`nn.Dropout(p=${pyNumber(n.attrs.drop_prob)})`)
      : {
          kind: 'module',
          ctor: `UnscaledDropout(${pyNumber(n.attrs.drop_prob)})`,
          helpers: ['UnscaledDropout'],
        },
  flatten: (n) => ({
    kind: 'inline',
    expr: ([x]) => `torch.flatten(${x}, ${n.attrs.axis}, ${n.attrs.end_axis})`,
  }),
  reshape: (n, ctx) => {
    const a = n.attrs;
    const rank = rankOf(ctx);
    const start = a.axis >= 0 ? a.axis : rank + a.axis + 1;
    const end = a.num_axes === -1 ? rank : start + a.num_axes;
    return {
      kind: 'inline',
      expr: ([x]) => {
        const dims: string[] = [];
        for (let i = 0; i < start; i++) dims.push(`${x}.shape[${i}]`);
        a.shape.forEach((d, i) => dims.push(d === 0 ? `${x}.shape[${start + i}]` : String(d)));
        for (let i = end; i < rank; i++) dims.push(`${x}.shape[${i}]`);
        return `${x}.reshape(${dims.join(', ')})`;
      },
    };
  },
  concat: (n) => ({
    kind: 'inline',
    expr: (xs) => (xs.length === 1 ? xs[0]! : `torch.cat([${xs.join(', ')}], ${n.attrs.axis})`),
  }),
  eltwise: (n) => ({
    kind: 'inline',
    expr: (xs) => {
      const a = n.attrs;
      if (a.operation === 'prod') return xs.join(' * ');
      if (a.operation === 'max') return xs.slice(1).reduce((acc, x) => `torch.maximum(${acc}, ${x})`, xs[0]!);
      return xs
        .map((x, i) => {
          const c = a.coeff[i] ?? 1;
          const term = c === 1 ? x : c === -1 ? `-${x}` : `${pyNumber(c)} * ${x}`;
          return i === 0 ? term : term.startsWith('-') ? `- ${term.slice(1)}` : `+ ${term}`;
        })
        .join(' ');
    },
  }),
  crop: (n, ctx) => {
    const rank = rankOf(ctx);
    const axis = canonicalAxis(n.attrs.axis, rank)!;
    const off = n.attrs.offset;
    return {
      kind: 'inline',
      expr: ([x, ref]) => {
        const parts: string[] = [];
        for (let i = 0; i < rank; i++) {
          if (i < axis) parts.push(':');
          else {
            const o = off.length === 0 ? 0 : off.length === 1 ? off[0]! : off[i - axis]!;
            parts.push(o === 0 ? `:${ref}.shape[${i}]` : `${o}:${o} + ${ref}.shape[${i}]`);
          }
        }
        return `${x}[${parts.join(', ')}]`;
      },
    };
  },
  slice: (n) => ({
    kind: 'inline',
    expr: ([x]) =>
      `torch.tensor_split(${x}, ${n.attrs.slice_points.length > 0 ? `[${n.attrs.slice_points.join(', ')}]` : String(n.outputs.length)}, ${n.attrs.axis})${n.outputs.length === 1 ? '[0]' : ''}`,
  }),
  split: () => ({ kind: 'alias' }),
  tile: (n, ctx) => {
    const rank = rankOf(ctx);
    const axis = canonicalAxis(n.attrs.axis, rank)!;
    return {
      kind: 'inline',
      expr: ([x]) => `${x}.repeat(${Array.from({ length: rank }, (_, i) => (i === axis ? String(n.attrs.tiles) : '1')).join(', ')})`,
    };
  },
  softmax: (n) => ({
    kind: 'inline',
    expr: ([x]) => `torch.softmax(${x}, ${n.attrs.axis})`,
  }),
  argmax: (n, ctx) => {
    const a = n.attrs;
    if (a.axis !== null) {
      return {
        kind: 'inline',
        expr: ([x]) => `torch.topk(${x}, ${a.top_k}, ${a.axis}).${a.out_max_val ? 'values' : `indices.to(${x}.dtype)`}`,
      };
    }
    const tail = ctx.outputs[0]!.slice(3).map(() => '1');
    return {
      kind: 'inline',
      // Caffe: per example, the top_k indices (as floats) and, with out_max_val, their values on axis 1.
      expr: ([x]) => {
        const top = `torch.topk(torch.flatten(${x}, 1), ${a.top_k}, 1)`;
        const rows = a.out_max_val ? `torch.stack([${top}.indices.to(${x}.dtype), ${top}.values], 1)` : `${top}.indices.to(${x}.dtype).unsqueeze(1)`;
        return `${rows}.reshape(${[`${x}.shape[0]`, a.out_max_val ? '2' : '1', String(a.top_k), ...tail].join(', ')})`;
      },
    };
  },
  reduction: (n, ctx) => {
    const a = n.attrs;
    const axis = canonicalAxis(a.axis, rankOf(ctx))!;
    const body = (x: string) => {
      const flat = `torch.flatten(${x}, ${axis})`;
      switch (a.operation) {
        case 'sum':
          return `${flat}.sum(-1)`;
        case 'asum':
          return `${flat}.abs().sum(-1)`;
        case 'sumsq':
          return `${flat}.pow(2).sum(-1)`;
        default:
          return `${flat}.mean(-1)`;
      }
    };
    return {
      kind: 'inline',
      expr: ([x]) => (a.coeff === 1 ? body(x!) : `${pyNumber(a.coeff)} * ${body(x!)}`),
    };
  },
  batch_reindex: () => ({
    kind: 'inline',
    expr: ([x, i]) => `${x}[${i}.long()]`,
  }),
  filter: (n) => ({
    kind: 'inline',
    expr: (xs) => {
      const sel = `(${xs[xs.length - 1]}.flatten() != 0)`;
      const outs = xs.slice(0, n.outputs.length).map((x) => `${x}[${sel}]`);
      return outs.length === 1 ? outs[0]! : outs.join(', ');
    },
  }),
  loss: () => ({ kind: 'drop' }),
  accuracy: () => ({ kind: 'drop' }),
};

function affine(x: string, scale: number, shift: number): string {
  const scaled = scale === 1 ? x : `${pyNumber(scale)} * ${x}`;
  return shift === 0 ? scaled : `${pyNumber(shift)} + ${scaled}`;
}

function affinePow(x: string, scale: number, shift: number, power: number): string {
  const inner = affine(x, scale, shift);
  if (power === 1) return inner;
  const base = inner === x ? x : `(${inner})`;
  return `${base} ** ${pyNumber(power)}`;
}

export function translate(node: NodeOf<OpName>, ctx: NodeContext): Translation {
  return (TRANSLATE[node.op] as Translate<OpName>)(node, ctx);
}
