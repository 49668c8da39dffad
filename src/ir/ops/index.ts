/**
 * The registry of IR operations. Backends and passes key their tables by these names, and
 * `Record<OpName, …>` makes the type checker insist that every operation is handled.
 */
import type { Static } from '@sinclair/typebox';
import type { OpDefinition } from '../op.js';
import * as activation from './activation.js';
import * as convolution from './convolution.js';
import * as data from './data.js';
import * as dense from './dense.js';
import * as loss from './loss.js';
import * as normalization from './normalization.js';
import * as pooling from './pooling.js';
import * as regularization from './regularization.js';
import * as tensor from './tensor.js';

/** Each module exports its operations under their own names (`export const conv = defineOp({ name: 'conv', … })`). */
export const OPS = {
  ...data,
  ...convolution,
  ...pooling,
  ...dense,
  ...normalization,
  ...activation,
  ...regularization,
  ...tensor,
  ...loss,
} as const;

export type OpName = keyof typeof OPS;
export type AttrsOf<O extends OpName> = Static<ReturnType<(typeof OPS)[O]['attrs']>>;

export function isOpName(name: string): name is OpName {
  return Object.prototype.hasOwnProperty.call(OPS, name);
}

export function opDefinition(name: OpName): OpDefinition {
  return OPS[name] as unknown as OpDefinition;
}

export const OP_NAMES = Object.keys(OPS) as OpName[];
