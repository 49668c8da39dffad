/**
 * Receptive fields of the values a node reads, from the analysis of the nodes that wrote
 * them: per spatial axis the size r, the effective stride S and the centre C = (r − 1)/2 − P
 * of value 0's window (P the effective padding), as the analysis carries them.
 */
import type { Node } from '../../../ir/graph.js';
import type { LintContext } from '../../context.js';

export interface InputField {
  global: boolean;
  /** The network input the field is measured on. */
  input: string;
  size: number[];
  stride: number[];
  centre: number[];
}

/** The receptive field of the value `node` reads at input `i` (null: unknown or not spatial). */
export function inputField(ctx: LintContext<unknown>, node: Node, i: number): InputField | null {
  const writer = ctx.writers(node)[i];
  if (!writer) return null;
  const rf = ctx.analysis(writer)?.outputs.find((o) => o.name === node.inputs[i])?.rf;
  if (!rf) return null;
  return { global: rf.global === true, input: rf.input, size: rf.size, stride: rf.stride, centre: rf.size.map((r, k) => (r - 1) / 2 - rf.padding[k]!) };
}

/** The spatial size of the network input blob `name` (null where unknown). */
export function networkInputSize(ctx: LintContext<unknown>, name: string): number[] | null {
  for (const node of ctx.nodes) {
    if (node.inputs.length > 0) continue;
    const k = node.outputs.indexOf(name);
    if (k < 0) continue;
    const shape = ctx.outputShape(node, k);
    const spatial = shape?.slice(2) ?? [];
    return spatial.length > 0 && spatial.every((d): d is number => typeof d === 'number') ? spatial : null;
  }
  return null;
}
