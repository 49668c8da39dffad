/**
 * Shared types of the TensorFlow.js lowering. tfjs is never imported at run time here: the
 * caller passes its `tf` namespace (tfjs, or tfjs-core with a backend registered), so reading
 * commands that share these modules never load it.
 */
import type * as TF from '@tensorflow/tfjs-core';
import type { Shape } from '../../ir/dims.js';
import type { NodeOf } from '../../ir/graph.js';
import type { OpName } from '../../ir/ops/index.js';

export type Tf = typeof TF;
export type Tensor = TF.Tensor;
export type Variable = TF.Variable;
export type Mode = 'train' | 'inference';

/**
 * A blob's value. Rank-4 blobs may be held channels-last (NHWC, what tfjs's convolutions and
 * pooling take) while the IR's axes stay NCHW; `cl` says which, and every op maps IR axes to
 * the held ones (see layout.ts) instead of transposing back and forth.
 */
export interface Value {
  t: Tensor;
  cl: boolean;
}

/** What a kernel needs while it runs. */
export interface RunContext {
  tf: Tf;
  mode: Mode;
  /** Whether training-mode dropout is on (ForwardOptions.dropout). */
  dropout: boolean;
  /** The node's parameter (by IR name) as its variable in the store, in the IR's layout. */
  param(name: string): Tensor;
  /** Assigns a non-trained parameter (running statistics). */
  assign(name: string, value: Tensor): void;
  /** A fresh seed for one random draw (dropout masks): deterministic for a given store seed. */
  seed(): number;
}

export type Kernel = (inputs: Value[], ctx: RunContext) => Value[];

/** What the lowering knows of a node before running: its analysed shapes. */
export interface NodeInfo {
  inputs: (Shape | null)[];
  outputs: (Shape | null)[];
}

/** A kernel, or the feature tfjs lowering does not support (it names the layer in the diagnostic). */
export type Lowered = Kernel | { unsupported: string };

export type Lower<O extends OpName> = (node: NodeOf<O>, info: NodeInfo) => Lowered;

export const unsupported = (feature: string): Lowered => ({ unsupported: feature });
