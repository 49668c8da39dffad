/**
 * Code frames via @babel/code-frame, on a window of the file. code-frame splits the whole
 * text it is given into lines on every call, which on a 36 MB net costs ~100 ms per frame;
 * it gets only the lines around the problem and the gutter numbers are put right afterwards.
 */
import { codeFrameColumns } from '@babel/code-frame';
import type { SourceFile } from '../language/source.js';
import type { Span } from '../language/syntax-tree.js';

const ABOVE = 2;
const BELOW = 2;

export function codeFrame(source: SourceFile, span: Span, color: boolean): string {
  const start = source.position(span.start);
  let end = source.position(Math.max(span.start, span.end));
  // Frames longer than a screen help nobody: mark the first lines only.
  if (end.line - start.line > 6) end = { line: start.line + 6, column: 1 };
  const firstLine = Math.max(1, start.line - ABOVE);
  const lastLine = Math.min(source.lineCount, end.line + BELOW);
  const window = source.text.slice(source.lineStart(firstLine), source.lineEnd(lastLine));
  const shift = firstLine - 1;
  const endColumn = end.line === start.line && end.column <= start.column ? start.column + 1 : end.column;
  const frame = codeFrameColumns(
    window,
    { start: { line: start.line - shift, column: start.column }, end: { line: end.line - shift, column: endColumn } },
    { highlightCode: color, forceColor: color, linesAbove: ABOVE, linesBelow: BELOW },
  );
  if (shift === 0) return frame;
  const width = String(lastLine).length;
  // Gutter lines look like "> 12 | …" or "   3 | …", possibly wrapped in colour codes.
  return frame.replace(/^((?:\x1b\[[0-9;]*m)*[> ]?(?:\x1b\[[0-9;]*m)* *)(\d+)( \|)/gm, (_m, pre: string, num: string, bar: string) => {
    const real = String(Number(num) + shift).padStart(width);
    return `${pre.replace(/ +$/, ' ')}${real}${bar}`;
  });
}
