/**
 * What every text backend (PyTorch, Caffe, the nnspec printer) receives and returns. A
 * backend reads only the IR and the analysis of it; it reports what its target cannot express
 * as an error at the layer (naming the layer and the feature), and an exact rewrite it made as
 * a note, into the same bag as the compiler's own diagnostics.
 */
import { compileFile, compileText, type CompileOptions } from '../compile.js';
import { DiagnosticBag } from '../diagnostics/diagnostic.js';
import type { Graph, Model, Node } from '../ir/graph.js';
import type { SourceFile } from '../language/source.js';
import type { NodeReport } from '../passes/analyze.js';

export interface BackendInput {
  /** The compiled model; its graph keeps every node, in order. */
  model: Model & { graph: Graph };
  source: SourceFile;
  /** Each node's input and output shapes, receptive fields and cost, from the analysis pass. */
  reports: ReadonlyMap<Node, NodeReport>;
  /** Where the backend reports refusals (errors) and exact rewrites (notes). */
  diagnostics: DiagnosticBag;
}

/** The text of the converted file, or null when the backend refused (errors are in the bag). */
export type Backend = (input: BackendInput) => string | null;

export interface Prepared {
  /** null when the file has errors or describes no network (the diagnostics say which). */
  input: BackendInput | null;
  diagnostics: DiagnosticBag;
}

/** Compiles a file (or text) with its nodes and analysis kept, ready for a backend. */
export async function prepareBackendInput(path: string, options: CompileOptions = {}, text?: string): Promise<Prepared> {
  const reports = new Map<Node, NodeReport>();
  const compiled = await (text === undefined ? compileFile : (p: string, o: CompileOptions) => compileText(p, text, o))(path, {
    ...options,
    keepNodes: true,
    onReport: (r) => reports.set(r.node, r),
  });
  const diagnostics = new DiagnosticBag(compiled.source);
  for (const d of compiled.diagnostics) diagnostics.items.push(d);
  const { model } = compiled;
  if (compiled.errorCount > 0 || !model.graph) return { input: null, diagnostics };
  return { input: { model: model as Model & { graph: Graph }, source: compiled.source, reports, diagnostics }, diagnostics };
}
