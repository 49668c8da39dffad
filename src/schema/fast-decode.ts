/**
 * Decoding protobuf text straight into schema messages, without building a syntax tree: the
 * fast path for the layers of large Caffe nets. It reads code units (a large ASCII file's
 * bytes, so the file never has to exist a second time as a JavaScript string).
 *
 * It accepts only what needs no diagnostic: known fields, well-typed values, no duplicates,
 * no escapes, no lists. On anything else it returns null and the caller reads that part with
 * the parser and the reporting decoder (decode-proto.ts), which give the same result plus the
 * diagnostics. Messages it builds carry a LazyMessage as their syntax node, so a diagnostic
 * that needs a span inside them still gets an exact one.
 */
import { IDENT_PART, IDENT_START, interned, INTERN_SLOTS, LazyMessage, WS } from '../language/fast-parser.js';
import { NUMBER_PATTERN, numberValue, specialFloat } from '../language/numbers.js';
import { compile, EMPTY, markPresent, type Compiled } from './decode-proto.js';
import type { Decoded, FieldSpec, MessageSpec, ScalarKind } from './proto-schema.js';

/** The text as code units: a file's bytes (ASCII) or UTF-16 code units. */
export type Units = Uint8Array | Uint16Array;

const NUMBER_STICKY = new RegExp(NUMBER_PATTERN.source, 'y');
const FAIL = Symbol('not for the fast path');

const RANGES: Partial<Record<ScalarKind, [number, number]>> = {
  int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
  int64: [-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  uint64: [0, Number.MAX_SAFE_INTEGER],
};

const isIdentStart = (c: number) => c < 128 && IDENT_START[c] === 1;
const isIdentPart = (c: number) => c < 128 && IDENT_PART[c] === 1;

/** UTF-16 code units of a string (for text that did not come from an ASCII file). */
export function unitsOf(text: string): Uint16Array {
  const units = new Uint16Array(text.length);
  for (let i = 0; i < text.length; i++) units[i] = text.charCodeAt(i);
  return units;
}

/**
 * A short string from code units. `String.fromCharCode(u[s], u[s + 1], …)` with the arguments
 * spelt out is several times faster than any call into the runtime (Buffer#latin1Slice,
 * TextDecoder) for the names a net is made of; longer strings take the general route.
 */
const SHORT = 32;
const shortString = new Function(
  'u',
  's',
  'n',
  `switch (n) {\n${Array.from({ length: SHORT }, (_, n) => `case ${n + 1}: return String.fromCharCode(${Array.from({ length: n + 1 }, (_, i) => `u[s + ${i}]`).join(', ')});`).join('\n')}\n}`,
) as (u: Units, s: number, n: number) => string;

function unitsString(u: Units, s: number, e: number): string {
  if (e === s) return '';
  if (e - s <= SHORT) return shortString(u, s, e - s);
  const buffer = u as Uint8Array & { latin1Slice?: (s: number, e: number) => string };
  if (u instanceof Uint8Array && typeof buffer.latin1Slice === 'function') return buffer.latin1Slice(s, e);
  let out = '';
  for (let i = s; i < e; i += 4096) out += String.fromCharCode(...u.subarray(i, Math.min(e, i + 4096)));
  return out;
}

export class UnitScanner {
  pos = 0;
  readonly length: number;

  constructor(
    readonly units: Units,
    /** The whole text, for LazyMessage nodes (computed only if a diagnostic needs a span). */
    readonly text: () => string,
  ) {
    this.length = units.length;
  }

  /** A string of code units [start, end). */
  slice(start: number, end: number): string {
    return unitsString(this.units, start, end);
  }

  /** Skips whitespace and comments; the next code unit, or -1 at the end. */
  skip(): number {
    const u = this.units;
    const n = this.length;
    let p = this.pos;
    while (p < n) {
      const c = u[p]!;
      if (c < 128 && WS[c]) {
        p++;
      } else if (c === 35) {
        p++;
        while (p < n && u[p] !== 10 && u[p] !== 13) p++;
      } else if (c === 0xfeff) {
        p++;
      } else {
        this.pos = p;
        return c;
      }
    }
    this.pos = p;
    return -1;
  }

  /** An identifier, interned like the parser's (see fast-parser.ts). */
  identifier(): string {
    const u = this.units;
    const s = this.pos;
    let hash = u[s]!;
    let p = s + 1;
    while (p < this.length) {
      const c = u[p]!;
      if (!isIdentPart(c)) break;
      hash = (Math.imul(hash, 31) + c) | 0;
      p++;
    }
    this.pos = p;
    const length = p - s;
    const slot = (hash ^ length) & (INTERN_SLOTS - 1);
    const known = interned[slot];
    if (known !== undefined && known.length === length) {
      let i = 0;
      while (i < length && known.charCodeAt(i) === u[s + i]) i++;
      if (i === length) return known;
    }
    const name = this.slice(s, p);
    interned[slot] = name;
    return name;
  }

  /** Whether the identifier `word` starts at `at` (and does not continue). */
  wordAt(at: number, word: string): boolean {
    if (at + word.length > this.length) return false;
    for (let i = 0; i < word.length; i++) if (this.units[at + i] !== word.charCodeAt(i)) return false;
    const next = this.units[at + word.length];
    return next === undefined || !isIdentPart(next);
  }

  /**
   * A quoted string without escapes or line breaks, that no other literal follows; null
   * otherwise. Interned like identifiers: a blob's name comes back as one string however
   * often the net mentions it.
   */
  plainString(): string | null {
    const u = this.units;
    const quote = u[this.pos]!;
    const s = this.pos + 1;
    let p = s;
    let hash = 7;
    while (p < this.length) {
      const c = u[p]!;
      if (c === quote) break;
      if (c === 92 || c === 10 || c === 13) return null;
      hash = (Math.imul(hash, 31) + c) | 0;
      p++;
    }
    if (p >= this.length) return null;
    this.pos = p + 1;
    const next = this.skip();
    if (next === 34 || next === 39) return null;
    const length = p - s;
    const slot = (hash ^ (length << 7) ^ 0x5bd1e995) & (INTERN_SLOTS - 1);
    const known = interned[slot];
    if (known !== undefined && known.length === length) {
      let i = 0;
      while (i < length && known.charCodeAt(i) === u[s + i]) i++;
      if (i === length) return known;
    }
    const value = this.slice(s, p);
    interned[slot] = value;
    return value;
  }

  /** A number literal, with a minus sign directly in front of it. */
  number(): { value: number; integer: boolean } | null {
    const u = this.units;
    let sign = 1;
    let start = this.pos;
    if (u[start] === 45) {
      sign = -1;
      start++;
    }
    // Plain decimal integers (most numbers in a net) without the regular expression.
    let p = start;
    let v = 0;
    while (p < this.length) {
      const d = u[p]!;
      if (d < 48 || d > 57) break;
      v = v * 10 + (d - 48);
      p++;
    }
    const after = p < this.length ? u[p]! : 32;
    if (p > start && after !== 46 && !isIdentPart(after) && (p - start === 1 || u[start] !== 48) && p - start < 16) {
      this.pos = p;
      return { value: sign * v, integer: true };
    }
    let e = start;
    while (e < this.length && (isIdentPart(u[e]!) || u[e] === 46 || ((u[e] === 43 || u[e] === 45) && (u[e - 1] === 101 || u[e - 1] === 69)))) e++;
    const raw = this.slice(start, e);
    NUMBER_STICKY.lastIndex = 0;
    const m = NUMBER_STICKY.exec(raw);
    if (!m || m[0].length !== raw.length) return null;
    this.pos = e;
    const { value, integer } = numberValue(raw);
    return { value: sign * value, integer };
  }

  /** Moves past a field's value (the scan is after its name): a balanced message or one plain token. */
  skipValue(first: number): boolean {
    const u = this.units;
    let ch = first;
    if (ch === 58) {
      this.pos++;
      ch = this.skip();
    }
    if (ch === 123) {
      let depth = 0;
      for (let p = this.pos; p < this.length; p++) {
        const d = u[p]!;
        if (d === 123) depth++;
        else if (d === 125) {
          if (--depth === 0) {
            this.pos = p + 1;
            return true;
          }
        } else if (d === 34 || d === 39) {
          let q = p + 1;
          while (q < this.length && u[q] !== d) {
            const e = u[q]!;
            if (e === 92 || e === 10 || e === 13) return false;
            q++;
          }
          if (q >= this.length) return false;
          p = q;
        } else if (d === 35 || d === 60 || d === 91) {
          return false;
        }
      }
      return false;
    }
    if (ch === 34 || ch === 39) return this.plainString() !== null;
    const s = this.pos;
    let p = s;
    while (p < this.length) {
      const d = u[p]!;
      if (d <= 32 || d === 125 || d === 123 || d === 35 || d === 44 || d === 59 || d === 91 || d === 93 || d === 58 || d === 34 || d === 39) break;
      p++;
    }
    if (p === s) return false;
    this.pos = p;
    return true;
  }
}

export class FastDecoder extends UnitScanner {
  /** Decodes the message whose `{` is at `open`; null means: read it the careful way. */
  decodeAt<M extends MessageSpec>(spec: M, open: number): Decoded<M> | null {
    this.pos = open;
    const out = this.message(compile(spec), 0);
    return out === FAIL ? null : (out as unknown as Decoded<M>);
  }

  private message(c: Compiled, depth: number): Record<string | symbol, unknown> | typeof FAIL {
    if (this.units[this.pos] !== 123 || depth > 100) return FAIL;
    const node = new LazyMessage(this.text, this.pos);
    this.pos++;
    const out = c.create(node);
    let seen0 = 0;
    let seen1 = 0;
    let seen2 = 0;
    for (;;) {
      let ch = this.skip();
      if (ch === 125) break;
      if (!isIdentStart(ch)) return FAIL;
      const name = this.identifier();
      const index = c.index.get(name);
      if (index === undefined) return FAIL;
      const f = c.specs[index]!;
      if (f.fork) return FAIL;
      if (!f.repeated) {
        const bit = 1 << (index & 31);
        if (index < 32) {
          if (seen0 & bit) return FAIL;
          seen0 |= bit;
        } else if (index < 64) {
          if (seen1 & bit) return FAIL;
          seen1 |= bit;
        } else if (index < 96) {
          if (seen2 & bit) return FAIL;
          seen2 |= bit;
        } else return FAIL;
      }
      ch = this.skip();
      let colon = false;
      if (ch === 58) {
        colon = true;
        this.pos++;
        ch = this.skip();
      }
      let value: unknown;
      if (f.kind === 'message') {
        if (ch !== 123) return FAIL;
        value = this.message(compile(f.message()), depth + 1);
      } else {
        if (!colon) return FAIL;
        value = this.scalar(f, ch);
      }
      if (value === FAIL) return FAIL;
      if (f.repeated) {
        let list = out[name] as unknown[];
        if ((list as readonly unknown[]) === EMPTY) {
          list = [];
          c.set(out, index, list);
        }
        list.push(value);
      } else {
        c.set(out, index, value);
      }
      markPresent(out, index);
      ch = this.skip();
      if (ch === 44 || ch === 59) this.pos++;
    }
    this.pos++;
    node.end = this.pos;
    return out;
  }

  private scalar(f: FieldSpec, ch: number): unknown {
    switch (f.kind) {
      case 'message':
        return FAIL;
      case 'enum': {
        if (!isIdentStart(ch)) return FAIL;
        const name = this.identifier();
        return name in f.enum.values ? name : FAIL;
      }
      case 'string':
      case 'bytes': {
        if (ch !== 34 && ch !== 39) return FAIL;
        return this.plainString() ?? FAIL;
      }
      case 'bool': {
        if (!isIdentStart(ch)) return FAIL;
        const name = this.identifier();
        if (name === 'true' || name === 'True' || name === 't') return true;
        if (name === 'false' || name === 'False' || name === 'f') return false;
        return FAIL;
      }
      case 'float':
      case 'double': {
        if (isIdentStart(ch)) {
          const special = specialFloat(this.identifier());
          return special === undefined ? FAIL : special;
        }
        return this.number()?.value ?? FAIL;
      }
      default: {
        const n = this.number();
        if (!n || !n.integer) return FAIL;
        const [lo, hi] = RANGES[f.kind]!;
        return n.value < lo || n.value > hi ? FAIL : n.value;
      }
    }
  }
}

/** A layer's identity and where the rest of it is written (see LayerSkimmer). */
export interface LayerShape {
  name: string | undefined;
  type: string | undefined;
  bottom: string[];
  top: string[];
  /** Offsets [start, end) of every other field, in order: two layers whose other fields read the same bind the same way. */
  body: number[];
  /** A hash of the type, the input and output counts and the body text. */
  hash: number;
  end: number;
}

/** Whether two shapes (of the same text) have the same type, counts and body text. */
export function sameBody(units: Units, a: LayerShape, b: LayerShape): boolean {
  if (a.type !== b.type || a.bottom.length !== b.bottom.length || a.top.length !== b.top.length || a.body.length !== b.body.length) return false;
  for (let k = 0; k < a.body.length; k += 2) {
    const s1 = a.body[k]!;
    const s2 = b.body[k]!;
    const n = a.body[k + 1]! - s1;
    if (n !== b.body[k + 1]! - s2) return false;
    for (let i = 0; i < n; i++) if (units[s1 + i] !== units[s2 + i]) return false;
  }
  return true;
}

/** 'name', 'type', 'bottom' or 'top' when the identifier at `s` is one of them; '' otherwise. */
function connectionField(u: Units, s: number, n: number): '' | 'name' | 'type' | 'bottom' | 'top' {
  const c = u[s];
  if (n === 4) {
    if (c === 110 && u[s + 1] === 97 && u[s + 2] === 109 && u[s + 3] === 101) return 'name';
    if (c === 116 && u[s + 1] === 121 && u[s + 2] === 112 && u[s + 3] === 101) return 'type';
  } else if (n === 3) {
    if (c === 116 && u[s + 1] === 111 && u[s + 2] === 112) return 'top';
  } else if (n === 6) {
    if (c === 98 && u[s + 1] === 111 && u[s + 2] === 116 && u[s + 3] === 116 && u[s + 4] === 111 && u[s + 5] === 109) return 'bottom';
  }
  return '';
}

/** Skims layers for their shape, to find layers that differ only by name and connections. */
export class LayerSkimmer extends UnitScanner {
  /** The layer message whose `{` is at `open`, skimmed; null when it is not plain enough. */
  layerShape(open: number): LayerShape | null {
    const u = this.units;
    this.pos = open + 1;
    let name: string | undefined;
    let type: string | undefined;
    const bottom: string[] = [];
    const top: string[] = [];
    const body: number[] = [];
    let hash = 0x811c9dc5 | 0;
    for (;;) {
      let ch = this.skip();
      if (ch === 125) break;
      if (!isIdentStart(ch)) return null;
      const fieldStart = this.pos;
      // The four fields of interest are told apart by their letters; no string is made.
      let p = fieldStart + 1;
      while (p < this.length && isIdentPart(u[p]!)) p++;
      const field = connectionField(u, fieldStart, p - fieldStart);
      this.pos = p;
      ch = this.skip();
      if (field !== '') {
        if (ch !== 58) return null;
        this.pos++;
        ch = this.skip();
        if (ch !== 34 && ch !== 39) return null;
        const value = this.plainString();
        if (value === null) return null;
        if (field === 'name') {
          if (name !== undefined) return null;
          name = value;
        } else if (field === 'type') {
          if (type !== undefined) return null;
          type = value;
        } else (field === 'bottom' ? bottom : top).push(value);
      } else {
        if (!this.skipValue(ch)) return null;
        body.push(fieldStart, this.pos);
        for (let i = fieldStart; i < this.pos; i++) hash = Math.imul(hash ^ u[i]!, 16777619);
        hash = Math.imul(hash ^ 2, 16777619);
      }
      ch = this.skip();
      if (ch === 44 || ch === 59) this.pos++;
    }
    this.pos++;
    for (let i = 0; i < (type?.length ?? 0); i++) hash = Math.imul(hash ^ type!.charCodeAt(i), 16777619);
    hash = Math.imul(hash ^ (bottom.length * 64 + top.length), 16777619);
    return { name, type, bottom, top, body, hash, end: this.pos };
  }
}
