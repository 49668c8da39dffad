/** The regularization rules, in catalogue order. */
import type { Rule } from '../../rule.js';
import { rule as dropoutRatioRange } from './dropout-ratio-range.js';

export const rules: Rule<never>[] = [dropoutRatioRange as Rule<never>];
