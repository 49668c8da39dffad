/** The style rules, in catalogue order. */
import type { Rule } from '../../rule.js';
import { rule as deprecatedAxisAlias } from './deprecated-axis-alias.js';
import { rule as deprecatedLossNormalize } from './deprecated-loss-normalize.js';
import { rule as deprecatedSolverType } from './deprecated-solver-type.js';
import { rule as legacyNetInput } from './legacy-net-input.js';

export const rules: Rule<never>[] = [deprecatedAxisAlias as Rule<never>, deprecatedLossNormalize as Rule<never>, legacyNetInput as Rule<never>, deprecatedSolverType as Rule<never>];
