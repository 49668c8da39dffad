/**
 * Inline suppressions, in comments of the linted file:
 *
 *   # nnspec-disable-next-line init/zero-weights -- the head is re-initialised before training
 *   # nnspec-disable-line regularization/dropout-keep-probability
 *   # nnspec-disable-file activation/saturating-hidden -- a 1998 replica, on purpose
 *
 * A directive names rule ids (comma-separated; none means every rule) and may give a reason
 * after `--`. It silences problems that start on the line after it, on its own line, or
 * anywhere in the file. A directive, or a rule id in it, that silences nothing is itself
 * reported, with a fix that removes it.
 */
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import type { Span } from '../language/syntax-tree.js';
import type { SourceFile } from '../language/source.js';
import type { TextEdit } from './rule.js';

export type DirectiveKind = 'next-line' | 'line' | 'file';

export interface Directive {
  kind: DirectiveKind;
  /** Rule ids, empty for all. */
  rules: { id: string; span: Span; used: boolean }[];
  reason: string | null;
  /** The comment, from `#` to the end of its line. */
  span: Span;
  /** The 1-based line it applies to (next-line, line); 0 for file. */
  line: number;
  /** Whether the comment is alone on its line (its removal takes the line). */
  alone: boolean;
  used: boolean;
}

const DIRECTIVE = /^#\s*nnspec-disable-(next-line|line|file)(?=\s|$)(.*)$/;

/** Every directive in the text. Comments start at a `#` outside quotes. */
export function findDirectives(source: SourceFile): Directive[] {
  const text = source.text;
  if (!text.includes('nnspec-disable')) return [];
  const out: Directive[] = [];
  let lineStart = 0;
  let lineNo = 1;
  while (lineStart <= text.length) {
    let end = text.indexOf('\n', lineStart);
    if (end < 0) end = text.length;
    const lineEnd = end > lineStart && text[end - 1] === '\r' ? end - 1 : end;
    const hash = commentStart(text, lineStart, lineEnd);
    if (hash >= 0) {
      const comment = text.slice(hash, lineEnd);
      const m = DIRECTIVE.exec(comment);
      if (m) out.push(directive(m, hash, lineEnd, lineNo, text.slice(lineStart, hash).trim() === ''));
    }
    if (end >= text.length) break;
    lineStart = end + 1;
    lineNo++;
  }
  return out;
}

function commentStart(text: string, from: number, to: number): number {
  let quote = '';
  for (let i = from; i < to; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#') return i;
  }
  return -1;
}

function directive(m: RegExpExecArray, at: number, end: number, lineNo: number, alone: boolean): Directive {
  const kind = m[1] as DirectiveKind;
  const rest = m[2]!;
  const restStart = at + m[0].length - rest.length;
  const dash = rest.indexOf('--');
  const list = dash >= 0 ? rest.slice(0, dash) : rest;
  const reason = dash >= 0 ? rest.slice(dash + 2).trim() || null : null;
  const rules: Directive['rules'] = [];
  const idPattern = /[^\s,]+/g;
  for (let id = idPattern.exec(list); id; id = idPattern.exec(list)) {
    rules.push({ id: id[0], span: { start: restStart + id.index, end: restStart + id.index + id[0].length }, used: false });
  }
  return { kind, rules, reason, span: { start: at, end }, line: kind === 'next-line' ? lineNo + 1 : kind === 'line' ? lineNo : 0, alone, used: false };
}

/** Whether a directive silences this diagnostic (marking what it used). Syntax errors stay. */
export function suppresses(directives: Directive[], d: Diagnostic, line: number): boolean {
  if (d.code.startsWith('syntax/') || d.code.startsWith('lint/')) return false;
  let hit = false;
  for (const dir of directives) {
    if (dir.kind !== 'file' && dir.line !== line) continue;
    if (dir.rules.length === 0) {
      dir.used = true;
      hit = true;
      continue;
    }
    for (const r of dir.rules) {
      if (r.id === d.code) {
        r.used = true;
        dir.used = true;
        hit = true;
      }
    }
  }
  return hit;
}

/** The edit that removes a directive: its whole line when it is alone there. */
export function removal(source: SourceFile, dir: Directive): TextEdit {
  const text = source.text;
  if (!dir.alone) {
    let start = dir.span.start;
    while (start > 0 && (text[start - 1] === ' ' || text[start - 1] === '\t')) start--;
    return { start, end: dir.span.end, text: '' };
  }
  let start = dir.span.start;
  while (start > 0 && text[start - 1] !== '\n') start--;
  let end = dir.span.end;
  if (text[end] === '\r') end++;
  if (text[end] === '\n') end++;
  return { start, end, text: '' };
}

/** The edit that removes one id from a directive that keeps others. */
export function idRemoval(source: SourceFile, dir: Directive, index: number): TextEdit {
  const text = source.text;
  const r = dir.rules[index]!;
  let start = r.span.start;
  let end = r.span.end;
  // Take the comma (and spaces) after it, or before it for the last id.
  let after = end;
  while (text[after] === ' ') after++;
  if (text[after] === ',') {
    end = after + 1;
    while (text[end] === ' ') end++;
  } else {
    let before = start;
    while (before > 0 && text[before - 1] === ' ') before--;
    if (text[before - 1] === ',') start = before - 1;
  }
  return { start, end, text: '' };
}
