/** The activation rules, in catalogue order. */
import type { Rule } from '../../rule.js';
import { rule as activationBeforeLoss } from './activation-before-loss.js';
import { rule as saturatingHiddenUnits } from './saturating-hidden-units.js';
import { rule as seluSetup } from './selu-setup.js';

export const rules: Rule<never>[] = [saturatingHiddenUnits as Rule<never>, seluSetup as Rule<never>, activationBeforeLoss as Rule<never>];
