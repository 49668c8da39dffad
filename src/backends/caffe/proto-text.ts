/**
 * Protobuf text format, written from the same schema the Caffe reader uses: fields come out
 * in the proto's declaration order (the order Caffe's own `WriteProtoToTextFile` uses),
 * enums bare, strings quoted with every byte protoc and our reader would misread escaped.
 */
import type { FieldSpec, MessageSpec } from '../../schema/proto-schema.js';

/**
 * Marks a message object whose fields were kept as written (rawJson of a data layer's or an
 * opaque layer's settings): its defaults are printed as they stand, and it is printed even
 * when empty, since leaving either out would change what the reader keeps.
 */
export const RAW = Symbol('written as is');

export type ProtoValue = string | number | boolean | ProtoObject | ProtoValue[];
export interface ProtoObject {
  [field: string]: ProtoValue | undefined;
  [RAW]?: true;
}

/** A protobuf text-format string literal that unescapes (protoc, src/language/escapes.ts) to `s`. */
export function quoteString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += '\\\\';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    // Three octal digits always, so that a following digit cannot extend the escape.
    else if (c < 0x20 || c === 0x7f) out += '\\' + c.toString(8).padStart(3, '0');
    else if (c >= 0xd800 && c <= 0xdfff) {
      const next = s.charCodeAt(i + 1);
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        out += s[i]! + s[i + 1]!;
        i++;
      } else {
        // A lone surrogate has no UTF-8 form; only an escape keeps it.
        out += '\\u' + c.toString(16).padStart(4, '0');
      }
    } else out += s[i]!;
  }
  return out + '"';
}

/** Shortest text that reads back as the same double; protoc's names for the non-finite floats. */
export function formatNumber(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (n === Infinity) return 'inf';
  if (n === -Infinity) return '-inf';
  if (Object.is(n, -0)) return '-0';
  return String(n);
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

function scalarText(value: string | number | boolean, field: FieldSpec | undefined): string {
  if (typeof value === 'number') return formatNumber(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (field === undefined) {
    // A field the schema does not know (a fork layer's settings): rawJson kept no trace of
    // whether it was quoted, and either form reads back to the same value.
    return IDENT.test(value) ? value : quoteString(value);
  }
  if (field.kind === 'enum' || field.kind === 'bool') return value;
  if (field.kind === 'string' || field.kind === 'bytes') return quoteString(value);
  // A number kept as text by rawJson (inf, nan).
  return value;
}

function isDefault(field: FieldSpec, value: ProtoValue): boolean {
  if (field.repeated || field.kind === 'message' || field.default === undefined) return false;
  return field.default === value;
}

/** The fields of `obj` as text lines at `indent` levels, in the order of `spec`. */
export function messageLines(obj: ProtoObject, spec: MessageSpec | undefined, indent: number, omitDefaults = true): string[] {
  const pad = '  '.repeat(indent);
  const lines: string[] = [];
  const raw = obj[RAW] === true;
  const known = spec ? Object.keys(spec.fields).filter((k) => k in obj) : [];
  const unknown = Object.keys(obj).filter((k) => !spec || !(k in spec.fields));
  for (const name of [...known, ...unknown]) {
    const value = obj[name];
    if (value === undefined) continue;
    const field = spec?.fields[name];
    if (field && omitDefaults && !raw && isDefault(field, value)) continue;
    const values = Array.isArray(value) ? value : [value];
    for (const v of values) {
      if (Array.isArray(v)) continue;
      if (typeof v === 'object') {
        const inner = field?.kind === 'message' ? field.message() : undefined;
        const keep = raw || v[RAW] === true;
        const body = messageLines(v, inner, indent + 1, omitDefaults && !keep);
        // An empty message we built says nothing; one kept as written (or marked) must stay.
        if (!body.length && !keep) continue;
        lines.push(body.length ? `${pad}${name} {` : `${pad}${name} {}`);
        if (body.length) lines.push(...body, `${pad}}`);
      } else {
        lines.push(`${pad}${name}: ${scalarText(v, field)}`);
      }
    }
  }
  return lines;
}
