/**
 * What a layer costs, counted the way the README states:
 * - parameters: every element of every parameter blob; trainable unless the blob is running
 *   statistics or otherwise not learned (BatchNorm means and variances, Caffe's BatchNorm scale
 *   factor, blobs with lr_mult 0). A blob shared by name (Caffe `param { name }`) counts once.
 * - MACs (one multiply plus one add): those of convolutions, transposed convolutions, fully
 *   connected and recurrent layers, per example; elementwise layers, normalisation and pooling
 *   count 0, as torchvision's published figures do.
 * - activation bytes: float32 outputs per example; an in-place output (same blob name as the
 *   input at its index) reuses its input's memory and counts 0.
 * - parameter bytes: float32, 4 per parameter.
 */
import { perExample, product, type Shape } from '../ir/dims.js';
import type { Node } from '../ir/graph.js';
import type { OpDefinition } from '../ir/op.js';

export const BYTES_PER_VALUE = 4;

export interface NodeCost {
  params: number;
  trainableParams: number;
  /** null where a dimension is symbolic or unknown. */
  macs: number | null;
  activationBytes: number | null;
  paramBytes: number;
}

/** Counts a node's cost; `sharedSeen` remembers Caffe share names already counted. */
export function nodeCost(def: OpDefinition, node: Node, inputs: Shape[], outputs: (Shape | null)[], sharedSeen: Set<string>): NodeCost {
  let params = 0;
  let trainable = 0;
  let paramShapes: Shape[] = [];
  if (node.params.length > 0) paramShapes = def.paramShapes(node.attrs as never, inputs);
  node.params.forEach((blob, i) => {
    if (blob.share) {
      if (sharedSeen.has(blob.share.name)) return;
      sharedSeen.add(blob.share.name);
    }
    const shape = paramShapes[i];
    const count = shape ? product(shape) : 0;
    if (typeof count !== 'number') return;
    params += count;
    if (blob.trainable && blob.lr_mult !== 0) trainable += count;
  });
  let activationBytes: number | null = 0;
  outputs.forEach((shape, i) => {
    if (activationBytes === null) return;
    if (node.inputs[i] === node.outputs[i]) return;
    const n = shape ? perExample(shape) : null;
    activationBytes = n === null ? null : activationBytes + n * BYTES_PER_VALUE;
  });
  const known = outputs.every((s): s is Shape => s !== null);
  const macs = known ? def.macs(node.attrs as never, inputs, outputs as Shape[]) : null;
  return { params, trainableParams: trainable, macs, activationBytes, paramBytes: params * BYTES_PER_VALUE };
}
