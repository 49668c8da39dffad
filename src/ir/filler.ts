/**
 * Weight initialisation, typed and framework-neutral.
 *
 * Every initialiser the dialects know reduces to one of these. Xavier/Glorot, LeCun and
 * Kaiming/He/MSRA are all `variance_scaling` (Keras' formulation): with n the chosen fan,
 * `normal` draws N(0, sqrt(scale/n)), `uniform` draws U(±sqrt(3·scale/n)), and
 * `truncated_normal` draws a normal truncated at two standard deviations. Caffe `xavier` is
 * {uniform, fan_in, 1}, Caffe `msra` {normal, fan_in, 2}, PyTorch's `kaiming_normal_` with gain
 * g {normal, mode, g²}. Fans follow Caffe and PyTorch: fan_in = count/shape[0], fan_out =
 * count/shape[1] of the parameter's own blob (or of the layer's weight, for PyTorch's default
 * bias initialisation, where `fan_of` is `weight`).
 */
import type { Static } from '@sinclair/typebox';
import type { SchemaKit } from './schema-kit.js';

export const fillerSchema = ({ T: Type }: SchemaKit) =>
  Type.Union(
  [
    Type.Object({ type: Type.Literal('constant'), value: Type.Number() }, { additionalProperties: false }),
    Type.Object({ type: Type.Literal('uniform'), min: Type.Number(), max: Type.Number() }, { additionalProperties: false }),
    Type.Object(
      {
        type: Type.Literal('normal'),
        mean: Type.Number(),
        std: Type.Number({ minimum: 0 }),
        /** Caffe's sparse Gaussian: about this many non-zero inputs per output (-1: dense). */
        sparse: Type.Integer({ minimum: -1 }),
      },
      { additionalProperties: false },
    ),
    Type.Object(
      {
        type: Type.Literal('variance_scaling'),
        distribution: Type.Union([Type.Literal('normal'), Type.Literal('uniform'), Type.Literal('truncated_normal')]),
        mode: Type.Union([Type.Literal('fan_in'), Type.Literal('fan_out'), Type.Literal('fan_avg')]),
        scale: Type.Number({ exclusiveMinimum: 0 }),
        fan_of: Type.Union([Type.Literal('self'), Type.Literal('weight')]),
      },
      { additionalProperties: false },
    ),
    Type.Object({ type: Type.Literal('orthogonal'), gain: Type.Number() }, { additionalProperties: false }),
    /** Bilinear upsampling kernel, for fixed Deconvolution upsampling (Caffe `bilinear`). */
    Type.Object({ type: Type.Literal('bilinear') }, { additionalProperties: false }),
    /** Each output's weights are positive and sum to one (Caffe `positive_unitball`). */
    Type.Object({ type: Type.Literal('positive_unitball') }, { additionalProperties: false }),
  ]);

export type Filler = Static<ReturnType<typeof fillerSchema>>;

export function constant(value: number): Filler {
  return { type: 'constant', value };
}

export function varianceScaling(
  distribution: 'normal' | 'uniform' | 'truncated_normal',
  mode: 'fan_in' | 'fan_out' | 'fan_avg',
  scale: number,
  fan_of: 'self' | 'weight' = 'self',
): Filler {
  return { type: 'variance_scaling', distribution, mode, scale, fan_of };
}

/**
 * What PyTorch's Conv/Linear `reset_parameters` does: kaiming_uniform_(a=√5) on the weight,
 * i.e. U(±1/sqrt(fan_in)), and U(±1/sqrt(fan_in of the weight)) on the bias.
 */
export const TORCH_DEFAULT_WEIGHT: Filler = varianceScaling('uniform', 'fan_in', 1 / 3);
export const TORCH_DEFAULT_BIAS: Filler = varianceScaling('uniform', 'fan_in', 1 / 3, 'weight');

/** Gains of PyTorch's `nn.init.calculate_gain`, for Kaiming/Xavier `nonlinearity`. */
export function activationGain(nonlinearity: string, param = 0.01): number | undefined {
  switch (nonlinearity) {
    case 'linear':
    case 'conv':
    case 'sigmoid':
    case 'identity':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leaky_relu':
      return Math.sqrt(2 / (1 + param * param));
    case 'selu':
      return 3 / 4;
    default:
      return undefined;
  }
}

/**
 * The square of `activationGain`, exactly: the variance scale a Kaiming initialiser uses.
 * Squaring the gain in floating point gives 2.0000000000000004 for ReLU, which no Caffe
 * `msra` filler (scale 2) would then equal.
 */
export function activationVariance(nonlinearity: string, param = 0.01): number | undefined {
  switch (nonlinearity) {
    case 'relu':
      return 2;
    case 'tanh':
      return 25 / 9;
    case 'leaky_relu':
      return 2 / (1 + param * param);
    case 'selu':
      return 9 / 16;
    default: {
      const gain = activationGain(nonlinearity, param);
      return gain === undefined ? undefined : gain * gain;
    }
  }
}
