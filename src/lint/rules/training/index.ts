/** The training rules, in catalogue order. */
import type { Rule } from '../../rule.js';
import { rule as learningRateRange } from './learning-rate-range.js';
import { rule as adamWithL2 } from './adam-with-l2.js';
import { rule as scheduleNeverDecays } from './schedule-never-decays.js';
import { rule as noValidation } from './no-validation.js';
import { rule as earlyStoppingWithoutValidation } from './early-stopping-without-validation.js';

export const rules: Rule<never>[] = [learningRateRange as Rule<never>, adamWithL2 as Rule<never>, scheduleNeverDecays as Rule<never>, noValidation as Rule<never>, earlyStoppingWithoutValidation as Rule<never>];
