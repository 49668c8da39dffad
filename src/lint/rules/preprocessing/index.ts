/** The preprocessing rules, in catalogue order. */
import type { Rule } from '../../rule.js';
import { rule as missingNormalization } from './missing-normalization.js';
import { rule as channelCountMismatch } from './channel-count-mismatch.js';
import { rule as normalizationUnits } from './normalization-units.js';

export const rules: Rule<never>[] = [missingNormalization as Rule<never>, channelCountMismatch as Rule<never>, normalizationUnits as Rule<never>];
