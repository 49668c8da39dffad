/**
 * Reading the legacy formats as Caffe's upgrade_proto.cpp does, producing the V2 form every
 * binder reads: V1 `layers { type: CONVOLUTION blobs_lr: 1 }` and V0
 * `layers { layer { type: "conv" kernelsize: 11 } }` (whose padding layers fold into the
 * convolution or pooling that reads them).
 */
import type { DiagnosticBag } from '../../diagnostics/diagnostic.js';
import { didYouMean } from '../../diagnostics/did-you-mean.js';
import type { Field, Message } from '../../language/syntax-tree.js';
import { has, nameSpan, NODE, ProtoDecoder, put, spanOf, UNKNOWN } from '../../schema/decode-proto.js';
import type { Decoded, MessageSpec } from '../../schema/proto-schema.js';
import * as P from './caffe-proto.js';
import type { CaffeLayer } from './layer-context.js';

/** UpgradeV1LayerType. */
export const V1_TYPES: Record<string, string> = {
  NONE: '',
  ABSVAL: 'AbsVal',
  ACCURACY: 'Accuracy',
  ARGMAX: 'ArgMax',
  BNLL: 'BNLL',
  CONCAT: 'Concat',
  CONTRASTIVE_LOSS: 'ContrastiveLoss',
  CONVOLUTION: 'Convolution',
  DECONVOLUTION: 'Deconvolution',
  DATA: 'Data',
  DROPOUT: 'Dropout',
  DUMMY_DATA: 'DummyData',
  EUCLIDEAN_LOSS: 'EuclideanLoss',
  ELTWISE: 'Eltwise',
  EXP: 'Exp',
  FLATTEN: 'Flatten',
  HDF5_DATA: 'HDF5Data',
  HDF5_OUTPUT: 'HDF5Output',
  HINGE_LOSS: 'HingeLoss',
  IM2COL: 'Im2col',
  IMAGE_DATA: 'ImageData',
  INFOGAIN_LOSS: 'InfogainLoss',
  INNER_PRODUCT: 'InnerProduct',
  LRN: 'LRN',
  MEMORY_DATA: 'MemoryData',
  MULTINOMIAL_LOGISTIC_LOSS: 'MultinomialLogisticLoss',
  MVN: 'MVN',
  POOLING: 'Pooling',
  POWER: 'Power',
  RELU: 'ReLU',
  SIGMOID: 'Sigmoid',
  SIGMOID_CROSS_ENTROPY_LOSS: 'SigmoidCrossEntropyLoss',
  SILENCE: 'Silence',
  SOFTMAX: 'Softmax',
  SOFTMAX_LOSS: 'SoftmaxWithLoss',
  SPLIT: 'Split',
  SLICE: 'Slice',
  TANH: 'TanH',
  WINDOW_DATA: 'WindowData',
  THRESHOLD: 'Threshold',
};

/** UpgradeV0LayerType, straight to the V2 type string. */
export const V0_TYPES: Record<string, string> = {
  accuracy: 'Accuracy',
  bnll: 'BNLL',
  concat: 'Concat',
  conv: 'Convolution',
  data: 'Data',
  dropout: 'Dropout',
  euclidean_loss: 'EuclideanLoss',
  flatten: 'Flatten',
  hdf5_data: 'HDF5Data',
  hdf5_output: 'HDF5Output',
  im2col: 'Im2col',
  images: 'ImageData',
  infogain_loss: 'InfogainLoss',
  innerproduct: 'InnerProduct',
  lrn: 'LRN',
  multinomial_logistic_loss: 'MultinomialLogisticLoss',
  pool: 'Pooling',
  relu: 'ReLU',
  sigmoid: 'Sigmoid',
  softmax: 'Softmax',
  softmax_loss: 'SoftmaxWithLoss',
  split: 'Split',
  tanh: 'TanH',
  window_data: 'WindowData',
};

/** The sub-messages V1 and V2 share under the same field names. */
const SHARED_PARAMS = [
  'accuracy_param',
  'argmax_param',
  'concat_param',
  'contrastive_loss_param',
  'convolution_param',
  'data_param',
  'dropout_param',
  'dummy_data_param',
  'eltwise_param',
  'exp_param',
  'hdf5_data_param',
  'hdf5_output_param',
  'hinge_loss_param',
  'image_data_param',
  'infogain_loss_param',
  'inner_product_param',
  'lrn_param',
  'memory_data_param',
  'mvn_param',
  'pooling_param',
  'power_param',
  'relu_param',
  'sigmoid_param',
  'softmax_param',
  'slice_param',
  'tanh_param',
  'threshold_param',
  'window_data_param',
  'transform_param',
  'loss_param',
] as const;

export class LegacyReader {
  /** The pad of each V0 padding layer, until it is folded into its consumer. */
  private readonly paddingPads = new WeakMap<CaffeLayer, number>();
  /** Layers whose unknown V1 type was already reported while upgrading. */
  readonly reportedType = new WeakSet<CaffeLayer>();

  constructor(
    readonly decoder: ProtoDecoder,
    readonly diagnostics: DiagnosticBag,
  ) {}

  private empty<M extends MessageSpec>(spec: M, at: Message): Decoded<M> {
    return this.decoder.decode(spec, { kind: 'message', fields: [], start: at.start, end: at.start });
  }

  /** A V2 LayerParameter with the given syntax node and no fields set. */
  blankLayer(node: Message): CaffeLayer {
    return this.empty(P.LayerParameter, node);
  }

  /**
   * V1LayerParameter → V2 form. `typeName` is the V1 enum written in the file, read apart so
   * that fork enums (DeepLab's INTERP, …) become opaque layers rather than parse errors.
   */
  v1(node: Message): { layer: CaffeLayer; hasV0: boolean } {
    const typeFields = node.fields.filter((f) => f.name === 'type');
    const rest: Message = { ...node, fields: node.fields.filter((f) => f.name !== 'type') };
    const v1 = this.decoder.decode(P.V1LayerParameter, rest, { keepUnknown: true });
    const layer = this.blankLayer(node);
    layer.name = v1.name;
    layer.bottom = v1.bottom;
    layer.top = v1.top;
    layer.include = v1.include;
    layer.exclude = v1.exclude;
    layer.loss_weight = v1.loss_weight;
    layer.blobs = v1.blobs;
    layer.type = this.v1Type(typeFields, layer);
    // Unknown fields of a fork's layer type are that layer's parameters; elsewhere they are mistakes.
    if (!this.reportedType.has(layer)) {
      for (const f of v1[UNKNOWN] ?? []) {
        this.diagnostics.warning('proto/unknown-field', `V1LayerParameter has no field '${f.name}'; it is ignored`, nameSpan(f), {
          hint: didYouMean(f.name, Object.keys(P.V1LayerParameter.fields)),
        });
      }
    }
    const record = layer as unknown as Record<string, unknown>;
    for (const key of SHARED_PARAMS) {
      const value = (v1 as unknown as Record<string, unknown>)[key];
      if (value !== undefined) record[key] = value;
    }
    const n = Math.max(v1.param.length, v1.blob_share_mode.length, v1.blobs_lr.length, v1.weight_decay.length);
    const params: CaffeLayer['param'] = [];
    for (let i = 0; i < n; i++) {
      const spec = this.empty(P.ParamSpec, node);
      if (v1.param[i]) spec.name = v1.param[i];
      if (v1.blob_share_mode[i] !== undefined) spec.share_mode = v1.blob_share_mode[i];
      if (v1.blobs_lr[i] !== undefined) spec.lr_mult = v1.blobs_lr[i]!;
      if (v1.weight_decay[i] !== undefined) spec.decay_mult = v1.weight_decay[i]!;
      params.push(spec);
    }
    if (n > 0) layer.param = params;
    this.hoistTransform(layer);
    return { layer, hasV0: v1.layer !== undefined };
  }

  private v1Type(typeFields: Field[], layer: CaffeLayer): string | undefined {
    if (typeFields.length > 1) {
      this.diagnostics.error('proto/duplicate-field', "'type' is not a repeated field but is given more than once (protoc rejects this)", nameSpan(typeFields[1]!));
    }
    const f = typeFields[0];
    if (!f) return undefined;
    const v = f.value;
    if (v.kind === 'ident') {
      if (v.name in V1_TYPES) return V1_TYPES[v.name];
      this.reportedType.add(layer);
      this.diagnostics.warning('caffe/unknown-layer-type', `'${v.name}' is not a BVLC Caffe V1 layer type; the layer is kept as an opaque node`, v, {
        hint: didYouMean(v.name, Object.keys(V1_TYPES)),
      });
      return v.name;
    }
    if (v.kind === 'number' && v.integer) {
      const name = Object.entries(P.V1LayerParameter_LayerType.values).find(([, n]) => n === v.value)?.[0];
      if (name) return V1_TYPES[name];
    }
    if (v.kind === 'string') {
      this.diagnostics.error('proto/type-mismatch', `a V1 layer type is an enum written without quotes (such as CONVOLUTION), got the string "${v.value}"`, v);
      return undefined;
    }
    if (v.kind !== 'missing') this.diagnostics.error('proto/type-mismatch', "'type' expects a V1 layer type such as CONVOLUTION", v);
    return undefined;
  }

  /** UpgradeNetDataTransformation: V1 data layers kept scale/mean_file/crop_size/mirror in their own param. */
  private hoistTransform(layer: CaffeLayer): void {
    const source = layer.type === 'Data' ? layer.data_param : layer.type === 'ImageData' ? layer.image_data_param : layer.type === 'WindowData' ? layer.window_data_param : undefined;
    if (!source) return;
    const moved = (['scale', 'mean_file', 'crop_size', 'mirror'] as const).filter((k) => has(source, k));
    if (moved.length === 0) return;
    const t = layer.transform_param ?? this.empty(P.TransformationParameter, source[NODE]);
    for (const k of moved) put(t, k, source[k] as never);
    layer.transform_param = t;
  }

  /** V0 (`layers { layer { … } bottom top }`) → V2 form, routing flat fields as UpgradeV0LayerParameter does. */
  v0(outer: Message, inner: Message): CaffeLayer {
    const connection = this.decoder.decode(P.V1LayerParameter, { ...outer, fields: outer.fields.filter((f) => f.name === 'bottom' || f.name === 'top') });
    const v0 = this.decoder.decode(P.V0LayerParameter, inner);
    const layer = this.blankLayer(outer);
    layer.name = v0.name;
    layer.bottom = connection.bottom;
    layer.top = connection.top;
    const type = v0.type ?? '';
    const mapped = V0_TYPES[type];
    if (!mapped && type !== 'padding') {
      this.diagnostics.error('caffe/unknown-layer-type', `'${type}' is not a V0 layer type (Caffe stops: "Unknown layer name")`, spanOf(v0, 'type'), {
        hint: didYouMean(type, Object.keys(V0_TYPES)),
      });
    }
    layer.type = mapped ?? type;
    if (type === 'padding') this.paddingPads.set(layer, v0.pad);
    const n = Math.max(v0.blobs_lr.length, v0.weight_decay.length);
    const params: CaffeLayer['param'] = [];
    for (let i = 0; i < n; i++) {
      const spec = this.empty(P.ParamSpec, inner);
      if (v0.blobs_lr[i] !== undefined) spec.lr_mult = v0.blobs_lr[i]!;
      if (v0.weight_decay[i] !== undefined) spec.decay_mult = v0.weight_decay[i]!;
      params.push(spec);
    }
    if (n > 0) layer.param = params;
    const w = (name: string) => has(v0, name);
    const conv = () => (layer.convolution_param ??= this.empty(P.ConvolutionParameter, inner));
    const ip = () => (layer.inner_product_param ??= this.empty(P.InnerProductParameter, inner));
    const pool = () => (layer.pooling_param ??= this.empty(P.PoolingParameter, inner));
    const lrn = () => (layer.lrn_param ??= this.empty(P.LRNParameter, inner));
    const transform = () => (layer.transform_param ??= this.empty(P.TransformationParameter, inner));
    const misplaced = (field: string) =>
      this.diagnostics.warning('caffe/v0-field-ignored', `a V0 '${type}' layer has no '${field}'; Caffe's upgrade drops it`, spanOf(v0, field));
    const route = (field: string, targets: Record<string, () => void>) => {
      if (!w(field)) return;
      const target = targets[type];
      if (target) target();
      else misplaced(field);
    };
    route('num_output', { conv: () => put(conv(), 'num_output', v0.num_output), innerproduct: () => put(ip(), 'num_output', v0.num_output) });
    route('biasterm', { conv: () => put(conv(), 'bias_term', v0.biasterm), innerproduct: () => put(ip(), 'bias_term', v0.biasterm) });
    route('weight_filler', { conv: () => put(conv(), 'weight_filler', v0.weight_filler), innerproduct: () => put(ip(), 'weight_filler', v0.weight_filler) });
    route('bias_filler', { conv: () => put(conv(), 'bias_filler', v0.bias_filler), innerproduct: () => put(ip(), 'bias_filler', v0.bias_filler) });
    route('pad', { conv: () => put(conv(), 'pad', [v0.pad]), pool: () => put(pool(), 'pad', v0.pad), padding: () => undefined });
    route('kernelsize', { conv: () => put(conv(), 'kernel_size', [v0.kernelsize!]), pool: () => put(pool(), 'kernel_size', v0.kernelsize) });
    route('group', { conv: () => put(conv(), 'group', v0.group) });
    route('stride', { conv: () => put(conv(), 'stride', [v0.stride]), pool: () => put(pool(), 'stride', v0.stride) });
    route('pool', { pool: () => put(pool(), 'pool', v0.pool) });
    route('dropout_ratio', { dropout: () => put((layer.dropout_param ??= this.empty(P.DropoutParameter, inner)), 'dropout_ratio', v0.dropout_ratio) });
    route('local_size', { lrn: () => put(lrn(), 'local_size', v0.local_size) });
    route('alpha', { lrn: () => put(lrn(), 'alpha', v0.alpha) });
    route('beta', { lrn: () => put(lrn(), 'beta', v0.beta) });
    route('k', { lrn: () => put(lrn(), 'k', v0.k) });
    const data = () => (layer.data_param ??= this.empty(P.DataParameter, inner));
    const images = () => (layer.image_data_param ??= this.empty(P.ImageDataParameter, inner));
    const windows = () => (layer.window_data_param ??= this.empty(P.WindowDataParameter, inner));
    const hdf5 = () => (layer.hdf5_data_param ??= this.empty(P.HDF5DataParameter, inner));
    route('source', {
      data: () => put(data(), 'source', v0.source),
      hdf5_data: () => put(hdf5(), 'source', v0.source),
      images: () => put(images(), 'source', v0.source),
      window_data: () => put(windows(), 'source', v0.source),
      infogain_loss: () => put((layer.infogain_loss_param ??= this.empty(P.InfogainLossParameter, inner)), 'source', v0.source),
    });
    if (w('scale')) put(transform(), 'scale', v0.scale);
    if (w('meanfile')) put(transform(), 'mean_file', v0.meanfile);
    route('batchsize', {
      data: () => put(data(), 'batch_size', v0.batchsize),
      hdf5_data: () => put(hdf5(), 'batch_size', v0.batchsize!),
      images: () => put(images(), 'batch_size', v0.batchsize!),
      window_data: () => put(windows(), 'batch_size', v0.batchsize),
    });
    if (w('cropsize')) put(transform(), 'crop_size', v0.cropsize);
    if (w('mirror')) put(transform(), 'mirror', v0.mirror);
    route('rand_skip', { data: () => put(data(), 'rand_skip', v0.rand_skip), images: () => put(images(), 'rand_skip', v0.rand_skip) });
    route('shuffle_images', { images: () => put(images(), 'shuffle', v0.shuffle_images) });
    route('new_height', { images: () => put(images(), 'new_height', v0.new_height) });
    route('new_width', { images: () => put(images(), 'new_width', v0.new_width) });
    route('concat_dim', { concat: () => put((layer.concat_param ??= this.empty(P.ConcatParameter, inner)), 'concat_dim', v0.concat_dim) });
    route('det_fg_threshold', { window_data: () => put(windows(), 'fg_threshold', v0.det_fg_threshold) });
    route('det_bg_threshold', { window_data: () => put(windows(), 'bg_threshold', v0.det_bg_threshold) });
    route('det_fg_fraction', { window_data: () => put(windows(), 'fg_fraction', v0.det_fg_fraction) });
    route('det_context_pad', { window_data: () => put(windows(), 'context_pad', v0.det_context_pad) });
    route('det_crop_mode', { window_data: () => put(windows(), 'crop_mode', v0.det_crop_mode) });
    route('hdf5_output_param', { hdf5_output: () => (layer.hdf5_output_param = v0.hdf5_output_param) });
    return layer;
  }

  /**
   * UpgradeV0PaddingLayers: a "padding" layer's pad moves into the conv or pool reading its
   * output, which then reads the padding layer's input instead.
   */
  foldPadding(layers: CaffeLayer[], inputs: Set<string>): CaffeLayer[] {
    const lastProducer = new Map<string, CaffeLayer | null>();
    for (const name of inputs) lastProducer.set(name, null);
    const out: CaffeLayer[] = [];
    for (const layer of layers) {
      if (layer.type !== 'padding') out.push(layer);
      layer.bottom.forEach((blob, j) => {
        const source = lastProducer.get(blob);
        if (!source || source.type !== 'padding') return;
        const pad = this.paddingPads.get(source) ?? 0;
        if (layer.type !== 'Convolution' && layer.type !== 'Pooling') {
          this.diagnostics.error('caffe/v0-padding', `a V0 padding layer can only feed a conv or pool layer, not ${layer.type}`, spanOf(layer, 'bottom', j));
          return;
        }
        if (layer.bottom.length !== 1 || source.bottom.length !== 1 || source.top.length !== 1) {
          this.diagnostics.error('caffe/v0-padding', 'a V0 padding layer and the layer it pads must each have exactly one input (Caffe CHECK)', spanOf(layer, 'bottom', j));
          return;
        }
        if (layer.type === 'Convolution') put((layer.convolution_param ??= this.empty(P.ConvolutionParameter, layer[NODE])), 'pad', [pad]);
        else put((layer.pooling_param ??= this.empty(P.PoolingParameter, layer[NODE])), 'pad', pad);
        layer.bottom[j] = source.bottom[0]!;
      });
      for (const top of layer.top) lastProducer.set(top, layer);
    }
    return out;
  }
}
