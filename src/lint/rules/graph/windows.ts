/**
 * Strided windows as the graph rules see them: per spatial axis, the input size, the kernel
 * extent (dilation folded in), the stride and the padding on each side, for convolutions,
 * Im2col and windowed pooling whose input and output shapes are known.
 */
import type { Node } from '../../../ir/graph.js';
import type { LintContext } from '../../context.js';

export interface WindowAxis {
  /** Index among the spatial axes. */
  axis: number;
  /** Input size along the axis. */
  size: number;
  /** Output size along the axis (as the analysis computed it). */
  out: number;
  kernel: number;
  /** dilation·(kernel − 1) + 1. */
  extent: number;
  stride: number;
  padBegin: number;
  padEnd: number;
}

export type WindowNode = Extract<Node, { op: 'conv' | 'im2col' | 'pool' }>;

export function isWindowNode(node: Node): node is WindowNode {
  return node.op === 'conv' || node.op === 'im2col' || node.op === 'pool';
}

/** The known spatial axes of a window node's first input (none when shapes are unknown or wrong). */
export function windowAxes(ctx: LintContext<unknown>, node: WindowNode): WindowAxis[] {
  const input = ctx.inputShape(node, 0);
  const output = ctx.outputShape(node, 0);
  if (!input || !output) return [];
  const channelAxis = node.op === 'pool' ? 1 : node.attrs.axis;
  const a = node.attrs;
  const n = a.kernel.length;
  if (input.length !== channelAxis + 1 + n || output.length !== input.length) return [];
  const out: WindowAxis[] = [];
  for (let i = 0; i < n; i++) {
    const size = input[channelAxis + 1 + i];
    const o = output[channelAxis + 1 + i];
    if (typeof size !== 'number' || typeof o !== 'number') continue;
    const kernel = a.kernel[i]!;
    const dilation = 'dilation' in a ? (a.dilation[i] ?? 1) : 1;
    out.push({ axis: i, size, out: o, kernel, extent: dilation * (kernel - 1) + 1, stride: a.stride[i]!, padBegin: a.pad_begin[i]!, padEnd: a.pad_end[i]! });
  }
  return out;
}

const NAMES_2D = ['height', 'width'];
const NAMES_3D = ['depth', 'height', 'width'];

/** 'height' / 'width' for 2-D windows, 'depth' / … for 3-D, else 'spatial axis k'. */
export function axisName(axis: number, count: number): string {
  if (count === 2) return NAMES_2D[axis]!;
  if (count === 3) return NAMES_3D[axis]!;
  return `spatial axis ${axis + 1}`;
}

/** 'row' for the height, 'column' for the width, else 'position'. */
export function lineName(axis: number, count: number, n: number): string {
  const name = axisName(axis, count);
  const word = name === 'height' ? 'row' : name === 'width' ? 'column' : name === 'depth' ? 'slice' : 'position';
  return n === 1 ? word : `${word}s`;
}
