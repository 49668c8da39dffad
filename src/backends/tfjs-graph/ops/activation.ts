/**
 * Elementwise activations: the value keeps its layout. ELU-like functions are written with ops
 * every tfjs backend has (tfjs's Elu op fixes alpha at 1).
 */
import { attr } from '../graph-def.js';
import { binary, heldAxis, perChannel, reshape, unary, type EmitContext, type Translate, type Translated } from '../emit.js';

const SELU_SCALE = 1.0507009873554804934193349852946;
const SELU_ALPHA = 1.6732632423543772848170429916717;

const pointwise =
  (f: (ctx: EmitContext, x: string) => string): Translated =>
  ([v], ctx) => [{ ref: f(ctx, v!.ref), cl: v!.cl }];

/** alpha·(exp(min(x, 0)) − 1) + max(x, 0): the lowering's ELU without a select. */
function elu(ctx: EmitContext, x: string, alpha: number): string {
  const { g } = ctx;
  const negative = binary(ctx, 'Sub', unary(ctx, 'Exp', binary(ctx, 'Minimum', x, g.scalar(0))), g.scalar(1));
  return binary(ctx, 'AddV2', unary(ctx, 'Relu', x), alpha === 1 ? negative : binary(ctx, 'Mul', negative, g.scalar(alpha)));
}

/** x·scale + shift, skipping the identity parts. */
function affine(ctx: EmitContext, x: string, scale: number, shift: number): string {
  const scaled = scale === 1 ? x : binary(ctx, 'Mul', x, ctx.g.scalar(scale));
  return shift === 0 ? scaled : binary(ctx, 'AddV2', scaled, ctx.g.scalar(shift));
}

export const relu: Translate<'relu'> = (node) => {
  const slope = node.attrs.negative_slope;
  return pointwise((ctx, x) => (slope === 0 ? unary(ctx, 'Relu', x) : ctx.g.op(ctx.scope, 'LeakyRelu', [x], { T: attr.float(), alpha: attr.num(slope) })));
};

export const prelu: Translate<'prelu'> = (node) => ([v], ctx) => {
  const x = v!;
  const w = ctx.param('weight');
  const alpha = node.attrs.channel_shared ? ctx.g.constant(ctx.scope, 'weight', w.data, []) : perChannel(ctx, x, 'weight', w.data);
  const y = binary(ctx, 'AddV2', unary(ctx, 'Relu', x.ref), binary(ctx, 'Mul', alpha, binary(ctx, 'Minimum', x.ref, ctx.g.scalar(0))));
  return [{ ref: y, cl: x.cl }];
};

export const clip: Translate<'clip'> = (node) =>
  pointwise((ctx, x) =>
    node.attrs.min === 0 && node.attrs.max === 6 ? unary(ctx, 'Relu6', x) : ctx.g.op(ctx.scope, 'ClipByValue', [x, ctx.g.scalar(node.attrs.min), ctx.g.scalar(node.attrs.max)], { T: attr.float() }),
  );

export const elu_: Translate<'elu'> = (node) => pointwise((ctx, x) => elu(ctx, x, node.attrs.alpha));
export const selu: Translate<'selu'> = () => pointwise((ctx, x) => binary(ctx, 'Mul', elu(ctx, x, SELU_ALPHA), ctx.g.scalar(SELU_SCALE)));

export const gelu: Translate<'gelu'> = (node) =>
  pointwise((ctx, x) => {
    const { g } = ctx;
    const half = binary(ctx, 'Mul', x, g.scalar(0.5));
    if (node.attrs.approximate === 'tanh') {
      const cube = binary(ctx, 'Pow', x, g.scalar(3));
      const inner = binary(ctx, 'Mul', binary(ctx, 'AddV2', x, binary(ctx, 'Mul', cube, g.scalar(0.044715))), g.scalar(Math.sqrt(2 / Math.PI)));
      return binary(ctx, 'Mul', half, binary(ctx, 'AddV2', unary(ctx, 'Tanh', inner), g.scalar(1)));
    }
    return binary(ctx, 'Mul', half, binary(ctx, 'AddV2', unary(ctx, 'Erf', binary(ctx, 'Mul', x, g.scalar(Math.SQRT1_2))), g.scalar(1)));
  });

export const sigmoid: Translate<'sigmoid'> = () => pointwise((ctx, x) => unary(ctx, 'Sigmoid', x));
export const tanh: Translate<'tanh'> = () => pointwise((ctx, x) => unary(ctx, 'Tanh', x));
export const swish: Translate<'swish'> = (node) =>
  pointwise((ctx, x) => binary(ctx, 'Mul', x, unary(ctx, 'Sigmoid', node.attrs.beta === 1 ? x : binary(ctx, 'Mul', x, ctx.g.scalar(node.attrs.beta)))));
export const absval: Translate<'absval'> = () => pointwise((ctx, x) => unary(ctx, 'Abs', x));
export const bnll: Translate<'bnll'> = () => pointwise((ctx, x) => unary(ctx, 'Softplus', x));

export const power: Translate<'power'> = (node) => {
  const { power, scale, shift } = node.attrs;
  return pointwise((ctx, x) => {
    const base = affine(ctx, x, scale, shift);
    return power === 1 ? base : binary(ctx, 'Pow', base, ctx.g.scalar(power));
  });
};

export const exp: Translate<'exp'> = (node) => {
  const { base, scale, shift } = node.attrs;
  const ln = base === -1 ? 1 : Math.log(base);
  return pointwise((ctx, x) => unary(ctx, 'Exp', binary(ctx, 'Mul', affine(ctx, x, scale, shift), ctx.g.scalar(ln))));
};

export const log: Translate<'log'> = (node) => {
  const { base, scale, shift } = node.attrs;
  const ln = base === -1 ? 1 : Math.log(base);
  return pointwise((ctx, x) => binary(ctx, 'RealDiv', unary(ctx, 'Log', affine(ctx, x, scale, shift)), ctx.g.scalar(ln)));
};

export const threshold: Translate<'threshold'> = (node) =>
  pointwise((ctx, x) => {
    const above = ctx.g.op(ctx.scope, 'Greater', [x, ctx.g.scalar(node.attrs.threshold)], { T: attr.float() });
    return ctx.g.op(ctx.scope, 'Cast', [above], { SrcT: { type: 'DT_BOOL' }, DstT: attr.float(), Truncate: attr.bool(false) });
  });

/** Channel groups of `pieces` consecutive channels: their maximum. */
export const maxout: Translate<'maxout'> = (node) => ([v], ctx) => {
  const x = v!;
  const axis = heldAxis(x, 1);
  const held = x.cl ? [x.shape[0]!, x.shape[2]!, x.shape[3]!, x.shape[1]!] : [...x.shape];
  const grouped = reshape(ctx, x.ref, [...held.slice(0, axis), held[axis]! / node.attrs.pieces, node.attrs.pieces, ...held.slice(axis + 1)], true);
  const y = ctx.g.op(ctx.scope, 'Max', [grouped, ctx.g.ints([axis + 1])], { T: attr.float(), Tidx: { type: 'DT_INT32' }, keep_dims: attr.bool(false) });
  return [{ ref: y, cl: x.cl }];
};
