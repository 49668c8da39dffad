/**
 * Shared steps of the Caffe backend tests: compile a file for the backend, emit Caffe, read
 * the emitted text back, and compare the two IRs the way the brief defines "the same IR".
 */
import { prepareBackendInput, type BackendInput } from '../../../src/backends/backend.js';
import { emitCaffe } from '../../../src/backends/caffe/index.js';
import type { Diagnostic } from '../../../src/diagnostics/diagnostic.js';
import { nodeJson } from '../../../src/ir/json.js';
import type { CompileOptions } from '../../../src/compile.js';

export interface Emitted {
  input: BackendInput | null;
  /** The compiler's and the backend's diagnostics together. */
  diagnostics: Diagnostic[];
  text: string | null;
}

export async function emitFile(path: string, options: CompileOptions = {}, text?: string): Promise<Emitted> {
  const prepared = await prepareBackendInput(path, options, text);
  if (!prepared.input) return { input: null, diagnostics: prepared.diagnostics.items, text: null };
  const out = emitCaffe(prepared.input);
  return { input: prepared.input, diagnostics: prepared.input.diagnostics.items, text: out };
}

/** Reads emitted Caffe text back (no phase given: the text's own state decides, as Caffe does). */
export async function readBack(text: string, name = 'emitted.prototxt'): Promise<BackendInput> {
  const prepared = await prepareBackendInput(name, { dialect: 'caffe' }, text);
  const errors = prepared.diagnostics.items.filter((d) => d.severity === 'error');
  if (!prepared.input || errors.length) {
    throw new Error(`the emitted file does not compile:\n${errors.map((d) => `${d.code}: ${d.message}`).join('\n')}\n---\n${text}`);
  }
  return prepared.input;
}

/** The IR of a graph as compared: nodeJson without positions, plus the graph's name and phase. */
export function comparableIr(input: BackendInput): unknown {
  const g = input.model.graph;
  return {
    name: g.name,
    phase: g.phase,
    nodes: g.nodes.map((n) => {
      const j = nodeJson(n, input.source);
      delete j.span;
      delete j.instantiated_at;
      return j;
    }),
  };
}

export const errorsOf = (ds: Diagnostic[]) => ds.filter((d) => d.severity === 'error');
export const codes = (ds: Diagnostic[], severity?: Diagnostic['severity']) => ds.filter((d) => !severity || d.severity === severity).map((d) => d.code);
