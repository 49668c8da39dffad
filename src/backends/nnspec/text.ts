/**
 * Lexical forms for printed nnspec: numbers that read back as the same double, names that
 * stay bare identifiers where the grammar allows and are quoted otherwise, and strings whose
 * every character survives the trip through the tokenizer (src/language/escapes.ts).
 */

/** A value as it will be written: already-formatted text, a list, or a message. */
export type Value = string | Value[] | Msg;

/** A message `{ key: value … }`, fields in the order written. */
export class Msg {
  constructor(readonly fields: [string, Value][] = []) {}
  add(key: string, v: Value | undefined): this {
    if (v !== undefined) this.fields.push([key, v]);
    return this;
  }
  get empty(): boolean {
    return this.fields.length === 0;
  }
}

/** Why a node cannot be printed; caught per node and reported as `convert/unsupported`. */
export class Unsupported extends Error {}

export function unsupported(feature: string): never {
  throw new Unsupported(feature);
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * JavaScript's shortest round-trip form is exactly what the number grammar reads back
 * (`0.001`, `1e-8`, `1e+21`); -0 and the non-finite values need their own spelling.
 */
export function num(x: number): string {
  // Number fields reject nan (src/dialects/nnspec/fields.ts), so no setting can be NaN.
  if (Number.isNaN(x)) unsupported('the value NaN');
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (Object.is(x, -0)) return '-0.0';
  return String(x);
}

/** An integer field: a float literal (`1e+21`) would not bind, so such values are refused. */
export function int(x: number): string {
  const s = num(x);
  if (!Number.isSafeInteger(x) || !/^-?\d+$/.test(s)) unsupported(`the integer ${s}`);
  return s;
}

export function bool(x: boolean): string {
  return x ? 'true' : 'false';
}

/** A quoted string; control, format and unpaired surrogate characters are escaped. */
export function str(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (/[\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}]/u.test(ch)) out += cp > 0xffff ? `\\U${cp.toString(16).padStart(8, '0')}` : `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** A name: bare when it is an identifier that reads as nothing else, quoted otherwise. */
export function name(s: string): string {
  if (s === '') unsupported('an empty name');
  return IDENT.test(s) && !/^(inf|infinity|nan|true|false)$/i.test(s) ? s : str(s);
}

/** A tensor dimension: a size, or a symbol such as N (a product like N*3 has no spelling). */
export function dim(d: number | string): string {
  if (typeof d === 'number') return int(d);
  if (!IDENT.test(d) || /^(inf|infinity|nan)$/i.test(d)) unsupported(`the symbolic dimension '${d}'`);
  return d;
}

/** A `#` comment line: a comment runs to the end of the line, so text from the input must not end it early. */
export function comment(indent: string, text: string): string {
  return `${indent}# ${text.replace(/[\r\n]/g, ' ')}`;
}

/** One value, or a list when there are several. */
export function oneOrList(items: string[]): Value {
  return items.length === 1 ? items[0]! : items;
}

const WIDTH = 100;

function inline(v: Value): string | null {
  if (typeof v === 'string') return v;
  if (v instanceof Msg) {
    if (v.empty) return '{ }';
    const parts: string[] = [];
    for (const [k, x] of v.fields) {
      const s = inline(x);
      if (s === null) return null;
      parts.push(x instanceof Msg ? `${k} ${s}` : `${k}: ${s}`);
    }
    return `{ ${parts.join(' ')} }`;
  }
  const items = v.map(inline);
  return items.some((s) => s === null) ? null : `[${items.join(', ')}]`;
}

/**
 * Writes `key { … }` (or `key: value`) at `indent`: on one line when it fits, otherwise one
 * field per line. Deterministic, so printing the printed text again gives the same text.
 */
export function writeField(out: string[], indent: string, key: string, v: Value): void {
  const one = inline(v);
  const head = v instanceof Msg ? `${indent}${key} ` : `${indent}${key}: `;
  if (one !== null && head.length + one.length <= WIDTH) {
    out.push(head + one);
    return;
  }
  if (v instanceof Msg) {
    out.push(`${indent}${key} {`);
    for (const [k, x] of v.fields) writeField(out, `${indent}  `, k, x);
    out.push(`${indent}}`);
    return;
  }
  if (typeof v === 'string') {
    out.push(head + v);
    return;
  }
  // A long list: one item per line, messages opened on their own lines.
  out.push(`${head}[`);
  v.forEach((x, i) => {
    const comma = i < v.length - 1 ? ',' : '';
    if (Array.isArray(x)) unsupported('a list that holds a list');
    const s = inline(x);
    if (s !== null && indent.length + 2 + s.length <= WIDTH) out.push(`${indent}  ${s}${comma}`);
    else if (x instanceof Msg) {
      out.push(`${indent}  {`);
      for (const [k, y] of x.fields) writeField(out, `${indent}    `, k, y);
      out.push(`${indent}  }${comma}`);
    } else out.push(`${indent}  ${String(x)}${comma}`);
  });
  out.push(`${indent}]`);
}
