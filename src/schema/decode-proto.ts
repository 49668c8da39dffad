/**
 * Reads a syntax-tree message against a protobuf schema, as protoc's text parser would:
 * types, ranges, enums and repeated-ness are checked, defaults declared in the schema are
 * filled in, and every problem becomes a diagnostic at the offending value. Unlike protoc it
 * never stops at the first problem and keeps fields it does not know for the caller.
 */
import type { DiagnosticBag } from '../diagnostics/diagnostic.js';
import { didYouMean } from '../diagnostics/did-you-mean.js';
import { specialFloat } from '../language/numbers.js';
import type { Field, Message, Span, Value } from '../language/syntax-tree.js';
import { NODE, PRESENT, UNKNOWN, WRITTEN, type Decoded, type DecodedMeta, type EnumSpec, type FieldSpec, type MessageSpec, type ScalarKind } from './proto-schema.js';

export { NODE, UNKNOWN, WRITTEN, type DecodedMeta };

export interface DecodeOptions {
  /** Leave unknown fields of the top message to the caller instead of warning about them. */
  keepUnknown?: boolean;
}

/**
 * Per-schema decoding machinery, generated once per message type: a class whose constructor
 * sets every field (defaults, empty arrays, undefined) so all instances share one shape, and a
 * setter with a direct property store per field. Large nets decode hundreds of thousands of
 * layers; generic keyed stores on objects of ever-changing shape were most of the cost.
 */
export interface Compiled {
  index: Map<string, number>;
  specs: FieldSpec[];
  names: string[];
  create: (node: Message) => Record<string | symbol, unknown>;
  set: (target: Record<string | symbol, unknown>, index: number, value: unknown) => void;
}

/** Every decoded message can reach its schema's compiled form (field indices for `has`). */
const COMPILED = Symbol('compiled schema');

const compiledCache = new WeakMap<MessageSpec, Compiled>();

/**
 * What an unwritten repeated field holds: one shared, frozen array (most of a layer's eight
 * repeated fields are empty). Code that builds messages assigns new arrays instead of pushing.
 */
export const EMPTY: readonly never[] = Object.freeze([]);

export function compile(spec: MessageSpec): Compiled {
  let c = compiledCache.get(spec);
  if (c) return c;
  const names = Object.keys(spec.fields);
  const specs = names.map((n) => spec.fields[n]!);
  for (const n of names) if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(n)) throw new Error(`schema field name '${n}' is not an identifier`);
  const defaults = specs.map((f) => (f.repeated || f.kind === 'message' ? undefined : f.default));
  // Fields without a default are added when written; repeated ones start as the shared empty array.
  const body = names
    .map((n, i) => {
      const f = specs[i]!;
      if (f.repeated) return `this.${n} = EMPTY;`;
      return defaults[i] === undefined ? '' : `this.${n} = D[${i}];`;
    })
    .join('\n');
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- field names are checked identifiers from our own schema
  const Ctor = new Function('D', 'NODE', 'EMPTY', 'P0', 'P1', 'P2', `return function ${spec.name}(node) {\n${body}\nthis[NODE] = node;\nthis[P0] = 0;\nthis[P1] = 0;\nthis[P2] = 0;\n};`)(
    defaults,
    NODE,
    EMPTY,
    ...PRESENT,
  ) as new (node: Message) => Record<string | symbol, unknown>;
  const set = new Function('o', 'i', 'v', `switch (i) {\n${names.map((n, i) => `case ${i}: o.${n} = v; return;`).join('\n')}\n}`) as Compiled['set'];
  c = { index: new Map(names.map((n, i) => [n, i])), specs, names, create: (node) => new Ctor(node), set };
  (Ctor.prototype as Record<symbol, unknown>)[COMPILED] = c;
  compiledCache.set(spec, c);
  return c;
}

const KIND_WORDS: Record<ScalarKind, string> = {
  int32: 'an integer',
  int64: 'an integer',
  uint32: 'a non-negative integer',
  uint64: 'a non-negative integer',
  float: 'a number',
  double: 'a number',
  bool: 'true or false',
  string: 'a quoted string',
  bytes: 'a quoted string',
};

const RANGES: Partial<Record<ScalarKind, [number, number]>> = {
  int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
  int64: [-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  uint64: [0, Number.MAX_SAFE_INTEGER],
};

export function describeValue(v: Value): string {
  switch (v.kind) {
    case 'number':
      return `the number ${v.value}`;
    case 'string':
      return `the string "${v.value.length > 30 ? `${v.value.slice(0, 30)}…` : v.value}"`;
    case 'ident':
      return `'${v.name}'`;
    case 'message':
      return 'a message { … }';
    case 'list':
      return 'a list [ … ]';
    case 'ref':
      return `the reference $${v.name}`;
    default:
      return 'an expression';
  }
}

export class ProtoDecoder {
  private readonly reportedForks = new Set<string>();

  constructor(readonly diagnostics: DiagnosticBag) {}

  decode<M extends MessageSpec>(spec: M, node: Message, options?: DecodeOptions): Decoded<M> {
    const compiled = compile(spec);
    const out = compiled.create(node);
    // Non-repeated fields seen so far, as a bit set over field indices (duplicates are errors).
    let seen0 = 0;
    let seen1 = 0;
    let seen2 = 0;
    let seenMore: Set<number> | undefined;
    const fields = node.fields;
    for (let k = 0; k < fields.length; k++) {
      const field = fields[k]!;
      const index = compiled.index.get(field.name);
      if (index === undefined) {
        if (options?.keepUnknown) ((out[UNKNOWN] ??= []) as Field[]).push(field);
        else this.unknownField(spec, field, compiled);
        continue;
      }
      const f = compiled.specs[index]!;
      if (f.fork) this.forkField(spec, field, f.fork);
      markPresent(out, index);
      const value = field.value;
      if (value.kind === 'missing') continue;
      if (f.repeated) {
        let list = out[field.name] as unknown[];
        if ((list as readonly unknown[]) === EMPTY) {
          list = [];
          compiled.set(out, index, list);
        }
        if (value.kind === 'list') {
          for (const item of value.items) {
            const v = this.value(f, item, field);
            if (v !== undefined) list.push(v);
          }
        } else {
          const v = this.value(f, value, field);
          if (v !== undefined) list.push(v);
        }
        continue;
      }
      let duplicate: boolean;
      const bit = 1 << (index & 31);
      if (index < 32) {
        duplicate = (seen0 & bit) !== 0;
        seen0 |= bit;
      } else if (index < 64) {
        duplicate = (seen1 & bit) !== 0;
        seen1 |= bit;
      } else if (index < 96) {
        duplicate = (seen2 & bit) !== 0;
        seen2 |= bit;
      } else {
        seenMore ??= new Set();
        duplicate = seenMore.has(index);
        seenMore.add(index);
      }
      if (duplicate) {
        this.diagnostics.error('proto/duplicate-field', `'${field.name}' is not a repeated field but is given more than once (protoc rejects this)`, nameSpan(field));
        continue;
      }
      if (value.kind === 'list') {
        this.diagnostics.error('proto/type-mismatch', `'${field.name}' is not a repeated field, so it cannot take a list`, value);
        continue;
      }
      const v = this.value(f, value, field);
      if (v !== undefined) compiled.set(out, index, v);
    }
    return out as Decoded<M>;
  }

  private forkField(spec: MessageSpec, field: Field, fork: string): void {
    const key = `${spec.name}.${field.name}`;
    if (this.reportedForks.has(key)) return;
    this.reportedForks.add(key);
    this.diagnostics.warning('proto/fork-field', `'${field.name}' is not a field of BVLC Caffe's ${spec.name}; it comes from ${fork}`, nameSpan(field));
  }

  private unknownField(spec: MessageSpec, field: Field, compiled: Compiled): void {
    this.diagnostics.warning('proto/unknown-field', `${spec.name} has no field '${field.name}'; it is ignored`, nameSpan(field), {
      hint: didYouMean(field.name, compiled.names),
    });
  }

  private value(f: FieldSpec, v: Value, field: Field): unknown {
    if (v.kind === 'ref' || v.kind === 'binary' || v.kind === 'negate') {
      this.diagnostics.error('proto/expression', '`$` references and arithmetic are nnspec features; a Caffe file needs a literal value here', v);
      return undefined;
    }
    if (f.kind === 'message') {
      if (v.kind !== 'message') {
        this.diagnostics.error('proto/type-mismatch', `'${field.name}' expects a message { … }, got ${describeValue(v)}`, v);
        return undefined;
      }
      return this.decode(f.message(), v);
    }
    if (v.kind === 'message' || v.kind === 'list') {
      this.diagnostics.error('proto/type-mismatch', `'${field.name}' expects ${f.kind === 'enum' ? `a ${f.enum.name} value` : KIND_WORDS[f.kind]}, got ${describeValue(v)}`, v);
      return undefined;
    }
    if (f.kind === 'enum') return this.enumValue(f.enum, v, field);
    return this.scalar(f.kind, v, field);
  }

  private enumValue(e: EnumSpec, v: Value, field: Field): string | undefined {
    const names = Object.keys(e.values);
    if (v.kind === 'ident') {
      if (v.name in e.values) return v.name;
      this.diagnostics.error('proto/unknown-enum-value', `'${v.name}' is not a ${e.name} value (${names.join(', ')})`, v, {
        hint: didYouMean(v.name, names),
      });
      return undefined;
    }
    if (v.kind === 'number' && v.integer) {
      const name = names.find((n) => (e.values as Record<string, number>)[n] === v.value);
      if (name !== undefined) return name;
      this.diagnostics.error('proto/unknown-enum-value', `${v.value} is not a ${e.name} value (${names.join(', ')})`, v);
      return undefined;
    }
    if (v.kind === 'string') {
      const hint = v.value in e.values ? `write it without quotes: ${field.name}: ${v.value}` : didYouMean(v.value, names);
      this.diagnostics.error('proto/type-mismatch', `'${field.name}' expects a ${e.name} value written without quotes, got ${describeValue(v)}`, v, { hint });
      return undefined;
    }
    this.diagnostics.error('proto/type-mismatch', `'${field.name}' expects a ${e.name} value, got ${describeValue(v)}`, v);
    return undefined;
  }

  private scalar(kind: ScalarKind, v: Value, field: Field): unknown {
    switch (kind) {
      case 'string':
      case 'bytes':
        if (v.kind === 'string') return v.value;
        this.diagnostics.error('proto/type-mismatch', `'${field.name}' expects a quoted string, got ${describeValue(v)}`, v, {
          hint: v.kind === 'ident' ? `write it in quotes: ${field.name}: "${v.name}"` : undefined,
        });
        return undefined;
      case 'bool':
        if (v.kind === 'ident') {
          if (v.name === 'true' || v.name === 'True' || v.name === 't') return true;
          if (v.name === 'false' || v.name === 'False' || v.name === 'f') return false;
        }
        if (v.kind === 'number' && v.integer && (v.value === 0 || v.value === 1)) return v.value === 1;
        this.diagnostics.error('proto/type-mismatch', `'${field.name}' expects true or false, got ${describeValue(v)}`, v);
        return undefined;
      case 'float':
      case 'double':
        if (v.kind === 'number') return v.value;
        if (v.kind === 'ident') {
          const special = specialFloat(v.name);
          if (special !== undefined) return special;
        }
        this.diagnostics.error('proto/type-mismatch', `'${field.name}' expects a number, got ${describeValue(v)}`, v);
        return undefined;
      default: {
        if (v.kind !== 'number' || !v.integer) {
          this.diagnostics.error('proto/type-mismatch', `'${field.name}' expects ${KIND_WORDS[kind]}, got ${describeValue(v)}`, v);
          return undefined;
        }
        const [lo, hi] = RANGES[kind]!;
        if (v.value < lo || v.value > hi) {
          this.diagnostics.error('proto/out-of-range', `'${field.name}' is a ${kind}; ${v.value} is out of range`, v);
          return undefined;
        }
        return v.value;
      }
    }
  }
}

export function nameSpan(field: Field): Span {
  return { start: field.start, end: field.start + field.name.length };
}

/** The span of a decoded message, or of its n-th field called `name` (the whole message if absent). */
export function spanOf(decoded: DecodedMeta, name?: string, index = 0): Span {
  const node = decoded[NODE];
  if (name === undefined) return node;
  let i = 0;
  for (const f of node.fields) {
    if (f.name !== name) continue;
    if (f.value.kind === 'list') {
      const item = f.value.items[index - i];
      if (item) return item;
      i += f.value.items.length;
      continue;
    }
    if (i === index) return f.value.kind === 'missing' ? f : f.value;
    i++;
  }
  return { start: node.start, end: Math.min(node.end, node.start + 1) };
}

export function markPresent(msg: Record<symbol, unknown>, index: number): void {
  const word = PRESENT[index >> 5];
  if (word) msg[word] = ((msg[word] as number) | (1 << (index & 31))) >>> 0;
}

function isPresent(msg: DecodedMeta, index: number): boolean {
  const word = PRESENT[index >> 5];
  return word !== undefined && (((msg as unknown as Record<symbol, number | undefined>)[word] ?? 0) & (1 << (index & 31))) !== 0;
}

/** Whether a field was written (as opposed to a default filled in). */
export function has(decoded: DecodedMeta, name: string): boolean {
  if (decoded[WRITTEN]?.has(name)) return true;
  const compiled = (decoded as unknown as Record<symbol, Compiled | undefined>)[COMPILED];
  if (!compiled) return decoded[NODE].fields.some((f) => f.name === name);
  const index = compiled.index.get(name);
  return index !== undefined && isPresent(decoded, index);
}

/** The names of the fields the text wrote, in schema order. */
export function writtenFields(decoded: DecodedMeta): string[] {
  const compiled = (decoded as unknown as Record<symbol, Compiled | undefined>)[COMPILED];
  if (!compiled) return [...new Set(decoded[NODE].fields.map((f) => f.name))];
  const out: string[] = [];
  for (let w = 0; w < PRESENT.length; w++) {
    let bits = (decoded as unknown as Record<symbol, number | undefined>)[PRESENT[w]!] ?? 0;
    while (bits !== 0) {
      const low = bits & -bits;
      out.push(compiled.names[w * 32 + 31 - Math.clz32(low)]!);
      bits = (bits ^ low) >>> 0;
    }
  }
  return out;
}

/** Sets a field of a decoded message as if it had been written (used when upgrading legacy formats). */
export function put<M extends DecodedMeta, K extends keyof M & string>(msg: M, name: K, value: M[K]): void {
  msg[name] = value;
  (msg[WRITTEN] ??= new Set()).add(name);
}

/** The syntax-tree value as plain JSON: how opaque layers keep parameters nnspec cannot type. */
export function rawJson(v: Value): unknown {
  switch (v.kind) {
    case 'number':
      return Number.isFinite(v.value) ? v.value : String(v.value);
    case 'string':
      return v.value;
    case 'ident':
      return v.name;
    case 'list':
      return v.items.map(rawJson);
    case 'message': {
      const grouped = new Map<string, unknown[]>();
      for (const f of v.fields) {
        const values = grouped.get(f.name);
        if (values) values.push(rawJson(f.value));
        else grouped.set(f.name, [rawJson(f.value)]);
      }
      const out: Record<string, unknown> = {};
      for (const [name, values] of grouped) out[name] = values.length === 1 ? values[0] : values;
      return out;
    }
    default:
      return null;
  }
}
