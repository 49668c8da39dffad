/**
 * The second line of a diagram node: the operation with the attributes a reader looks for
 * first (Netscope's and torchinfo's choice: kernel, stride and width; not padding or
 * initialisation, which the summary table and the source show).
 */
import type { Node } from '../../ir/graph.js';
import type { AttrsOf, OpName } from '../../ir/ops/index.js';

/** `3×3` for a square window, `/2` when strided, `d2` when dilated. */
function window(a: { kernel: number[]; stride: number[]; dilation?: number[] }): string {
  let text = a.kernel.join('×');
  if (a.stride.some((s) => s !== 1)) text += `/${uniform(a.stride)}`;
  if (a.dilation?.some((d) => d !== 1)) text += ` d${uniform(a.dilation)}`;
  return text;
}

function uniform(values: number[]): string {
  return values.every((v) => v === values[0]) ? String(values[0]) : values.join('×');
}

function groups(g: number): string {
  return g === 1 ? '' : `, g${g}`;
}

function num(n: number): string {
  return String(Math.round(n * 1e6) / 1e6);
}

type Describe<O extends OpName> = (attrs: AttrsOf<O>) => string;

const plain = <O extends OpName>(text: string): Describe<O> => () => text;

/** Keyed by every operation, so a new one cannot be forgotten here. */
const DESCRIBE: { [O in OpName]: Describe<O> } = {
  data: (a) => `data (${a.source_type}${a.batch_size ? `, batch ${a.batch_size}` : ''})`,
  hdf5_output: plain('hdf5 output'),
  input: plain('input'),
  opaque: (a) => `${a.framework === 'caffe' ? 'Caffe' : 'nnspec'} ${a.type} (opaque)`,
  parameter: plain('parameter'),
  silence: plain('silence'),
  conv: (a) => `conv ${window(a)}, ${a.num_output}${groups(a.groups)}`,
  conv_transpose: (a) => `deconv ${window(a)}, ${a.num_output}${groups(a.groups)}`,
  im2col: (a) => `im2col ${window(a)}`,
  adaptive_pool: (a) => `adaptive ${a.mode}pool → ${a.output_size.join('×')}`,
  global_pool: (a) => `global ${a.mode}pool`,
  pool: (a) => `${a.mode}pool ${window(a)}`,
  spp: (a) => `spp ${a.mode}, ${a.pyramid_height} levels`,
  embed: (a) => `embed ${a.input_dim} → ${a.num_output}`,
  linear: (a) => `linear ${a.num_output}`,
  lstm_unit: plain('lstm unit'),
  recurrent: (a) => `${a.cell} ${a.num_output}`,
  batchnorm: (a) => (a.statistics === 'running' ? 'batchnorm (frozen)' : 'batchnorm'),
  bias: plain('bias'),
  lrn: (a) => `lrn ${a.size}${a.region === 'within_channel' ? ' within channel' : ''}`,
  mvn: plain('mvn'),
  scale: (a) => (a.bias ? 'scale + bias' : 'scale'),
  absval: plain('abs'),
  bnll: plain('bnll'),
  clip: (a) => `clip [${num(a.min)}, ${num(a.max)}]`,
  elu: plain('elu'),
  exp: plain('exp'),
  gelu: (a) => (a.approximate === 'tanh' ? 'gelu (tanh)' : 'gelu'),
  log: plain('log'),
  maxout: (a) => `maxout ${a.pieces}`,
  power: plain('power'),
  prelu: plain('prelu'),
  relu: (a) => (a.negative_slope === 0 ? 'relu' : `leaky relu ${num(a.negative_slope)}`),
  selu: plain('selu'),
  sigmoid: plain('sigmoid'),
  swish: plain('swish'),
  tanh: plain('tanh'),
  threshold: (a) => `threshold ${num(a.threshold)}`,
  dropout: (a) => `dropout ${num(a.drop_prob)}`,
  argmax: (a) => `argmax top-${a.top_k}`,
  batch_reindex: plain('batch reindex'),
  concat: (a) => (a.axis === 1 ? 'concat' : `concat axis ${a.axis}`),
  crop: plain('crop'),
  eltwise: (a) => `eltwise ${a.operation}`,
  filter: plain('filter'),
  flatten: plain('flatten'),
  reduction: (a) => `reduce ${a.operation}`,
  reshape: (a) => `reshape [${a.shape.join(', ')}]`,
  slice: plain('slice'),
  softmax: plain('softmax'),
  split: plain('split'),
  tile: (a) => `tile ×${a.tiles}`,
  accuracy: (a) => (a.top_k === 1 ? 'accuracy' : `accuracy top-${a.top_k}`),
  loss: (a) => `loss ${a.kind.replace(/_/g, ' ')}`,
};

export function describeOp(node: Node): string {
  return (DESCRIBE[node.op] as (attrs: unknown) => string)(node.attrs);
}
