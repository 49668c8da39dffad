/**
 * Printing diagnostics: `stylish` for people (file:line:col, severity, message, code, then a
 * code frame and any hint) and `json` for tools.
 */
import pc from 'picocolors';
import { codeFrame } from './code-frame.js';
import type { Diagnostic, Severity } from './diagnostic.js';

export interface JsonDiagnostic {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  severity: Severity;
  code: string;
  message: string;
  hint?: string;
}

export function toJson(d: Diagnostic): JsonDiagnostic {
  const s = d.source.position(d.span.start);
  const e = d.source.position(Math.max(d.span.start, d.span.end));
  const out: JsonDiagnostic = {
    file: d.source.path,
    line: s.line,
    column: s.column,
    endLine: e.line,
    endColumn: e.column,
    severity: d.severity,
    code: d.code,
    message: d.message,
  };
  if (d.hint) out.hint = d.hint;
  return out;
}

export interface StylishOptions {
  color: boolean;
  /** Code frames for at most this many diagnostics per file (they are the slow part). */
  maxFrames?: number;
}

export function formatStylish(diagnostics: Diagnostic[], options: StylishOptions): string {
  const c = pc.createColors(options.color);
  const severityText: Record<Severity, string> = { error: c.red('error'), warning: c.yellow('warning'), note: c.cyan('note') };
  const parts: string[] = [];
  const framesPerFile = new Map<string, number>();
  for (const d of diagnostics) {
    const p = d.source.position(d.span.start);
    const lines = [`${c.bold(`${d.source.path}:${p.line}:${p.column}`)}  ${severityText[d.severity]}  ${d.message}  ${c.dim(`[${d.code}]`)}`];
    const shown = framesPerFile.get(d.source.path) ?? 0;
    if (d.source.text.length > 0 && shown < (options.maxFrames ?? 100)) {
      framesPerFile.set(d.source.path, shown + 1);
      lines.push(indent(codeFrame(d.source, d.span, options.color)));
    }
    if (d.hint) lines.push(`  ${c.cyan('hint:')} ${d.hint}`);
    for (const r of d.related ?? []) {
      const rp = d.source.position(r.span.start);
      lines.push(`  ${c.dim(`${d.source.path}:${rp.line}:${rp.column}`)} ${r.message}`);
    }
    parts.push(lines.join('\n'));
  }
  return parts.join('\n\n');
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}

export function summaryLine(counts: { errors: number; warnings: number; notes: number; files: number }, color: boolean): string {
  const c = pc.createColors(color);
  const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
  const text = `${plural(counts.errors, 'error')}, ${plural(counts.warnings, 'warning')}${counts.notes ? `, ${plural(counts.notes, 'note')}` : ''} in ${plural(counts.files, 'file')}`;
  if (counts.errors > 0) return c.red(c.bold(`✖ ${text}`));
  if (counts.warnings > 0) return c.yellow(c.bold(`⚠ ${text}`));
  return c.green(`✔ ${text}`);
}
