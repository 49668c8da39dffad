/**
 * Initialisers and parameter blocks (`weight { init: … lr_mult: … }`) as nnspec writes them
 * (src/dialects/nnspec/init.ts). Each filler is printed in the form that reads back as the
 * same filler, bit for bit; one nnspec cannot state (Caffe's sparse Gaussian) is refused.
 */
import { activationVariance, TORCH_DEFAULT_BIAS, TORCH_DEFAULT_WEIGHT, type Filler } from '../../ir/filler.js';
import type { ParamBlob } from '../../ir/graph.js';
import { Msg, name, num, unsupported, type Value } from './text.js';

export type InitRole = 'weight' | 'bias' | 'other';

export function deepEqual(a: unknown, b: unknown): boolean {
  // -0 is not the default 0: it must be written to come back.
  if (typeof a === 'number' && typeof b === 'number') return Object.is(a, b);
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

type Scaling = Extract<Filler, { type: 'variance_scaling' }>;

/** Named initialisers that need no parameters, most familiar spelling first. */
const NAMED: [string, Omit<Scaling, 'type' | 'fan_of'>][] = [
  ['xavier', { distribution: 'uniform', mode: 'fan_avg', scale: 1 }],
  ['xavier_normal', { distribution: 'normal', mode: 'fan_avg', scale: 1 }],
  ['kaiming', { distribution: 'normal', mode: 'fan_in', scale: 2 }],
  ['kaiming_uniform', { distribution: 'uniform', mode: 'fan_in', scale: 2 }],
  ['lecun', { distribution: 'normal', mode: 'fan_in', scale: 1 }],
];

/** A gain whose square, as the binder computes it, is exactly `scale`. */
function gainFor(scale: number): number | null {
  const g = Math.sqrt(scale);
  const buf = new Float64Array(1);
  const bits = new BigInt64Array(buf.buffer);
  buf[0] = g;
  for (const d of [0n, 1n, -1n, 2n, -2n]) {
    const probe = new Float64Array(new BigInt64Array([bits[0]! + d]).buffer)[0]!;
    if (probe * probe === scale) return probe;
  }
  return null;
}

function scaling(f: Scaling, role: InitRole): Value {
  if (f.fan_of === 'weight') {
    if (role === 'bias' && deepEqual(f, TORCH_DEFAULT_BIAS)) return 'torch_default';
    unsupported(`a variance-scaling initialiser computed from another blob's fan (only PyTorch's default bias init does that)`);
  }
  if (role !== 'bias' && deepEqual(f, TORCH_DEFAULT_WEIGHT)) return 'torch_default';
  for (const [n, s] of NAMED) if (s.distribution === f.distribution && s.mode === f.mode && s.scale === f.scale) return n;
  // kaiming's scale is the square of the nonlinearity's gain (exact: relu 2, tanh 25/9, selu 9/16).
  for (const nl of ['relu', 'tanh', 'selu'] as const) {
    if (activationVariance(nl) === f.scale) {
      const k = new Msg([['type', 'kaiming']]);
      if (f.distribution !== 'normal') k.add('distribution', f.distribution);
      if (f.mode !== 'fan_in') k.add('mode', f.mode);
      return k.add('nonlinearity', nl);
    }
  }
  // Otherwise xavier with a gain (Caffe's xavier is { type: xavier mode: fan_in }).
  const msg = new Msg([['type', 'xavier']]);
  if (f.distribution !== 'uniform') msg.add('distribution', f.distribution);
  if (f.mode !== 'fan_avg') msg.add('mode', f.mode);
  if (f.scale !== 1) {
    const g = gainFor(f.scale);
    if (g === null) unsupported(`the initialiser ${f.distribution}/${f.mode} with scale ${num(f.scale)}: no gain squares to it exactly`);
    msg.add('gain', num(g));
  }
  return msg;
}

/** The value of `init:` that reads back as `f` for a parameter of this role. */
export function initValue(f: Filler, role: InitRole): Value {
  switch (f.type) {
    case 'constant':
      return Number.isFinite(f.value) ? num(f.value) : new Msg([['type', 'constant'], ['value', num(f.value)]]);
    case 'uniform': {
      const m = new Msg([['type', 'uniform']]);
      if (f.min !== 0) m.add('min', num(f.min));
      if (f.max !== 1) m.add('max', num(f.max));
      return m;
    }
    case 'normal': {
      if (f.sparse !== -1) unsupported(`Caffe's sparse Gaussian filler (sparse: ${f.sparse})`);
      const m = new Msg([['type', 'gaussian']]);
      if (f.mean !== 0) m.add('mean', num(f.mean));
      if (f.std !== 1) m.add('std', num(f.std));
      return m;
    }
    case 'variance_scaling':
      return scaling(f, role);
    case 'orthogonal':
      return f.gain === 1 ? 'orthogonal' : new Msg([['type', 'orthogonal'], ['gain', num(f.gain)]]);
    case 'bilinear':
    case 'positive_unitball':
      return f.type;
  }
}

/**
 * `weight { … }` for a blob: only what differs from the layer's defaults. nnspec trains every
 * blob it declares and shares strictly, so a frozen blob or a permissive share is refused.
 */
export function paramBlock(p: ParamBlob, defaultInit: Filler, role: InitRole): Msg {
  if (!p.trainable) unsupported(`the frozen parameter '${p.name}'`);
  const m = new Msg();
  if (!deepEqual(p.init, defaultInit)) m.add('init', initValue(p.init, role));
  if (p.lr_mult !== 1) m.add('lr_mult', num(p.lr_mult));
  if (p.decay_mult !== 1) m.add('decay_mult', num(p.decay_mult));
  if (p.share) {
    if (p.share.mode !== 'strict') unsupported(`the permissive sharing of '${p.name}' (nnspec shares strictly)`);
    m.add('share', name(p.share.name));
  }
  return m;
}
