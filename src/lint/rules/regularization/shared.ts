/**
 * Helpers the regularization rules share: where a parameter blob's decay_mult is written (Caffe
 * `param { }` blocks by position, V1 `weight_decay` entries, nnspec `weight { }` / `bias { }`
 * blocks), and walks along the dataflow through layers that keep a value's meaning (activations,
 * reshapes), so that `fc6 → relu6 → drop6` counts as dropout after fc6.
 */
import { parseFieldAt, parseMessageAt } from '../../../language/fast-parser.js';
import type { Field, Message, Span } from '../../../language/syntax-tree.js';
import type { Node } from '../../../ir/graph.js';
import { opDefinition } from '../../../ir/ops/index.js';
import type { LintContext } from '../../context.js';

/** Whether a value passes through `node` keeping its place in the network (an activation, a reshape). */
export function passesThrough(node: Node): boolean {
  if (node.op === 'flatten' || node.op === 'reshape' || node.op === 'split') return true;
  return opDefinition(node.op).category === 'activation' && node.op !== 'maxout';
}

/** The nodes reading what `node` wrote, followed through pass-through layers (each visited once). */
export function downstream(ctx: LintContext<unknown>, node: Node): Node[] {
  const out: Node[] = [];
  const seen = new Set<Node>([node]);
  const queue = [node];
  while (queue.length > 0) {
    const at = queue.shift()!;
    for (const r of ctx.readers(at)) {
      if (seen.has(r)) continue;
      seen.add(r);
      out.push(r);
      if (passesThrough(r)) queue.push(r);
    }
  }
  return out;
}

/** The nodes whose values `node` reads, followed back through pass-through layers. */
export function upstream(ctx: LintContext<unknown>, node: Node): Node[] {
  const out: Node[] = [];
  const seen = new Set<Node>([node]);
  const queue = [node];
  while (queue.length > 0) {
    const at = queue.shift()!;
    for (const w of ctx.writers(at)) {
      if (!w || seen.has(w)) continue;
      seen.add(w);
      out.push(w);
      if (passesThrough(w)) queue.push(w);
    }
  }
  return out;
}

function layerMessage(ctx: LintContext<unknown>, node: Node): Message | null {
  const text = ctx.source.text;
  const at = node.span.start;
  if (text[at] === '{') return parseMessageAt(text, at);
  const one = parseFieldAt(text, at);
  return one && one.field.value.kind === 'message' ? (one.field.value as Message) : null;
}

function child(message: Message, name: string, index = 0): Field | undefined {
  return message.fields.filter((f) => f.name === name)[index];
}

/**
 * Where the decay of a node's i-th parameter blob is set: its `decay_mult` when written, else
 * the block that configures the blob, else the layer.
 */
export function paramDecaySpan(ctx: LintContext<unknown>, node: Node, index: number): Span {
  const message = layerMessage(ctx, node);
  if (!message) return node.span;
  const blob = node.params[index];
  if (ctx.model.dialect === 'caffe') {
    const param = child(message, 'param', index);
    if (param) {
      const decay = param.value.kind === 'message' ? child(param.value as Message, 'decay_mult') : undefined;
      return decay ?? param;
    }
    // V1 layers: repeated `weight_decay` per blob.
    const v1 = child(message, 'weight_decay', index);
    if (v1) return v1;
    return node.span;
  }
  // nnspec: `weight { decay_mult }` / `bias { decay_mult }` (BatchNorm: weight is γ, bias is β).
  const field = blob ? child(message, blob.name) : undefined;
  if (field) {
    const decay = field.value.kind === 'message' ? child(field.value as Message, 'decay_mult') : undefined;
    return decay ?? field;
  }
  return node.span;
}
