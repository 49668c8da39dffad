import type { SourceFile } from '../language/source.js';
import type { Span } from '../language/syntax-tree.js';

export type Severity = 'error' | 'warning' | 'note';

export interface RelatedLocation {
  span: Span;
  message: string;
}

/**
 * One problem in one file. Positions are offsets into `source`; formatters turn them into
 * file:line:col. Every problem the tool reports, from a stray byte to a dangling blob name,
 * goes through this type.
 */
export interface Diagnostic {
  code: string;
  severity: Severity;
  message: string;
  source: SourceFile;
  span: Span;
  /** A suggestion shown under the message ("did you mean …?"). */
  hint?: string;
  related?: RelatedLocation[];
}

/** Collects diagnostics for one file, capped so that a pathological input cannot flood memory. */
export class DiagnosticBag {
  readonly items: Diagnostic[] = [];
  private dropped = 0;
  /** The same problem found twice (a block body instantiated twice) is reported once. */
  private readonly keys = new Set<string>();

  /** Where the code being checked was reached from (block instantiations), added to each problem. */
  private readonly context: RelatedLocation[] = [];

  constructor(
    readonly source: SourceFile,
    readonly limit = 1000,
  ) {}

  /** Runs `fn` with `related` attached to every diagnostic it reports. */
  within<T>(related: RelatedLocation, fn: () => T): T {
    this.context.push(related);
    try {
      return fn();
    } finally {
      this.context.pop();
    }
  }

  add(
    code: string,
    severity: Severity,
    message: string,
    span: Span,
    extra?: { hint?: string | undefined; related?: RelatedLocation[] },
  ): void {
    const key = `${code}\u0000${span.start}\u0000${span.end}\u0000${message}`;
    if (this.keys.has(key)) return;
    this.keys.add(key);
    if (this.items.length >= this.limit) {
      this.dropped++;
      return;
    }
    const d: Diagnostic = { code, severity, message, source: this.source, span };
    if (extra?.hint) d.hint = extra.hint;
    const related = [...(extra?.related ?? []), ...[...this.context].reverse()];
    if (related.length) d.related = related;
    this.items.push(d);
  }

  error(code: string, message: string, span: Span, extra?: { hint?: string | undefined; related?: RelatedLocation[] }): void {
    this.add(code, 'error', message, span, extra);
  }

  warning(code: string, message: string, span: Span, extra?: { hint?: string | undefined; related?: RelatedLocation[] }): void {
    this.add(code, 'warning', message, span, extra);
  }

  note(code: string, message: string, span: Span, extra?: { hint?: string | undefined; related?: RelatedLocation[] }): void {
    this.add(code, 'note', message, span, extra);
  }

  get errorCount(): number {
    let n = 0;
    for (const d of this.items) if (d.severity === 'error') n++;
    return n;
  }

  /**
   * Drops what a syntax error made other passes report: any non-syntax problem inside a
   * top-level field that also holds a syntax error (a half-read layer misses fields).
   */
  dropCascades(fields: readonly Span[]): void {
    const broken = fields.filter((f) => this.items.some((d) => d.code.startsWith('syntax/') && d.span.start >= f.start && d.span.start <= f.end));
    if (broken.length === 0) return;
    const inBroken = (d: Diagnostic) => broken.some((f) => d.span.start >= f.start && d.span.end <= f.end);
    const kept = this.items.filter((d) => d.code.startsWith('syntax/') || !inBroken(d));
    this.items.length = 0;
    this.items.push(...kept);
  }

  /** Whether the cap has been reached: callers may stop looking for more. */
  get full(): boolean {
    return this.items.length >= this.limit;
  }

  /** Whether the cap was reached (errors among the dropped ones still count for the exit code). */
  get overflowed(): boolean {
    return this.dropped > 0;
  }

  /** Diagnostics in source order, with a final note when some were dropped. */
  sorted(): Diagnostic[] {
    const out = [...this.items].sort((a, b) => a.span.start - b.span.start || a.span.end - b.span.end);
    if (this.dropped > 0) {
      out.push({
        code: 'general/too-many-problems',
        severity: 'error',
        message: `${this.dropped} more problem${this.dropped === 1 ? '' : 's'} not shown (the first ${this.limit} are listed)`,
        source: this.source,
        span: { start: this.source.text.length, end: this.source.text.length },
      });
    }
    return out;
  }
}
