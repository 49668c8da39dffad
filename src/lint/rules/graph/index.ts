/** The graph rules, in catalogue order. */
import type { Rule } from '../../rule.js';
import { rule as deadBranch } from './dead-branch.js';
import { rule as droppedBorder } from './dropped-border.js';
import { rule as extraNetOutput } from './extra-net-output.js';
import { rule as misalignedMerge } from './misaligned-merge.js';
import { rule as paddingOnlyOutput } from './padding-only-output.js';
import { rule as poolWindowOutsideInput } from './pool-window-outside-input.js';
import { rule as smallReceptiveField } from './small-receptive-field.js';
import { rule as unusedOutput } from './unused-output.js';

export const rules: Rule<never>[] = [
  droppedBorder as Rule<never>,
  poolWindowOutsideInput as Rule<never>,
  paddingOnlyOutput as Rule<never>,
  misalignedMerge as Rule<never>,
  smallReceptiveField as Rule<never>,
  unusedOutput as Rule<never>,
  deadBranch as Rule<never>,
  extraNetOutput as Rule<never>,
];
