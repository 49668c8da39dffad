/**
 * Normalisations in inference mode. BatchNorm uses its stored statistics, folded with γ and β
 * into one per-channel scale and shift (computed in double precision); Caffe's running sums
 * need no scale factor here because IrWeights hold averages. LRN sums squares over the same
 * channel window as the lowering (c − ⌊size/2⌋ … c + ⌊(size − 1)/2⌋) with a 1×1 convolution by
 * a banded matrix: tfjs's own LRN op takes only odd sizes and has no wasm kernel.
 */
import { canonicalAxis } from '../../../ir/dims.js';
import { attr, type Value } from '../graph-def.js';
import { binary, perChannel, reshape, toCl, toIr, unary, unsupported, type EmitContext, type Translate } from '../emit.js';
import { padSpatial } from './convolution.js';

export const batchnorm: Translate<'batchnorm'> = (node) => {
  const a = node.attrs;
  if (a.statistics === 'batch') return unsupported("BatchNorm with batch statistics in inference ('statistics: batch')");
  return ([v], ctx) => {
    const mean = ctx.param('running_mean').data;
    const variance = ctx.param('running_var').data;
    const gamma = a.affine ? ctx.param('weight').data : null;
    const beta = a.affine ? ctx.param('bias').data : null;
    const scale = new Float32Array(mean.length);
    const shift = new Float32Array(mean.length);
    for (let c = 0; c < mean.length; c++) {
      const s = (gamma ? gamma[c]! : 1) / Math.sqrt(variance[c]! + a.eps);
      scale[c] = s;
      shift[c] = (beta ? beta[c]! : 0) - mean[c]! * s;
    }
    const x = v!;
    const y = binary(ctx, 'AddV2', binary(ctx, 'Mul', x.ref, perChannel(ctx, x, 'scale', scale)), perChannel(ctx, x, 'shift', shift));
    return [{ ref: y, cl: x.cl }];
  };
};

export const lrn: Translate<'lrn'> = (node, info) => {
  const a = node.attrs;
  if (info.inputs[0]!.length !== 4) return unsupported(`LRN over a ${info.inputs[0]!.length}-axis input (N×C×H×W is exported)`);
  return ([v], ctx) => {
    const { g } = ctx;
    const x = toCl(ctx, v!);
    const sq = unary(ctx, 'Square', x.ref);
    let base: string;
    if (a.region === 'across_channels') {
      const c = x.shape[1]!;
      const band = new Float32Array(c * c);
      const [before, after] = [Math.floor(a.size / 2), Math.floor((a.size - 1) / 2)];
      for (let out = 0; out < c; out++) for (let i = Math.max(0, out - before); i <= Math.min(c - 1, out + after); i++) band[i * c + out] = 1;
      const sum = g.op(ctx.scope, 'Conv2D', [sq, g.constant(ctx.scope, 'window', band, [1, 1, c, c])], {
        T: attr.float(),
        strides: attr.ints([1, 1, 1, 1]),
        dilations: attr.ints([1, 1, 1, 1]),
        padding: attr.str('VALID'),
        data_format: attr.str('NHWC'),
        use_cudnn_on_gpu: attr.bool(true),
        explicit_paddings: attr.ints([]),
      });
      base = binary(ctx, 'AddV2', binary(ctx, 'Mul', sum, g.scalar(a.alpha / a.size)), g.scalar(a.k));
    } else {
      // Caffe WITHIN_CHANNEL: the mean of x² over a size×size window zero-padded by (size − 1)/2.
      const p = Math.floor((a.size - 1) / 2);
      const mean = g.op(ctx.scope, 'AvgPool', [padSpatial(ctx, sq, [p, p], [p, p])], {
        T: attr.float(),
        ksize: attr.ints([1, a.size, a.size, 1]),
        strides: attr.ints([1, 1, 1, 1]),
        padding: attr.str('VALID'),
        data_format: attr.str('NHWC'),
      });
      base = binary(ctx, 'AddV2', binary(ctx, 'Mul', mean, g.scalar(a.alpha)), g.scalar(1));
    }
    return [{ ref: binary(ctx, 'Mul', x.ref, binary(ctx, 'Pow', base, g.scalar(-a.beta))), cl: true }];
  };
};

export const mvn: Translate<'mvn'> = (node) => {
  const a = node.attrs;
  return ([v], ctx) => {
    const { g } = ctx;
    const x = toIr(ctx, v!);
    const axes = Array.from({ length: x.shape.length }, (_, i) => i).filter((i) => i >= (a.across_channels ? 1 : 2));
    const mean = (t: string) => g.op(ctx.scope, 'Mean', [t, g.ints(axes)], { T: attr.float(), Tidx: { type: 'DT_INT32' }, keep_dims: attr.bool(true) });
    let y = binary(ctx, 'Sub', x.ref, mean(x.ref));
    if (a.normalize_variance) y = binary(ctx, 'RealDiv', y, binary(ctx, 'AddV2', unary(ctx, 'Sqrt', mean(unary(ctx, 'Square', y))), g.scalar(a.eps)));
    return [{ ref: y, cl: false }];
  };
};

/**
 * A Scale/Bias operand laid along IR axes [start, start + rank) (as the lowering's layAlong): a
 * per-channel blob keeps a channels-last value as it is; other layouts work on the IR's.
 */
function layAlong(ctx: EmitContext, x: Value, axis: number, operand: { const: { data: Float32Array; shape: number[] } } | { value: Value }, label: string): { x: Value; ref: string } {
  const { g } = ctx;
  const shape = 'const' in operand ? operand.const.shape : operand.value.shape;
  const make = (target: number[]): string => {
    if ('const' in operand) return g.constant(ctx.scope, label, operand.const.data, target);
    const src = toIr(ctx, operand.value);
    if (target.length === shape.length) return src.ref;
    // An operand laid from axis 0 carries the batch axis; one laid further on has none to fix.
    if ((canonicalAxis(axis, x.shape.length) ?? 1) === 0) return reshape(ctx, src.ref, target, true);
    return ctx.g.op(ctx.scope, 'Reshape', [src.ref, ctx.g.ints(target)], { T: attr.float(), Tshape: { type: 'DT_INT32' } });
  };
  if (shape.length === 0) return { x, ref: make([]) };
  const start = canonicalAxis(axis, x.shape.length) ?? 1;
  if (x.cl && start === 1 && shape.length === 1) return { x, ref: make(shape) };
  const value = toIr(ctx, x);
  const trailing = value.shape.length - start - shape.length;
  return { x: value, ref: make([...shape, ...Array<number>(Math.max(0, trailing)).fill(1)]) };
}

export const scale: Translate<'scale'> = (node) => {
  const a = node.attrs;
  return (inputs, ctx) => {
    const second = inputs.length === 2;
    const axis = second && inputs[1]!.shape.length === 0 ? 0 : a.axis;
    const factor = second ? { value: inputs[1]! } : { const: ctx.param('weight') };
    const { x, ref } = layAlong(ctx, inputs[0]!, axis, factor, 'weight');
    let y = binary(ctx, 'Mul', x.ref, ref);
    if (a.bias) y = binary(ctx, 'AddV2', y, layAlong(ctx, x, axis, { const: ctx.param('bias') }, 'bias').ref);
    return [{ ref: y, cl: x.cl }];
  };
};

export const bias: Translate<'bias'> = (node) => {
  const a = node.attrs;
  return (inputs, ctx) => {
    const second = inputs.length === 2;
    const axis = second && inputs[1]!.shape.length === 0 ? 0 : a.axis;
    const { x, ref } = layAlong(ctx, inputs[0]!, axis, second ? { value: inputs[1]! } : { const: ctx.param('bias') }, 'bias');
    return [{ ref: binary(ctx, 'AddV2', x.ref, ref), cl: x.cl }];
  };
};

