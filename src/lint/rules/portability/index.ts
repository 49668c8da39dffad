/** The portability rules, in catalogue order. */
import type { Rule } from '../../rule.js';

export const rules: Rule<never>[] = [];
