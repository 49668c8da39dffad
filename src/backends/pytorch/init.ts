/**
 * The IR's fillers as nn.init calls. Fans are computed here from the IR's own blob shapes
 * (Caffe's and the IR's convention: fan_in = count / shape[0], fan_out = count / shape[1]), so
 * the emitted numbers are the IR's even where PyTorch would count fans differently (a
 * transposed InnerProduct weight); each line says which filler it reproduces.
 */
import type { Filler } from '../../ir/filler.js';
import type { HelperName } from './helpers.js';
import { pyNumber } from './python.js';

export interface InitLine {
  code: string;
  helpers: HelperName[];
}

function fans(shape: readonly number[]): { fan_in: number; fan_out: number } {
  const count = shape.reduce((a, b) => a * b, 1);
  if (shape.length === 0) return { fan_in: 1, fan_out: 1 };
  return {
    fan_in: count / shape[0]!,
    fan_out: shape.length > 1 ? count / shape[1]! : count,
  };
}

/** Keras' factor for a normal truncated at ±2σ to keep the requested variance. */
const TRUNCATED_STD_CORRECTION = 0.8796256610342398;

/** One nn.init call for `target`, the tensor expression; `own` its IR shape, `weight` the layer's weight IR shape. */
export function initLine(filler: Filler, target: string, own: readonly number[], weight: readonly number[] | undefined): InitLine {
  switch (filler.type) {
    case 'constant':
      return {
        code: `nn.init.constant_(${target}, ${pyNumber(filler.value)})`,
        helpers: [],
      };
    case 'uniform':
      return {
        code: `nn.init.uniform_(${target}, ${pyNumber(filler.min)}, ${pyNumber(filler.max)})`,
        helpers: [],
      };
    case 'normal':
      if (filler.sparse > 0) {
        return {
          code: `sparse_normal_(${target}, ${pyNumber(filler.mean)}, ${pyNumber(filler.std)}, ${filler.sparse})`,
          helpers: ['sparse_normal_'],
        };
      }
      return {
        code: `nn.init.normal_(${target}, ${pyNumber(filler.mean)}, ${pyNumber(filler.std)})`,
        helpers: [],
      };
    case 'variance_scaling': {
      const f = fans(filler.fan_of === 'weight' && weight ? weight : own);
      const n = filler.mode === 'fan_in' ? f.fan_in : filler.mode === 'fan_out' ? f.fan_out : (f.fan_in + f.fan_out) / 2;
      const why = `# variance_scaling: ${filler.distribution}, ${filler.mode}${filler.fan_of === 'weight' ? ' of the weight' : ''} = ${pyNumber(n)}, scale ${pyNumber(filler.scale)}`;
      const variance = filler.scale / n;
      if (filler.distribution === 'uniform') {
        const bound = Math.sqrt(3 * variance);
        return {
          code: `nn.init.uniform_(${target}, -${pyNumber(bound)}, ${pyNumber(bound)})  ${why}`,
          helpers: [],
        };
      }
      if (filler.distribution === 'normal')
        return {
          code: `nn.init.normal_(${target}, 0.0, ${pyNumber(Math.sqrt(variance))})  ${why}`,
          helpers: [],
        };
      const std = Math.sqrt(variance) / TRUNCATED_STD_CORRECTION;
      return {
        code: `nn.init.trunc_normal_(${target}, 0.0, ${pyNumber(std)}, -${pyNumber(2 * std)}, ${pyNumber(2 * std)})  ${why}`,
        helpers: [],
      };
    }
    case 'orthogonal':
      return {
        code: `nn.init.orthogonal_(${target}, gain=${pyNumber(filler.gain)})`,
        helpers: [],
      };
    case 'bilinear':
      return { code: `bilinear_(${target})`, helpers: ['bilinear_'] };
    case 'positive_unitball':
      return {
        code: `positive_unitball_(${target})`,
        helpers: ['positive_unitball_'],
      };
  }
}
