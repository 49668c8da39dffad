/**
 * The typed IR: a graph of operation nodes joined by named blobs, in NCHW, with every
 * framework convention made explicit (padding as begin/end per axis, pooling rounding,
 * dropout as a drop probability, initialisation as a typed filler). Both dialects bind to it;
 * every pass and backend reads only it. Each node keeps the span of the text it came from.
 */
import type { Span } from '../language/syntax-tree.js';
import type { Filler } from './filler.js';
import type { AttrsOf, OpName } from './ops/index.js';
import type { SearchConfig } from './search.js';
import type { TrainConfig } from './train.js';

export interface ParamBlob {
  /** 'weight', 'bias', 'running_mean', … as listed by the operation. */
  name: string;
  init: Filler;
  lr_mult: number;
  decay_mult: number;
  /** Running statistics and frozen blobs are not trained (they still count as parameters). */
  trainable: boolean;
  /** Caffe weight sharing: blobs with the same share name are one blob. */
  share?: { name: string; mode: 'strict' | 'permissive' };
}

interface NodeBase {
  /** Unique in the graph; nnspec scopes join with '.' (layer1.0.conv1), as PyTorch names modules. */
  name: string;
  inputs: string[];
  outputs: string[];
  params: ParamBlob[];
  /** Weight of each output in the training objective (present only when some is non-zero). */
  loss_weight?: number[];
  /** Caffe propagate_down, one per input (present only when written). */
  propagate_down?: boolean[];
  span: Span;
  /** nnspec: where the enclosing blocks were instantiated, outermost first. */
  instantiated_at?: Span[];
}

export type NodeOf<O extends OpName> = NodeBase & { op: O; attrs: AttrsOf<O> };
export type Node = { [O in OpName]: NodeOf<O> }[OpName];

export interface Graph {
  name: string;
  /** Caffe nets are filtered for one phase; nnspec graphs hold both modes. */
  phase: 'train' | 'test' | null;
  nodes: Node[];
}

export type Dialect = 'caffe' | 'nnspec';
export type SourceFormat = 'caffe-v0' | 'caffe-v1' | 'caffe-v2' | 'caffe-solver' | 'nnspec';

export interface Model {
  file: string;
  dialect: Dialect;
  format: SourceFormat;
  graph: Graph | null;
  train: TrainConfig | null;
  /** nnspec's `search` section (absent or null when the file has none). */
  search?: SearchConfig | null;
}

/**
 * Creates a node with every property present, in one order, so that all nodes share one
 * hidden class in V8: passes read hundreds of thousands of them.
 */
export function createNode<O extends OpName>(
  op: O,
  name: string,
  inputs: string[],
  outputs: string[],
  attrs: AttrsOf<O>,
  params: ParamBlob[],
  span: Span,
): NodeOf<O> {
  // Only the offsets: a syntax node passed as the span must not keep its tree alive.
  const at = { start: span.start, end: span.end };
  return { op, name, inputs, outputs, attrs, params, loss_weight: undefined, propagate_down: undefined, span: at, instantiated_at: undefined } as NodeOf<O>;
}
