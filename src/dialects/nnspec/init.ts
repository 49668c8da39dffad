/**
 * Weight initialisation in nnspec: `init: kaiming`, `init: 0.01` (a constant) or
 * `init { type: gaussian std: 0.01 }`, and the per-parameter blocks that carry it:
 * `weight { init: … lr_mult: 1 decay_mult: 1 }`, `bias { … }` or `bias: false`.
 *
 * Names follow the papers and PyTorch: xavier/glorot average the fans (PyTorch's default;
 * Caffe's `xavier` uses fan_in, write `mode: fan_in` for it), kaiming/he/msra use fan_in with
 * the gain of the following nonlinearity (√2 for ReLU).
 */
import { activationVariance, constant, TORCH_DEFAULT_BIAS, TORCH_DEFAULT_WEIGHT, varianceScaling, type Filler } from '../../ir/filler.js';
import { didYouMean } from '../../diagnostics/did-you-mean.js';
import type { Field, Value } from '../../language/syntax-tree.js';
import { maybe, opt, readMessage, t, type ReadContext, type Ty } from './fields.js';

export type InitRole = 'weight' | 'bias' | 'other';

const NAMED: Record<string, (role: InitRole) => Filler> = {
  zeros: () => constant(0),
  ones: () => constant(1),
  xavier: () => varianceScaling('uniform', 'fan_avg', 1),
  glorot: () => varianceScaling('uniform', 'fan_avg', 1),
  xavier_normal: () => varianceScaling('normal', 'fan_avg', 1),
  glorot_normal: () => varianceScaling('normal', 'fan_avg', 1),
  kaiming: () => varianceScaling('normal', 'fan_in', 2),
  he: () => varianceScaling('normal', 'fan_in', 2),
  msra: () => varianceScaling('normal', 'fan_in', 2),
  kaiming_uniform: () => varianceScaling('uniform', 'fan_in', 2),
  lecun: () => varianceScaling('normal', 'fan_in', 1),
  lecun_uniform: () => varianceScaling('uniform', 'fan_in', 1),
  orthogonal: () => ({ type: 'orthogonal', gain: 1 }),
  bilinear: () => ({ type: 'bilinear' }),
  positive_unitball: () => ({ type: 'positive_unitball' }),
  torch_default: (role) => (role === 'bias' ? TORCH_DEFAULT_BIAS : TORCH_DEFAULT_WEIGHT),
};

export const INIT_TYPES = ['constant', 'uniform', 'gaussian', 'normal', ...Object.keys(NAMED)];

const Distribution = t.oneOf(['normal', 'uniform', 'truncated_normal'] as const);
const Mode = t.oneOf(['fan_in', 'fan_out', 'fan_avg'] as const);
const NONLINEARITIES = ['relu', 'leaky_relu', 'tanh', 'sigmoid', 'linear', 'selu'] as const;

function initMessage(v: Value & { kind: 'message' }, ctx: ReadContext, role: InitRole, field: Field): Filler | undefined {
  const typeField = v.fields.find((f) => f.name === 'type');
  if (!typeField) {
    ctx.diagnostics.error('nnspec/missing-field', `an init { } needs 'type' (${INIT_TYPES.join(', ')})`, { start: field.start, end: field.start + field.name.length });
    return undefined;
  }
  const type = t.oneOf(INIT_TYPES).read(typeField.value, ctx, typeField);
  if (type === undefined) return undefined;
  const skip = new Set(['type']);
  const what = `init { type: ${type} }`;
  switch (type) {
    case 'constant': {
      const r = readMessage(v, { value: opt(t.num(), 0, 'the constant') }, ctx, what, { skip });
      return r.ok ? constant(r.values.value) : undefined;
    }
    case 'uniform': {
      const r = readMessage(v, { min: opt(t.num(), 0, 'lower bound'), max: opt(t.num(), 1, 'upper bound') }, ctx, what, { skip });
      if (r.ok && r.values.min > r.values.max) {
        ctx.diagnostics.error('nnspec/out-of-range', `uniform init needs min ≤ max, got [${r.values.min}, ${r.values.max}]`, v);
        return undefined;
      }
      return r.ok ? { type: 'uniform', min: r.values.min, max: r.values.max } : undefined;
    }
    case 'gaussian':
    case 'normal': {
      const r = readMessage(v, { mean: opt(t.num(), 0, 'mean'), std: opt(t.num(0), 1, 'standard deviation') }, ctx, what, { skip });
      return r.ok ? { type: 'normal', mean: r.values.mean, std: r.values.std, sparse: -1 } : undefined;
    }
    case 'xavier':
    case 'glorot':
    case 'xavier_normal':
    case 'glorot_normal': {
      const normal = type.endsWith('_normal');
      const r = readMessage(
        v,
        {
          distribution: opt(Distribution, normal ? 'normal' : 'uniform', 'normal, uniform or truncated_normal'),
          mode: opt(Mode, 'fan_avg', 'which fan sets the variance (Caffe xavier: fan_in)'),
          gain: opt(t.num(0, Infinity, { exclusiveMin: true }), 1, 'scales the standard deviation'),
        },
        ctx,
        what,
        { skip },
      );
      return r.ok ? varianceScaling(r.values.distribution, r.values.mode, r.values.gain ** 2) : undefined;
    }
    case 'kaiming':
    case 'he':
    case 'msra':
    case 'kaiming_uniform': {
      const r = readMessage(
        v,
        {
          distribution: opt(Distribution, type === 'kaiming_uniform' ? 'uniform' : 'normal', 'normal, uniform or truncated_normal'),
          mode: opt(Mode, 'fan_in', 'fan_in keeps forward activations at unit variance, fan_out the gradients'),
          nonlinearity: opt(t.oneOf(NONLINEARITIES), 'relu', 'the activation that follows (sets the gain)'),
          a: opt(t.num(0), 0, 'negative slope, for leaky_relu'),
        },
        ctx,
        what,
        { skip },
      );
      if (!r.ok) return undefined;
      return varianceScaling(r.values.distribution, r.values.mode, activationVariance(r.values.nonlinearity, r.values.a)!);
    }
    case 'lecun':
    case 'lecun_uniform': {
      const r = readMessage(v, { distribution: opt(Distribution, type === 'lecun' ? 'normal' : 'uniform', 'normal, uniform or truncated_normal') }, ctx, what, { skip });
      return r.ok ? varianceScaling(r.values.distribution, 'fan_in', 1) : undefined;
    }
    case 'orthogonal': {
      const r = readMessage(v, { gain: opt(t.num(0, Infinity, { exclusiveMin: true }), 1, 'multiplies the orthogonal matrix') }, ctx, what, { skip });
      return r.ok ? { type: 'orthogonal', gain: r.values.gain } : undefined;
    }
    default: {
      const r = readMessage(v, {}, ctx, what, { skip });
      return r.ok ? NAMED[type]!(role) : undefined;
    }
  }
}

export function initType(role: InitRole): Ty<Filler> {
  return {
    describe: 'an initialiser (a number, a name such as kaiming, or init { type: … })',
    read(v, ctx, field) {
      if (v.kind === 'number') return constant(v.value);
      if (v.kind === 'ident') {
        const make = NAMED[v.name];
        if (make) return make(role);
        if (v.name === 'constant' || v.name === 'uniform' || v.name === 'gaussian' || v.name === 'normal') {
          ctx.diagnostics.error('nnspec/incomplete-init', `'${v.name}' needs its parameters: write init { type: ${v.name} … }`, v);
          return undefined;
        }
        ctx.diagnostics.error('nnspec/unknown-value', `'${v.name}' is not an initialiser (${INIT_TYPES.join(', ')})`, v, { hint: didYouMean(v.name, INIT_TYPES) });
        return undefined;
      }
      if (v.kind === 'message') return initMessage(v, ctx, role, field);
      ctx.diagnostics.error('nnspec/type-mismatch', `'${field.name}' expects an initialiser (a number, a name such as kaiming, or init { type: … })`, v);
      return undefined;
    },
  };
}

export interface ParamSpecValue {
  init?: Filler;
  lr_mult: number;
  decay_mult: number;
  share?: string;
}

/** A `weight { … }` or `bias { … }` block. */
export function paramBlock(role: InitRole): Ty<ParamSpecValue> {
  return {
    describe: `a parameter block { init lr_mult decay_mult }`,
    read(v, ctx, field) {
      if (v.kind !== 'message') {
        ctx.diagnostics.error('nnspec/type-mismatch', `'${field.name}' expects a block such as ${field.name} { init: … lr_mult: 1 decay_mult: 1 }`, v);
        return undefined;
      }
      const r = readMessage(
        v,
        {
          init: maybe(initType(role), 'how the values start'),
          lr_mult: opt(t.num(0), 1, 'multiplies the learning rate for this parameter'),
          decay_mult: opt(t.num(0), 1, 'multiplies the weight decay for this parameter'),
          share: maybe(t.name, 'parameters with the same share name are one parameter'),
        },
        ctx,
        `${field.name} { }`,
      );
      if (!r.ok) return undefined;
      const out: ParamSpecValue = { lr_mult: r.values.lr_mult, decay_mult: r.values.decay_mult };
      if (r.values.init) out.init = r.values.init;
      if (r.values.share) out.share = r.values.share;
      return out;
    },
  };
}

/** `bias: false`, `bias: true` or `bias { … }`. */
export const biasField: Ty<ParamSpecValue | boolean> = {
  describe: 'true, false or a parameter block',
  read(v, ctx, field) {
    if (v.kind === 'ident' && (v.name === 'true' || v.name === 'false')) return v.name === 'true';
    return paramBlock('bias').read(v, ctx, field);
  },
};
