/** The regularization rules, in catalogue order. */
import type { Rule } from '../../rule.js';
import { rule as dropoutKeepProbability } from './dropout-keep-probability.js';
import { rule as dropoutBeforeBatchnorm } from './dropout-before-batchnorm.js';
import { rule as unregularizedFullyConnected } from './unregularized-fully-connected.js';
import { rule as decayOnBiasOrNorm } from './decay-on-bias-or-norm.js';

export const rules: Rule<never>[] = [dropoutKeepProbability as Rule<never>, dropoutBeforeBatchnorm as Rule<never>, unregularizedFullyConnected as Rule<never>, decayOnBiasOrNorm as Rule<never>];
