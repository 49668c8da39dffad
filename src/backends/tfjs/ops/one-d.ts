/**
 * 1-D windows (N×C×L) as the 2-D lowering over a height of 1: the input gains an axis of 1,
 * the weight [O, C/g, k] becomes [O, C/g, 1, k], and the output loses the axis again.
 */
import type { NodeOf } from '../../../ir/graph.js';
import { ir, irValue } from '../layout.js';
import type { Lower, Lowered, NodeInfo } from '../types.js';

type Windowed = 'conv' | 'conv_transpose' | 'pool';

const PER_AXIS = ['kernel', 'stride', 'dilation', 'pad_begin', 'pad_end', 'output_padding'] as const;
const NEUTRAL: Record<(typeof PER_AXIS)[number], number> = { kernel: 1, stride: 1, dilation: 1, pad_begin: 0, pad_end: 0, output_padding: 0 };

/** Lowers a node with one spatial axis through `lower2d`, or null when it has another number. */
export function oneD<O extends Windowed>(node: NodeOf<O>, info: NodeInfo, lower2d: Lower<O>): Lowered | null {
  const attrs = node.attrs as unknown as Record<string, unknown>;
  if ((attrs.kernel as number[]).length !== 1) return null;
  const lifted: Record<string, unknown> = { ...attrs };
  for (const key of PER_AXIS) if (Array.isArray(attrs[key])) lifted[key] = [NEUTRAL[key], ...(attrs[key] as number[])];
  const kernel = lower2d({ ...node, attrs: lifted } as unknown as NodeOf<O>, info);
  if (typeof kernel !== 'function') return kernel;
  return (inputs, ctx) => {
    const { tf } = ctx;
    const param = (name: string) => (name === 'weight' ? tf.expandDims(ctx.param(name), 2) : ctx.param(name));
    const out = kernel(inputs.map((v) => irValue(tf.expandDims(ir(tf, v), 2))), { ...ctx, param });
    return out.map((v) => irValue(tf.squeeze(ir(tf, v), [2])));
  };
}
