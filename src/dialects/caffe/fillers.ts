/**
 * Caffe FillerParameter → IR filler, following include/caffe/filler.hpp. The trap this file
 * exists for: a layer without a weight_filler is filled with the constant 0, not with any
 * framework's default initialisation.
 */
import type { DiagnosticBag } from '../../diagnostics/diagnostic.js';
import { didYouMean } from '../../diagnostics/did-you-mean.js';
import { spanOf } from '../../schema/decode-proto.js';
import type { Decoded } from '../../schema/proto-schema.js';
import { constant, varianceScaling, type Filler } from '../../ir/filler.js';
import type { FillerParameter } from './caffe-proto.js';

const FILLER_TYPES = ['constant', 'gaussian', 'positive_unitball', 'uniform', 'xavier', 'msra', 'bilinear'];

const MODES = { FAN_IN: 'fan_in', FAN_OUT: 'fan_out', AVERAGE: 'fan_avg' } as const;

export function bindFiller(
  f: Decoded<typeof FillerParameter> | undefined,
  fallback: Filler,
  diagnostics: DiagnosticBag,
): Filler {
  if (!f) return fallback;
  const mode = MODES[f.variance_norm];
  switch (f.type) {
    case 'constant':
      return constant(f.value);
    case 'gaussian':
      return { type: 'normal', mean: f.mean, std: f.std, sparse: f.sparse };
    case 'uniform':
      return { type: 'uniform', min: f.min, max: f.max };
    case 'xavier':
      return varianceScaling('uniform', mode, 1);
    case 'msra':
      return varianceScaling('normal', mode, 2);
    case 'bilinear':
      return { type: 'bilinear' };
    case 'positive_unitball':
      return { type: 'positive_unitball' };
    default:
      diagnostics.error('caffe/unknown-filler', `Caffe has no filler '${f.type}' (${FILLER_TYPES.join(', ')}); it stops with "Unknown filler name"`, spanOf(f, 'type'), {
        hint: didYouMean(f.type, FILLER_TYPES),
      });
      return fallback;
  }
}
