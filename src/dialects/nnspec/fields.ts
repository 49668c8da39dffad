/**
 * Typed reading of nnspec messages. A layer type declares its fields (type, default, one
 * line of documentation); the reader evaluates each written value, checks it against the
 * declaration and reports what is wrong where it was written. Declarations double as the
 * language reference (grammar/reference.md is generated from them).
 */
import type { DiagnosticBag } from '../../diagnostics/diagnostic.js';
import { closest, didYouMean } from '../../diagnostics/did-you-mean.js';
import { specialFloat } from '../../language/numbers.js';
import type { Field, Message, Span, Value } from '../../language/syntax-tree.js';
import { describeValue } from '../../schema/decode-proto.js';
import { evaluate, type Env } from './evaluate.js';

export interface ReadContext {
  diagnostics: DiagnosticBag;
  env: Env;
}

/** A value type: how to read one (already evaluated) value, and how to describe it. */
export interface Ty<T> {
  readonly describe: string;
  read(v: Value, ctx: ReadContext, field: Field): T | undefined;
}

function mismatch(ctx: ReadContext, field: Field, v: Value, expected: string, hint?: string): undefined {
  ctx.diagnostics.error('nnspec/type-mismatch', `'${field.name}' expects ${expected}, got ${describeValue(v)}`, v, { hint });
  return undefined;
}

export const t = {
  int(min = -Infinity, max = Infinity): Ty<number> {
    const describe = min === 1 ? 'a positive integer' : min === 0 ? 'a non-negative integer' : 'an integer';
    return {
      describe,
      read(v, ctx, field) {
        if (v.kind !== 'number' || !Number.isInteger(v.value)) return mismatch(ctx, field, v, describe);
        if (v.value < min || v.value > max) {
          ctx.diagnostics.error('nnspec/out-of-range', `'${field.name}' must be ${max === Infinity ? `at least ${min}` : `between ${min} and ${max}`}, got ${v.value}`, v);
          return undefined;
        }
        return v.value;
      },
    };
  },
  num(min = -Infinity, max = Infinity, opts: { exclusiveMin?: boolean; exclusiveMax?: boolean } = {}): Ty<number> {
    const bounds =
      min === -Infinity && max === Infinity
        ? ''
        : ` ${opts.exclusiveMin ? '(' : '['}${min === -Infinity ? '−∞' : min}, ${max === Infinity ? '∞' : max}${opts.exclusiveMax ? ')' : ']'}`;
    const describe = `a number${bounds ? ` in${bounds}` : ''}`;
    return {
      describe,
      read(v, ctx, field) {
        let x: number | undefined;
        if (v.kind === 'number') x = v.value;
        else if (v.kind === 'ident') x = specialFloat(v.name);
        if (x === undefined) return mismatch(ctx, field, v, 'a number');
        const low = opts.exclusiveMin ? x <= min : x < min;
        const high = opts.exclusiveMax ? x >= max : x > max;
        if (low || high || Number.isNaN(x)) {
          ctx.diagnostics.error('nnspec/out-of-range', `'${field.name}' must be ${describe.replace('a number ', '')}, got ${x}`, v);
          return undefined;
        }
        return x;
      },
    };
  },
  bool: {
    describe: 'true or false',
    read(v, ctx, field) {
      if (v.kind === 'ident' && (v.name === 'true' || v.name === 'false')) return v.name === 'true';
      return mismatch(ctx, field, v, 'true or false');
    },
  } as Ty<boolean>,
  string: {
    describe: 'a quoted string',
    read(v, ctx, field) {
      if (v.kind === 'string') return v.value;
      return mismatch(ctx, field, v, 'a quoted string', v.kind === 'ident' ? `write it in quotes: "${v.name}"` : undefined);
    },
  } as Ty<string>,
  /** A layer, blob or block name: an identifier or a quoted string (for names such as "inception_3a/1x1"). */
  name: {
    describe: 'a name',
    read(v, ctx, field) {
      if (v.kind === 'ident') return v.name;
      if (v.kind === 'string' && v.value.length > 0) return v.value;
      return mismatch(ctx, field, v, 'a name (an identifier or a quoted string)');
    },
  } as Ty<string>,
  oneOf<V extends string>(values: readonly V[]): Ty<V> {
    const describe = values.map((x) => `'${x}'`).join(', ');
    return {
      describe: `one of ${describe}`,
      read(v, ctx, field) {
        const name = v.kind === 'ident' ? v.name : v.kind === 'string' ? v.value : undefined;
        if (name !== undefined && (values as readonly string[]).includes(name)) return name as V;
        if (name === undefined) return mismatch(ctx, field, v, `one of ${describe}`);
        ctx.diagnostics.error('nnspec/unknown-value', `'${field.name}' must be one of ${describe}, got '${name}'`, v, { hint: didYouMean(name, values) });
        return undefined;
      },
    };
  },
  /** One value, or a list: `kernel: 3` or `kernel: [3, 5]`. */
  list<T>(item: Ty<T>, opts: { minItems?: number; maxItems?: number } = {}): Ty<T[]> {
    return {
      describe: `${item.describe} or a list of them`,
      read(v, ctx, field) {
        const items = v.kind === 'list' ? v.items : [v];
        if (v.kind === 'list' && (items.length < (opts.minItems ?? 0) || items.length > (opts.maxItems ?? Infinity))) {
          const want = opts.minItems === opts.maxItems ? `${opts.minItems}` : `${opts.minItems ?? 0} to ${opts.maxItems}`;
          ctx.diagnostics.error('nnspec/list-length', `'${field.name}' takes ${want} value${want === '1' ? '' : 's'}, got ${items.length}`, v);
          return undefined;
        }
        const out: T[] = [];
        for (const i of items) {
          if (i.kind === 'missing') return undefined;
          const x = item.read(i, ctx, field);
          if (x === undefined) return undefined;
          out.push(x);
        }
        return out;
      },
    };
  },
  /** A tensor dimension: a non-negative integer, or a name for a symbolic size such as the batch `N`. */
  dim: {
    describe: 'a dimension (an integer, or a name such as N)',
    read(v, ctx, field) {
      if (v.kind === 'ident') return v.name;
      if (v.kind === 'number' && Number.isInteger(v.value) && v.value >= 0) return v.value;
      return mismatch(ctx, field, v, 'a dimension (a non-negative integer, or a name such as N)');
    },
  } as Ty<number | string>,
  /** A message, read by the caller. */
  message: {
    describe: 'a message { … }',
    read(v, ctx, field) {
      if (v.kind === 'message') return v;
      return mismatch(ctx, field, v, 'a message { … }');
    },
  } as Ty<Message>,
};

export interface FieldDecl<T = unknown> {
  type: Ty<T>;
  doc: string;
  default?: T;
  required?: boolean;
  /** The field may be written several times (each value is collected). */
  repeated?: boolean;
}

export type Decls = Record<string, FieldDecl>;

type ValueOf<D> = D extends FieldDecl<infer T> ? T : never;
export type Values<D extends Decls> = {
  [K in keyof D]: D[K] extends { repeated: true } ? ValueOf<D[K]>[] : D[K] extends { required: true } | { default: unknown } ? ValueOf<D[K]> : ValueOf<D[K]> | undefined;
};

export const req = <T>(type: Ty<T>, doc: string): FieldDecl<T> & { required: true } => ({ type, doc, required: true });
export const opt = <T>(type: Ty<T>, def: T, doc: string): FieldDecl<T> & { default: T } => ({ type, doc, default: def });
export const maybe = <T>(type: Ty<T>, doc: string): FieldDecl<T> => ({ type, doc });
export const many = <T>(type: Ty<T>, doc: string): FieldDecl<T> & { repeated: true } => ({ type, doc, repeated: true });

/** Words people reach for that nnspec spells differently, with what to write instead. */
export type Aliases = Record<string, string>;

export interface ReadResult<D extends Decls> {
  values: Values<D>;
  /** Where each written field is (its value), for later diagnostics. */
  spans: Partial<Record<keyof D, Span>>;
  /** Whether every field read cleanly. */
  ok: boolean;
}

/**
 * Reads `msg` against `decls`. `what` names the thing for messages ("Conv", "train"),
 * `skip` lists fields another reader handles (a layer's name, bottom, …), `aliases` turns
 * familiar-but-wrong names into a precise hint.
 */
export function readMessage<D extends Decls>(
  msg: Message,
  decls: D,
  ctx: ReadContext,
  what: string,
  options: { skip?: ReadonlySet<string>; aliases?: Aliases; at?: Span } = {},
): ReadResult<D> {
  const values: Record<string, unknown> = {};
  const spans: Record<string, Span> = {};
  let ok = true;
  const seen = new Set<string>();
  const failed = new Set<string>();
  /** Names suggested for unknown fields: a misspelt field is not reported missing as well. */
  const suggested = new Set<string>();
  for (const field of msg.fields) {
    if (options.skip?.has(field.name)) continue;
    const decl = decls[field.name];
    if (!decl) {
      ok = false;
      const alias = options.aliases?.[field.name];
      const close = closest(field.name, [...Object.keys(decls), ...(options.skip ?? [])]);
      if (close) suggested.add(close);
      for (const m of alias?.matchAll(/'(\w+)/g) ?? []) suggested.add(m[1]!);
      ctx.diagnostics.error('nnspec/unknown-field', `${what} has no field '${field.name}'`, { start: field.start, end: field.start + field.name.length }, {
        hint: alias ?? (close ? `did you mean '${close}'?` : undefined),
      });
      continue;
    }
    if (seen.has(field.name) && !decl.repeated) {
      ok = false;
      ctx.diagnostics.error('nnspec/duplicate-field', `'${field.name}' is given more than once in ${what}`, { start: field.start, end: field.start + field.name.length });
      continue;
    }
    seen.add(field.name);
    const value = evaluate(field.value, ctx.env, ctx.diagnostics);
    // A value that failed (already reported) still counts as written: no "missing" cascade.
    failed.add(field.name);
    if (value.kind === 'missing') {
      ok = false;
      continue;
    }
    const x = decl.type.read(value, ctx, field);
    if (x === undefined) {
      ok = false;
      continue;
    }
    failed.delete(field.name);
    if (decl.repeated) ((values[field.name] ??= []) as unknown[]).push(x);
    else values[field.name] = x;
    spans[field.name] ??= value;
  }
  for (const [name, decl] of Object.entries(decls)) {
    if (name in values || failed.has(name) || suggested.has(name)) continue;
    if (decl.repeated) values[name] = [];
    else if (decl.default !== undefined) values[name] = decl.default;
    else if (decl.required) {
      ok = false;
      ctx.diagnostics.error('nnspec/missing-field', `${what} needs '${name}' (${decl.doc})`, options.at ?? { start: msg.start, end: Math.min(msg.end, msg.start + 1) });
    }
  }
  return { values: values as Values<D>, spans: spans as ReadResult<D>['spans'], ok };
}
