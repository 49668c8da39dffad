/** The portability rules, in catalogue order. */
import type { Rule } from '../../rule.js';
import { rule as asymmetricPadding } from './asymmetric-padding.js';
import { rule as avgPoolDivisor } from './avg-pool-divisor.js';
import { rule as batchnormRunningAverage } from './batchnorm-running-average.js';
import { rule as dilatedConv } from './dilated-conv.js';
import { rule as groupedConv } from './grouped-conv.js';
import { rule as lrn } from './lrn.js';
import { rule as missingCaffeLayer } from './missing-caffe-layer.js';
import { rule as nonInvertedDropout } from './non-inverted-dropout.js';
import { rule as poolPaddingLimit } from './pool-padding-limit.js';
import { rule as poolRounding } from './pool-rounding.js';
import { rule as stochasticPooling } from './stochastic-pooling.js';

export const rules: Rule<never>[] = [
  groupedConv as Rule<never>,
  dilatedConv as Rule<never>,
  asymmetricPadding as Rule<never>,
  poolRounding as Rule<never>,
  poolPaddingLimit as Rule<never>,
  avgPoolDivisor as Rule<never>,
  stochasticPooling as Rule<never>,
  lrn as Rule<never>,
  missingCaffeLayer as Rule<never>,
  batchnormRunningAverage as Rule<never>,
  nonInvertedDropout as Rule<never>,
];
