/**
 * What the translators share: the layout rules of the tfjs lowering (src/backends/tfjs/layout.ts)
 * as graph nodes (rank-4 values may be held NHWC while IR axes stay NCHW), reshapes that keep the
 * batch axis free, and the weight rearrangements done once at export instead of in the graph.
 */
import type { Node, NodeOf } from '../../ir/graph.js';
import type { OpName } from '../../ir/ops/index.js';
import type { WeightTensor } from '../../weights/ir-weights.js';
import { attr, type GraphBuilder, type Value } from './graph-def.js';

/** A translator's result: the tensor and its layout (the exporter adds the IR shape from the analysis). */
export interface Held {
  ref: string;
  cl: boolean;
}

export interface EmitContext {
  g: GraphBuilder;
  node: Node;
  /** The prefix of the layer's node names. */
  scope: string;
  /** The layer's parameter in the IR's layout. */
  param(name: string): WeightTensor;
  /**
   * Says the graph needs the compiled batch size (`why` names the layer's feature): the batch
   * axis of the inputs is then fixed instead of free, and a spec whose batch is a symbol (N)
   * cannot be exported.
   */
  fixBatch(why: string): void;
}

export type Emit = (inputs: Value[], ctx: EmitContext) => Held[];
export type Translated = Emit | { unsupported: string };

/** The node's analysed shapes (all known: the exporter checks before translating). */
export interface NodeInfo {
  inputs: number[][];
  outputs: number[][];
}

export type Translate<O extends OpName> = (node: NodeOf<O>, info: NodeInfo) => Translated;

export const unsupported = (feature: string): Translated => ({ unsupported: feature });

const TO_CL = [0, 2, 3, 1];
const TO_IR = [0, 3, 1, 2];
const CL_AXIS = [0, 3, 1, 2];

export function heldAxis(v: { cl: boolean }, axis: number): number {
  return v.cl ? CL_AXIS[axis]! : axis;
}

export function toCl(ctx: EmitContext, v: Value): Value {
  if (v.cl) return v;
  return { ref: ctx.g.op(ctx.scope, 'Transpose', [v.ref, ctx.g.ints(TO_CL)], { T: attr.float(), Tperm: { type: 'DT_INT32' } }), cl: true, shape: v.shape };
}

export function toIr(ctx: EmitContext, v: Value): Value {
  if (!v.cl) return v;
  return { ref: ctx.g.op(ctx.scope, 'Transpose', [v.ref, ctx.g.ints(TO_IR)], { T: attr.float(), Tperm: { type: 'DT_INT32' } }), cl: false, shape: v.shape };
}

/** One layout for all: channels-last when any is and all are rank 4, else the IR's. */
export function unify(ctx: EmitContext, values: Value[]): Value[] {
  const cl = values.some((v) => v.cl) && values.every((v) => v.shape.length === 4);
  return values.map((v) => (cl ? toCl(ctx, v) : toIr(ctx, v)));
}

/** A Reshape to `shape`; the batch axis stays free when the reshape keeps it in place. */
export function reshape(ctx: EmitContext, ref: string, shape: readonly number[], keepsBatch: boolean): string {
  const target = [...shape];
  if (keepsBatch && !ctx.g.batchFixed && target.length > 0) target[0] = -1;
  else if (!keepsBatch) ctx.fixBatch('a reshape across the batch axis');
  return ctx.g.op(ctx.scope, 'Reshape', [ref, ctx.g.ints(target)], { T: attr.float(), Tshape: { type: 'DT_INT32' } });
}

/** A two-input elementwise node (AddV2, Mul, Sub, RealDiv, Maximum, Minimum, Pow, Greater). */
export function binary(ctx: EmitContext, op: string, a: string, b: string): string {
  return ctx.g.op(ctx.scope, op, [a, b], { T: attr.float() });
}

export function unary(ctx: EmitContext, op: string, x: string): string {
  return ctx.g.op(ctx.scope, op, [x], { T: attr.float() });
}

/** A per-channel vector as a constant that broadcasts against `v` along IR axis 1. */
export function perChannel(ctx: EmitContext, v: Value, label: string, data: Float32Array): string {
  const rank = v.shape.length;
  const shape = v.cl || rank <= 2 ? [data.length] : [data.length, ...Array<number>(rank - 2).fill(1)];
  return ctx.g.constant(ctx.scope, label, data, shape);
}

/** `data` (row-major, `shape`) with its axes permuted: out axis i is in axis perm[i]. */
export function permute(data: Float32Array, shape: readonly number[], perm: readonly number[]): { data: Float32Array; shape: number[] } {
  const rank = shape.length;
  const outShape = perm.map((p) => shape[p]!);
  const inStrides = new Array<number>(rank);
  let s = 1;
  for (let i = rank - 1; i >= 0; i--) {
    inStrides[i] = s;
    s *= shape[i]!;
  }
  const strides = perm.map((p) => inStrides[p]!);
  const out = new Float32Array(data.length);
  if (rank === 0 || out.length === 0) return { data: out.fill(data[0] ?? 0), shape: outShape };
  // An odometer over all but the last output axis; the last one is a strided run (weights reach 10⁸ values).
  const last = rank - 1;
  const n = outShape[last]!;
  const step = strides[last]!;
  const index = new Array<number>(last).fill(0);
  let base = 0;
  for (let o = 0; o < out.length; o += n) {
    for (let j = 0, at = base; j < n; j++, at += step) out[o + j] = data[at]!;
    for (let i = last - 1; i >= 0; i--) {
      base += strides[i]!;
      if (++index[i]! < outShape[i]!) break;
      base -= strides[i]! * outShape[i]!;
      index[i] = 0;
    }
  }
  return { data: out, shape: outShape };
}

export const product = (dims: readonly number[]): number => dims.reduce((a, b) => a * b, 1);
