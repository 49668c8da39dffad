/**
 * Each IR operation as an nnspec layer entry: its type keyword and the fields that differ
 * from that type's defaults (src/dialects/nnspec/layers.ts). An attribute value the nnspec
 * spelling cannot produce is refused with the feature named, never approximated.
 */
import { constant, TORCH_DEFAULT_BIAS, TORCH_DEFAULT_WEIGHT, type Filler } from '../../ir/filler.js';
import type { Node, NodeOf, ParamBlob } from '../../ir/graph.js';
import type { OpName } from '../../ir/ops/index.js';
import { deepEqual, paramBlock, type InitRole } from './fillers.js';
import { bool, dim, int, Msg, num, oneOrList, str, unsupported, type Value } from './text.js';

export interface Entry {
  type: string;
  fields: Msg;
}

type Printer<O extends OpName> = (n: NodeOf<O>) => Entry;

function entry(type: string, fields: [string, Value | undefined][] = []): Entry {
  const m = new Msg();
  for (const [k, v] of fields) m.add(k, v);
  return { type, fields: m };
}

/** `value` unless it equals the default. */
function unless<T>(value: T, def: T, show: (v: T) => Value): Value | undefined {
  return deepEqual(value, def) ? undefined : show(value);
}

const ints = (xs: number[]): Value => oneOrList(xs.map(int));
const nums = (xs: number[]): Value => oneOrList(xs.map(num));

function param(n: Node, blobName: string): ParamBlob {
  const p = n.params.find((x) => x.name === blobName);
  if (!p) unsupported(`a layer without its '${blobName}' parameter`);
  return p;
}

function block(p: ParamBlob, init: Filler, role: InitRole): Msg | undefined {
  const m = paramBlock(p, init, role);
  return m.empty ? undefined : m;
}

/** The params must be exactly these blobs (anything else has no nnspec spelling). */
function onlyParams(n: Node, names: string[]): void {
  const have = n.params.map((p) => p.name);
  if (!deepEqual(have, names)) unsupported(`the parameter blobs [${have.join(', ')}] (nnspec gives this layer [${names.join(', ')}])`);
}

/** Per-axis window settings: one value where all axes agree, the kernel as a list unless 2-D and square. */
function windowFields(a: { kernel: number[]; stride: number[]; pad_begin: number[]; pad_end: number[]; dilation?: number[] }, defaults: { stride?: number[] } = {}): [string, Value | undefined][] {
  const rank = a.kernel.length;
  if (rank < 2) unsupported(`a ${rank}-axis window (nnspec windows have at least 2 spatial axes)`);
  const same = (xs: number[]) => xs.every((x) => x === xs[0]);
  const per = (xs: number[]): Value => (same(xs) ? int(xs[0]!) : xs.map(int));
  const out: [string, Value | undefined][] = [['kernel', rank === 2 && same(a.kernel) ? int(a.kernel[0]!) : a.kernel.map(int)]];
  out.push(['stride', defaults.stride && a.stride.every((s) => s === defaults.stride![0]) ? undefined : per(a.stride)]);
  if (deepEqual(a.pad_begin, a.pad_end)) out.push(['pad', a.pad_begin.every((p) => p === 0) ? undefined : per(a.pad_begin)]);
  else out.push(['pad_begin', per(a.pad_begin)], ['pad_end', per(a.pad_end)]);
  if (a.dilation) out.push(['dilation', a.dilation.every((d) => d === 1) ? undefined : per(a.dilation)]);
  return out;
}

/** `weight { … }` and `bias: false` / `bias { … }` of Conv, Linear and Embed. */
function weightAndBias(n: Node, hasBias: boolean): [string, Value | undefined][] {
  onlyParams(n, hasBias ? ['weight', 'bias'] : ['weight']);
  const out: [string, Value | undefined][] = [['weight', block(param(n, 'weight'), TORCH_DEFAULT_WEIGHT, 'weight')]];
  out.push(['bias', hasBias ? block(param(n, 'bias'), TORCH_DEFAULT_BIAS, 'bias') : 'false']);
  return out;
}

function conv(n: NodeOf<'conv'> | NodeOf<'conv_transpose'>, type: string): Entry {
  const a = n.attrs;
  const fields: [string, Value | undefined][] = [['out', int(a.num_output)], ...windowFields(a, { stride: [1] })];
  fields.push(['groups', unless(a.groups, 1, int)]);
  fields.push(...weightAndBias(n, a.bias));
  fields.push(['axis', unless(a.axis, 1, int)]);
  if (n.op === 'conv_transpose') fields.push(['output_padding', n.attrs.output_padding.every((p) => p === 0) ? undefined : ints(n.attrs.output_padding)]);
  return entry(type, fields);
}

const POOL_TYPES = { max: 'MaxPool', avg: 'AvgPool', stochastic: 'StochasticPool' } as const;

const LOSS_TYPES = {
  softmax_cross_entropy: 'SoftmaxCrossEntropy',
  sigmoid_cross_entropy: 'SigmoidCrossEntropy',
  euclidean: 'EuclideanLoss',
  contrastive: 'ContrastiveLoss',
  hinge: 'HingeLoss',
  infogain: 'InfogainLoss',
  multinomial_logistic: 'MultinomialLogisticLoss',
} as const;

function noAttrs(type: string) {
  return (): Entry => entry(type);
}

/** rawJson (src/schema/decode-proto.ts) in reverse: objects are messages, arrays lists. */
export function rawValue(v: unknown, what: string): Value {
  if (typeof v === 'number') return num(v);
  if (typeof v === 'string') return str(v);
  if (Array.isArray(v)) {
    return v.map((x) => {
      if (Array.isArray(x)) unsupported(`${what}: a list inside a list`);
      return rawValue(x, what);
    });
  }
  if (typeof v === 'object' && v !== null) return rawMessage(v as Record<string, unknown>, what);
  return unsupported(`${what}: the value ${JSON.stringify(v)}`);
}

export function rawMessage(o: Record<string, unknown>, what: string): Msg {
  const m = new Msg();
  for (const [k, v] of Object.entries(o)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) unsupported(`${what}: the field name ${JSON.stringify(k)}`);
    m.add(k, rawValue(v, what));
  }
  return m;
}

export const PRINTERS: { [O in OpName]: Printer<O> } = {
  input: () => unsupported('an input declared among the layers'),
  data: (n) => {
    const a = n.attrs;
    const t = a.transform;
    const pre = t?.preprocess;
    if (pre?.std) unsupported('a std on a Data layer');
    if (t && t.crop_size === 0 && !t.mirror && !pre!.mean && !pre!.mean_file && pre!.scale === 1) unsupported('a transform that changes nothing');
    const shapes: Value[] = [];
    for (const s of a.shapes) {
      if (s === null) break;
      shapes.push(s.map(dim));
    }
    const fields: [string, Value | undefined][] = [
      ['kind', unless(a.source_type, 'Data', (x) => x)],
      ['source', a.source === null ? undefined : str(a.source)],
      ['batch_size', a.batch_size === null ? undefined : int(a.batch_size)],
    ];
    for (const s of shapes) fields.push(['shape', s]);
    if (t) {
      fields.push(['crop_size', unless(t.crop_size, 0, int)], ['mirror', unless(t.mirror, false, bool)]);
      fields.push(['mean', pre!.mean ? nums(pre!.mean) : undefined], ['mean_file', pre!.mean_file === null ? undefined : str(pre!.mean_file)], ['scale', unless(pre!.scale, 1, num)]);
    }
    fields.push(['options', Object.keys(a.options).length ? rawMessage(a.options, 'the Data options') : undefined]);
    return entry('Data', fields);
  },
  parameter: (n) => {
    onlyParams(n, ['value']);
    return entry('Parameter', [['shape', n.attrs.shape.map((d) => (typeof d === 'number' ? int(d) : unsupported(`the symbolic dimension '${d}' of a Parameter`)))], ['weight', block(param(n, 'value'), constant(0), 'other')]]);
  },
  silence: noAttrs('Silence'),
  hdf5_output: (n) => entry('HDF5Output', [['file', str(n.attrs.file_name)]]),
  opaque: (n) => {
    if (n.attrs.framework !== 'caffe') unsupported(`the unknown ${n.attrs.framework} layer type '${n.attrs.type}'`);
    return entry('Opaque', [['type', str(n.attrs.type)], ['params', Object.keys(n.attrs.params).length ? rawMessage(n.attrs.params, `the ${n.attrs.type} settings`) : undefined]]);
  },
  conv: (n) => conv(n, 'Conv'),
  conv_transpose: (n) => conv(n, 'ConvTranspose'),
  im2col: (n) => entry('Im2col', [...windowFields(n.attrs, { stride: [1] }), ['axis', unless(n.attrs.axis, 1, int)]]),
  pool: (n) => {
    const a = n.attrs;
    for (let i = 0; i < a.kernel.length; i++) if (a.pad_begin[i]! >= a.kernel[i]! || a.pad_end[i]! >= a.kernel[i]!) unsupported('pooling padding as large as the kernel');
    const fields = windowFields(a);
    fields.push(['round', a.rounding]);
    if (a.mode === 'avg') fields.push(['count_pad', unless(a.count_include_pad, true, bool)]);
    else if (a.count_include_pad) unsupported(`count_include_pad on ${a.mode} pooling`);
    return entry(POOL_TYPES[a.mode as keyof typeof POOL_TYPES], fields);
  },
  global_pool: (n) => entry(POOL_TYPES[n.attrs.mode as keyof typeof POOL_TYPES], [['global', 'true']]),
  adaptive_pool: (n) => {
    const o = n.attrs.output_size;
    if (o.length < 2) unsupported('adaptive pooling over one axis');
    return entry(POOL_TYPES[n.attrs.mode as keyof typeof POOL_TYPES], [['output', o.length === 2 && o[0] === o[1] ? int(o[0]!) : o.map(int)]]);
  },
  spp: (n) => entry('SPP', [['height', int(n.attrs.pyramid_height)], ['mode', unless(n.attrs.mode, 'max', (x) => x)]]),
  linear: (n) => {
    const a = n.attrs;
    if (a.transpose) unsupported("InnerProduct's transposed weight layout (transpose: true)");
    const drop = a.weight_drop_prob > 0;
    if (a.weight_drop_prob >= 1) unsupported('DropConnect that drops every weight');
    return entry(drop ? 'DropConnect' : 'Linear', [['out', int(a.num_output)], ['axis', unless(a.axis, 1, int)], ...weightAndBias(n, a.bias), ['drop_prob', drop ? num(a.weight_drop_prob) : undefined]]);
  },
  embed: (n) => entry('Embed', [['out', int(n.attrs.num_output)], ['input_dim', int(n.attrs.input_dim)], ...weightAndBias(n, n.attrs.bias)]),
  recurrent: (n) => {
    const names = n.attrs.cell === 'lstm' ? ['W_xc', 'b_c', 'W_hc'] : ['W_xh', 'b_h', 'W_hh', 'W_ho', 'b_o'];
    onlyParams(n, names);
    // One weight { } and one bias { } block set every matrix and every bias vector.
    const pick = (bias: boolean) => {
      const blobs = n.params.filter((p) => p.name.startsWith('b_') === bias);
      const first = { ...blobs[0]!, name: bias ? 'bias' : 'weight' };
      if (blobs.some((p) => !deepEqual({ ...p, name: first.name }, first))) unsupported(`different settings for the ${bias ? 'biases' : 'weight matrices'} of one ${n.attrs.cell.toUpperCase()}`);
      return block(first, bias ? constant(0) : TORCH_DEFAULT_WEIGHT, bias ? 'bias' : 'weight');
    };
    return entry(n.attrs.cell.toUpperCase(), [['out', int(n.attrs.num_output)], ['expose_hidden', unless(n.attrs.expose_hidden, false, bool)], ['weight', pick(false)], ['bias', pick(true)]]);
  },
  lstm_unit: noAttrs('LSTMUnit'),
  batchnorm: (n) => {
    const a = n.attrs;
    // Caffe's bias-corrected running sums matter only while the statistics update.
    if (a.running_update === 'caffe' && a.statistics !== 'running') unsupported("Caffe BatchNorm's running averages kept as sums with a scale factor, while they are updated (nnspec updates them as an exponential moving average)");
    const stats = a.running_update === 'caffe' ? ['running_mean', 'running_var', 'scale_factor'] : ['running_mean', 'running_var'];
    onlyParams(n, [...(a.affine ? ['weight', 'bias'] : []), ...stats]);
    const frozen = (p: ParamBlob, init: number) => deepEqual({ ...p, name: '' }, { name: '', init: constant(init), lr_mult: 0, decay_mult: 0, trainable: false });
    // Frozen Caffe statistics are trained weights to be loaded; only their values matter, not how they start.
    const loaded = (p: ParamBlob) => a.running_update === 'caffe' && !p.trainable && p.lr_mult === 0 && !p.share;
    for (const [blob, init] of [['running_mean', 0], ['running_var', 1]] as const) {
      const p = param(n, blob);
      if (!frozen(p, init) && !loaded(p)) unsupported('running statistics that start other than at mean 0 and variance 1 or that are trained');
    }
    return entry('BatchNorm', [
      ['eps', unless(a.eps, 1e-5, num)],
      ['momentum', unless(a.momentum, 0.1, num)],
      ['statistics', unless(a.statistics, 'auto', (x) => x)],
      ['affine', unless(a.affine, true, bool)],
      ['weight', a.affine ? block(param(n, 'weight'), constant(1), 'other') : undefined],
      ['bias', a.affine ? block(param(n, 'bias'), constant(0), 'other') : undefined],
    ]);
  },
  lrn: (n) => entry('LRN', [['size', int(n.attrs.size)], ['alpha', num(n.attrs.alpha)], ['beta', unless(n.attrs.beta, 0.75, num)], ['k', unless(n.attrs.k, 1, num)], ['region', unless(n.attrs.region, 'across_channels', (x) => x)]]),
  mvn: (n) => entry('MVN', [['normalize_variance', unless(n.attrs.normalize_variance, true, bool)], ['across_channels', unless(n.attrs.across_channels, false, bool)], ['eps', unless(n.attrs.eps, 1e-9, num)]]),
  scale: (n) => {
    const a = n.attrs;
    const two = n.inputs.length === 2;
    onlyParams(n, [...(two ? [] : ['weight']), ...(a.bias ? ['bias'] : [])]);
    const bias = a.bias ? (block(param(n, 'bias'), constant(0), 'other') ?? 'true') : undefined;
    return entry('Scale', [['axis', unless(a.axis, 1, int)], ['num_axes', unless(a.num_axes, 1, int)], ['bias', bias], ['weight', two ? undefined : block(param(n, 'weight'), constant(1), 'other')]]);
  },
  bias: (n) => {
    const two = n.inputs.length === 2;
    onlyParams(n, two ? [] : ['bias']);
    return entry('Bias', [['axis', unless(n.attrs.axis, 1, int)], ['num_axes', unless(n.attrs.num_axes, 1, int)], ['bias', two ? undefined : block(param(n, 'bias'), constant(0), 'other')]]);
  },
  relu: (n) => (n.attrs.negative_slope === 0 && !Object.is(n.attrs.negative_slope, -0) ? entry('ReLU') : entry('LeakyReLU', [['slope', unless(n.attrs.negative_slope, 0.01, num)]])),
  prelu: (n) => {
    onlyParams(n, ['weight']);
    return entry('PReLU', [['shared', unless(n.attrs.channel_shared, false, bool)], ['weight', block(param(n, 'weight'), constant(0.25), 'other')]]);
  },
  clip: (n) => (n.attrs.min === 0 && n.attrs.max === 6 && !Object.is(n.attrs.min, -0) ? entry('ReLU6') : entry('Clip', [['min', num(n.attrs.min)], ['max', num(n.attrs.max)]])),
  elu: (n) => entry('ELU', [['alpha', unless(n.attrs.alpha, 1, num)]]),
  selu: noAttrs('SELU'),
  gelu: (n) => entry('GELU', [['approximate', unless(n.attrs.approximate, 'none', (x) => x)]]),
  sigmoid: noAttrs('Sigmoid'),
  tanh: noAttrs('TanH'),
  swish: (n) => entry('Swish', [['beta', unless(n.attrs.beta, 1, num)]]),
  maxout: (n) => entry('Maxout', [['pieces', int(n.attrs.pieces)]]),
  absval: noAttrs('Abs'),
  bnll: noAttrs('Softplus'),
  power: (n) => entry('Power', [['power', unless(n.attrs.power, 1, num)], ['scale', unless(n.attrs.scale, 1, num)], ['shift', unless(n.attrs.shift, 0, num)]]),
  exp: (n) => expLog('Exp', n.attrs),
  log: (n) => expLog('Log', n.attrs),
  threshold: (n) => entry('Threshold', [['threshold', unless(n.attrs.threshold, 0, num)]]),
  dropout: (n) => {
    if (n.attrs.drop_prob >= 1) unsupported('dropout that drops every unit');
    return entry('Dropout', [['drop_prob', unless(n.attrs.drop_prob, 0.5, num)], ['scale_train', unless(n.attrs.scale_train, true, bool)]]);
  },
  flatten: (n) => entry('Flatten', [['axis', unless(n.attrs.axis, 1, int)], ['end_axis', unless(n.attrs.end_axis, -1, int)]]),
  reshape: (n) => entry('Reshape', [['shape', n.attrs.shape.map(int)], ['axis', unless(n.attrs.axis, 0, int)], ['num_axes', unless(n.attrs.num_axes, -1, int)]]),
  concat: (n) => entry('Concat', [['axis', unless(n.attrs.axis, 1, int)]]),
  eltwise: (n) =>
    n.attrs.operation === 'sum' && n.attrs.coeff.length === 0 ? entry('Add') : entry('Eltwise', [['op', unless(n.attrs.operation, 'sum', (x) => x)], ['coeff', n.attrs.coeff.length ? n.attrs.coeff.map(num) : undefined]]),
  crop: (n) => entry('Crop', [['axis', unless(n.attrs.axis, 2, int)], ['offset', unless(n.attrs.offset, [0], ints)]]),
  slice: (n) => {
    if (n.attrs.slice_points.some((p) => p < 1)) unsupported('a slice point of 0');
    return entry('Slice', [['axis', unless(n.attrs.axis, 1, int)], ['points', n.attrs.slice_points.length ? n.attrs.slice_points.map(int) : undefined]]);
  },
  split: noAttrs('Split'),
  tile: (n) => entry('Tile', [['axis', unless(n.attrs.axis, 1, int)], ['tiles', int(n.attrs.tiles)]]),
  softmax: (n) => entry('Softmax', [['axis', unless(n.attrs.axis, 1, int)]]),
  argmax: (n) => entry('ArgMax', [['top_k', unless(n.attrs.top_k, 1, int)], ['out_max_val', unless(n.attrs.out_max_val, false, bool)], ['axis', n.attrs.axis === null ? undefined : int(n.attrs.axis)]]),
  reduction: (n) => entry('Reduction', [['op', unless(n.attrs.operation, 'sum', (x) => x)], ['axis', unless(n.attrs.axis, 0, int)], ['coeff', unless(n.attrs.coeff, 1, num)]]),
  batch_reindex: noAttrs('BatchReindex'),
  filter: noAttrs('Filter'),
  loss: (n) => {
    const a = n.attrs;
    const own = (field: string, ok: boolean) => {
      if (!ok) unsupported(`'${field}' on a ${a.kind} loss`);
    };
    own('margin', a.kind === 'contrastive' || a.margin === 1);
    own('legacy_version', a.kind === 'contrastive' || !a.legacy_version);
    own('norm', a.kind === 'hinge' || a.norm === 'l1');
    own('source', a.kind === 'infogain' || a.source === null);
    const fields: [string, Value | undefined][] = [
      ['axis', unless(a.axis, 1, int)],
      ['ignore_label', a.ignore_label === null ? undefined : int(a.ignore_label)],
      ['normalization', unless(a.normalization, a.kind === 'sigmoid_cross_entropy' ? 'batch_size' : 'valid', (x) => x)],
    ];
    if (a.kind === 'contrastive') fields.push(['margin', unless(a.margin, 1, num)], ['legacy_version', unless(a.legacy_version, false, bool)]);
    if (a.kind === 'hinge') fields.push(['norm', unless(a.norm, 'l1', (x) => x)]);
    if (a.kind === 'infogain') fields.push(['source', a.source === null ? undefined : str(a.source)]);
    return entry(LOSS_TYPES[a.kind as keyof typeof LOSS_TYPES], fields);
  },
  accuracy: (n) => entry('Accuracy', [['top_k', unless(n.attrs.top_k, 1, int)], ['axis', unless(n.attrs.axis, 1, int)], ['ignore_label', n.attrs.ignore_label === null ? undefined : int(n.attrs.ignore_label)]]),
};

function expLog(type: string, a: { base: number; scale: number; shift: number }): Entry {
  if (a.base !== -1 && !(a.base > 0)) unsupported(`the base ${num(a.base)} (nnspec bases are positive, or e when omitted)`);
  return entry(type, [['base', a.base === -1 ? undefined : num(a.base)], ['scale', unless(a.scale, 1, num)], ['shift', unless(a.shift, 0, num)]]);
}

export function printLayer(n: Node): Entry {
  return (PRINTERS[n.op] as Printer<OpName>)(n as never);
}
