/**
 * Rewrites a compiled net so that one forward pass shows every layer's own output and one
 * backward pass the gradient with respect to it, using only IR operations the tfjs lowering
 * already runs:
 *
 *   layer → (output renamed to a private blob) → Eltwise sum with a zero Parameter → the blob
 *
 * The private blob keeps the layer's value even when a later Caffe in-place layer overwrites the
 * public one, and the gradient of the loss with respect to the zero Parameter is exactly the
 * gradient with respect to the layer's output. The Parameter adds nothing (it is 0), so the net
 * computes what it did. Parameter seeds are keyed by layer name, so the added nodes leave every
 * real layer's initial values unchanged. `filler` replaces the weight filler of every
 * convolution and fully connected layer (biases keep theirs).
 */
import type { BackendInput } from '../../backends/backend.js';
import { isKnown } from '../../ir/dims.js';
import type { Filler } from '../../ir/filler.js';
import { createNode, type Node } from '../../ir/graph.js';
import { opDefinition } from '../../ir/ops/index.js';
import type { NodeReport } from '../../passes/analyze.js';

/** Layers whose weight filler `--init` replaces. */
export const WEIGHT_OPS: ReadonlySet<string> = new Set(['conv', 'conv_transpose', 'linear']);

const NOT_REPORTED: ReadonlySet<string> = new Set(['silence', 'hdf5_output']);

export interface Entry {
  /** `node` or `node/blob` (several outputs). */
  name: string;
  node: Node;
  /** The blob holding this output: a private one, or the public one when the shape is unknown. */
  act: string;
  /** The zero Parameter node whose gradient is the output's; null when the shape is unknown. */
  probe: string | null;
  /** What the layer reads: a reported layer's output (its index) or a source blob (fed by the caller). */
  reads: ({ entry: number } | { source: string })[];
  /** Reported layers that read this output. */
  consumers: number[];
}

export interface Instrumented {
  input: BackendInput;
  entries: Entry[];
}

function reported(node: Node): boolean {
  const category = opDefinition(node.op).category;
  return category !== 'data' && category !== 'loss' && !NOT_REPORTED.has(node.op) && node.outputs.length > 0 && !node.loss_weight;
}

function knownShape(report: NodeReport | undefined, i: number): number[] | null {
  const shape = report?.outputs[i]?.shape ?? null;
  return shape !== null && shape.every(isKnown) ? (shape as number[]) : null;
}

export function instrument(base: BackendInput, filler: Filler | null): Instrumented {
  const nodes: Node[] = [];
  const reports = new Map<Node, NodeReport>();
  const entries: Entry[] = [];
  /** The entry whose value each blob holds at this point of the walk (absent: a source or unreported layer). */
  const latest = new Map<string, number>();
  base.model.graph.nodes.forEach((original, k) => {
    const report = base.reports.get(original);
    const node: Node =
      filler && WEIGHT_OPS.has(original.op)
        ? ({ ...original, params: original.params.map((p) => (p.name === 'weight' ? { ...p, init: filler } : p)) } as Node)
        : original;
    if (!reported(original)) {
      for (const b of original.outputs) latest.delete(b);
      nodes.push(node);
      if (report) reports.set(node, { ...report, node });
      return;
    }
    const first = entries.length;
    const reads = original.inputs.map((b) => {
      const at = latest.get(b);
      if (at === undefined) return { source: b };
      if (!entries[at]!.consumers.includes(first)) entries[at]!.consumers.push(first);
      return { entry: at };
    });
    const outputs = original.outputs.map((blob, i) => (knownShape(report, i) ? `__nnspec_init_report_act_${k}_${i}` : blob));
    const layer = { ...node, outputs } as Node;
    nodes.push(layer);
    if (report) reports.set(layer, { ...report, node: layer, outputs: report.outputs.map((o, i) => ({ ...o, name: outputs[i]! })) });
    original.outputs.forEach((blob, i) => {
      const known = knownShape(report, i);
      const probe = known ? `__nnspec_init_report_probe_${k}_${i}` : null;
      entries.push({ name: original.outputs.length > 1 ? `${original.name}/${blob}` : original.name, node: original, act: outputs[i]!, probe, reads, consumers: [] });
      latest.set(blob, first + i);
      if (!known || !probe) return;
      const zero = createNode('parameter', probe, [], [probe], { shape: known }, [{ name: 'value', init: { type: 'constant', value: 0 }, lr_mult: 1, decay_mult: 0, trainable: true }], original.span);
      const join = createNode('eltwise', `__nnspec_init_report_join_${k}_${i}`, [outputs[i]!, probe], [blob], { operation: 'sum', coeff: [] }, [], original.span);
      nodes.push(zero, join);
      reports.set(zero, { node: zero, inputs: [], outputs: [{ name: probe, shape: known, rf: null }], cost: null });
      reports.set(join, { node: join, inputs: [{ name: outputs[i]!, shape: known }, { name: probe, shape: known }], outputs: [{ name: blob, shape: known, rf: null }], cost: null });
    });
  });
  return { input: { ...base, model: { ...base.model, graph: { ...base.model.graph, nodes } }, reports }, entries };
}
