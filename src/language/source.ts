/**
 * A source file and the offset → line/column mapping every diagnostic needs.
 *
 * Positions are kept as UTF-16 offsets everywhere in the pipeline; lines and columns are
 * computed only when a diagnostic is printed, because files can be tens of megabytes and
 * most offsets are never shown to anyone.
 */
export interface Position {
  /** 1-based line. */
  line: number;
  /** 1-based column, in UTF-16 code units (a tab counts as one column). */
  column: number;
}

export class SourceFile {
  private lineStarts: Int32Array | undefined;
  private content: string | (() => string);

  /**
   * `text` may be given as a function: a large ASCII file is read as bytes and only turned
   * into a string (a second copy of it in memory) if something needs the text itself.
   */
  constructor(
    readonly path: string,
    text: string | (() => string),
  ) {
    this.content = text;
  }

  get text(): string {
    if (typeof this.content !== 'string') this.content = this.content();
    return this.content;
  }

  /** Line breaks are \r\n, \n, \r, U+2028 and U+2029: the same set @babel/code-frame splits on. */
  private starts(): Int32Array {
    if (this.lineStarts) return this.lineStarts;
    const text = this.text;
    const starts: number[] = [0];
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10 || c === 0x2028 || c === 0x2029) {
        starts.push(i + 1);
      } else if (c === 13) {
        if (text.charCodeAt(i + 1) === 10) i++;
        starts.push(i + 1);
      }
    }
    this.lineStarts = Int32Array.from(starts);
    return this.lineStarts;
  }

  get lineCount(): number {
    return this.starts().length;
  }

  position(offset: number): Position {
    const starts = this.starts();
    const clamped = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= clamped) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: clamped - starts[lo]! + 1 };
  }

  /** Offset of the first character of a 1-based line. */
  lineStart(line: number): number {
    const starts = this.starts();
    return starts[Math.max(0, Math.min(line - 1, starts.length - 1))]!;
  }

  /** Offset just past the last character of a 1-based line (before its line break). */
  lineEnd(line: number): number {
    const starts = this.starts();
    if (line >= starts.length) return this.text.length;
    let end = starts[line]!;
    const prev = this.text.charCodeAt(end - 1);
    if (prev === 10 || prev === 13 || prev === 0x2028 || prev === 0x2029) end--;
    if (prev === 10 && this.text.charCodeAt(end - 1) === 13) end--;
    return end;
  }
}
