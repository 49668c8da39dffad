/**
 * How each IR operation becomes graph nodes. Keyed by every op name, so the type checker insists
 * that a new operation is handled here (translated, or refused with the feature named).
 */
import type { OpName } from '../../ir/ops/index.js';
import type { Translate } from './emit.js';
import * as act from './ops/activation.js';
import * as conv from './ops/convolution.js';
import * as dense from './ops/dense.js';
import * as norm from './ops/normalization.js';
import * as other from './ops/other.js';
import * as pool from './ops/pooling.js';
import * as tensor from './ops/tensor.js';

export const TRANSLATE: { [O in OpName]: Translate<O> } = {
  input: other.source,
  data: other.source,
  parameter: other.parameter,
  silence: other.silence,
  hdf5_output: other.hdf5_output,
  opaque: other.opaque,
  conv: conv.conv,
  conv_transpose: conv.conv_transpose,
  im2col: conv.im2col,
  pool: pool.pool,
  global_pool: pool.global_pool,
  adaptive_pool: pool.adaptive_pool,
  spp: pool.spp,
  linear: dense.linear,
  embed: dense.embed,
  recurrent: dense.recurrent,
  lstm_unit: dense.lstm_unit,
  batchnorm: norm.batchnorm,
  lrn: norm.lrn,
  mvn: norm.mvn,
  scale: norm.scale,
  bias: norm.bias,
  relu: act.relu,
  prelu: act.prelu,
  clip: act.clip,
  elu: act.elu_,
  selu: act.selu,
  gelu: act.gelu,
  sigmoid: act.sigmoid,
  tanh: act.tanh,
  swish: act.swish,
  maxout: act.maxout,
  absval: act.absval,
  bnll: act.bnll,
  power: act.power,
  exp: act.exp,
  log: act.log,
  threshold: act.threshold,
  dropout: other.dropout,
  flatten: tensor.flatten,
  reshape: tensor.reshape_,
  concat: tensor.concat,
  eltwise: tensor.eltwise,
  crop: tensor.crop,
  slice: tensor.slice,
  split: tensor.split,
  tile: tensor.tile,
  softmax: tensor.softmax,
  argmax: tensor.argmax,
  reduction: tensor.reduction,
  batch_reindex: tensor.batch_reindex,
  filter: tensor.filter,
  loss: other.loss,
  accuracy: other.accuracy,
};
