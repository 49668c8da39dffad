/**
 * How an IR operation is described, in one place: its framework-neutral attributes (a JSON
 * Schema that is also its TypeScript type), how many inputs and outputs it takes, the
 * parameter blobs it owns and their shapes, its shape rule, how its output positions map to
 * input positions (receptive fields) and its cost. Every rule is a pure function of the
 * attributes and the input shapes; a rule that finds the inputs inconsistent throws a
 * ShapeError, which the shape pass reports against the layer.
 */
import type { Static, TObject } from '@sinclair/typebox';
import type { Shape } from './dims.js';
import type { SchemaKit } from './schema-kit.js';

export type { Dim, Shape } from './dims.js';

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
  /** Output shapes (null: not known before the data is seen). */
  shape: (attrs: Static<A>, inputs: Shape[], outputCount: number) => (Shape | null)[];
  /** Shapes of the parameter blobs, in the order of `params`. */
  paramShapes: (attrs: Static<A>, inputs: Shape[]) => Shape[];
  /** How output positions relate to input positions on the spatial axes (axes 2…). */
  spatial: (attrs: Static<A>, inputs: Shape[]) => SpatialMap;
  /** Multiply-accumulates for one example (axis 0 excluded); see the README's conventions. */
  macs: (attrs: Static<A>, inputs: Shape[], outputs: Shape[]) => number | null;
}

/**
 * The receptive-field rule of an operation, per spatial axis:
 * - `pointwise`: output position i depends on input position i only (activations, channel ops);
 * - `window`: on `kernel` input positions (dilation already folded in) starting at
 *   i·stride − pad_begin (convolution, pooling);
 * - `upsample`: a transposed window: input j feeds outputs j·stride − pad_begin … + kernel − 1;
 * - `shift`: position i reads input position i + offset (Crop; only the first input counts);
 * - `global`: every output depends on every input position (fully connected, global pooling);
 * - `merge`: combines its inputs position by position (Eltwise, Concat over channels);
 * - `none`: the output has no spatial axes that relate to the input's (losses, reshapes that
 *   scramble positions);
 * - `unknown`: nnspec cannot tell (opaque layers).
 */
export type SpatialMap =
  | { kind: 'pointwise' | 'global' | 'merge' | 'none' | 'unknown' }
  | { kind: 'window' | 'upsample'; kernel: number[]; stride: number[]; pad_begin: number[] }
  | { kind: 'shift'; offset: number[] };

export const POINTWISE: SpatialMap = { kind: 'pointwise' };
export const GLOBAL: SpatialMap = { kind: 'global' };
export const MERGE: SpatialMap = { kind: 'merge' };
export const NOT_SPATIAL: SpatialMap = { kind: 'none' };

export const pointwise = (): SpatialMap => POINTWISE;
export const noMacs = (): number => 0;
export const noParamShapes = (): Shape[] => [];

export function defineOp<N extends string, A extends TObject>(def: OpDefinition<N, A>): OpDefinition<N, A> {
  return def;
}

export const none = (): string[] => [];

/** Output i has input i's shape (activations, dropout, normalisations). */
export const sameShapes = (_attrs: unknown, inputs: Shape[], outputCount: number): Shape[] => {
  if (outputCount === 1) return [inputs[0]!];
  const out: Shape[] = [];
  for (let i = 0; i < outputCount; i++) out.push(inputs[Math.min(i, inputs.length - 1)]!);
  return out;
};
