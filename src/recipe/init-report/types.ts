/** What the init report holds, per layer and per initialisation (the JSON output's shape). */
import type { Filler } from '../../ir/filler.js';

export interface Histogram {
  /** Edges of the bins: `counts.length + 1` increasing values. */
  edges: number[];
  counts: number[];
}

export interface LayerStats {
  /** The node's name; `node/blob` for a node with several outputs. */
  name: string;
  op: string;
  /** The output's shape, batch first. */
  shape: number[];
  mean: number;
  std: number;
  min: number;
  max: number;
  /** tanh: fraction with |y| > 0.99; sigmoid: y < 0.01 or y > 0.99; null for other ops. */
  saturated: number | null;
  /** ReLU: fraction of units (positions of one example's output) that are ≤ 0 for every example of the batch; null for other ops. */
  dead: number | null;
  /** L2 norm of the loss gradient w.r.t. all the node's trainable parameters; null without any. */
  grad_norm: number | null;
  /** L2 norm of the loss gradient w.r.t. this output (the whole batch). */
  grad_output_norm: number | null;
  histogram: Histogram;
}

export type FlagKind = 'collapse' | 'vanishing_gradient' | 'saturation' | 'explosion';

export interface Flag {
  kind: FlagKind;
  /** The first layer where it happens (see flags.ts for the order each kind is read in). */
  layer: string;
  message: string;
}

export interface InitResult {
  init: string;
  /** The weight filler given to every conv and fully connected layer; null: the spec's own. */
  filler: Filler | null;
  loss: number;
  layers: LayerStats[];
  flags: Flag[];
}
