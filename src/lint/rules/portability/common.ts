/**
 * What the portability rules share: the target's display name, whether the rule speaks about
 * the configured target, and how layers and their fields are named in messages.
 */
import type { Node } from '../../../ir/graph.js';
import type { LintContext } from '../../context.js';
import type { Target } from '../../rule.js';

export const TARGET_NAMES: Record<Target, string> = { pytorch: 'PyTorch', caffe: 'Caffe', tfjs: 'TensorFlow.js' };

/** The target when it is one of `targets`, else null (portability rules say nothing without --target). */
export function targetOf<T extends Target>(ctx: LintContext<unknown>, targets: readonly T[]): T | null {
  const t = ctx.target;
  return t && (targets as readonly Target[]).includes(t) ? (t as T) : null;
}

/** The fields where a layer's padding is written, Caffe and nnspec. */
export function padFields(node: Node): string[][] {
  const param = node.op === 'pool' ? 'pooling_param' : 'convolution_param';
  return [[param, 'pad'], [param, 'pad_h'], [param, 'pad_w'], ['pad_begin'], ['pad_end'], ['pad']];
}

/** 'max pooling' / 'average pooling' / 'stochastic pooling': how a pooling reads in the messages. */
export function describePool(node: Extract<Node, { op: 'pool' }>): string {
  return node.attrs.mode === 'max' ? 'max pooling' : node.attrs.mode === 'avg' ? 'average pooling' : 'stochastic pooling';
}

/** The known spatial sizes of a node's first input (null where any is unknown). */
export function spatialInput(ctx: LintContext<unknown>, node: Node, axes: number): number[] | null {
  const shape = ctx.inputShape(node, 0);
  if (!shape || shape.length < axes) return null;
  const spatial = shape.slice(shape.length - axes);
  return spatial.every((d): d is number => typeof d === 'number') ? spatial : null;
}
