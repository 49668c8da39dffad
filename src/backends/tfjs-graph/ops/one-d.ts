/**
 * 1-D windows as 2-D ones over a height of 1, as the lowering's one-d.ts does: the input
 * [N, C, L] is reshaped to [N, C, 1, L], the weight [O, C/g, k] to [O, C/g, 1, k], and the
 * result back to [N, O, L'].
 */
import type { NodeOf } from '../../../ir/graph.js';
import { reshape, toIr, type Translate, type Translated, type NodeInfo } from '../emit.js';

type Windowed = 'conv' | 'conv_transpose' | 'pool';

const PER_AXIS = ['kernel', 'stride', 'dilation', 'pad_begin', 'pad_end', 'output_padding'] as const;
const NEUTRAL: Record<(typeof PER_AXIS)[number], number> = { kernel: 1, stride: 1, dilation: 1, pad_begin: 0, pad_end: 0, output_padding: 0 };

const lift = (shape: number[]): number[] => [...shape.slice(0, 2), 1, ...shape.slice(2)];

/** Translates a node with one spatial axis through `translate2d`, or null when it has another number. */
export function oneD<O extends Windowed>(node: NodeOf<O>, info: NodeInfo, translate2d: Translate<O>): Translated | null {
  const attrs = node.attrs as unknown as Record<string, unknown>;
  if ((attrs.kernel as number[]).length !== 1) return null;
  const lifted: Record<string, unknown> = { ...attrs };
  for (const key of PER_AXIS) if (Array.isArray(attrs[key])) lifted[key] = [NEUTRAL[key], ...(attrs[key] as number[])];
  const liftedInfo: NodeInfo = { inputs: info.inputs.map(lift), outputs: info.outputs.map(lift) };
  const emit = translate2d({ ...node, attrs: lifted } as unknown as NodeOf<O>, liftedInfo);
  if (typeof emit !== 'function') return emit;
  return (inputs, ctx) => {
    const param = (name: string) => {
      const w = ctx.param(name);
      return name === 'weight' ? { shape: [...w.shape.slice(0, 2), 1, ...w.shape.slice(2)], data: w.data } : w;
    };
    const values = inputs.map((v) => ({ ref: reshape(ctx, toIr(ctx, v).ref, lift(v.shape), true), cl: false, shape: lift(v.shape) }));
    return emit(values, { ...ctx, param }).map((r, i) => {
      const out = info.outputs[i]!;
      const ir = toIr(ctx, { ...r, shape: lift(out) });
      return { ref: reshape(ctx, ir.ref, out, true), cl: false };
    });
  };
}
