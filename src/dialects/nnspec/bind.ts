import type { DiagnosticBag } from '../../diagnostics/diagnostic.js';
import type { Node } from '../../ir/graph.js';
import type { TrainConfig } from '../../ir/train.js';
import type { Document } from '../../language/syntax-tree.js';
import type { NodeOrigin } from '../../passes/graph-check.js';

export interface NnspecResult {
  name: string | null;
  train: TrainConfig | null;
}

export function bindNnspec(doc: Document, diagnostics: DiagnosticBag, sink: (node: Node, origin?: NodeOrigin) => void): NnspecResult {
  void doc;
  void diagnostics;
  void sink;
  return { name: null, train: null };
}
