/**
 * What the style rules share: finding a written field (with its value) in a Caffe layer or at
 * the top of a file, telling V2 `layer { … }` entries from the legacy V0/V1 `layers`, and
 * text edits that keep the layout.
 */
import type { Node } from '../../../ir/graph.js';
import { parseFieldAt } from '../../../language/fast-parser.js';
import type { Field } from '../../../language/syntax-tree.js';
import type { LintContext } from '../../context.js';
import type { TextEdit } from '../../rule.js';

/** Whether a Caffe node was written as a V2 `layer { … }` (not a V1/V0 `layers { … }`). */
export function isV2Layer(ctx: LintContext<unknown>, node: Node): boolean {
  return ctx.model.dialect === 'caffe' && /^layer\s*[:{]/.test(ctx.source.text.slice(node.span.start, node.span.start + 16));
}

/** The field at `path` below the node, as written (null when it is not written in the node's text). */
export function writtenField(ctx: LintContext<unknown>, node: Node, path: string[]): Field | null {
  const span = ctx.fieldSpan(node, path);
  if (span.start === node.span.start && span.end === node.span.end) return null;
  const parsed = parseFieldAt(ctx.source.text, span.start);
  return parsed && parsed.field.name === path[path.length - 1] ? parsed.field : null;
}

/**
 * The top-level fields of a file in order, until `stop` says so (the field it stops at is
 * included). Separators (`,` `;`) between fields are skipped; a field the fast parser cannot
 * read ends the list.
 */
export function topLevelFields(text: string, stop: (f: Field) => boolean = () => false): Field[] {
  const out: Field[] = [];
  let at = 0;
  for (;;) {
    const parsed = parseFieldAt(text, at);
    if (!parsed) break;
    out.push(parsed.field);
    if (stop(parsed.field)) break;
    at = parsed.end;
    const sep = /^(?:\s|#[^\n\r]*)*[,;]/.exec(text.slice(at, at + 4096));
    if (sep) at += sep[0].length;
  }
  return out;
}

/** An edit that deletes a field, with its whole line when nothing else is on it. */
export function deleteField(text: string, f: Field): TextEdit {
  let start = f.start;
  let end = f.end;
  while (start > 0 && (text[start - 1] === ' ' || text[start - 1] === '\t')) start--;
  const lineStart = start === 0 || text[start - 1] === '\n';
  let e = end;
  while (e < text.length && (text[e] === ' ' || text[e] === '\t')) e++;
  if (lineStart && (e === text.length || text[e] === '\n' || text[e] === '\r')) {
    if (text[e] === '\r') e++;
    if (text[e] === '\n') e++;
    return { start, end: e, text: '' };
  }
  return { start: f.start, end, text: '' };
}

/** The indentation of the line a position is on. */
export function indentAt(text: string, at: number): string {
  let s = at;
  while (s > 0 && text[s - 1] !== '\n') s--;
  return /^[ \t]*/.exec(text.slice(s, at))![0];
}
