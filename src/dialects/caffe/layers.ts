/**
 * Caffe layer types → IR operations, one binder per type BVLC Caffe registers, with the
 * defaults of caffe.proto and the CHECKs of each layer's LayerSetUp. A binder that finds an
 * error reports it and returns null; the caller then keeps the layer as an opaque node so
 * the rest of the net still connects.
 */
import { constant, type Filler } from '../../ir/filler.js';
import type { ParamBlob } from '../../ir/graph.js';
import type { AttrsOf, OpName } from '../../ir/ops/index.js';
import type { Preprocess, Transform } from '../../ir/preprocess.js';
import { has, NODE, rawJson, spanOf, type DecodedMeta } from '../../schema/decode-proto.js';
import type { Decoded } from '../../schema/proto-schema.js';
import * as P from './caffe-proto.js';
import { bindFiller } from './fillers.js';
import type { LayerContext } from './layer-context.js';
import { expandAxis, spatialAxes, type AxisSetting } from './spatial.js';

export type Bound = { [O in OpName]: { op: O; attrs: AttrsOf<O>; params: ParamBlob[] } }[OpName];
type Binder = (ctx: LayerContext) => Bound | null;

const ZERO = constant(0);

/** A field's value only when the file writes it (proto defaults do not count as settings). */
function written<M extends DecodedMeta, K extends keyof M & string>(msg: M, name: K): M[K] | undefined {
  return has(msg, name) ? msg[name] : undefined;
}

function bound<O extends OpName>(op: O, attrs: AttrsOf<O>, params: ParamBlob[] = []): Bound {
  return { op, attrs, params } as Bound;
}

// ---------- convolution ----------

function convWindow(ctx: LayerContext, p: Decoded<typeof P.ConvolutionParameter>) {
  const dilation = p.hole !== undefined && p.dilation.length === 0 ? [p.hole] : p.dilation;
  if (p.hole !== undefined && p.dilation.length > 0) ctx.error('caffe/conflicting-fields', 'hole (DeepLab) and dilation cannot both be given', ctx.at(p, 'hole'));
  const settings: AxisSetting[] = [
    { name: 'kernel_size', values: p.kernel_size, h: written(p, 'kernel_h'), w: written(p, 'kernel_w'), hName: 'kernel_h', wName: 'kernel_w', fallback: 0, min: 1 },
    { name: 'stride', values: p.stride, h: written(p, 'stride_h'), w: written(p, 'stride_w'), hName: 'stride_h', wName: 'stride_w', fallback: 1, min: 1 },
    { name: 'pad', values: p.pad, h: written(p, 'pad_h'), w: written(p, 'pad_w'), hName: 'pad_h', wName: 'pad_w', fallback: 0, min: 0 },
    { name: 'dilation', values: dilation, hName: 'dilation', wName: 'dilation', fallback: 1, min: 1 },
  ];
  if (p.kernel_size.length === 0 && p.kernel_h === undefined && p.kernel_w === undefined) {
    ctx.error('caffe/missing-field', `${ctx.label} needs a kernel size (kernel_size, or kernel_h and kernel_w)`, ctx.at(p, 'kernel_size'));
    return null;
  }
  const n = spatialAxes(settings);
  const [kernel, stride, pad, dil] = settings.map((s) => expandAxis(ctx, p, s, n));
  if (!kernel || !stride || !pad || !dil) return null;
  return { kernel, stride, pad_begin: pad, pad_end: [...pad], dilation: dil };
}

function convolution(transposed: boolean): Binder {
  return (ctx) => {
    const p = ctx.message(ctx.layer.convolution_param, P.ConvolutionParameter);
    if (p.num_output === undefined || p.num_output === 0) {
      ctx.error('caffe/missing-field', `${ctx.label} needs convolution_param { num_output: … } greater than 0`, ctx.at(p, 'num_output'));
      return null;
    }
    if (p.group === 0 || p.num_output % p.group !== 0) {
      ctx.error('caffe/invalid-value', `num_output (${p.num_output}) must be a multiple of group (${p.group})`, ctx.at(p, 'group'));
      return null;
    }
    const w = convWindow(ctx, p);
    if (!w) return null;
    const fillers = [bindFiller(p.weight_filler, ZERO, ctx.diagnostics), bindFiller(p.bias_filler, ZERO, ctx.diagnostics)];
    const names = p.bias_term ? ['weight', 'bias'] : ['weight'];
    const common = { num_output: p.num_output, ...w, groups: p.group, bias: p.bias_term, axis: p.axis };
    const params = ctx.blobs(names, fillers);
    return transposed
      ? bound('conv_transpose', { ...common, output_padding: w.kernel.map(() => 0) }, params)
      : bound('conv', common, params);
  };
}

const im2col: Binder = (ctx) => {
  const p = ctx.message(ctx.layer.convolution_param, P.ConvolutionParameter);
  const w = convWindow(ctx, p);
  if (!w) return null;
  return bound('im2col', { ...w, axis: p.axis });
};

// ---------- pooling ----------

const POOL_MODES = { MAX: 'max', AVE: 'avg', STOCHASTIC: 'stochastic' } as const;

const pooling: Binder = (ctx) => {
  const p = ctx.message(ctx.layer.pooling_param, P.PoolingParameter);
  const mode = POOL_MODES[p.pool];
  const hasKernel = p.kernel_size !== undefined || p.kernel_h !== undefined || p.kernel_w !== undefined;
  if (p.global_pooling) {
    if (hasKernel) {
      ctx.error('caffe/conflicting-fields', 'with global_pooling: true the kernel size cannot be given (Caffe CHECK)', ctx.at(p, p.kernel_size !== undefined ? 'kernel_size' : 'kernel_h'));
      return null;
    }
    if ((p.pad ?? 0) !== 0 || (p.pad_h ?? 0) !== 0 || (p.pad_w ?? 0) !== 0 || p.stride !== 1 || (p.stride_h ?? 1) !== 1 || (p.stride_w ?? 1) !== 1) {
      ctx.error('caffe/invalid-value', 'with global_pooling: true, pad must be 0 and stride 1 (Caffe CHECK)', ctx.at(p, 'global_pooling'));
      return null;
    }
    return bound('global_pool', { mode });
  }
  if (!hasKernel) {
    ctx.error('caffe/missing-field', `${ctx.label} needs pooling_param { kernel_size: … } (or kernel_h and kernel_w, or global_pooling: true)`, ctx.at(p, 'kernel_size'));
    return null;
  }
  const settings: AxisSetting[] = [
    { name: 'kernel_size', values: p.kernel_size === undefined ? [] : [p.kernel_size], h: written(p, 'kernel_h'), w: written(p, 'kernel_w'), hName: 'kernel_h', wName: 'kernel_w', fallback: 0, min: 1 },
    // Pooling stride defaults to 1 in Caffe (not to the kernel size as in PyTorch and Keras).
    { name: 'stride', values: has(p, 'stride') ? [p.stride] : [], h: written(p, 'stride_h'), w: written(p, 'stride_w'), hName: 'stride_h', wName: 'stride_w', fallback: 1, min: 1 },
    { name: 'pad', values: has(p, 'pad') ? [p.pad] : [], h: written(p, 'pad_h'), w: written(p, 'pad_w'), hName: 'pad_h', wName: 'pad_w', fallback: 0, min: 0 },
  ];
  const [kernel, stride, pad] = settings.map((s) => expandAxis(ctx, p, s, 2));
  if (!kernel || !stride || !pad) return null;
  if (pad.some((v) => v > 0) && mode === 'stochastic') {
    ctx.error('caffe/invalid-value', 'padding is only implemented for MAX and AVE pooling (Caffe CHECK)', ctx.at(p, 'pad'));
    return null;
  }
  for (let i = 0; i < 2; i++) {
    if (pad[i]! >= kernel[i]!) {
      ctx.error('caffe/invalid-value', `pooling pad (${pad[i]}) must be smaller than the kernel (${kernel[i]}) (Caffe CHECK_LT)`, ctx.at(p, has(p, 'pad') ? 'pad' : i === 0 ? 'pad_h' : 'pad_w'));
      return null;
    }
  }
  let rounding: 'caffe' | 'floor' = p.round_mode === 'FLOOR' ? 'floor' : 'caffe';
  if (p.ceil_mode !== undefined) {
    if (has(p, 'round_mode')) {
      ctx.error('caffe/conflicting-fields', 'round_mode and the fork field ceil_mode cannot both be given', ctx.at(p, 'ceil_mode'));
      return null;
    }
    rounding = p.ceil_mode ? 'caffe' : 'floor';
  }
  return bound('pool', { mode, kernel, stride, pad_begin: pad, pad_end: [...pad], rounding, count_include_pad: mode === 'avg' });
};

const spp: Binder = (ctx) => {
  const p = ctx.message(ctx.layer.spp_param, P.SPPParameter);
  if (p.pyramid_height === undefined || p.pyramid_height < 1) {
    ctx.error('caffe/missing-field', `${ctx.label} needs spp_param { pyramid_height: … } of at least 1`, ctx.at(p, 'pyramid_height'));
    return null;
  }
  return bound('spp', { pyramid_height: p.pyramid_height, mode: POOL_MODES[p.pool] });
};

// ---------- dense ----------

const innerProduct: Binder = (ctx) => {
  const p = ctx.message(ctx.layer.inner_product_param, P.InnerProductParameter);
  if (p.num_output === undefined || p.num_output === 0) {
    ctx.error('caffe/missing-field', `${ctx.label} needs inner_product_param { num_output: … } greater than 0`, ctx.at(p, 'num_output'));
    return null;
  }
  const names = p.bias_term ? ['weight', 'bias'] : ['weight'];
  const params = ctx.blobs(names, [bindFiller(p.weight_filler, ZERO, ctx.diagnostics), bindFiller(p.bias_filler, ZERO, ctx.diagnostics)]);
  return bound('linear', { num_output: p.num_output, axis: p.axis, bias: p.bias_term, transpose: p.transpose, weight_drop_prob: 0 }, params);
};

const embed: Binder = (ctx) => {
  const p = ctx.message(ctx.layer.embed_param, P.EmbedParameter);
  if (!p.num_output || !p.input_dim) {
    ctx.error('caffe/missing-field', `${ctx.label} needs embed_param { num_output: … input_dim: … } greater than 0`, ctx.at(p, p.num_output ? 'input_dim' : 'num_output'));
    return null;
  }
  const names = p.bias_term ? ['weight', 'bias'] : ['weight'];
  const params = ctx.blobs(names, [bindFiller(p.weight_filler, ZERO, ctx.diagnostics), bindFiller(p.bias_filler, ZERO, ctx.diagnostics)]);
  return bound('embed', { num_output: p.num_output, input_dim: p.input_dim, bias: p.bias_term }, params);
};

function recurrentLayer(cell: 'lstm' | 'rnn'): Binder {
  return (ctx) => {
    const p = ctx.message(ctx.layer.recurrent_param, P.RecurrentParameter);
    if (!p.num_output) {
      ctx.error('caffe/missing-field', `${ctx.label} needs recurrent_param { num_output: … } greater than 0`, ctx.at(p, 'num_output'));
      return null;
    }
    const w = bindFiller(p.weight_filler, ZERO, ctx.diagnostics);
    const b = bindFiller(p.bias_filler, ZERO, ctx.diagnostics);
    const names = cell === 'lstm' ? ['W_xc', 'b_c', 'W_hc'] : ['W_xh', 'b_h', 'W_hh', 'W_ho', 'b_o'];
    const fillers = names.map((n) => (n.startsWith('b_') ? b : w));
    return bound('recurrent', { cell, num_output: p.num_output, expose_hidden: p.expose_hidden }, ctx.blobs(names, fillers));
  };
}

// ---------- normalisation ----------

const batchNorm: Binder = (ctx) => {
  const p = ctx.message(ctx.layer.batch_norm_param, P.BatchNormParameter);
  // Caffe keeps mean, variance and a scale factor; the upgrader zeroes lr_mult/decay_mult of
  // exactly three param blocks, and LayerSetUp rejects any other non-zero lr_mult.
  const specs = ctx.layer.param;
  if (specs.length !== 3) {
    specs.forEach((s, i) => {
      if (s.lr_mult !== 0) {
        ctx.error('caffe/batchnorm-lr', `BatchNorm statistics cannot be learned: param ${i} must have lr_mult: 0 (Caffe stops: "Cannot configure batch normalization statistics as layer parameters")`, spanOf(ctx.layer, 'param', i));
      }
    });
  }
  const params = ctx.blobs(['running_mean', 'running_var', 'scale_factor'], [ZERO, ZERO, ZERO], [false, false, false], 3).map((b) => ({ ...b, lr_mult: 0, decay_mult: specs.length === 3 ? 0 : b.decay_mult }));
  const statistics = p.use_global_stats === undefined ? 'auto' : p.use_global_stats ? 'running' : 'batch';
  return bound('batchnorm', { eps: p.eps, momentum: 1 - p.moving_average_fraction, statistics, running_update: 'caffe', affine: false }, params);
};

const lrn: Binder = (ctx) => {
  const p = ctx.message(ctx.layer.lrn_param, P.LRNParameter);
  if (p.local_size % 2 !== 1) {
    ctx.error('caffe/invalid-value', `LRN local_size must be odd, got ${p.local_size} (Caffe CHECK)`, ctx.at(p, 'local_size'));
    return null;
  }
  return bound('lrn', {
    size: p.local_size,
    alpha: p.alpha,
    beta: p.beta,
    k: p.k,
    region: p.norm_region === 'WITHIN_CHANNEL' ? 'within_channel' : 'across_channels',
  });
};

const mvn: Binder = (ctx) => {
  const p = ctx.message(ctx.layer.mvn_param, P.MVNParameter);
  return bound('mvn', { normalize_variance: p.normalize_variance, across_channels: p.across_channels, eps: p.eps });
};

const scale: Binder = (ctx) => {
  const p = ctx.message(ctx.layer.scale_param, P.ScaleParameter);
  const two = ctx.layer.bottom.length === 2;
  const names = two ? (p.bias_term ? ['bias'] : []) : p.bias_term ? ['weight', 'bias'] : ['weight'];
  // scale_layer.cpp fills the scale with 1 when no filler is given.
  const w = bindFiller(p.filler, constant(1), ctx.diagnostics);
  const b = bindFiller(p.bias_filler, ZERO, ctx.diagnostics);
  return bound('scale', { axis: p.axis, num_axes: p.num_axes, bias: p.bias_term }, ctx.blobs(names, two ? [b] : [w, b]));
};

const biasLayer: Binder = (ctx) => {
  const p = ctx.message(ctx.layer.bias_param, P.BiasParameter);
  const two = ctx.layer.bottom.length === 2;
  return bound('bias', { axis: p.axis, num_axes: p.num_axes }, two ? ctx.blobs([], []) : ctx.blobs(['bias'], [bindFiller(p.filler, ZERO, ctx.diagnostics)]));
};

// ---------- activations ----------

function simple<O extends OpName>(op: O, attrs: AttrsOf<O>): Binder {
  return () => bound(op, attrs);
}

const relu: Binder = (ctx) => bound('relu', { negative_slope: ctx.message(ctx.layer.relu_param, P.ReLUParameter).negative_slope });

const prelu: Binder = (ctx) => {
  const p = ctx.message(ctx.layer.prelu_param, P.PReLUParameter);
  // prelu_layer.cpp: slopes start at 0.25 when no filler is given.
  return bound('prelu', { channel_shared: p.channel_shared }, ctx.blobs(['weight'], [bindFiller(p.filler, constant(0.25), ctx.diagnostics)]));
};

const elu: Binder = (ctx) => bound('elu', { alpha: ctx.message(ctx.layer.elu_param, P.ELUParameter).alpha });
const swish: Binder = (ctx) => bound('swish', { beta: ctx.message(ctx.layer.swish_param, P.SwishParameter).beta });

const clip: Binder = (ctx) => {
  const p = ctx.message(ctx.layer.clip_param, P.ClipParameter);
  if (p.min === undefined || p.max === undefined) {
    ctx.error('caffe/missing-field', `${ctx.label} needs clip_param { min: … max: … } (both are required)`, ctx.at(p, p.min === undefined ? 'min' : 'max'));
    return null;
  }
  return bound('clip', { min: p.min, max: p.max });
};

const power: Binder = (ctx) => {
  const p = ctx.message(ctx.layer.power_param, P.PowerParameter);
  return bound('power', { power: p.power, scale: p.scale, shift: p.shift });
};

const expLayer: Binder = (ctx) => {
  const p = ctx.message(ctx.layer.exp_param, P.ExpParameter);
  return bound('exp', { base: p.base, scale: p.scale, shift: p.shift });
};

const logLayer: Binder = (ctx) => {
  const p = ctx.message(ctx.layer.log_param, P.LogParameter);
  return bound('log', { base: p.base, scale: p.scale, shift: p.shift });
};

const threshold: Binder = (ctx) => bound('threshold', { threshold: ctx.message(ctx.layer.threshold_param, P.ThresholdParameter).threshold });

// ---------- regularisation ----------

const dropout: Binder = (ctx) => {
  const p = ctx.message(ctx.layer.dropout_param, P.DropoutParameter);
  if (!(p.dropout_ratio >= 0 && p.dropout_ratio < 1)) {
    ctx.error('caffe/invalid-value', `dropout_ratio is the probability of dropping a unit and must be in [0, 1), got ${p.dropout_ratio}`, ctx.at(p, 'dropout_ratio'));
    return null;
  }
  return bound('dropout', { drop_prob: p.dropout_ratio, scale_train: p.scale_train });
};

// ---------- tensor ----------

const flatten: Binder = (ctx) => {
  const p = ctx.message(ctx.layer.flatten_param, P.FlattenParameter);
  return bound('flatten', { axis: p.axis, end_axis: p.end_axis });
};

const reshape: Binder = (ctx) => {
  const p = ctx.message(ctx.layer.reshape_param, P.ReshapeParameter);
  const dims = p.shape?.dim ?? [];
  const inferred = dims.filter((d) => d === -1).length;
  if (inferred > 1) {
    ctx.error('caffe/invalid-value', 'reshape_param may infer at most one dimension (-1)', ctx.at(p, 'shape'));
    return null;
  }
  const bad = dims.find((d) => d < -1);
  if (bad !== undefined) {
    ctx.error('caffe/invalid-value', `reshape dimensions must be positive, 0 (copy) or -1 (infer), got ${bad}`, ctx.at(p, 'shape'));
    return null;
  }
  return bound('reshape', { shape: dims, axis: p.axis, num_axes: p.num_axes });
};

const concat: Binder = (ctx) => {
  const p = ctx.message(ctx.layer.concat_param, P.ConcatParameter);
  const hasAxis = has(p, 'axis');
  if (hasAxis && p.concat_dim !== undefined && has(p, 'concat_dim')) {
    ctx.error('caffe/conflicting-fields', 'axis and the deprecated concat_dim cannot both be given', ctx.at(p, 'concat_dim'));
    return null;
  }
  return bound('concat', { axis: !hasAxis && has(p, 'concat_dim') ? (p.concat_dim ?? 1) : p.axis });
};

const ELTWISE_OPS = { SUM: 'sum', PROD: 'prod', MAX: 'max' } as const;

const eltwise: Binder = (ctx) => {
  const p = ctx.message(ctx.layer.eltwise_param, P.EltwiseParameter);
  const operation = ELTWISE_OPS[p.operation];
  if (p.coeff.length > 0) {
    if (operation !== 'sum') {
      ctx.error('caffe/invalid-value', 'Eltwise coefficients apply to SUM only (Caffe CHECK)', ctx.at(p, 'coeff'));
      return null;
    }
    if (p.coeff.length !== ctx.layer.bottom.length) {
      ctx.error('caffe/invalid-value', `Eltwise needs one coeff per bottom: ${ctx.layer.bottom.length} bottoms, ${p.coeff.length} coefficients`, ctx.at(p, 'coeff'));
      return null;
    }
  }
  return bound('eltwise', { operation, coeff: p.coeff });
};

const crop: Binder = (ctx) => {
  const p = ctx.message(ctx.layer.crop_param, P.CropParameter);
  return bound('crop', { axis: p.axis, offset: p.offset });
};

const slice: Binder = (ctx) => {
  const p = ctx.message(ctx.layer.slice_param, P.SliceParameter);
  // slice_dim has a default in caffe.proto: only a written one conflicts with axis.
  const axis = !has(p, 'axis') && has(p, 'slice_dim') ? (p.slice_dim ?? 1) : p.axis;
  if (has(p, 'axis') && has(p, 'slice_dim')) {
    ctx.error('caffe/conflicting-fields', 'axis and the deprecated slice_dim cannot both be given', ctx.at(p, 'slice_dim'));
    return null;
  }
  const points = p.slice_point;
  if (points.length > 0) {
    if (points.length !== ctx.layer.top.length - 1) {
      ctx.error('caffe/invalid-value', `Slice with ${ctx.layer.top.length} tops needs ${ctx.layer.top.length - 1} slice_point values, got ${points.length}`, ctx.at(p, 'slice_point'));
      return null;
    }
    for (let i = 1; i < points.length; i++) {
      if (points[i]! <= points[i - 1]!) {
        ctx.error('caffe/invalid-value', 'slice_point values must be strictly increasing', ctx.at(p, 'slice_point', i));
        return null;
      }
    }
  }
  return bound('slice', { axis, slice_points: points });
};

const tile: Binder = (ctx) => {
  const p = ctx.message(ctx.layer.tile_param, P.TileParameter);
  if (!p.tiles) {
    ctx.error('caffe/missing-field', `${ctx.label} needs tile_param { tiles: … } greater than 0`, ctx.at(p, 'tiles'));
    return null;
  }
  return bound('tile', { axis: p.axis, tiles: p.tiles });
};

const softmax: Binder = (ctx) => bound('softmax', { axis: ctx.message(ctx.layer.softmax_param, P.SoftmaxParameter).axis });

const argmax: Binder = (ctx) => {
  const p = ctx.message(ctx.layer.argmax_param, P.ArgMaxParameter);
  if (p.top_k < 1) {
    ctx.error('caffe/invalid-value', 'ArgMax top_k must be at least 1', ctx.at(p, 'top_k'));
    return null;
  }
  return bound('argmax', { out_max_val: p.out_max_val, top_k: p.top_k, axis: p.axis ?? null });
};

const REDUCTIONS = { SUM: 'sum', ASUM: 'asum', SUMSQ: 'sumsq', MEAN: 'mean' } as const;

const reduction: Binder = (ctx) => {
  const p = ctx.message(ctx.layer.reduction_param, P.ReductionParameter);
  return bound('reduction', { operation: REDUCTIONS[p.operation], axis: p.axis, coeff: p.coeff });
};

const parameterLayer: Binder = (ctx) => {
  const p = ctx.message(ctx.layer.parameter_param, P.ParameterParameter);
  return bound('parameter', { shape: p.shape?.dim ?? [] }, ctx.blobs(['value'], [ZERO]));
};

const hdf5Output: Binder = (ctx) => {
  const p = ctx.message(ctx.layer.hdf5_output_param, P.HDF5OutputParameter);
  if (!p.file_name) {
    ctx.error('caffe/missing-field', `${ctx.label} needs hdf5_output_param { file_name: … }`, ctx.at(p, 'file_name'));
    return null;
  }
  return bound('hdf5_output', { file_name: p.file_name });
};

// ---------- losses ----------

const NORMALIZATION = { FULL: 'full', VALID: 'valid', BATCH_SIZE: 'batch_size', NONE: 'none' } as const;

function loss(kind: AttrsOf<'loss'>['kind'], defaultNormalization: 'valid' | 'batch_size' = 'valid'): Binder {
  return (ctx) => {
    const lp = ctx.message(ctx.layer.loss_param, P.LossParameter);
    // The deprecated `normalize` bool only counts when `normalization` is not written.
    let normalization: AttrsOf<'loss'>['normalization'] = defaultNormalization;
    if (has(lp, 'normalization')) normalization = NORMALIZATION[lp.normalization];
    else if (lp.normalize !== undefined) normalization = lp.normalize ? 'valid' : 'batch_size';
    const attrs: AttrsOf<'loss'> = {
      kind,
      axis: 1,
      ignore_label: lp.ignore_label ?? null,
      normalization,
      margin: 1,
      legacy_version: false,
      norm: 'l1',
      source: null,
    };
    if (kind === 'softmax_cross_entropy') attrs.axis = ctx.message(ctx.layer.softmax_param, P.SoftmaxParameter).axis;
    if (kind === 'contrastive') {
      const c = ctx.message(ctx.layer.contrastive_loss_param, P.ContrastiveLossParameter);
      attrs.margin = c.margin;
      attrs.legacy_version = c.legacy_version;
    }
    if (kind === 'hinge') attrs.norm = ctx.message(ctx.layer.hinge_loss_param, P.HingeLossParameter).norm === 'L2' ? 'l2' : 'l1';
    if (kind === 'infogain') {
      const ip = ctx.message(ctx.layer.infogain_loss_param, P.InfogainLossParameter);
      attrs.source = ip.source ?? null;
      attrs.axis = ip.axis;
    }
    return bound('loss', attrs);
  };
}

const accuracy: Binder = (ctx) => {
  const p = ctx.message(ctx.layer.accuracy_param, P.AccuracyParameter);
  return bound('accuracy', { top_k: p.top_k, axis: p.axis, ignore_label: p.ignore_label ?? null });
};

// ---------- data ----------

export function bindTransform(ctx: LayerContext): Transform | null {
  const t = ctx.layer.transform_param;
  if (!t) return null;
  if (t.mean_file !== undefined && t.mean_value.length > 0) {
    ctx.error('caffe/conflicting-fields', 'transform_param cannot have both mean_file and mean_value', ctx.at(t, 'mean_value'));
  }
  const preprocess: Preprocess = {
    mean: t.mean_value.length ? t.mean_value : null,
    mean_file: t.mean_file ?? null,
    scale: t.scale,
    std: null,
  };
  return { preprocess, crop_size: t.crop_size, mirror: t.mirror };
}

function dataLayer(sourceType: AttrsOf<'data'>['source_type']): Binder {
  return (ctx) => {
    const l = ctx.layer;
    const transform = bindTransform(ctx);
    const crop = transform?.crop_size ?? 0;
    let source: string | null = null;
    let batch: number | null = null;
    let shapes: AttrsOf<'data'>['shapes'] = l.top.map(() => null);
    const written = {
      Data: l.data_param,
      ImageData: l.image_data_param,
      WindowData: l.window_data_param,
      HDF5Data: l.hdf5_data_param,
      MemoryData: l.memory_data_param,
      DummyData: l.dummy_data_param,
    }[sourceType];
    const options = written ? (rawJson(written[NODE]) as Record<string, unknown>) : {};
    switch (sourceType) {
      case 'Data': {
        const p = ctx.message(l.data_param, P.DataParameter);
        source = p.source ?? null;
        batch = p.batch_size ?? null;
        if (batch !== null && l.top.length > 1) shapes = [null, [batch]];
        break;
      }
      case 'ImageData': {
        const p = ctx.message(l.image_data_param, P.ImageDataParameter);
        source = p.source ?? null;
        batch = p.batch_size;
        const channels = p.is_color ? 3 : 1;
        const h = crop || p.new_height;
        const w = crop || p.new_width;
        shapes = l.top.map((_, i) => (i === 0 ? (h && w ? [batch!, channels, h, w] : null) : [batch!]));
        break;
      }
      case 'WindowData': {
        const p = ctx.message(l.window_data_param, P.WindowDataParameter);
        source = p.source ?? null;
        batch = p.batch_size ?? null;
        break;
      }
      case 'HDF5Data': {
        const p = ctx.message(l.hdf5_data_param, P.HDF5DataParameter);
        source = p.source ?? null;
        batch = p.batch_size ?? null;
        break;
      }
      case 'MemoryData': {
        const p = ctx.message(l.memory_data_param, P.MemoryDataParameter);
        batch = p.batch_size ?? null;
        if (p.batch_size !== undefined && p.channels !== undefined && p.height !== undefined && p.width !== undefined) {
          const h = crop || p.height;
          const w = crop || p.width;
          shapes = l.top.map((_, i) => (i === 0 ? [p.batch_size!, p.channels!, h, w] : [p.batch_size!]));
        }
        break;
      }
      case 'DummyData': {
        const p = ctx.message(l.dummy_data_param, P.DummyDataParameter);
        const legacy = p.num.length > 0;
        const count = l.top.length;
        const pick = <T>(xs: T[], i: number) => (xs.length === 1 ? xs[0] : xs[i]);
        shapes = l.top.map((_, i) => {
          if (legacy) {
            const dims = [pick(p.num, i), pick(p.channels, i), pick(p.height, i), pick(p.width, i)];
            return dims.every((d) => d !== undefined) ? (dims as number[]) : null;
          }
          const s = pick(p.shape, i);
          return s ? s.dim : null;
        });
        const n = legacy ? p.num.length : p.shape.length;
        if (n !== 1 && n !== count) {
          ctx.error('caffe/invalid-value', `DummyData needs one shape for all ${count} tops or one per top, got ${n}`, ctx.at(p, legacy ? 'num' : 'shape'));
          return null;
        }
        batch = shapes[0]?.[0] !== undefined ? Number(shapes[0][0]) : null;
        break;
      }
    }
    return bound('data', { source_type: sourceType, source, batch_size: batch, shapes, transform, options });
  };
}

const input: Binder = (ctx) => {
  const p = ctx.message(ctx.layer.input_param, P.InputParameter);
  const tops = ctx.layer.top.length;
  if (p.shape.length !== 0 && p.shape.length !== 1 && p.shape.length !== tops) {
    ctx.error('caffe/invalid-value', `an Input layer needs no shape, one shape for all ${tops} tops, or one per top; it has ${p.shape.length}`, ctx.at(p, 'shape'));
    return null;
  }
  if (p.shape.length === 0) ctx.warning('caffe/input-without-shape', `${ctx.label} declares no shape; later passes cannot size the network (give one with --input-shape ${ctx.layer.top[0] ?? 'NAME'}=N,C,H,W)`);
  const shapes = ctx.layer.top.map((_, i) => (p.shape.length === 0 ? [] : (p.shape.length === 1 ? p.shape[0]! : p.shape[i]!).dim));
  return bound('input', { shapes, preprocess: null });
};

// ---------- the table ----------

export const CAFFE_LAYER_TABLE: Record<string, Binder> = {
  AbsVal: simple('absval', {}),
  Accuracy: accuracy,
  ArgMax: argmax,
  BNLL: simple('bnll', {}),
  BatchNorm: batchNorm,
  BatchReindex: simple('batch_reindex', {}),
  Bias: biasLayer,
  Clip: clip,
  Concat: concat,
  ContrastiveLoss: loss('contrastive'),
  Convolution: convolution(false),
  Crop: crop,
  Data: dataLayer('Data'),
  Deconvolution: convolution(true),
  Dropout: dropout,
  DummyData: dataLayer('DummyData'),
  ELU: elu,
  Eltwise: eltwise,
  Embed: embed,
  EuclideanLoss: loss('euclidean'),
  Exp: expLayer,
  Filter: simple('filter', {}),
  Flatten: flatten,
  HDF5Data: dataLayer('HDF5Data'),
  HDF5Output: hdf5Output,
  HingeLoss: loss('hinge'),
  Im2col: im2col,
  ImageData: dataLayer('ImageData'),
  InfogainLoss: loss('infogain'),
  InnerProduct: innerProduct,
  Input: input,
  LRN: lrn,
  LSTM: recurrentLayer('lstm'),
  LSTMUnit: simple('lstm_unit', {}),
  Log: logLayer,
  MVN: mvn,
  MemoryData: dataLayer('MemoryData'),
  MultinomialLogisticLoss: loss('multinomial_logistic'),
  PReLU: prelu,
  Parameter: parameterLayer,
  Pooling: pooling,
  Power: power,
  RNN: recurrentLayer('rnn'),
  ReLU: relu,
  Reduction: reduction,
  Reshape: reshape,
  SPP: spp,
  Scale: scale,
  Sigmoid: simple('sigmoid', {}),
  SigmoidCrossEntropyLoss: loss('sigmoid_cross_entropy', 'batch_size'),
  Silence: simple('silence', {}),
  Slice: slice,
  Softmax: softmax,
  SoftmaxWithLoss: loss('softmax_cross_entropy'),
  Split: simple('split', {}),
  Swish: swish,
  TanH: simple('tanh', {}),
  Threshold: threshold,
  Tile: tile,
  WindowData: dataLayer('WindowData'),
};

export const CAFFE_LAYERS: ReadonlyMap<string, Binder> = new Map(Object.entries(CAFFE_LAYER_TABLE));

/** Layer types whose first output is an objective (LossLayer subclasses): loss_weight defaults to 1. */
export const LOSS_TYPES = new Set([
  'ContrastiveLoss',
  'EuclideanLoss',
  'HingeLoss',
  'InfogainLoss',
  'MultinomialLogisticLoss',
  'SigmoidCrossEntropyLoss',
  'SoftmaxWithLoss',
]);

export type { Filler };

/** The `*_param` messages each layer type reads; any other one written on the layer is ignored by Caffe. */
export const PARAMS_READ: Record<string, readonly string[]> = {
  Accuracy: ['accuracy_param'],
  ArgMax: ['argmax_param'],
  BatchNorm: ['batch_norm_param'],
  Bias: ['bias_param'],
  Clip: ['clip_param'],
  Concat: ['concat_param'],
  ContrastiveLoss: ['contrastive_loss_param', 'loss_param'],
  Convolution: ['convolution_param'],
  Crop: ['crop_param'],
  Data: ['data_param', 'transform_param'],
  Deconvolution: ['convolution_param'],
  Dropout: ['dropout_param'],
  DummyData: ['dummy_data_param'],
  ELU: ['elu_param'],
  Eltwise: ['eltwise_param'],
  Embed: ['embed_param'],
  EuclideanLoss: ['loss_param'],
  Exp: ['exp_param'],
  Flatten: ['flatten_param'],
  HDF5Data: ['hdf5_data_param'],
  HDF5Output: ['hdf5_output_param'],
  HingeLoss: ['hinge_loss_param', 'loss_param'],
  Im2col: ['convolution_param'],
  ImageData: ['image_data_param', 'transform_param'],
  InfogainLoss: ['infogain_loss_param', 'loss_param'],
  InnerProduct: ['inner_product_param'],
  Input: ['input_param'],
  LRN: ['lrn_param'],
  LSTM: ['recurrent_param'],
  Log: ['log_param'],
  MVN: ['mvn_param'],
  MemoryData: ['memory_data_param', 'transform_param'],
  MultinomialLogisticLoss: ['loss_param'],
  PReLU: ['prelu_param'],
  Parameter: ['parameter_param'],
  Pooling: ['pooling_param'],
  Power: ['power_param'],
  Python: ['python_param'],
  RNN: ['recurrent_param'],
  ReLU: ['relu_param'],
  Reduction: ['reduction_param'],
  Reshape: ['reshape_param'],
  SPP: ['spp_param'],
  Scale: ['scale_param'],
  Sigmoid: ['sigmoid_param'],
  SigmoidCrossEntropyLoss: ['loss_param'],
  Slice: ['slice_param'],
  Softmax: ['softmax_param'],
  SoftmaxWithLoss: ['softmax_param', 'loss_param'],
  Swish: ['swish_param'],
  TanH: ['tanh_param'],
  Threshold: ['threshold_param'],
  Tile: ['tile_param'],
  WindowData: ['window_data_param', 'transform_param'],
};
