/**
 * What the graph rules share: who reads each output of each node, which outputs are part of
 * the training objective, and which nodes reach one.
 *
 * Caffe's rule for outputs: every blob that no layer reads is a net output (Net::Init), so in
 * a net without a loss nothing is dead. In a net with a loss, the outputs that matter are the
 * losses (op `loss`, or any output with a non-zero `loss_weight`), the evaluation outputs
 * (Accuracy), whatever opaque layers produce (nnspec cannot see what they are) and what a
 * Silence or HDF5Output layer consumes on purpose.
 */
import type { Node } from '../../../ir/graph.js';
import { parseFieldAt } from '../../../language/fast-parser.js';
import type { Field, Message, Span, Value } from '../../../language/syntax-tree.js';
import type { LintContext } from '../../context.js';

export interface Dataflow {
  /** Per node: for each output index, the nodes that read that value (in-place writes followed). */
  readers: Map<Node, Node[][]>;
  /** Whether the net has a training objective (a loss node or a non-zero loss_weight). */
  hasObjective: boolean;
  /**
   * Nodes that reach the objective, an evaluation output or an opaque layer (only computed
   * when the net has an objective; without one every node counts as live).
   */
  live: Set<Node>;
}

const cache = new WeakMap<readonly Node[], Dataflow>();

export function isObjectiveNode(node: Node): boolean {
  return node.op === 'loss' || (node.loss_weight?.some((w) => w !== 0) ?? false);
}

/** Layers that read data from outside the graph. */
export function isSource(node: Node): boolean {
  return node.op === 'input' || node.op === 'data';
}

/**
 * Nodes whose outputs count as wanted even when no layer reads them: losses, evaluation
 * outputs, layers nnspec cannot see into, and deliberate consumers (Silence, HDF5Output).
 */
function isSink(node: Node): boolean {
  return isObjectiveNode(node) || node.op === 'accuracy' || node.op === 'opaque' || node.outputs.length === 0;
}

export function dataflow(nodes: readonly Node[]): Dataflow {
  const hit = cache.get(nodes);
  if (hit) return hit;
  const readers = new Map<Node, Node[][]>();
  const lastWriter = new Map<string, { node: Node; index: number }>();
  for (const node of nodes) {
    readers.set(
      node,
      node.outputs.map(() => []),
    );
    for (const blob of node.inputs) {
      const w = lastWriter.get(blob);
      if (!w) continue;
      const list = readers.get(w.node)![w.index]!;
      if (!list.includes(node)) list.push(node);
    }
    node.outputs.forEach((blob, index) => lastWriter.set(blob, { node, index }));
  }
  const hasObjective = nodes.some(isObjectiveNode);
  const live = new Set<Node>();
  if (hasObjective) {
    // Readers come after writers, so one backward sweep settles liveness.
    for (let i = nodes.length - 1; i >= 0; i--) {
      const node = nodes[i]!;
      if (isSink(node) || readers.get(node)!.some((rs) => rs.some((r) => live.has(r)))) live.add(node);
    }
  } else {
    for (const node of nodes) live.add(node);
  }
  const flow = { readers, hasObjective, live };
  cache.set(nodes, flow);
  return flow;
}

/** `'a'`, `'a' and 'b'`, `'a', 'b' and 'c'`, or the first few and how many more. */
export function listNames(names: readonly string[], max = 3): string {
  const quoted = names.map((n) => `'${n}'`);
  if (quoted.length <= max) return quoted.length <= 1 ? (quoted[0] ?? '') : `${quoted.slice(0, -1).join(', ')} and ${quoted[quoted.length - 1]}`;
  return `${quoted.slice(0, max).join(', ')} and ${quoted.length - max} more`;
}

/**
 * Where a node names one of its blobs: the `top` (or `bottom`) value equal to `blob` — a
 * Caffe `top: "x"` or an item of an nnspec list — else the first such field, else the layer.
 */
export function blobSpan(ctx: LintContext<unknown>, node: Node, blob: string, field: 'top' | 'bottom'): Span {
  const at = ctx.fieldSpan(node, [field]);
  for (const f of nodeFields(ctx.source.text, node)) {
    if (f.name !== field) continue;
    const values = f.value.kind === 'list' ? f.value.items : [f.value];
    for (const v of values) {
      const name = v.kind === 'string' ? v.value : v.kind === 'ident' ? v.name : null;
      if (name === blob) return values.length === 1 ? { start: f.start, end: f.end } : { start: v.start, end: v.end };
    }
  }
  return at.start === node.span.start && at.end === node.span.end ? ctx.fieldSpan(node, ['name']) : at;
}

/** The fields written in a node's text (`name { … }` or a bare `{ … }`), with offsets into the file. */
function nodeFields(text: string, node: Node): readonly Field[] {
  const at = node.span.start;
  const one = parseFieldAt(text, at);
  if (one && one.field.value.kind === 'message') return (one.field.value as Message).fields;
  if (text[at] !== '{') return [];
  const wrapped = parseFieldAt(`x${text.slice(at, node.span.end)}`, 0);
  if (!wrapped || wrapped.field.value.kind !== 'message') return [];
  // Offsets in the wrapped text are one past the "x" prefix.
  const by = at - 1;
  return (wrapped.field.value as Message).fields.map((f) => ({ ...f, start: f.start + by, end: f.end + by, value: shiftValue(f.value, by) }));
}

function shiftValue(v: Value, by: number): Value {
  if (v.kind === 'list') return { ...v, start: v.start + by, end: v.end + by, items: v.items.map((x) => shiftValue(x, by)) };
  return { ...v, start: v.start + by, end: v.end + by } as Value;
}
