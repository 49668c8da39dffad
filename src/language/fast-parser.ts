/**
 * A hand-written scanner and parser for well-formed input, the common case by far.
 *
 * It accepts exactly the language of grammar.ts (tests compare the two on the corpus and on
 * generated inputs) but has no error recovery: at the first problem it gives up and reports
 * where the top-level field it was reading began, and the chevrotain parser takes over from
 * there. Chevrotain's lexer alone needs ~0.7 s for a 36 MB prototxt; this path parses it in a
 * fraction of that, which is what keeps `nnspec check` ahead of `protoc` on large nets.
 */
import { MAX_NESTING } from './limits.js';
import { NUMBER_PATTERN, numberValue, specialFloat } from './numbers.js';
import { unescapeString, type EscapeProblem } from './escapes.js';
import type { BinaryOperator, Comment, Field, ListValue, Message, StringLiteral, Value } from './syntax-tree.js';

export class Bail {
  constructor(readonly at: number) {}
}

const NUMBER_STICKY = new RegExp(NUMBER_PATTERN.source, 'y');

// Character classes, indexed by char code (< 128).
export const IDENT_START = new Uint8Array(128);
export const IDENT_PART = new Uint8Array(128);
export const WS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  if (/[A-Za-z_]/.test(ch)) IDENT_START[c] = 1;
  if (/[A-Za-z0-9_]/.test(ch)) IDENT_PART[c] = 1;
  if (/[ \t\n\r\f\v]/.test(ch)) WS[c] = 1;
}

/**
 * Identifiers (field names, enum values) repeat millions of times in a large net. Each is
 * looked up by a hash computed while scanning it, so the common case allocates nothing and
 * later Map lookups hit strings whose hash V8 has already computed.
 */
export const INTERN_SLOTS = 4096;
export const interned: (string | undefined)[] = new Array<string | undefined>(INTERN_SLOTS);

export interface FastParseResult {
  /** Offset of the top-level field where parsing stopped, or -1 when the whole text parsed. */
  failedAt: number;
  comments: Comment[];
}

export class FastParser {
  pos = 0;
  depth = 0;
  comments: Comment[] = [];
  /** Whether comments are collected (the formatter needs them; decoding does not). */
  keepComments = true;

  constructor(readonly text: string) {}

  /** Skips whitespace and comments; returns the next char code (or -1 at the end). */
  skip(): number {
    const text = this.text;
    const n = text.length;
    let p = this.pos;
    while (p < n) {
      const c = text.charCodeAt(p);
      if (c < 128) {
        if (WS[c]) {
          p++;
          continue;
        }
        if (c === 35 /* # */) {
          let e = p + 1;
          while (e < n) {
            const d = text.charCodeAt(e);
            if (d === 10 || d === 13) break;
            e++;
          }
          if (this.keepComments) this.comments.push({ start: p, end: e, text: text.slice(p + 1, e) });
          p = e;
          continue;
        }
        this.pos = p;
        return c;
      }
      if (c === 0xfeff) {
        p++;
        continue;
      }
      this.pos = p;
      return c;
    }
    this.pos = p;
    return -1;
  }

  identifier(): string {
    const text = this.text;
    const s = this.pos;
    let hash = text.charCodeAt(s);
    let p = s + 1;
    while (p < text.length) {
      const c = text.charCodeAt(p);
      if (c < 128 && IDENT_PART[c]) {
        hash = (Math.imul(hash, 31) + c) | 0;
        p++;
      } else break;
    }
    this.pos = p;
    const length = p - s;
    const slot = (hash ^ length) & (INTERN_SLOTS - 1);
    const known = interned[slot];
    if (known !== undefined && known.length === length) {
      let i = 0;
      while (i < length && known.charCodeAt(i) === text.charCodeAt(s + i)) i++;
      if (i === length) return known;
    }
    const name = text.slice(s, p);
    interned[slot] = name;
    return name;
  }

  /** Top level: fields until the end; each finished field goes to `sink` and is forgotten. */
  document(sink: (field: Field) => void): void {
    for (;;) {
      const c = this.skip();
      if (c === -1) return;
      const fieldStart = this.pos;
      try {
        sink(this.field(c));
      } catch (e) {
        if (e instanceof Bail) throw new Bail(fieldStart);
        throw e;
      }
      const d = this.skip();
      if (d === 44 /* , */ || d === 59 /* ; */) this.pos++;
    }
  }

  field(c: number): Field {
    if (!(c < 128 && IDENT_START[c])) throw new Bail(this.pos);
    const start = this.pos;
    const name = this.identifier();
    let d = this.skip();
    let colon = false;
    let value: Value;
    if (d === 58 /* : */) {
      colon = true;
      this.pos++;
      d = this.skip();
      if (d === 123 || d === 60) value = this.message(d);
      else if (d === 91) value = this.list();
      else value = this.expression(d);
    } else if (d === 123 /* { */ || d === 60 /* < */) {
      value = this.message(d);
    } else if (d === 91 /* [ */) {
      value = this.list();
    } else {
      throw new Bail(this.pos);
    }
    return { name, colon, value, start, end: value.end };
  }

  enter(): void {
    if (++this.depth > MAX_NESTING) throw new Bail(this.pos);
  }

  message(open: number): Message {
    this.enter();
    const start = this.pos;
    const close = open === 123 ? 125 : 62;
    this.pos++;
    const fields: Field[] = [];
    for (;;) {
      const c = this.skip();
      if (c === close) break;
      if (c === -1) throw new Bail(this.pos);
      fields.push(this.field(c));
      const d = this.skip();
      if (d === 44 || d === 59) this.pos++;
    }
    this.pos++;
    this.depth--;
    const m: Message = { kind: 'message', fields, start, end: this.pos };
    if (open === 60) m.angle = true;
    return m;
  }

  list(): ListValue {
    this.enter();
    const start = this.pos;
    this.pos++;
    const items: Value[] = [];
    let c = this.skip();
    if (c !== 93 /* ] */) {
      for (;;) {
        items.push(c === 123 || c === 60 ? this.message(c) : this.expression(c));
        c = this.skip();
        if (c === 44) {
          this.pos++;
          c = this.skip();
          continue;
        }
        if (c === 93) break;
        throw new Bail(this.pos);
      }
    }
    this.pos++;
    this.depth--;
    return { kind: 'list', items, start, end: this.pos };
  }

  expression(c: number): Value {
    let left = this.term(c);
    for (;;) {
      const d = this.skip();
      if (d !== 43 /* + */ && d !== 45 /* - */) return left;
      this.pos++;
      const right = this.term(this.skip());
      left = { kind: 'binary', op: d === 43 ? '+' : '-', left, right, start: left.start, end: right.end };
    }
  }

  term(c: number): Value {
    let left = this.unary(c);
    for (;;) {
      const d = this.skip();
      if (d !== 42 /* * */ && d !== 47 /* / */) return left;
      this.pos++;
      const op: BinaryOperator = d === 42 ? '*' : '/';
      const right = this.unary(this.skip());
      left = { kind: 'binary', op, left, right, start: left.start, end: right.end };
    }
  }

  unary(c: number): Value {
    if (c !== 45 /* - */) return this.primary(c);
    const start = this.pos;
    this.pos++;
    const next = this.skip();
    const literal = (next >= 48 && next <= 57) || next === 46 || (next < 128 && IDENT_START[next] === 1);
    const operand = this.unary(next);
    if (literal && operand.kind === 'number') {
      return { kind: 'number', value: -operand.value, integer: operand.integer, start, end: operand.end };
    }
    if (literal && operand.kind === 'ident') {
      const special = specialFloat(operand.name);
      if (special !== undefined) return { kind: 'number', value: -special, integer: false, start, end: operand.end };
    }
    return { kind: 'negate', operand, start, end: operand.end };
  }

  primary(c: number): Value {
    const text = this.text;
    const start = this.pos;
    if (c >= 48 && c <= 57) {
      // Plain decimal integers are the common case; anything else goes through the shared pattern.
      let p = start;
      let v = 0;
      while (p < text.length) {
        const d = text.charCodeAt(p);
        if (d >= 48 && d <= 57) {
          v = v * 10 + (d - 48);
          p++;
        } else break;
      }
      const after = p < text.length ? text.charCodeAt(p) : -1;
      const plain = !(after < 128 && after >= 0 && (IDENT_PART[after] || after === 46)) && (p - start === 1 || c !== 48) && p - start < 16;
      if (plain) {
        this.pos = p;
        return { kind: 'number', value: v, integer: true, start, end: p };
      }
      return this.number(start);
    }
    if (c === 46 /* . */) return this.number(start);
    if (c < 128 && IDENT_START[c]) {
      const name = this.identifier();
      return { kind: 'ident', name, start, end: this.pos };
    }
    if (c === 34 /* " */ || c === 39 /* ' */) return this.strings(c);
    if (c === 36 /* $ */) {
      this.pos++;
      const d = this.pos < text.length ? text.charCodeAt(this.pos) : -1;
      if (!(d >= 0 && d < 128 && IDENT_START[d])) throw new Bail(start);
      const name = this.identifier();
      return { kind: 'ref', name, start, end: this.pos };
    }
    if (c === 40 /* ( */) {
      this.enter();
      this.pos++;
      const inner = this.expression(this.skip());
      if (this.skip() !== 41) throw new Bail(this.pos);
      this.pos++;
      this.depth--;
      return inner;
    }
    throw new Bail(start);
  }

  number(start: number): Value {
    NUMBER_STICKY.lastIndex = start;
    const m = NUMBER_STICKY.exec(this.text);
    if (!m) throw new Bail(start);
    this.pos = start + m[0].length;
    const { value, integer } = numberValue(m[0]);
    return { kind: 'number', value, integer, start, end: this.pos };
  }

  strings(c: number): StringLiteral {
    const start = this.pos;
    let value = '';
    let end: number;
    for (;;) {
      value += this.oneString(c);
      end = this.pos;
      // Looking for an adjacent literal moves past whitespace; the span ends at the last quote.
      const d = this.skip();
      if (d !== 34 && d !== 39) break;
      c = d;
    }
    return { kind: 'string', value, start, end };
  }

  oneString(quote: number): string {
    const text = this.text;
    const s = this.pos;
    let p = s + 1;
    let escaped = false;
    for (;;) {
      if (p >= text.length) throw new Bail(s);
      const d = text.charCodeAt(p);
      if (d === quote) break;
      if (d === 10 || d === 13) throw new Bail(s);
      if (d === 92 /* \ */) {
        escaped = true;
        const e = text.charCodeAt(p + 1);
        if (p + 1 >= text.length || e === 10 || e === 13) throw new Bail(s);
        p += 2;
        continue;
      }
      p++;
    }
    this.pos = p + 1;
    if (!escaped) return text.slice(s + 1, p);
    const problems: EscapeProblem[] = [];
    const value = unescapeString(text.slice(s, p + 1), problems);
    if (problems.length) throw new Bail(s);
    return value;
  }
}

/**
 * Parses `text` from `offset`, handing each top-level field to `sink` as soon as it is read.
 * Stops at the first problem; `failedAt` is then the start of the top-level field that failed
 * (everything before it was parsed and delivered).
 */
export function parseFast(text: string, sink: (field: Field) => void, offset = 0): FastParseResult {
  const parser = new FastParser(text);
  parser.pos = offset;
  try {
    parser.document(sink);
    return { failedAt: -1, comments: parser.comments };
  } catch (e) {
    if (!(e instanceof Bail)) throw e;
    // Comments scanned inside the failed field are scanned again by the recovering parser.
    const comments = parser.comments.filter((c) => c.start < e.at);
    return { failedAt: e.at, comments };
  }
}

/** One top-level field at `offset` (after any whitespace), or null when it is not well formed. */
export function parseFieldAt(text: string, offset: number): { field: Field; end: number } | null {
  const parser = new FastParser(text);
  parser.pos = offset;
  try {
    const c = parser.skip();
    if (c === -1) return null;
    const field = parser.field(c);
    return { field, end: parser.pos };
  } catch (e) {
    if (e instanceof Bail) return null;
    throw e;
  }
}

/** The message whose opening brace is at `offset`, or null when it is not well formed. */
export function parseMessageAt(text: string, offset: number): Message | null {
  const parser = new FastParser(text);
  parser.pos = offset;
  try {
    const c = parser.text.charCodeAt(offset);
    return c === 123 || c === 60 ? parser.message(c) : null;
  } catch (e) {
    if (e instanceof Bail) return null;
    throw e;
  }
}

/**
 * A message node whose fields are parsed only when someone asks for them. Messages decoded
 * straight from the text (see schema/fast-decode.ts) carry one, so that the rare diagnostic
 * that needs a span inside them still gets an exact one.
 */
export class LazyMessage implements Message {
  readonly kind = 'message' as const;
  end = -1;
  private parsed: Field[] | undefined;

  constructor(
    /** The whole source text, or how to get it (large files are not held as a string unless needed). */
    private readonly text: string | (() => string),
    readonly start: number,
  ) {}

  get fields(): Field[] {
    this.parsed ??= parseMessageAt(typeof this.text === 'string' ? this.text : this.text(), this.start)?.fields ?? [];
    return this.parsed;
  }
}
