/**
 * Code frames via @babel/code-frame, on a window of the file. code-frame splits the whole
 * text it is given into lines on every call, which on a 36 MB net costs ~100 ms per frame;
 * it gets only the lines around the problem, and the gutter is redrawn with the real line
 * numbers (and coloured here: code-frame's syntax highlighting is for JavaScript).
 */
import { codeFrameColumns } from '@babel/code-frame';
import pc from 'picocolors';
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
  // Control characters (a NUL in a half-binary file) print as their visible symbols, one column each.
  const window = source.text
    .slice(source.lineStart(firstLine), source.lineEnd(lastLine))
    .replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g, (c) => String.fromCharCode(c === '\x7f' ? 0x2421 : 0x2400 + c.charCodeAt(0)));
  const shift = firstLine - 1;
  const endColumn = end.line === start.line && end.column <= start.column ? start.column + 1 : end.column;
  const frame = codeFrameColumns(
    window,
    { start: { line: start.line - shift, column: start.column }, end: { line: end.line - shift, column: endColumn } },
    { highlightCode: false, linesAbove: ABOVE, linesBelow: BELOW },
  );
  const c = pc.createColors(color);
  const width = String(lastLine).length;
  return frame
    .split('\n')
    .map((line) => {
      const m = /^([> ]) +(\d*) \|(.*)$/.exec(line);
      if (!m) return line;
      const [, marker, num, rest] = m;
      const gutter = c.gray(` ${num ? String(Number(num) + shift).padStart(width) : ' '.repeat(width)} |`);
      const text = num ? rest! : c.red(c.bold(rest!));
      return `${marker === '>' ? c.red(c.bold('>')) : ' '}${gutter}${text}`;
    })
    .join('\n');
}
