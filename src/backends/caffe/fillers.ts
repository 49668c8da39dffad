/**
 * IR fillers → Caffe FillerParameter, the inverse of src/dialects/caffe/fillers.ts. Caffe
 * `xavier` is {uniform, fan, scale 1} and `msra` {normal, fan, scale 2}; any other
 * variance-scaling filler (PyTorch's default kaiming_uniform(a=√5), LeCun, …) draws from a
 * fixed distribution once the blob's shape is known, so it is written as the equivalent
 * `uniform` or `gaussian` with the bounds computed from the analysed shape.
 */
import type { Filler } from '../../ir/filler.js';
import { RAW, type ProtoObject } from './proto-text.js';

export type FillerResult =
  | { ok: true; filler: ProtoObject | undefined; rewritten?: string }
  | { ok: false; why: string };

const NORMS = { fan_in: 'FAN_IN', fan_out: 'FAN_OUT', fan_avg: 'AVERAGE' } as const;

/** Equal up to the rounding of a computed gain (PyTorch's calculate_gain('relu')² is 2.0000000000000004). */
export const near = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));

function sameFiller(a: Filler, b: Filler): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Caffe's fans (filler.hpp): fan_in = count / shape[0], fan_out = count / shape[1] (count for a 1-axis blob). */
export function fans(shape: readonly number[]): { fan_in: number; fan_out: number; fan_avg: number } {
  const count = shape.reduce((x, y) => x * y, 1);
  const fan_in = shape.length > 0 ? count / shape[0]! : count;
  const fan_out = shape.length > 1 ? count / shape[1]! : count;
  return { fan_in, fan_out, fan_avg: (fan_in + fan_out) / 2 };
}

/**
 * `fallback` is what the Caffe reader assumes when the layer writes no filler (then none is
 * written); `shapes` gives the blob's own shape and the layer's weight shape when known.
 */
export function caffeFiller(f: Filler, fallback: Filler, shapes: { self: number[] | null; weight: number[] | null }): FillerResult {
  if (sameFiller(f, fallback)) return { ok: true, filler: undefined };
  const r = toCaffe(f, shapes);
  // The type is written even when it is Caffe's default 'constant', as every Caffe net does.
  if (r.ok && r.filler) r.filler[RAW] = true;
  return r;
}

function toCaffe(f: Filler, shapes: { self: number[] | null; weight: number[] | null }): FillerResult {
  switch (f.type) {
    case 'constant':
      return { ok: true, filler: { type: 'constant', value: f.value === 0 ? undefined : f.value } };
    case 'uniform':
      return { ok: true, filler: { type: 'uniform', min: f.min === 0 ? undefined : f.min, max: f.max === 1 ? undefined : f.max } };
    case 'normal':
      return {
        ok: true,
        filler: { type: 'gaussian', mean: f.mean === 0 ? undefined : f.mean, std: f.std === 1 ? undefined : f.std, sparse: f.sparse === -1 ? undefined : f.sparse },
      };
    case 'bilinear':
    case 'positive_unitball':
      return { ok: true, filler: { type: f.type } };
    case 'orthogonal':
      return { ok: false, why: 'an orthogonal initialisation (Caffe has no orthogonal filler)' };
    case 'variance_scaling': {
      const norm = NORMS[f.mode];
      const variance_norm = norm === 'FAN_IN' ? undefined : norm;
      if (f.fan_of === 'self' && f.distribution === 'uniform' && near(f.scale, 1)) return { ok: true, filler: { type: 'xavier', variance_norm } };
      if (f.fan_of === 'self' && f.distribution === 'normal' && near(f.scale, 2)) return { ok: true, filler: { type: 'msra', variance_norm } };
      if (f.distribution === 'truncated_normal') return { ok: false, why: 'a truncated-normal initialisation (Caffe has no truncated filler)' };
      const shape = f.fan_of === 'self' ? shapes.self : shapes.weight;
      if (!shape || shape.some((d) => !Number.isInteger(d))) {
        return { ok: false, why: `a ${f.distribution} variance-scaling initialisation (scale ${f.scale}, ${f.mode}${f.fan_of === 'weight' ? ' of the weight' : ''}) whose fan is unknown without the input shape` };
      }
      const n = fans(shape)[f.mode];
      const what = `variance-scaling ${f.distribution} (scale ${f.scale}, ${f.mode} ${n}${f.fan_of === 'weight' ? ' of the weight' : ''})`;
      if (f.distribution === 'uniform') {
        const limit = Math.sqrt((3 * f.scale) / n);
        return { ok: true, filler: { type: 'uniform', min: -limit, max: limit }, rewritten: `${what} written as uniform ±${limit}` };
      }
      const std = Math.sqrt(f.scale / n);
      return { ok: true, filler: { type: 'gaussian', std }, rewritten: `${what} written as gaussian std ${std}` };
    }
  }
}
