/**
 * Error recovery with the chevrotain grammar, from where the fast parser stopped to the end
 * of the file. The text is lexed in chunks that end at line breaks (no token spans one) and
 * parsed in windows of complete top-level fields, so memory stays bounded however large or
 * broken the input. Loaded only when a file has a syntax error: chevrotain takes ~0.3 s to
 * load, which well-formed files never pay.
 */
import type { IToken } from 'chevrotain';
import type { DiagnosticBag } from '../diagnostics/diagnostic.js';
import { textFormatParser } from './grammar.js';
import { MAX_NESTING } from './limits.js';
import type { Comment, Field } from './syntax-tree.js';
import * as T from './tokens.js';

/** Characters lexed per chunk; chunks end at line breaks. */
const CHUNK_CHARS = 1 << 20;
/** Tokens parsed per chevrotain run, and the most held before a forced cut. */
const WINDOW_TOKENS = 200_000;
const HARD_WINDOW_TOKENS = 2_000_000;

function printable(text: string): string {
  const shown = text.length > 16 ? `${text.slice(0, 16)}…` : text;
  return shown.replace(/[^\x20-\x7e]/g, (ch) => {
    const code = ch.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

export function recover(text: string, from: number, sink: (field: Field) => void, diagnostics: DiagnosticBag, comments: Comment[]): void {
  const parser = textFormatParser();

  let pending: IToken[] = [];
  let depth = 0;
  let skippedFrom = -1;
  let lastCut = 0;

  const parseWindow = (all: IToken[]) => {
    let tokens = all;
    while (tokens.length > 0) {
      parser.input = tokens;
      parser.collected = [];
      parser.stringProblems = [];
      parser.delimiterProblems = [];
      parser.document();
      for (const f of parser.collected) sink(f);
      let resume = -1;
      for (const err of parser.errors) {
        const tok = err.token;
        let start = tok.startOffset;
        let end = (tok.endOffset ?? tok.startOffset) + 1;
        if (!Number.isFinite(start)) {
          // An error at the end of the input comes with a virtual token.
          const last = tokens[tokens.length - 1]!;
          start = (last.endOffset ?? last.startOffset) + 1;
          end = start;
        }
        const atEnd = tok.tokenType.name === 'EOF';
        diagnostics.error(atEnd ? 'syntax/missing-token' : 'syntax/unexpected-token', err.message, { start, end: Math.max(end, start) });
        if (err.name === 'NotAllInputParsedException') resume = tokens.indexOf(tok) + 1;
      }
      for (const p of parser.delimiterProblems) diagnostics.error('syntax/unexpected-token', p.message, p);
      for (const p of parser.stringProblems) {
        diagnostics.error('syntax/invalid-escape', p.message, { start: p.base + p.offset - 1, end: p.base + p.offset - 1 + p.length });
      }
      // The top level stopped at a token no field starts with: skip it and read on.
      if (resume <= 0 || diagnostics.full) return;
      tokens = tokens.slice(resume);
    }
  };

  const push = (tok: IToken) => {
    const type = tok.tokenType;
    if (T.OPENERS.has(type)) {
      depth++;
      if (depth > MAX_NESTING) {
        if (skippedFrom < 0) skippedFrom = tok.startOffset;
        return;
      }
    } else if (T.CLOSERS.has(type)) {
      if (depth > MAX_NESTING) {
        depth--;
        if (depth === MAX_NESTING && skippedFrom >= 0) {
          diagnostics.error('syntax/too-deep', `nesting deeper than ${MAX_NESTING} levels; the contents were skipped`, { start: skippedFrom, end: (tok.endOffset ?? tok.startOffset) + 1 });
          skippedFrom = -1;
        }
        return;
      }
      depth = Math.max(0, depth - 1);
    } else if (depth > MAX_NESTING) {
      return;
    }
    if (depth === 0 && type === T.Identifier && pending.length > 0) {
      const prev = pending[pending.length - 1]!.tokenType;
      if (prev !== T.Colon && prev !== T.Plus && prev !== T.Minus && prev !== T.Star && prev !== T.Slash) lastCut = pending.length;
    }
    pending.push(tok);
  };

  let pos = from;
  while (pos < text.length) {
    let end = Math.min(text.length, pos + CHUNK_CHARS);
    if (end < text.length) {
      const nl = text.indexOf('\n', end);
      end = nl < 0 ? text.length : nl + 1;
    }
    const chunk = text.slice(pos, end);
    const lexed = T.textFormatLexer.tokenize(chunk);
    for (const err of lexed.errors) {
      const start = pos + err.offset;
      const bad = text.slice(start, start + err.length);
      const first = bad[0];
      if (first === '"' || first === "'") {
        diagnostics.error('syntax/unterminated-string', 'unterminated string literal (strings end on the same line)', { start, end: start + 1 });
      } else if (first !== undefined && /[0-9.]/.test(first)) {
        const run = /^[\w.]+/.exec(text.slice(start, start + 64))?.[0] ?? bad;
        diagnostics.error('syntax/malformed-number', `malformed number '${printable(run)}'`, { start, end: start + run.length });
      } else {
        diagnostics.error('syntax/unexpected-character', `unexpected character${err.length > 1 ? 's' : ''} '${printable(bad)}'`, { start, end: start + err.length });
      }
    }
    for (const c of lexed.groups.comments ?? []) {
      const s = pos + c.startOffset;
      comments.push({ start: s, end: s + c.image.length, text: c.image.slice(1) });
    }
    for (const tok of lexed.tokens) {
      // With offset-only tracking chevrotain leaves endOffset unset; tokens never span lines here.
      tok.startOffset += pos;
      tok.endOffset = tok.startOffset + tok.image.length - 1;
      push(tok);
    }
    pos = end;
    if (pending.length > WINDOW_TOKENS && lastCut > 0) {
      const window = pending.slice(0, lastCut);
      pending = pending.slice(lastCut);
      lastCut = 0;
      parseWindow(window);
    } else if (pending.length > HARD_WINDOW_TOKENS) {
      const window = pending;
      pending = [];
      lastCut = 0;
      parseWindow(window);
    }
  }
  if (skippedFrom >= 0) {
    diagnostics.error('syntax/too-deep', `nesting deeper than ${MAX_NESTING} levels; the contents were skipped`, { start: skippedFrom, end: text.length });
  }
  parseWindow(pending);
}

