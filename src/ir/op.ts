/**
 * How an IR operation is described: its framework-neutral attributes (a JSON Schema that is
 * also its TypeScript type), how many inputs and outputs it takes, and which parameter blobs
 * it owns. Later passes add shape, receptive-field and cost rules to the same definitions.
 */
import type { Static, TObject } from '@sinclair/typebox';
import type { SchemaKit } from './schema-kit.js';

export type OpCategory = 'data' | 'convolution' | 'pooling' | 'dense' | 'normalization' | 'activation' | 'regularization' | 'tensor' | 'loss' | 'other';

export interface Arity {
  min: number;
  /** Infinity for "any number". */
  max: number;
}

export interface OpDefinition<N extends string = string, A extends TObject = TObject> {
  name: N;
  category: OpCategory;
  /** One line for the generated reference. */
  summary: string;
  /** The attribute schema, built from the kit on demand (see schema-kit.ts). */
  attrs: (k: SchemaKit) => A;
  inputs: Arity;
  /** `'per-input'`: one output per input (Caffe layers that map each bottom to a top). */
  outputs: Arity | 'per-input';
  /** Names of the parameter blobs this node owns, in Caffe's blob order. */
  params: (attrs: Static<A>, inputCount: number) => string[];
}

export function defineOp<N extends string, A extends TObject>(def: OpDefinition<N, A>): OpDefinition<N, A> {
  return def;
}

export const none = (): string[] => [];

export type Dim = number | string;
export type Shape = Dim[];
