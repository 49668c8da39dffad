/**
 * Hover on a layer: its name, op, output shapes, parameters and receptive field, as the row
 * `nnspec summary --format markdown` prints for it (the same SummaryBuilder makes it).
 *
 * A position may fall inside several layers' text: a block body is instantiated once per
 * call, and a call site stands for every layer of its instance. The innermost span holding
 * the position wins, and every layer that came from that span is shown.
 */
import type { Hover } from 'vscode-languageserver/node';
import { MarkupKind } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { compileText, type CompileOptions } from '../compile.js';
import type { Model } from '../ir/graph.js';
import type { Span } from '../language/syntax-tree.js';
import type { NodeReport } from '../passes/analyze.js';
import { SummaryBuilder } from '../report/summary.js';
import { spanRange } from './diagnostics.js';

/** Rows shown for a call site or a block body with many instances. */
const MAX_ROWS = 12;

interface Analysed {
  reports: NodeReport[];
  model: Model;
  /** Caffe: the phases the include rules name, to look in the other one too. */
  phases: ('TRAIN' | 'TEST')[];
}

async function analyse(path: string, text: string, options: CompileOptions): Promise<Analysed> {
  const reports: NodeReport[] = [];
  const result = await compileText(path, text, { ...options, onReport: (r) => reports.push(r) });
  const phases: ('TRAIN' | 'TEST')[] = result.ruleStages ? ['TEST', 'TRAIN'] : [];
  return { reports, model: result.model, phases };
}

const contains = (s: Span, offset: number) => s.start <= offset && offset <= s.end;
const sameSpan = (a: Span, b: Span) => a.start === b.start && a.end === b.end;

/** The reports from the innermost span holding `offset` (a layer's own text or a call site). */
export function reportsAt(reports: readonly NodeReport[], offset: number): { span: Span; reports: NodeReport[] } | null {
  let best: Span | null = null;
  for (const r of reports) {
    for (const s of [r.node.span, ...(r.node.instantiated_at ?? [])]) {
      if (contains(s, offset) && (!best || s.end - s.start < best.end - best.start)) best = s;
    }
  }
  if (!best) return null;
  const span = best;
  return { span, reports: reports.filter((r) => sameSpan(r.node.span, span) || (r.node.instantiated_at ?? []).some((s) => sameSpan(s, span))) };
}

/** The summary's Markdown rows (header, rule, one row per report) for these reports. */
function summaryRows(reports: readonly NodeReport[], model: Model): string[] {
  let text = '';
  const builder = new SummaryBuilder('markdown', model.file, (chunk) => (text += chunk));
  for (const r of reports) builder.add(r);
  builder.finish(model);
  return text.split('\n').filter((line) => line.startsWith('|'));
}

function describe(found: { span: Span; reports: NodeReport[] }, model: Model): string {
  const { reports } = found;
  const first = reports[0]!.node;
  const instance = !sameSpan(first.span, found.span);
  const title = reports.length === 1 ? `**${first.name}** · \`${first.op}\`` : instance ? `**${reports.length} layers** made here` : `**${reports.length} instances** of this layer`;
  const shown = reports.slice(0, MAX_ROWS);
  const lines = [title, '', ...summaryRows(shown, model)];
  if (reports.length > shown.length) lines.push('', `… and ${reports.length - shown.length} more`);
  const rfInputs = [...new Set(shown.flatMap((r) => r.outputs.map((o) => o.rf?.input).filter((i): i is string => !!i)))];
  if (rfInputs.length) lines.push('', `Receptive field measured on \`${rfInputs.join('`, `')}\`; stride is the jump between neighbouring outputs, in input pixels.`);
  return lines.join('\n');
}

/** The last analysis per document and phase: editors ask for a hover at every mouse move. */
const cache = new Map<string, { version: number; byPhase: Map<string, Promise<Analysed>> }>();

function analysed(doc: TextDocument, path: string, options: CompileOptions): Promise<Analysed> {
  let entry = cache.get(doc.uri);
  if (!entry || entry.version !== doc.version) cache.set(doc.uri, (entry = { version: doc.version, byPhase: new Map() }));
  const key = options.phase ?? '';
  let result = entry.byPhase.get(key);
  if (!result) entry.byPhase.set(key, (result = analyse(path, doc.getText(), options)));
  return result;
}

export function forgetDocument(uri: string): void {
  cache.delete(uri);
}

export async function hoverAt(doc: TextDocument, path: string, offset: number, options: CompileOptions): Promise<Hover | null> {
  const first = await analysed(doc, path, options);
  let found = reportsAt(first.reports, offset);
  let model = first.model;
  // A Caffe train_val file: a TRAIN-only layer is not in the TEST net compiled by default.
  if (!found) {
    for (const phase of first.phases.filter((p) => p !== (first.model.graph?.phase ?? 'TEST'))) {
      const other = await analysed(doc, path, { ...options, phase });
      found = reportsAt(other.reports, offset);
      model = other.model;
      if (found) break;
    }
  }
  if (!found) return null;
  return { contents: { kind: MarkupKind.Markdown, value: describe(found, model) }, range: spanRange(doc, found.span) };
}
