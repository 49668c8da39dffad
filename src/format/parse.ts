/**
 * The plugin's parser: our own text-format parser (the fast path, with chevrotain's error
 * recovery behind it), and the layout of its comments. A file with syntax errors is not
 * formatted: the error carries every diagnostic, and prettier's `loc` for its code frame.
 */
import { DiagnosticBag, type Diagnostic } from '../diagnostics/diagnostic.js';
import { parseDocument } from '../language/parse.js';
import { SourceFile } from '../language/source.js';
import type { Document } from '../language/syntax-tree.js';
import { buildLayout, type LayoutTree } from './layout-tree.js';

export type FormatDialect = 'nnspec' | 'prototxt';

/** What the prettier parser hands the printer. */
export interface FormatRoot {
  kind: 'format-root';
  dialect: FormatDialect;
  layout: LayoutTree;
  document: Document;
  start: number;
  end: number;
}

export class FormatSyntaxError extends SyntaxError {
  /** Prettier prints a code frame from this (1-based line, 1-based column). */
  readonly loc: { start: { line: number; column: number } };

  constructor(readonly diagnostics: Diagnostic[]) {
    const first = diagnostics[0]!;
    const p = first.source.position(first.span.start);
    const more = diagnostics.length > 1 ? ` (and ${diagnostics.length - 1} more syntax error${diagnostics.length > 2 ? 's' : ''})` : '';
    super(`${first.message}${more} (${p.line}:${p.column})`);
    this.name = 'FormatSyntaxError';
    this.loc = { start: { line: p.line, column: p.column } };
  }
}

export async function parseForFormat(text: string, dialect: FormatDialect, path = '<input>'): Promise<FormatRoot> {
  const diagnostics = new DiagnosticBag(new SourceFile(path, text));
  const doc = await parseDocument(text, diagnostics);
  if (diagnostics.errorCount > 0) throw new FormatSyntaxError(diagnostics.sorted().filter((d) => d.severity === 'error'));
  return { kind: 'format-root', dialect, layout: buildLayout(doc, text), document: doc, start: 0, end: text.length };
}
