/**
 * nnspec's diagnostics as LSP diagnostics. Spans are UTF-16 offsets, which is what LSP
 * positions count by default; the editor's own line splitting (TextDocument) turns them
 * into lines so that both agree on where a line ends.
 */
import { DiagnosticSeverity, type Diagnostic as LspDiagnostic } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { Diagnostic, Severity } from '../diagnostics/diagnostic.js';
import type { Span } from '../language/syntax-tree.js';

const SEVERITY: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  note: DiagnosticSeverity.Information,
};

export function spanRange(doc: TextDocument, span: Span) {
  return { start: doc.positionAt(span.start), end: doc.positionAt(span.end) };
}

export function toLspDiagnostic(doc: TextDocument, d: Diagnostic): LspDiagnostic {
  const out: LspDiagnostic = {
    range: spanRange(doc, d.span),
    severity: SEVERITY[d.severity],
    code: d.code,
    source: 'nnspec',
    // Editors show one message; the hint ("did you mean …?") goes on its own line, as the CLI prints it.
    message: d.hint ? `${d.message}\n${d.hint}` : d.message,
  };
  if (d.related?.length) {
    out.relatedInformation = d.related.map((r) => ({ location: { uri: doc.uri, range: spanRange(doc, r.span) }, message: r.message }));
  }
  return out;
}
