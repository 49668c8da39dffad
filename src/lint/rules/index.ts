/**
 * The rule catalogue, in the order docs/rules.md lists it: by category, each category's
 * rules as its index lists them. A rule lives in rules/<category>/<name>.ts and exports
 * `rule`; listing it in its category's index is all it takes to ship it.
 */
import type { Rule } from '../rule.js';
import { rules as activation } from './activation/index.js';
import { rules as graph } from './graph/index.js';
import { rules as init } from './init/index.js';
import { rules as portability } from './portability/index.js';
import { rules as preprocessing } from './preprocessing/index.js';
import { rules as regularization } from './regularization/index.js';
import { rules as style } from './style/index.js';
import { rules as training } from './training/index.js';

export const RULES: readonly Rule<never>[] = [...init, ...activation, ...regularization, ...preprocessing, ...graph, ...training, ...portability, ...style];
