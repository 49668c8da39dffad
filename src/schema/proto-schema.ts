/**
 * A small, typed description of protobuf messages, enough to read text-format files the way
 * protoc does: field types, repeated-ness, enums and the defaults caffe.proto declares.
 *
 * Schemas are plain data (they also drive documentation and the Caffe printer) and carry
 * their TypeScript types, so `Decoded<typeof ConvolutionParameter>` is the type a binder sees.
 */

import type { Field, Message } from '../language/syntax-tree.js';

/** The syntax node a decoded message came from (for spans); symbol-keyed so JSON ignores it. */
export const NODE = Symbol('syntax node');
/** Fields the schema does not know, kept for the caller when asked. */
export const UNKNOWN = Symbol('unknown fields');

/** Fields set by code rather than read from the text (legacy upgrades); they count as written. */
export const WRITTEN = Symbol('fields set by an upgrade');
/** Which fields the text wrote: a bit set over the schema's field indices, 32 fields per word. */
export const PRESENT0: unique symbol = Symbol('present 0-31');
export const PRESENT1: unique symbol = Symbol('present 32-63');
export const PRESENT2: unique symbol = Symbol('present 64-95');
export const PRESENT = [PRESENT0, PRESENT1, PRESENT2] as const;

export interface DecodedMeta {
  [NODE]: Message;
  [UNKNOWN]?: Field[];
  [WRITTEN]?: Set<string>;
  [PRESENT0]?: number;
  [PRESENT1]?: number;
  [PRESENT2]?: number;
}

export type ScalarKind = 'int32' | 'uint32' | 'int64' | 'uint64' | 'float' | 'double' | 'bool' | 'string' | 'bytes';

export interface EnumSpec<V extends string = string> {
  readonly name: string;
  readonly values: Readonly<Record<V, number>>;
}

interface FieldBase {
  readonly repeated: boolean;
  /** Why the field should not be used (shown as a note); deprecated fields still bind. */
  readonly deprecated?: string;
  /** Not in BVLC Caffe: the fork that defines it, shown in a warning. */
  readonly fork?: string;
}

export interface ScalarField<T = unknown, D extends boolean = boolean> extends FieldBase {
  readonly kind: ScalarKind;
  readonly default?: T;
  /** Phantom: whether a default exists (fixes the decoded type). */
  readonly _hasDefault?: D;
}

export interface EnumField<V extends string = string, D extends boolean = boolean> extends FieldBase {
  readonly kind: 'enum';
  readonly enum: EnumSpec<V>;
  readonly default?: V;
  readonly _hasDefault?: D;
}

export interface MessageField<M extends MessageSpec = MessageSpec> extends FieldBase {
  readonly kind: 'message';
  /** A thunk, so messages can refer to each other (NetParameter ↔ LayerParameter). */
  readonly message: () => M;
}

export type FieldSpec = ScalarField | EnumField | MessageField;

export interface MessageSpec<F extends Record<string, FieldSpec> = Record<string, FieldSpec>> {
  readonly name: string;
  readonly fields: F;
}

type Opts<T> = { default?: T; deprecated?: string; fork?: string };

type ScalarTypeOf<K extends ScalarKind> = K extends 'bool' ? boolean : K extends 'string' | 'bytes' ? string : number;

function scalar<K extends ScalarKind>(kind: K) {
  function make(): ScalarField<ScalarTypeOf<K>, false>;
  function make(opts: Opts<ScalarTypeOf<K>> & { default: ScalarTypeOf<K> }): ScalarField<ScalarTypeOf<K>, true>;
  function make(opts: Omit<Opts<ScalarTypeOf<K>>, 'default'>): ScalarField<ScalarTypeOf<K>, false>;
  function make(opts: Opts<ScalarTypeOf<K>> = {}): ScalarField<ScalarTypeOf<K>, boolean> {
    return { kind, repeated: false, ...opts };
  }
  return make;
}

export const int32 = scalar('int32');
export const uint32 = scalar('uint32');
export const int64 = scalar('int64');
export const uint64 = scalar('uint64');
export const float = scalar('float');
export const double = scalar('double');
export const bool = scalar('bool');
export const string = scalar('string');
export const bytes = scalar('bytes');

export function enumOf<V extends string>(e: EnumSpec<V>): EnumField<V, false>;
export function enumOf<V extends string>(e: EnumSpec<V>, opts: Opts<V> & { default: V }): EnumField<V, true>;
export function enumOf<V extends string>(e: EnumSpec<V>, opts: Omit<Opts<V>, 'default'>): EnumField<V, false>;
export function enumOf<V extends string>(e: EnumSpec<V>, opts: Opts<V> = {}): EnumField<V, boolean> {
  return { kind: 'enum', enum: e, repeated: false, ...opts };
}

export function messageOf<M extends MessageSpec>(m: () => M, opts: Omit<Opts<never>, 'default'> = {}): MessageField<M> {
  return { kind: 'message', message: m, repeated: false, ...opts };
}

/** The repeated form of a field (`repeated uint32 pad = 3;`). */
export function repeated<F extends FieldSpec>(f: F): F & { readonly repeated: true } {
  return { ...f, repeated: true } as F & { readonly repeated: true };
}

export function enumSpec<V extends string>(name: string, values: Record<V, number>): EnumSpec<V> {
  return { name, values };
}

export function message<F extends Record<string, FieldSpec>>(name: string, fields: F): MessageSpec<F> {
  return { name, fields };
}

// ---- decoded types ----

type ValueOf<F> =
  F extends MessageField<infer M> ? Decoded<M> : F extends EnumField<infer V> ? V : F extends ScalarField<infer T> ? T : never;

type HasDefault<F> = F extends { _hasDefault?: infer D } ? (D extends true ? true : false) : false;

export type Decoded<M extends MessageSpec> = DecodedMeta & {
  -readonly [K in keyof M['fields']]: M['fields'][K] extends { repeated: true }
    ? ValueOf<M['fields'][K]>[]
    : HasDefault<M['fields'][K]> extends true
      ? ValueOf<M['fields'][K]>
      : ValueOf<M['fields'][K]> | undefined;
};
