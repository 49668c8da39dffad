/**
 * IR (NCHW) axes against held (NHWC) axes. A channels-last value is always rank 4; its IR axis
 * 1 (channels) is held last and the spatial axes move forward by one.
 */
import type { Tensor, Tf, Value } from './types.js';

const TO_CL = [0, 2, 3, 1];
const TO_IR = [0, 3, 1, 2];
const CL_AXIS = [0, 3, 1, 2];

/** The value in the IR's layout. */
export function ir(tf: Tf, v: Value): Tensor {
  return v.cl ? tf.transpose(v.t, TO_IR) : v.t;
}

/** A rank-4 value channels-last. */
export function cl(tf: Tf, v: Value): Tensor {
  return v.cl ? v.t : tf.transpose(v.t, TO_CL);
}

export const irValue = (t: Tensor): Value => ({ t, cl: false });
export const clValue = (t: Tensor): Value => ({ t, cl: true });

/** The held axis of IR axis `axis` (non-negative). */
export function heldAxis(v: Value, axis: number): number {
  return v.cl ? CL_AXIS[axis]! : axis;
}

/** The value's shape in IR axis order. */
export function irShape(v: Value): number[] {
  const s = v.t.shape;
  return v.cl ? [s[0]!, s[3]!, s[1]!, s[2]!] : [...s];
}

/** A per-channel vector [C] shaped to broadcast against the value along IR axis 1. */
export function perChannel(tf: Tf, v: Value, vector: Tensor): Tensor {
  if (v.cl) return vector;
  const rank = v.t.rank;
  return tf.reshape(vector, [-1, ...Array<number>(Math.max(0, rank - 2)).fill(1)]);
}

/** Brings values to one layout: channels-last when any is and all are rank 4, else the IR's. */
export function unify(tf: Tf, values: Value[]): Value[] {
  const toCl = values.some((v) => v.cl) && values.every((v) => v.t.rank === 4);
  return values.map((v) => (toCl ? clValue(cl(tf, v)) : irValue(ir(tf, v))));
}

/** Keeps a value's layout for an elementwise result. */
export const same = (v: Value, t: Tensor): Value => ({ t, cl: v.cl });
