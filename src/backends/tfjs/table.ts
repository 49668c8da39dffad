/**
 * How each IR operation is lowered to tfjs. Keyed by every op name, so the type checker insists
 * that a new operation is handled here (as a kernel or as an unsupported feature).
 */
import type { OpName } from '../../ir/ops/index.js';
import * as act from './ops/activation.js';
import * as conv from './ops/convolution.js';
import * as data from './ops/data.js';
import * as dense from './ops/dense.js';
import * as loss from './ops/loss.js';
import * as norm from './ops/normalization.js';
import * as pool from './ops/pooling.js';
import * as reg from './ops/regularization.js';
import * as tensor from './ops/tensor.js';
import type { Lower } from './types.js';

/** Input and data layers are wired by the lowering itself: their blobs are the forward's arguments. */
const source = (): never => {
  throw new Error('input and data layers have no kernel');
};

export const LOWER: { [O in OpName]: Lower<O> } = {
  input: source,
  data: source,
  parameter: data.parameter,
  silence: data.silence,
  hdf5_output: data.hdf5_output,
  opaque: data.opaque,
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
  dropout: reg.dropout,
  flatten: tensor.flatten,
  reshape: tensor.reshape,
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
  loss: loss.loss,
  accuracy: loss.accuracy,
};
