/**
 * Shared by the printer tests: print a file (or text) as nnspec, compile the printed text, and
 * compare the two IRs as `nnspec compile --emit ir` shows them, spans left out.
 */
import { prepareBackendInput } from '../../../src/backends/backend.js';
import { emitNnspec } from '../../../src/backends/nnspec/index.js';
import { compileText, type CompileOptions } from '../../../src/compile.js';
import type { Diagnostic } from '../../../src/diagnostics/diagnostic.js';
import type { Model } from '../../../src/ir/graph.js';
import { nodeJson } from '../../../src/ir/json.js';
import type { SourceFile } from '../../../src/language/source.js';

export interface Printed {
  /** null when the printer refused (its errors are in `diagnostics`). */
  text: string | null;
  diagnostics: Diagnostic[];
  model: Model | null;
  source: SourceFile | null;
  /** Errors from compiling the input itself (nothing was printed). */
  inputErrors: number;
}

export async function printNnspec(path: string, options: CompileOptions = {}, text?: string): Promise<Printed> {
  const p = await prepareBackendInput(path, options, text);
  if (!p.input) return { text: null, diagnostics: p.diagnostics.items, model: null, source: null, inputErrors: p.diagnostics.items.filter((d) => d.severity === 'error').length };
  const out = emitNnspec(p.input);
  return { text: out, diagnostics: p.input.diagnostics.items, model: p.input.model, source: p.input.source, inputErrors: 0 };
}

export interface Ir {
  name: string;
  nodes: Record<string, unknown>[];
  train: unknown;
}

/** The IR as JSON, without what says where the text was (spans, block instantiations). */
export function irOf(model: Model, source: SourceFile): Ir {
  const nodes = model.graph!.nodes.map((n) => {
    const j = nodeJson(n, source);
    delete j.span;
    delete j.instantiated_at;
    return JSON.parse(JSON.stringify(j)) as Record<string, unknown>;
  });
  return { name: model.graph!.name, nodes, train: JSON.parse(JSON.stringify(model.train)) };
}

/** Compiles printed nnspec text; the errors, and the IR when there are none. */
export async function compilePrinted(text: string, path = 'printed.nnspec'): Promise<{ errors: Diagnostic[]; ir: Ir | null }> {
  // No shape analysis: the IR must come back whether or not its shapes line up.
  const r = await compileText(path, text, { keepNodes: true, analyze: false });
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  return { errors, ir: errors.length || !r.model.graph ? null : irOf(r.model, r.source) };
}

type Json = Record<string, unknown>;

/**
 * What a Caffe net's IR says that its nnspec translation states differently, by design
 * (the printer's notes say so as it converts):
 * - an input layer becomes one `input { }` per blob, named after the blob;
 * - a Data layer's shapes are written up to the first one only the data tells;
 * - BatchNorm with frozen statistics drops Caffe's scale-factor blob and sum bookkeeping, and
 *   starts the statistics as nnspec does (they are loaded from trained weights anyway);
 * - solver settings only Caffe reads (display, snapshot, …) are comments;
 * - Caffe's momentum convention equals PyTorch's while the learning rate is constant.
 */
export function asNnspecStates(ir: Ir): Ir {
  const nodes: Json[] = [];
  for (const n of ir.nodes) {
    const attrs = n.attrs as Json;
    if (n.op === 'input') {
      const shapes = attrs.shapes as unknown[];
      (n.outputs as string[]).forEach((o, i) => nodes.push({ ...n, name: o, outputs: [o], attrs: { ...attrs, shapes: [shapes[i]] } }));
      continue;
    }
    if (n.op === 'data') {
      const shapes = attrs.shapes as unknown[];
      const known = shapes.indexOf(null);
      nodes.push({ ...n, attrs: { ...attrs, shapes: known < 0 ? shapes : shapes.slice(0, known) } });
      continue;
    }
    if (n.op === 'batchnorm' && attrs.running_update === 'caffe' && attrs.statistics === 'running') {
      // nnspec's statistics start at mean 0, variance 1; frozen Caffe ones are loaded from the weights.
      const start: Record<string, number> = { running_mean: 0, running_var: 1 };
      const params = (n.params as Json[]).filter((p) => p.name !== 'scale_factor').map((p) => ((p.name as string) in start ? { ...p, init: { type: 'constant', value: start[p.name as string] }, decay_mult: 0 } : p));
      nodes.push({ ...n, attrs: { ...attrs, running_update: 'ema' }, params });
      continue;
    }
    nodes.push(n);
  }
  let train = ir.train as Json | null;
  if (train) {
    const solver = train.solver as Json;
    const schedule = train.lr_schedule as Json;
    const constant = schedule.policy === 'fixed' && schedule.warmup === null;
    train = { ...train, extra: {}, solver: constant ? { ...solver, momentum_convention: 'pytorch' } : solver };
  }
  return { name: ir.name, nodes, train };
}
