/**
 * Where the training setup is written, for the training rules to point at: a field inside the
 * nnspec `train { … }` section (e.g. ['solver', 'lr']), or a top-level field of a Caffe solver
 * (e.g. ['base_lr']). The top-level fields are parsed once per file.
 */
import { parseFast } from '../../../language/fast-parser.js';
import type { SourceFile } from '../../../language/source.js';
import type { Field, Message, Span } from '../../../language/syntax-tree.js';
import type { LintContext } from '../../context.js';

const cache = new WeakMap<SourceFile, Field[]>();

function topLevel(source: SourceFile): Field[] {
  let fields = cache.get(source);
  if (!fields) {
    const out: Field[] = [];
    parseFast(source.text, (f) => out.push(f));
    fields = out;
    cache.set(source, fields);
  }
  return fields;
}

function find(fields: readonly Field[], path: readonly string[]): Field | undefined {
  let found: Field | undefined;
  let at = fields;
  for (const name of path) {
    found = at.find((f) => f.name === name);
    if (!found) return undefined;
    at = found.value.kind === 'message' ? (found.value as Message).fields : [];
  }
  return found;
}

/** The `train` keyword of an nnspec file, or the start of a Caffe solver: where whole-setup problems are shown. */
export function trainHeadSpan(ctx: LintContext<unknown>): Span {
  const fields = topLevel(ctx.source);
  if (ctx.model.dialect === 'nnspec') {
    const train = find(fields, ['train']);
    if (train) return { start: train.start, end: train.start + train.name.length };
  }
  const first = fields[0];
  return first ? { start: first.start, end: first.end } : { start: 0, end: 0 };
}

/**
 * The first written of the candidate paths: nnspec paths start inside `train`, Caffe paths at
 * the solver's top level. Falls back to `trainHeadSpan`.
 */
export function trainFieldSpan(ctx: LintContext<unknown>, where: { nnspec?: string[][]; caffe?: string[][] }): Span {
  const fields = topLevel(ctx.source);
  const nnspec = ctx.model.dialect === 'nnspec';
  const base = nnspec ? ((find(fields, ['train'])?.value as Message | undefined)?.fields ?? []) : fields;
  for (const path of (nnspec ? where.nnspec : where.caffe) ?? []) {
    const f = find(base, path);
    if (f) return { start: f.start, end: f.end };
  }
  return trainHeadSpan(ctx);
}

/** How the file names a setting, for messages: nnspec and Caffe spell them differently. */
export function settingName(ctx: LintContext<unknown>, nnspec: string, caffe: string): string {
  return ctx.model.dialect === 'nnspec' ? nnspec : caffe;
}

const CAFFE_SOLVER_TYPES = new Set(['SGD', 'Nesterov', 'AdaGrad', 'RMSProp', 'AdaDelta', 'Adam', 'NESTEROV', 'ADAGRAD', 'RMSPROP', 'ADADELTA', 'ADAM']);

/**
 * Whether the solver type is one the binder knows: a Caffe solver with an unknown `type` binds as
 * SGD (check reports the type), and rules that depend on the optimiser should not judge it as SGD.
 */
export function solverTypeKnown(ctx: LintContext<unknown>): boolean {
  if (ctx.model.dialect !== 'caffe') return true;
  const fields = topLevel(ctx.source);
  for (const name of ['type', 'solver_type']) {
    const f = find(fields, [name]);
    if (!f) continue;
    const v = f.value;
    if (v.kind === 'number') continue; // the legacy enum by number: decoded (and checked) by the binder
    const text = v.kind === 'string' ? v.value : v.kind === 'ident' ? v.name : null;
    if (text === null || !CAFFE_SOLVER_TYPES.has(text)) return false;
  }
  return true;
}
