/**
 * IR operations → Caffe layers, the inverse of src/dialects/caffe/layers.ts: one writer per
 * operation (the `Record<OpName, …>` makes the type checker insist on all of them). A writer
 * returns the layers that compute the node — usually one, several where an exact rewrite
 * into BVLC Caffe 1.0 layers exists — or null after refusing. Fields equal to caffe.proto's
 * defaults, or to what the reader assumes when a field is absent, are left out.
 */
import { constant } from '../../ir/filler.js';
import { LOSS_TYPES } from '../../dialects/caffe/layers.js';
import { clip, gelu, maxout, selu, swish } from './activations.js';
import { RAW, type ProtoObject, type ProtoValue } from './proto-text.js';
import { adaptivePool, conv, convLayers, pool, POOL } from './windows.js';
import { fillers, one, simple, unlessEqual, withParams, ZERO, type Writer, type WriterTable } from './writer-kit.js';

// ---------- normalisation ----------

const batchnorm: Writer<'batchnorm'> = (ctx, node) => {
  const a = node.attrs;
  const stats = ['running_mean', 'running_var', 'scale_factor'].map((n) => ctx.blob(n));
  // The reader gives the statistics lr_mult 0, and decay_mult 0 exactly when three param blocks are written.
  const decayZero = stats.filter((b) => b).every((b) => b!.decay_mult === 0);
  const statBlobs = decayZero ? [0, 0, 0].map(() => ({ lr_mult: 0, decay_mult: 0 })) : undefined;
  if (a.running_update === 'ema') {
    ctx.warn(
      'convert/training-differs',
      "Caffe keeps the running statistics as a bias-corrected average (sums and a scale factor) where this layer keeps an exponential moving average: inference is the same, the statistics collected while training differ in the first iterations",
    );
  }
  const maf = 1 - a.momentum;
  const bn = ctx.layer(
    'BatchNorm',
    {
      param: statBlobs,
      batch_norm_param: {
        use_global_stats: a.statistics === 'auto' ? undefined : a.statistics === 'running',
        moving_average_fraction: maf,
        eps: a.eps,
      },
    },
    a.affine ? { bottom: node.inputs, top: node.outputs } : undefined,
  );
  if (!a.affine) return one(bn);
  // Caffe's BatchNorm has no γ and β: a Scale layer with a bias, in place on its output, holds them.
  const f = fillers(ctx, [['filler', 'weight', constant(1)], ['bias_filler', 'bias', ZERO]]);
  if (!f) return null;
  const out = node.outputs[0]!;
  const param = ctx.paramSpecs(['weight', 'bias'].map((n) => ctx.blob(n)!));
  const scale = ctx.layer('Scale', { param, scale_param: { ...f, bias_term: true } }, { name: ctx.fresh(`${node.name}/scale`), bottom: [out], top: [out] });
  ctx.rewrote('the affine batch normalisation written as BatchNorm and a Scale layer with bias (γ, β)');
  return [bn, scale];
};

const lrn: Writer<'lrn'> = (ctx, node) => {
  const a = node.attrs;
  if (a.size % 2 !== 1) return ctx.refuse(`an LRN window of even size ${a.size} (Caffe CHECKs an odd local_size)`);
  return one(
    ctx.layer('LRN', {
      lrn_param: {
        local_size: unlessEqual(a.size, 5),
        alpha: unlessEqual(a.alpha, 1),
        beta: unlessEqual(a.beta, 0.75),
        norm_region: a.region === 'within_channel' ? 'WITHIN_CHANNEL' : undefined,
        k: unlessEqual(a.k, 1),
      },
    }),
  );
};

// ---------- losses ----------

const LOSS = {
  softmax_cross_entropy: 'SoftmaxWithLoss',
  euclidean: 'EuclideanLoss',
  sigmoid_cross_entropy: 'SigmoidCrossEntropyLoss',
  contrastive: 'ContrastiveLoss',
  hinge: 'HingeLoss',
  infogain: 'InfogainLoss',
  multinomial_logistic: 'MultinomialLogisticLoss',
} as const;

const loss: Writer<'loss'> = (ctx, node) => {
  const a = node.attrs;
  const type = LOSS[a.kind as keyof typeof LOSS];
  const defaultNorm = a.kind === 'sigmoid_cross_entropy' ? 'batch_size' : 'valid';
  const fields: ProtoObject = {
    loss_param:
      a.ignore_label === null && a.normalization === defaultNorm
        ? undefined
        : { ignore_label: a.ignore_label ?? undefined, normalization: a.normalization === defaultNorm ? undefined : a.normalization.toUpperCase() },
  };
  if (a.kind === 'softmax_cross_entropy' && a.axis !== 1) fields.softmax_param = { axis: a.axis };
  if (a.kind === 'contrastive') fields.contrastive_loss_param = { margin: unlessEqual(a.margin, 1), legacy_version: unlessEqual(a.legacy_version, false) };
  if (a.kind === 'hinge' && a.norm === 'l2') fields.hinge_loss_param = { norm: 'L2' };
  if (a.kind === 'infogain') fields.infogain_loss_param = { source: a.source ?? undefined, axis: unlessEqual(a.axis, 1) };
  return one(ctx.layer(type, fields));
};

// ---------- data ----------

const DATA_PARAM = {
  Data: 'data_param',
  ImageData: 'image_data_param',
  HDF5Data: 'hdf5_data_param',
  MemoryData: 'memory_data_param',
  WindowData: 'window_data_param',
  DummyData: 'dummy_data_param',
} as const;

/** A rawJson value (what the reader kept of a message it does not interpret) as a printable one. */
function raw(value: unknown): ProtoValue | undefined {
  if (value === null || value === undefined) return undefined;
  if (Array.isArray(value)) return value.map(raw).filter((v): v is ProtoValue => v !== undefined);
  if (typeof value === 'object') {
    const out: ProtoObject = { [RAW]: true };
    for (const [k, v] of Object.entries(value)) out[k] = raw(v);
    return out;
  }
  return value as string | number | boolean;
}

const data: Writer<'data'> = (ctx, node) => {
  const a = node.attrs;
  const fields: ProtoObject = {};
  const field = DATA_PARAM[a.source_type as keyof typeof DATA_PARAM];
  if (Object.keys(a.options).length > 0) fields[field] = raw(a.options);
  else if (a.source_type === 'DummyData') {
    if (a.shapes.some((s) => s === null)) return ctx.refuse('a DummyData layer without a shape for every output');
    fields[field] = { shape: a.shapes.map((s) => ({ dim: s!.map((d) => (typeof d === 'number' ? d : 1)) })) };
  } else if (a.source !== null || a.batch_size !== null) {
    // Settings upgraded from a V1/V0 layer reach the IR without their written form.
    fields[field] = { source: a.source ?? undefined, batch_size: a.batch_size ?? undefined };
  }
  if (a.transform) {
    const p = a.transform.preprocess;
    if (p.std !== null) return ctx.refuse('a per-channel std divisor in the data transform (Caffe transform_param only subtracts a mean and scales)');
    // Written even when empty: the reader keeps a transform exactly when the layer has one.
    fields.transform_param = {
      [RAW]: true,
      scale: unlessEqual(p.scale, 1),
      mirror: unlessEqual(a.transform.mirror, false),
      crop_size: unlessEqual(a.transform.crop_size, 0),
      mean_file: p.mean_file ?? undefined,
      mean_value: p.mean ?? undefined,
    };
  }
  return one(ctx.layer(a.source_type, fields));
};

const input: Writer<'input'> = (ctx, node) => {
  const a = node.attrs;
  const extra: ProtoObject[] = [];
  if (a.preprocess) {
    const p = a.preprocess;
    const single = (xs: number[] | null) => xs === null || xs.every((x) => x === xs[0]);
    if (p.mean_file === null && single(p.mean) && single(p.std) && node.outputs.length === 1) {
      // One mean, scale and std for all channels: y = (x − m)·s/d is a Power layer, in place on the input.
      const factor = p.scale / (p.std?.[0] ?? 1);
      const out = node.outputs[0]!;
      const shift = -(p.mean?.[0] ?? 0) * factor;
      extra.push(ctx.layer('Power', { power_param: { scale: unlessEqual(factor, 1), shift: unlessEqual(shift, 0) } }, { name: ctx.fresh(`${node.name}/preprocess`), bottom: [out], top: [out] }));
      const formula = `${p.mean ? `(x − ${p.mean[0]})` : 'x'}${p.scale !== 1 ? `·${p.scale}` : ''}${p.std ? ` / ${p.std[0]}` : ''}`;
      ctx.rewrote(`the input preprocessing ${formula} written as a Power layer in place on the input`);
    } else {
      ctx.warn('convert/dropped-preprocess', 'the per-channel input preprocessing (mean, std) is not part of a Caffe net: Caffe applies it before the Input layer (caffe.io.Transformer or a data layer), so it is left out');
    }
  }
  const declared = a.shapes.filter((s) => s.length > 0).length;
  if (declared !== 0 && declared !== a.shapes.length) return ctx.refuse('an Input layer that declares the shapes of only some of its outputs');
  if (declared === 0) return [ctx.layer('Input'), ...extra];
  // The analysed shape where it is all numbers (it includes --input-shape); else the declared one.
  const analysed = (i: number) => {
    const s = ctx.outputShape(i);
    return s && s.every((d) => typeof d === 'number') ? s : null;
  };
  const batch = new Set<string>();
  const other = new Set<string>();
  const shape = a.shapes.map((declaredShape, i) => ({
    dim: (analysed(i) ?? declaredShape).map((d, axis) => {
      if (typeof d === 'number') return d;
      (axis === 0 ? batch : other).add(String(d));
      return 1;
    }),
  }));
  if (other.size) {
    return ctx.refuse(`an input shape with the symbolic dimension${other.size > 1 ? 's' : ''} ${[...other].join(', ')} (Caffe Input shapes are numbers)`, 'give the size with --input-shape NAME=N,C,H,W');
  }
  if (batch.size) ctx.rewrote(`the symbolic batch dimension ${[...batch].join(', ')} written as 1 (Caffe shapes are numbers; a net reshapes to the batch it is given)`);
  return [ctx.layer('Input', { input_param: { shape } }), ...extra];
};

const opaque: Writer<'opaque'> = (ctx, node) => {
  const a = node.attrs;
  if (a.framework !== 'caffe') return ctx.refuse(`the opaque ${a.framework} layer type '${a.type}'`);
  const fields: ProtoObject = {};
  for (const [k, v] of Object.entries(a.params)) fields[k] = raw(v);
  return one(ctx.layer(a.type, fields));
};

// ---------- the table ----------

export const WRITERS: WriterTable = {
  input,
  data,
  parameter: (ctx, node) => one(withParams(ctx, ctx.layer('Parameter', { parameter_param: { shape: { dim: node.attrs.shape.map((d) => (typeof d === 'number' ? d : 1)) } } }))),
  silence: simple('Silence'),
  hdf5_output: (ctx, node) => one(ctx.layer('HDF5Output', { hdf5_output_param: { file_name: node.attrs.file_name } })),
  opaque,
  conv: (ctx, node) => conv(ctx, node, 'Convolution'),
  conv_transpose: (ctx, node) => conv(ctx, node, 'Deconvolution'),
  im2col: (ctx, node) => convLayers(ctx, node, 'Im2col', { axis: unlessEqual(node.attrs.axis, 1) }),
  pool,
  global_pool: (ctx, node) => one(ctx.layer('Pooling', { pooling_param: { pool: unlessEqual<string>(POOL[node.attrs.mode as keyof typeof POOL], 'MAX'), global_pooling: true } })),
  adaptive_pool: adaptivePool,
  spp: (ctx, node) => one(ctx.layer('SPP', { spp_param: { pyramid_height: node.attrs.pyramid_height, pool: unlessEqual<string>(POOL[node.attrs.mode as keyof typeof POOL], 'MAX') } })),
  linear: (ctx, node) => {
    const a = node.attrs;
    if (a.weight_drop_prob > 0) return ctx.refuse(`DropConnect (weight_drop_prob ${a.weight_drop_prob})`);
    const f = fillers(ctx, [['weight_filler', 'weight', ZERO], ['bias_filler', 'bias', ZERO]]);
    if (!f) return null;
    return one(withParams(ctx, ctx.layer('InnerProduct', { inner_product_param: { num_output: a.num_output, bias_term: unlessEqual(a.bias, true), ...f, axis: unlessEqual(a.axis, 1), transpose: unlessEqual(a.transpose, false) } })));
  },
  embed: (ctx, node) => {
    const a = node.attrs;
    const f = fillers(ctx, [['weight_filler', 'weight', ZERO], ['bias_filler', 'bias', ZERO]]);
    if (!f) return null;
    return one(withParams(ctx, ctx.layer('Embed', { embed_param: { num_output: a.num_output, input_dim: a.input_dim, bias_term: unlessEqual(a.bias, true), ...f } })));
  },
  recurrent: (ctx, node) => {
    const a = node.attrs;
    const weights = node.params.filter((p) => p.name.startsWith('W_'));
    const biases = node.params.filter((p) => p.name.startsWith('b_'));
    const same = (xs: typeof weights) => xs.every((p) => JSON.stringify(p.init) === JSON.stringify(xs[0]!.init));
    if (!same(weights) || !same(biases)) return ctx.refuse('different initialisations for the blobs of one recurrent layer (Caffe has one weight_filler and one bias_filler)');
    const f = fillers(ctx, [['weight_filler', weights[0]!.name, ZERO], ['bias_filler', biases[0]!.name, ZERO]]);
    if (!f) return null;
    return one(withParams(ctx, ctx.layer(a.cell === 'lstm' ? 'LSTM' : 'RNN', { recurrent_param: { num_output: a.num_output, ...f, expose_hidden: unlessEqual(a.expose_hidden, false) } })));
  },
  lstm_unit: simple('LSTMUnit'),
  batchnorm,
  lrn,
  mvn: (ctx, node) => {
    const a = node.attrs;
    return one(ctx.layer('MVN', { mvn_param: { normalize_variance: unlessEqual(a.normalize_variance, true), across_channels: unlessEqual(a.across_channels, false), eps: unlessEqual(a.eps, 1e-9) } }));
  },
  scale: (ctx, node) => {
    const a = node.attrs;
    const f = fillers(ctx, [['filler', 'weight', constant(1)], ['bias_filler', 'bias', ZERO]]);
    if (!f) return null;
    return one(withParams(ctx, ctx.layer('Scale', { scale_param: { axis: unlessEqual(a.axis, 1), num_axes: unlessEqual(a.num_axes, 1), filler: f.filler, bias_term: unlessEqual(a.bias, false), bias_filler: f.bias_filler } })));
  },
  bias: (ctx, node) => {
    const a = node.attrs;
    const f = fillers(ctx, [['filler', 'bias', ZERO]]);
    if (!f) return null;
    return one(withParams(ctx, ctx.layer('Bias', { bias_param: { axis: unlessEqual(a.axis, 1), num_axes: unlessEqual(a.num_axes, 1), ...f } })));
  },
  relu: (ctx, node) => one(ctx.layer('ReLU', { relu_param: node.attrs.negative_slope === 0 ? undefined : { negative_slope: node.attrs.negative_slope } })),
  prelu: (ctx, node) => {
    const f = fillers(ctx, [['filler', 'weight', constant(0.25)]]);
    if (!f) return null;
    const p: ProtoObject = { ...f, channel_shared: unlessEqual(node.attrs.channel_shared, false) };
    return one(withParams(ctx, ctx.layer('PReLU', { prelu_param: Object.values(p).some((v) => v !== undefined) ? p : undefined })));
  },
  clip,
  elu: (ctx, node) => one(ctx.layer('ELU', { elu_param: node.attrs.alpha === 1 ? undefined : { alpha: node.attrs.alpha } })),
  selu,
  gelu,
  sigmoid: simple('Sigmoid'),
  tanh: simple('TanH'),
  swish,
  maxout,
  absval: simple('AbsVal'),
  bnll: simple('BNLL'),
  power: (ctx, node) => {
    const a = node.attrs;
    return one(ctx.layer('Power', { power_param: { power: unlessEqual(a.power, 1), scale: unlessEqual(a.scale, 1), shift: unlessEqual(a.shift, 0) } }));
  },
  exp: (ctx, node) => {
    const a = node.attrs;
    return one(ctx.layer('Exp', { exp_param: { base: unlessEqual(a.base, -1), scale: unlessEqual(a.scale, 1), shift: unlessEqual(a.shift, 0) } }));
  },
  log: (ctx, node) => {
    const a = node.attrs;
    return one(ctx.layer('Log', { log_param: { base: unlessEqual(a.base, -1), scale: unlessEqual(a.scale, 1), shift: unlessEqual(a.shift, 0) } }));
  },
  threshold: (ctx, node) => one(ctx.layer('Threshold', { threshold_param: { threshold: unlessEqual(node.attrs.threshold, 0) } })),
  dropout: (ctx, node) => {
    const a = node.attrs;
    if (!a.scale_train) return ctx.refuse('dropout that scales in inference rather than while training (scale_train false exists only in the Fast R-CNN fork)');
    if (a.drop_prob >= 1) return ctx.refuse(`a drop probability of ${a.drop_prob} (Caffe needs dropout_ratio < 1)`);
    return one(ctx.layer('Dropout', { dropout_param: { dropout_ratio: unlessEqual(a.drop_prob, 0.5) } }));
  },
  flatten: (ctx, node) => one(ctx.layer('Flatten', { flatten_param: { axis: unlessEqual(node.attrs.axis, 1), end_axis: unlessEqual(node.attrs.end_axis, -1) } })),
  reshape: (ctx, node) => {
    const a = node.attrs;
    return one(ctx.layer('Reshape', { reshape_param: { shape: { dim: a.shape }, axis: unlessEqual(a.axis, 0), num_axes: unlessEqual(a.num_axes, -1) } }));
  },
  concat: (ctx, node) => one(ctx.layer('Concat', { concat_param: { axis: unlessEqual(node.attrs.axis, 1) } })),
  eltwise: (ctx, node) => one(ctx.layer('Eltwise', { eltwise_param: { operation: unlessEqual(node.attrs.operation.toUpperCase(), 'SUM'), coeff: node.attrs.coeff.length ? node.attrs.coeff : undefined } })),
  crop: (ctx, node) => one(ctx.layer('Crop', { crop_param: { axis: unlessEqual(node.attrs.axis, 2), offset: node.attrs.offset.length ? node.attrs.offset : undefined } })),
  slice: (ctx, node) => one(ctx.layer('Slice', { slice_param: { axis: unlessEqual(node.attrs.axis, 1), slice_point: node.attrs.slice_points.length ? node.attrs.slice_points : undefined } })),
  split: simple('Split'),
  tile: (ctx, node) => one(ctx.layer('Tile', { tile_param: { axis: unlessEqual(node.attrs.axis, 1), tiles: node.attrs.tiles } })),
  softmax: (ctx, node) => one(ctx.layer('Softmax', { softmax_param: { axis: unlessEqual(node.attrs.axis, 1) } })),
  argmax: (ctx, node) => {
    const a = node.attrs;
    return one(ctx.layer('ArgMax', { argmax_param: { out_max_val: unlessEqual(a.out_max_val, false), top_k: unlessEqual(a.top_k, 1), axis: a.axis ?? undefined } }));
  },
  reduction: (ctx, node) => {
    const a = node.attrs;
    return one(ctx.layer('Reduction', { reduction_param: { operation: unlessEqual(a.operation.toUpperCase(), 'SUM'), axis: unlessEqual(a.axis, 0), coeff: unlessEqual(a.coeff, 1) } }));
  },
  batch_reindex: simple('BatchReindex'),
  filter: simple('Filter'),
  loss,
  accuracy: (ctx, node) => {
    const a = node.attrs;
    return one(ctx.layer('Accuracy', { accuracy_param: { top_k: unlessEqual(a.top_k, 1), axis: unlessEqual(a.axis, 1), ignore_label: a.ignore_label ?? undefined } }));
  },
};

/**
 * loss_weight as the reader reads it back: loss layers weigh their first output 1 unless
 * told otherwise, other layers nothing.
 */
export function lossWeight(type: string, weights: number[] | undefined): number[] | undefined {
  const isLoss = LOSS_TYPES.has(type);
  if (!weights) return isLoss ? [0] : undefined;
  const trimmed = [...weights];
  while (trimmed.length > 0 && trimmed[trimmed.length - 1] === 0) trimmed.pop();
  if (isLoss && trimmed.length === 1 && trimmed[0] === 1) return undefined;
  return trimmed;
}
