/** The init rules, in catalogue order. */
import type { Rule } from '../../rule.js';
import { rule as constantWeights } from './constant-weights.js';
import { rule as reluInitMismatch } from './relu-init-mismatch.js';
import { rule as saturatingActivations } from './saturating-activations.js';
import { rule as vanishingActivations } from './vanishing-activations.js';

export const rules: Rule<never>[] = [constantWeights as Rule<never>, reluInitMismatch as Rule<never>, vanishingActivations as Rule<never>, saturatingActivations as Rule<never>];
