/**
 * The IR as JSON: what `nnspec compile --emit ir` prints and other tools read. Offsets become
 * 1-based lines and columns; the document's JSON Schema (ir-schema.ts, checked in as
 * schema/ir.schema.json) is the contract, and every document the tool prints is validated
 * against it first.
 */
import type { SourceFile } from '../language/source.js';
import type { Span } from '../language/syntax-tree.js';
import type { Model, Node } from './graph.js';

export const IR_VERSION = 1;

export interface JsonSpan {
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

export function spanJson(source: SourceFile, span: Span): JsonSpan {
  const s = source.position(span.start);
  const e = source.position(span.end);
  return { line: s.line, column: s.column, endLine: e.line, endColumn: e.column };
}

export function nodeJson(node: Node, source: SourceFile): Record<string, unknown> {
  const out: Record<string, unknown> = {
    name: node.name,
    op: node.op,
    inputs: node.inputs,
    outputs: node.outputs,
    attrs: node.attrs,
    params: node.params,
  };
  if (node.loss_weight) out.loss_weight = node.loss_weight;
  if (node.propagate_down) out.propagate_down = node.propagate_down;
  out.span = spanJson(source, node.span);
  if (node.instantiated_at) out.instantiated_at = node.instantiated_at.map((s) => spanJson(source, s));
  return out;
}

export function modelJson(model: Model, source: SourceFile): Record<string, unknown> {
  return {
    ir_version: IR_VERSION,
    file: model.file,
    dialect: model.dialect,
    format: model.format,
    graph: model.graph ? { name: model.graph.name, phase: model.graph.phase, nodes: model.graph.nodes.map((n) => nodeJson(n, source)) } : null,
    train: model.train,
  };
}
