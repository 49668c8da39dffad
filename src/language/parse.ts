/**
 * Text → syntax tree, with every syntax error of a file reported in one run.
 *
 * Well-formed text goes through the fast parser. When it stops, the chevrotain grammar takes
 * over from the start of the top-level field that failed and recovers from each error, so the
 * tree holds everything that could be read. Top-level fields are handed to the caller one at a
 * time and never all held at once: a 100 MB net is read in bounded memory.
 */
import type { DiagnosticBag } from '../diagnostics/diagnostic.js';
import { parseFast } from './fast-parser.js';
import type { Comment, Document, Field } from './syntax-tree.js';

export interface ParseResult {
  comments: Comment[];
}

export async function parseStreaming(
  text: string,
  sink: (field: Field) => void,
  diagnostics: DiagnosticBag,
  onRecovery?: (offset: number) => void,
): Promise<ParseResult> {
  const fast = parseFast(text, sink);
  if (fast.failedAt < 0) return { comments: fast.comments };
  onRecovery?.(fast.failedAt);
  const { recover } = await import('./recover.js');
  recover(text, fast.failedAt, sink, diagnostics, fast.comments);
  fast.comments.sort((a, b) => a.start - b.start);
  return { comments: fast.comments };
}

export async function parseDocument(text: string, diagnostics: DiagnosticBag, onRecovery?: (offset: number) => void): Promise<Document> {
  const fields: Field[] = [];
  const { comments } = await parseStreaming(text, (f) => fields.push(f), diagnostics, onRecovery);
  return { fields, comments };
}
