/**
 * The Caffe schema: every message and enum of BVLC Caffe's `src/caffe/proto/caffe.proto`
 * (master), as data for the schema builder. Field names, types, repeated-ness, enum values
 * and declared defaults are transcribed from the proto, in its field order; this is not
 * code copied from it. Two fork-only fields are marked `fork`.
 */
import {
  bool,
  bytes,
  double,
  enumOf,
  enumSpec,
  float,
  int32,
  int64,
  message,
  messageOf,
  repeated,
  string,
  uint32,
} from '../../schema/proto-schema.js';

// ---- top-level enums ----

export const Phase = enumSpec('Phase', { TRAIN: 0, TEST: 1 });

// ---- blobs and data ----

export const BlobShape = message('BlobShape', {
  dim: repeated(int64()),
});

export const BlobProto = message('BlobProto', {
  shape: messageOf(() => BlobShape),
  data: repeated(float()),
  diff: repeated(float()),
  double_data: repeated(double()),
  double_diff: repeated(double()),
  num: int32({ default: 0, deprecated: 'use shape' }),
  channels: int32({ default: 0, deprecated: 'use shape' }),
  height: int32({ default: 0, deprecated: 'use shape' }),
  width: int32({ default: 0, deprecated: 'use shape' }),
});

export const BlobProtoVector = message('BlobProtoVector', {
  blobs: repeated(messageOf(() => BlobProto)),
});

export const Datum = message('Datum', {
  channels: int32(),
  height: int32(),
  width: int32(),
  data: bytes(),
  label: int32(),
  float_data: repeated(float()),
  encoded: bool({ default: false }),
});

export const FillerParameter_VarianceNorm = enumSpec('VarianceNorm', { FAN_IN: 0, FAN_OUT: 1, AVERAGE: 2 });

export const FillerParameter = message('FillerParameter', {
  type: string({ default: 'constant' }),
  value: float({ default: 0 }),
  min: float({ default: 0 }),
  max: float({ default: 1 }),
  mean: float({ default: 0 }),
  std: float({ default: 1 }),
  sparse: int32({ default: -1 }),
  variance_norm: enumOf(FillerParameter_VarianceNorm, { default: 'FAN_IN' }),
});

// ---- nets and solvers ----

export const NetParameter = message('NetParameter', {
  name: string(),
  input: repeated(string({ deprecated: 'use the Input layer (InputParameter)' })),
  input_shape: repeated(messageOf(() => BlobShape, { deprecated: 'use the Input layer (InputParameter)' })),
  input_dim: repeated(int32({ deprecated: 'use input_shape / the Input layer' })),
  force_backward: bool({ default: false }),
  state: messageOf(() => NetState),
  debug_info: bool({ default: false }),
  layer: repeated(messageOf(() => LayerParameter)),
  layers: repeated(messageOf(() => V1LayerParameter, { deprecated: "V1 layer format; use 'layer'" })),
});

export const SolverParameter_SnapshotFormat = enumSpec('SnapshotFormat', { HDF5: 0, BINARYPROTO: 1 });
export const SolverParameter_SolverMode = enumSpec('SolverMode', { CPU: 0, GPU: 1 });
export const SolverParameter_SolverType = enumSpec('SolverType', {
  SGD: 0,
  NESTEROV: 1,
  ADAGRAD: 2,
  RMSPROP: 3,
  ADADELTA: 4,
  ADAM: 5,
});

export const SolverParameter = message('SolverParameter', {
  net: string(),
  net_param: messageOf(() => NetParameter),
  train_net: string(),
  test_net: repeated(string()),
  train_net_param: messageOf(() => NetParameter),
  test_net_param: repeated(messageOf(() => NetParameter)),
  train_state: messageOf(() => NetState),
  test_state: repeated(messageOf(() => NetState)),
  test_iter: repeated(int32()),
  test_interval: int32({ default: 0 }),
  test_compute_loss: bool({ default: false }),
  test_initialization: bool({ default: true }),
  base_lr: float(),
  display: int32(),
  average_loss: int32({ default: 1 }),
  max_iter: int32(),
  iter_size: int32({ default: 1 }),
  lr_policy: string(),
  gamma: float(),
  power: float(),
  momentum: float(),
  weight_decay: float(),
  regularization_type: string({ default: 'L2' }),
  stepsize: int32(),
  stepvalue: repeated(int32()),
  clip_gradients: float({ default: -1 }),
  snapshot: int32({ default: 0 }),
  snapshot_prefix: string(),
  snapshot_diff: bool({ default: false }),
  snapshot_format: enumOf(SolverParameter_SnapshotFormat, { default: 'BINARYPROTO' }),
  solver_mode: enumOf(SolverParameter_SolverMode, { default: 'GPU' }),
  device_id: int32({ default: 0 }),
  random_seed: int64({ default: -1 }),
  type: string({ default: 'SGD' }),
  delta: float({ default: 1e-8 }),
  momentum2: float({ default: 0.999 }),
  rms_decay: float({ default: 0.99 }),
  debug_info: bool({ default: false }),
  snapshot_after_train: bool({ default: true }),
  solver_type: enumOf(SolverParameter_SolverType, { default: 'SGD', deprecated: 'use the string field type' }),
  layer_wise_reduce: bool({ default: true }),
  weights: repeated(string()),
});

export const SolverState = message('SolverState', {
  iter: int32(),
  learned_net: string(),
  history: repeated(messageOf(() => BlobProto)),
  current_step: int32({ default: 0 }),
});

export const NetState = message('NetState', {
  phase: enumOf(Phase, { default: 'TEST' }),
  level: int32({ default: 0 }),
  stage: repeated(string()),
});

export const NetStateRule = message('NetStateRule', {
  phase: enumOf(Phase),
  min_level: int32(),
  max_level: int32(),
  stage: repeated(string()),
  not_stage: repeated(string()),
});

export const ParamSpec_DimCheckMode = enumSpec('DimCheckMode', { STRICT: 0, PERMISSIVE: 1 });

export const ParamSpec = message('ParamSpec', {
  name: string(),
  share_mode: enumOf(ParamSpec_DimCheckMode), // STRICT if unspecified
  lr_mult: float({ default: 1.0 }),
  decay_mult: float({ default: 1.0 }),
});

// ---- layers ----

export const LayerParameter = message('LayerParameter', {
  name: string(),
  type: string(),
  bottom: repeated(string()),
  top: repeated(string()),
  phase: enumOf(Phase),
  loss_weight: repeated(float()),
  param: repeated(messageOf(() => ParamSpec)),
  blobs: repeated(messageOf(() => BlobProto)),
  propagate_down: repeated(bool()),
  include: repeated(messageOf(() => NetStateRule)),
  exclude: repeated(messageOf(() => NetStateRule)),
  transform_param: messageOf(() => TransformationParameter),
  loss_param: messageOf(() => LossParameter),
  accuracy_param: messageOf(() => AccuracyParameter),
  argmax_param: messageOf(() => ArgMaxParameter),
  batch_norm_param: messageOf(() => BatchNormParameter),
  bias_param: messageOf(() => BiasParameter),
  clip_param: messageOf(() => ClipParameter),
  concat_param: messageOf(() => ConcatParameter),
  contrastive_loss_param: messageOf(() => ContrastiveLossParameter),
  convolution_param: messageOf(() => ConvolutionParameter),
  crop_param: messageOf(() => CropParameter),
  data_param: messageOf(() => DataParameter),
  dropout_param: messageOf(() => DropoutParameter),
  dummy_data_param: messageOf(() => DummyDataParameter),
  eltwise_param: messageOf(() => EltwiseParameter),
  elu_param: messageOf(() => ELUParameter),
  embed_param: messageOf(() => EmbedParameter),
  exp_param: messageOf(() => ExpParameter),
  flatten_param: messageOf(() => FlattenParameter),
  hdf5_data_param: messageOf(() => HDF5DataParameter),
  hdf5_output_param: messageOf(() => HDF5OutputParameter),
  hinge_loss_param: messageOf(() => HingeLossParameter),
  image_data_param: messageOf(() => ImageDataParameter),
  infogain_loss_param: messageOf(() => InfogainLossParameter),
  inner_product_param: messageOf(() => InnerProductParameter),
  input_param: messageOf(() => InputParameter),
  log_param: messageOf(() => LogParameter),
  lrn_param: messageOf(() => LRNParameter),
  memory_data_param: messageOf(() => MemoryDataParameter),
  mvn_param: messageOf(() => MVNParameter),
  parameter_param: messageOf(() => ParameterParameter),
  pooling_param: messageOf(() => PoolingParameter),
  power_param: messageOf(() => PowerParameter),
  prelu_param: messageOf(() => PReLUParameter),
  python_param: messageOf(() => PythonParameter),
  recurrent_param: messageOf(() => RecurrentParameter),
  reduction_param: messageOf(() => ReductionParameter),
  relu_param: messageOf(() => ReLUParameter),
  reshape_param: messageOf(() => ReshapeParameter),
  scale_param: messageOf(() => ScaleParameter),
  sigmoid_param: messageOf(() => SigmoidParameter),
  softmax_param: messageOf(() => SoftmaxParameter),
  spp_param: messageOf(() => SPPParameter),
  slice_param: messageOf(() => SliceParameter),
  swish_param: messageOf(() => SwishParameter),
  tanh_param: messageOf(() => TanHParameter),
  threshold_param: messageOf(() => ThresholdParameter),
  tile_param: messageOf(() => TileParameter),
  window_data_param: messageOf(() => WindowDataParameter),
});

export const TransformationParameter = message('TransformationParameter', {
  scale: float({ default: 1 }), // applied after mean subtraction
  mirror: bool({ default: false }),
  crop_size: uint32({ default: 0 }),
  mean_file: string(), // not together with mean_value
  mean_value: repeated(float()), // once, or once per channel
  force_color: bool({ default: false }),
  force_gray: bool({ default: false }),
});

export const LossParameter_NormalizationMode = enumSpec('NormalizationMode', {
  FULL: 0,
  VALID: 1,
  BATCH_SIZE: 2,
  NONE: 3,
});

export const LossParameter = message('LossParameter', {
  ignore_label: int32(),
  normalization: enumOf(LossParameter_NormalizationMode, { default: 'VALID' }),
  normalize: bool({ deprecated: 'use normalization (ignored when normalization is set)' }),
});

// ---- layer-specific parameters (in the proto's order) ----

export const AccuracyParameter = message('AccuracyParameter', {
  top_k: uint32({ default: 1 }),
  axis: int32({ default: 1 }),
  ignore_label: int32(),
});

export const ArgMaxParameter = message('ArgMaxParameter', {
  out_max_val: bool({ default: false }),
  top_k: uint32({ default: 1 }),
  axis: int32(),
});

export const ClipParameter = message('ClipParameter', {
  min: float(), // required in the proto
  max: float(), // required in the proto
});

export const ConcatParameter = message('ConcatParameter', {
  axis: int32({ default: 1 }),
  concat_dim: uint32({ default: 1, deprecated: 'alias for axis; no negative indexing' }),
});

export const BatchNormParameter = message('BatchNormParameter', {
  use_global_stats: bool(),
  moving_average_fraction: float({ default: 0.999 }),
  eps: float({ default: 1e-5 }),
});

export const BiasParameter = message('BiasParameter', {
  axis: int32({ default: 1 }),
  num_axes: int32({ default: 1 }),
  filler: messageOf(() => FillerParameter),
});

export const ContrastiveLossParameter = message('ContrastiveLossParameter', {
  margin: float({ default: 1.0 }),
  legacy_version: bool({ default: false }),
});

export const ConvolutionParameter_Engine = enumSpec('Engine', { DEFAULT: 0, CAFFE: 1, CUDNN: 2 });

export const ConvolutionParameter = message('ConvolutionParameter', {
  num_output: uint32(),
  bias_term: bool({ default: true }),
  pad: repeated(uint32()), // defaults to 0
  kernel_size: repeated(uint32()),
  stride: repeated(uint32()), // defaults to 1
  dilation: repeated(uint32()), // defaults to 1
  pad_h: uint32({ default: 0 }),
  pad_w: uint32({ default: 0 }),
  kernel_h: uint32(),
  kernel_w: uint32(),
  stride_h: uint32(),
  stride_w: uint32(),
  group: uint32({ default: 1 }),
  weight_filler: messageOf(() => FillerParameter),
  bias_filler: messageOf(() => FillerParameter),
  engine: enumOf(ConvolutionParameter_Engine, { default: 'DEFAULT' }),
  axis: int32({ default: 1 }),
  force_nd_im2col: bool({ default: false }),
  hole: uint32({ fork: 'DeepLab (atrous rate, later called dilation)' }),
});

export const CropParameter = message('CropParameter', {
  axis: int32({ default: 2 }),
  offset: repeated(uint32()),
});

export const DataParameter_DB = enumSpec('DB', { LEVELDB: 0, LMDB: 1 });

export const DataParameter = message('DataParameter', {
  source: string(),
  batch_size: uint32(),
  rand_skip: uint32({ default: 0, deprecated: 'each solver reads a different subset of the database' }),
  backend: enumOf(DataParameter_DB, { default: 'LEVELDB' }),
  scale: float({ default: 1, deprecated: 'use transform_param' }),
  mean_file: string({ deprecated: 'use transform_param' }),
  crop_size: uint32({ default: 0, deprecated: 'use transform_param' }),
  mirror: bool({ default: false, deprecated: 'use transform_param' }),
  force_encoded_color: bool({ default: false }),
  prefetch: uint32({ default: 4 }),
});

export const DropoutParameter = message('DropoutParameter', {
  dropout_ratio: float({ default: 0.5 }),
  scale_train: bool({ default: true, fork: "the Fast/Faster R-CNN fork (caffe-fast-rcnn)" }),
});

export const DummyDataParameter = message('DummyDataParameter', {
  data_filler: repeated(messageOf(() => FillerParameter)),
  shape: repeated(messageOf(() => BlobShape)),
  num: repeated(uint32({ deprecated: 'use shape' })),
  channels: repeated(uint32({ deprecated: 'use shape' })),
  height: repeated(uint32({ deprecated: 'use shape' })),
  width: repeated(uint32({ deprecated: 'use shape' })),
});

export const EltwiseParameter_EltwiseOp = enumSpec('EltwiseOp', { PROD: 0, SUM: 1, MAX: 2 });

export const EltwiseParameter = message('EltwiseParameter', {
  operation: enumOf(EltwiseParameter_EltwiseOp, { default: 'SUM' }),
  coeff: repeated(float()), // per bottom, SUM only
  stable_prod_grad: bool({ default: true }),
});

export const ELUParameter = message('ELUParameter', {
  alpha: float({ default: 1 }),
});

export const EmbedParameter = message('EmbedParameter', {
  num_output: uint32(),
  input_dim: uint32(),
  bias_term: bool({ default: true }),
  weight_filler: messageOf(() => FillerParameter),
  bias_filler: messageOf(() => FillerParameter),
});

export const ExpParameter = message('ExpParameter', {
  base: float({ default: -1.0 }), // -1 means e
  scale: float({ default: 1.0 }),
  shift: float({ default: 0.0 }),
});

export const FlattenParameter = message('FlattenParameter', {
  axis: int32({ default: 1 }),
  end_axis: int32({ default: -1 }),
});

export const HDF5DataParameter = message('HDF5DataParameter', {
  source: string(),
  batch_size: uint32(),
  shuffle: bool({ default: false }),
});

export const HDF5OutputParameter = message('HDF5OutputParameter', {
  file_name: string(),
});

export const HingeLossParameter_Norm = enumSpec('Norm', { L1: 1, L2: 2 });

export const HingeLossParameter = message('HingeLossParameter', {
  norm: enumOf(HingeLossParameter_Norm, { default: 'L1' }),
});

export const ImageDataParameter = message('ImageDataParameter', {
  source: string(),
  batch_size: uint32({ default: 1 }),
  rand_skip: uint32({ default: 0 }),
  shuffle: bool({ default: false }),
  new_height: uint32({ default: 0 }),
  new_width: uint32({ default: 0 }),
  is_color: bool({ default: true }),
  scale: float({ default: 1, deprecated: 'use transform_param' }),
  mean_file: string({ deprecated: 'use transform_param' }),
  crop_size: uint32({ default: 0, deprecated: 'use transform_param' }),
  mirror: bool({ default: false, deprecated: 'use transform_param' }),
  root_folder: string({ default: '' }),
});

export const InfogainLossParameter = message('InfogainLossParameter', {
  source: string(),
  axis: int32({ default: 1 }),
});

export const InnerProductParameter = message('InnerProductParameter', {
  num_output: uint32(),
  bias_term: bool({ default: true }),
  weight_filler: messageOf(() => FillerParameter),
  bias_filler: messageOf(() => FillerParameter),
  axis: int32({ default: 1 }),
  transpose: bool({ default: false }),
});

export const InputParameter = message('InputParameter', {
  shape: repeated(messageOf(() => BlobShape)), // one per top, or one for all
});

export const LogParameter = message('LogParameter', {
  base: float({ default: -1.0 }), // -1 means e
  scale: float({ default: 1.0 }),
  shift: float({ default: 0.0 }),
});

export const LRNParameter_NormRegion = enumSpec('NormRegion', { ACROSS_CHANNELS: 0, WITHIN_CHANNEL: 1 });
export const LRNParameter_Engine = enumSpec('Engine', { DEFAULT: 0, CAFFE: 1, CUDNN: 2 });

export const LRNParameter = message('LRNParameter', {
  local_size: uint32({ default: 5 }),
  alpha: float({ default: 1 }),
  beta: float({ default: 0.75 }),
  norm_region: enumOf(LRNParameter_NormRegion, { default: 'ACROSS_CHANNELS' }),
  k: float({ default: 1 }),
  engine: enumOf(LRNParameter_Engine, { default: 'DEFAULT' }),
});

export const MemoryDataParameter = message('MemoryDataParameter', {
  batch_size: uint32(),
  channels: uint32(),
  height: uint32(),
  width: uint32(),
});

export const MVNParameter = message('MVNParameter', {
  normalize_variance: bool({ default: true }),
  across_channels: bool({ default: false }),
  eps: float({ default: 1e-9 }),
});

export const ParameterParameter = message('ParameterParameter', {
  shape: messageOf(() => BlobShape),
});

export const PoolingParameter_PoolMethod = enumSpec('PoolMethod', { MAX: 0, AVE: 1, STOCHASTIC: 2 });
export const PoolingParameter_Engine = enumSpec('Engine', { DEFAULT: 0, CAFFE: 1, CUDNN: 2 });
export const PoolingParameter_RoundMode = enumSpec('RoundMode', { CEIL: 0, FLOOR: 1 });

export const PoolingParameter = message('PoolingParameter', {
  pool: enumOf(PoolingParameter_PoolMethod, { default: 'MAX' }),
  pad: uint32({ default: 0 }),
  pad_h: uint32({ default: 0 }),
  pad_w: uint32({ default: 0 }),
  kernel_size: uint32(),
  kernel_h: uint32(),
  kernel_w: uint32(),
  stride: uint32({ default: 1 }), // defaults to 1
  stride_h: uint32(),
  stride_w: uint32(),
  engine: enumOf(PoolingParameter_Engine, { default: 'DEFAULT' }),
  global_pooling: bool({ default: false }),
  round_mode: enumOf(PoolingParameter_RoundMode, { default: 'CEIL' }), // master only, not in 1.0
  ceil_mode: bool({ fork: 'an unmerged BVLC PR (#3057) used by several forks; round_mode is the official field' }),
});

export const PowerParameter = message('PowerParameter', {
  power: float({ default: 1.0 }),
  scale: float({ default: 1.0 }),
  shift: float({ default: 0.0 }),
});

export const PythonParameter = message('PythonParameter', {
  module: string(),
  layer: string(),
  param_str: string({ default: '' }),
  share_in_parallel: bool({ default: false, deprecated: 'no longer used' }),
});

export const RecurrentParameter = message('RecurrentParameter', {
  num_output: uint32({ default: 0 }), // must be set non-zero
  weight_filler: messageOf(() => FillerParameter),
  bias_filler: messageOf(() => FillerParameter),
  debug_info: bool({ default: false }),
  expose_hidden: bool({ default: false }),
});

export const ReductionParameter_ReductionOp = enumSpec('ReductionOp', { SUM: 1, ASUM: 2, SUMSQ: 3, MEAN: 4 });

export const ReductionParameter = message('ReductionParameter', {
  operation: enumOf(ReductionParameter_ReductionOp, { default: 'SUM' }),
  axis: int32({ default: 0 }),
  coeff: float({ default: 1.0 }),
});

export const ReLUParameter_Engine = enumSpec('Engine', { DEFAULT: 0, CAFFE: 1, CUDNN: 2 });

export const ReLUParameter = message('ReLUParameter', {
  negative_slope: float({ default: 0 }),
  engine: enumOf(ReLUParameter_Engine, { default: 'DEFAULT' }),
});

export const ReshapeParameter = message('ReshapeParameter', {
  shape: messageOf(() => BlobShape), // 0 copies a bottom dim, one -1 is inferred
  axis: int32({ default: 0 }),
  num_axes: int32({ default: -1 }),
});

export const ScaleParameter = message('ScaleParameter', {
  axis: int32({ default: 1 }),
  num_axes: int32({ default: 1 }),
  filler: messageOf(() => FillerParameter),
  bias_term: bool({ default: false }),
  bias_filler: messageOf(() => FillerParameter),
});

export const SigmoidParameter_Engine = enumSpec('Engine', { DEFAULT: 0, CAFFE: 1, CUDNN: 2 });

export const SigmoidParameter = message('SigmoidParameter', {
  engine: enumOf(SigmoidParameter_Engine, { default: 'DEFAULT' }),
});

export const SliceParameter = message('SliceParameter', {
  axis: int32({ default: 1 }),
  slice_point: repeated(uint32()),
  slice_dim: uint32({ default: 1, deprecated: 'alias for axis; no negative indexing' }),
});

export const SoftmaxParameter_Engine = enumSpec('Engine', { DEFAULT: 0, CAFFE: 1, CUDNN: 2 });

export const SoftmaxParameter = message('SoftmaxParameter', {
  engine: enumOf(SoftmaxParameter_Engine, { default: 'DEFAULT' }),
  axis: int32({ default: 1 }),
});

export const SwishParameter = message('SwishParameter', {
  beta: float({ default: 1 }),
});

export const TanHParameter_Engine = enumSpec('Engine', { DEFAULT: 0, CAFFE: 1, CUDNN: 2 });

export const TanHParameter = message('TanHParameter', {
  engine: enumOf(TanHParameter_Engine, { default: 'DEFAULT' }),
});

export const TileParameter = message('TileParameter', {
  axis: int32({ default: 1 }),
  tiles: int32(),
});

export const ThresholdParameter = message('ThresholdParameter', {
  threshold: float({ default: 0 }),
});

export const WindowDataParameter = message('WindowDataParameter', {
  source: string(),
  scale: float({ default: 1 }),
  mean_file: string(),
  batch_size: uint32(),
  crop_size: uint32({ default: 0 }),
  mirror: bool({ default: false }),
  fg_threshold: float({ default: 0.5 }),
  bg_threshold: float({ default: 0.5 }),
  fg_fraction: float({ default: 0.25 }),
  context_pad: uint32({ default: 0 }),
  crop_mode: string({ default: 'warp' }),
  cache_images: bool({ default: false }),
  root_folder: string({ default: '' }),
});

export const SPPParameter_PoolMethod = enumSpec('PoolMethod', { MAX: 0, AVE: 1, STOCHASTIC: 2 });
export const SPPParameter_Engine = enumSpec('Engine', { DEFAULT: 0, CAFFE: 1, CUDNN: 2 });

export const SPPParameter = message('SPPParameter', {
  pyramid_height: uint32(),
  pool: enumOf(SPPParameter_PoolMethod, { default: 'MAX' }),
  engine: enumOf(SPPParameter_Engine, { default: 'DEFAULT' }),
});

// ---- legacy layer formats ----

export const V1LayerParameter_LayerType = enumSpec('LayerType', {
  NONE: 0,
  ABSVAL: 35,
  ACCURACY: 1,
  ARGMAX: 30,
  BNLL: 2,
  CONCAT: 3,
  CONTRASTIVE_LOSS: 37,
  CONVOLUTION: 4,
  DATA: 5,
  DECONVOLUTION: 39,
  DROPOUT: 6,
  DUMMY_DATA: 32,
  EUCLIDEAN_LOSS: 7,
  ELTWISE: 25,
  EXP: 38,
  FLATTEN: 8,
  HDF5_DATA: 9,
  HDF5_OUTPUT: 10,
  HINGE_LOSS: 28,
  IM2COL: 11,
  IMAGE_DATA: 12,
  INFOGAIN_LOSS: 13,
  INNER_PRODUCT: 14,
  LRN: 15,
  MEMORY_DATA: 29,
  MULTINOMIAL_LOGISTIC_LOSS: 16,
  MVN: 34,
  POOLING: 17,
  POWER: 26,
  RELU: 18,
  SIGMOID: 19,
  SIGMOID_CROSS_ENTROPY_LOSS: 27,
  SILENCE: 36,
  SOFTMAX: 20,
  SOFTMAX_LOSS: 21,
  SPLIT: 22,
  SLICE: 33,
  TANH: 23,
  WINDOW_DATA: 24,
  THRESHOLD: 31,
});

export const V1LayerParameter_DimCheckMode = enumSpec('DimCheckMode', { STRICT: 0, PERMISSIVE: 1 });

export const V1LayerParameter = message('V1LayerParameter', {
  bottom: repeated(string()),
  top: repeated(string()),
  name: string(),
  include: repeated(messageOf(() => NetStateRule)),
  exclude: repeated(messageOf(() => NetStateRule)),
  type: enumOf(V1LayerParameter_LayerType),
  blobs: repeated(messageOf(() => BlobProto)),
  param: repeated(string()),
  blob_share_mode: repeated(enumOf(V1LayerParameter_DimCheckMode)),
  blobs_lr: repeated(float()),
  weight_decay: repeated(float()),
  loss_weight: repeated(float()),
  accuracy_param: messageOf(() => AccuracyParameter),
  argmax_param: messageOf(() => ArgMaxParameter),
  concat_param: messageOf(() => ConcatParameter),
  contrastive_loss_param: messageOf(() => ContrastiveLossParameter),
  convolution_param: messageOf(() => ConvolutionParameter),
  data_param: messageOf(() => DataParameter),
  dropout_param: messageOf(() => DropoutParameter),
  dummy_data_param: messageOf(() => DummyDataParameter),
  eltwise_param: messageOf(() => EltwiseParameter),
  exp_param: messageOf(() => ExpParameter),
  hdf5_data_param: messageOf(() => HDF5DataParameter),
  hdf5_output_param: messageOf(() => HDF5OutputParameter),
  hinge_loss_param: messageOf(() => HingeLossParameter),
  image_data_param: messageOf(() => ImageDataParameter),
  infogain_loss_param: messageOf(() => InfogainLossParameter),
  inner_product_param: messageOf(() => InnerProductParameter),
  lrn_param: messageOf(() => LRNParameter),
  memory_data_param: messageOf(() => MemoryDataParameter),
  mvn_param: messageOf(() => MVNParameter),
  pooling_param: messageOf(() => PoolingParameter),
  power_param: messageOf(() => PowerParameter),
  relu_param: messageOf(() => ReLUParameter),
  sigmoid_param: messageOf(() => SigmoidParameter),
  softmax_param: messageOf(() => SoftmaxParameter),
  slice_param: messageOf(() => SliceParameter),
  tanh_param: messageOf(() => TanHParameter),
  threshold_param: messageOf(() => ThresholdParameter),
  window_data_param: messageOf(() => WindowDataParameter),
  transform_param: messageOf(() => TransformationParameter),
  loss_param: messageOf(() => LossParameter),
  layer: messageOf(() => V0LayerParameter, { deprecated: 'V0 layer format' }),
});

export const V0LayerParameter_PoolMethod = enumSpec('PoolMethod', { MAX: 0, AVE: 1, STOCHASTIC: 2 });

export const V0LayerParameter = message('V0LayerParameter', {
  name: string(),
  type: string(),
  num_output: uint32(),
  biasterm: bool({ default: true }),
  weight_filler: messageOf(() => FillerParameter),
  bias_filler: messageOf(() => FillerParameter),
  pad: uint32({ default: 0 }),
  kernelsize: uint32(),
  group: uint32({ default: 1 }),
  stride: uint32({ default: 1 }),
  pool: enumOf(V0LayerParameter_PoolMethod, { default: 'MAX' }),
  dropout_ratio: float({ default: 0.5 }),
  local_size: uint32({ default: 5 }),
  alpha: float({ default: 1 }),
  beta: float({ default: 0.75 }),
  k: float({ default: 1 }),
  source: string(),
  scale: float({ default: 1 }),
  meanfile: string(),
  batchsize: uint32(),
  cropsize: uint32({ default: 0 }),
  mirror: bool({ default: false }),
  blobs: repeated(messageOf(() => BlobProto)),
  blobs_lr: repeated(float()),
  weight_decay: repeated(float()),
  rand_skip: uint32({ default: 0 }),
  det_fg_threshold: float({ default: 0.5 }),
  det_bg_threshold: float({ default: 0.5 }),
  det_fg_fraction: float({ default: 0.25 }),
  det_context_pad: uint32({ default: 0 }),
  det_crop_mode: string({ default: 'warp' }),
  new_num: int32({ default: 0 }),
  new_channels: int32({ default: 0 }),
  new_height: int32({ default: 0 }),
  new_width: int32({ default: 0 }),
  shuffle_images: bool({ default: false }),
  concat_dim: uint32({ default: 1 }),
  hdf5_output_param: messageOf(() => HDF5OutputParameter),
});

export const PReLUParameter = message('PReLUParameter', {
  filler: messageOf(() => FillerParameter), // a_i = 0.25 when unset
  channel_shared: bool({ default: false }),
});
