/**
 * What every layer writer shares: its type, the table type that makes the checker insist on
 * every operation, and the small helpers for fields, fillers and param blocks.
 */
import { constant, type Filler } from '../../ir/filler.js';
import type { NodeOf } from '../../ir/graph.js';
import type { OpName } from '../../ir/ops/index.js';
import type { WriterContext } from './context.js';
import type { ProtoObject, ProtoValue } from './proto-text.js';

export type Writer<O extends OpName> = (ctx: WriterContext, node: NodeOf<O>) => ProtoObject[] | null;
export type WriterTable = { [O in OpName]: Writer<O> };

export const ZERO = constant(0);

export const one = (layer: ProtoObject): ProtoObject[] => [layer];
export const unlessEqual = <T extends ProtoValue>(value: T, dflt: T): T | undefined => (value === dflt ? undefined : value);

export function simple(type: string): Writer<OpName> {
  return (ctx) => one(ctx.layer(type));
}

/** A layer's fillers; null when one was refused. */
export function fillers(ctx: WriterContext, spec: [field: string, blob: string, fallback: Filler][]): ProtoObject | null {
  const out: ProtoObject = {};
  for (const [field, blob, fallback] of spec) {
    const f = ctx.filler(blob, fallback);
    if (f === null) return null;
    out[field] = f;
  }
  return out;
}

export function withParams(ctx: WriterContext, layer: ProtoObject): ProtoObject {
  const param = ctx.paramSpecs(ctx.node.params);
  return param ? { ...layer, param } : layer;
}
