/**
 * Which layers a phase includes: Caffe's NetState and its include/exclude rules
 * (net.cpp FilterNet and StateMeetsRule), applied while reading so a train_val file yields
 * the TRAIN or the TEST net.
 */
import type { Decoded } from '../../schema/proto-schema.js';
import type { NetStateRule } from './caffe-proto.js';

export interface NetStateValue {
  phase: 'TRAIN' | 'TEST';
  level: number;
  stages: string[];
}

type Rule = Decoded<typeof NetStateRule>;

export function stateMeetsRule(state: NetStateValue, rule: Rule): boolean {
  if (rule.phase !== undefined && rule.phase !== state.phase) return false;
  if (rule.min_level !== undefined && state.level < rule.min_level) return false;
  if (rule.max_level !== undefined && state.level > rule.max_level) return false;
  for (const stage of rule.stage) if (!state.stages.includes(stage)) return false;
  for (const stage of rule.not_stage) if (state.stages.includes(stage)) return false;
  return true;
}

/** No include rules: kept unless an exclude rule matches; otherwise kept when any include rule matches. */
export function layerIncluded(state: NetStateValue, include: Rule[], exclude: Rule[]): boolean {
  if (include.length > 0) return include.some((r) => stateMeetsRule(state, r));
  return !exclude.some((r) => stateMeetsRule(state, r));
}
