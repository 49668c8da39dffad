import type { Node } from '../../../ir/graph.js';
import type { Shape } from '../../../ir/dims.js';
import { opDefinition } from '../../../ir/ops/index.js';
import type { LintContext } from '../../context.js';
import { defineRule } from '../../rule.js';
import { blobSpan } from './dataflow.js';
import { inputField, type InputField as Field } from './fields.js';
import { axisName } from './windows.js';

function isMerge(ctx: LintContext<unknown>, node: Node): boolean {
  if (node.inputs.length < 2) return false;
  const shapes: Shape[] = [];
  for (let i = 0; i < node.inputs.length; i++) {
    const s = ctx.inputShape(node, i);
    if (!s) return false;
    shapes.push(s);
  }
  // Inputs whose shapes do not fit already have an error; their alignment is moot.
  if (node.outputs.some((_, i) => !ctx.outputShape(node, i))) return false;
  try {
    return opDefinition(node.op).spatial(node.attrs as never, shapes).kind === 'merge';
  } catch {
    return false;
  }
}

const same = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
const num = (x: number) => String(Math.round(x * 1000) / 1000);
const at = (c: number, s: number) => `${s === 1 ? '' : num(s)}i${c === 0 ? '' : c > 0 ? ` + ${num(c)}` : ` − ${num(-c)}`}`;

export const rule = defineRule({
  meta: {
    id: 'graph/misaligned-merge',
    category: 'graph',
    recommended: 'warn',
    description: 'An Eltwise or channel Concat whose inputs’ receptive fields are centred on different input pixels or sampled at different strides.',
    explanation: [
      'Each value of a feature map looks at a window of the input: value i along an axis is centred on input pixel S·i + C, with S the effective stride and C = (r − 1)/2 − P the centre of value 0 (r the receptive field, P the effective padding).',
      'Adding or concatenating two maps position by position is meaningful only when both put value i over the same pixel: equal S and equal C on every axis.',
      'When C differs, every output mixes features centred a fixed distance apart (a shift that the next layers must learn to undo, and that changes with the input size in fully convolutional use);',
      'when S differs, the two grids drift apart across the map.',
      'The usual causes are a padding that does not match the kernel in one branch (pad ≠ (k − 1)/2), an even kernel or pooling window (centre at a half pixel), or upsampling without the crop that puts it back in place — FCN’s skip layers crop with offsets computed exactly this way (Caffe’s coord_map.py).',
      'Make the branches’ kernels and paddings agree ((k − 1)/2 − pad equal in every branch), or Crop one path by the offset that cancels the shift.',
    ].join(' '),
    references: [
      { title: 'Araujo, Norris & Sim, Computing Receptive Fields of Convolutional Neural Networks (Distill, 2019): alignment of receptive fields in multi-path networks', url: 'https://distill.pub/2019/computing-receptive-fields/' },
      { title: 'Long, Shelhamer & Darrell, Fully Convolutional Networks for Semantic Segmentation (arXiv 1411.4038): skip layers and crops', url: 'https://arxiv.org/abs/1411.4038' },
      { title: 'Caffe python/caffe/coord_map.py: crop offsets from receptive-field coordinates', url: 'https://github.com/BVLC/caffe/blob/master/python/caffe/coord_map.py' },
    ],
    options: null,
    fixable: false,
    supersedes: ['rf/misaligned'],
  },
  check(ctx) {
    for (const node of ctx.nodes) {
      if (!isMerge(ctx, node)) continue;
      const fields = node.inputs.map((_, i) => inputField(ctx, node, i));
      // As the analysis merges: the largest field is the reference, the first one that differs from it is named.
      let best = -1;
      let bestSize = -1;
      fields.forEach((f, i) => {
        if (!f) return;
        const size = f.global ? Infinity : f.size.reduce((s, r) => s + r, 0);
        if (size > bestSize) {
          best = i;
          bestSize = size;
        }
      });
      if (best < 0) continue;
      const ref = fields[best]!;
      if (ref.global) continue;
      for (let i = 0; i < fields.length; i++) {
        const f = fields[i];
        if (!f || i === best || f.global || f.input !== ref.input || f.size.length !== ref.size.length) continue;
        const axis = f.size.findIndex((_, k) => !same(f.stride[k]!, ref.stride[k]!) || !same(f.centre[k]!, ref.centre[k]!));
        if (axis < 0) continue;
        const [a, b] = i < best ? [i, best] : [best, i];
        const fa = fields[a]!;
        const fb = fields[b]!;
        const describe = (j: number, g: Field) => {
          const writer = ctx.writers(node)[j];
          const from = writer && writer.name !== node.inputs[j] ? ` from '${writer.name}'` : '';
          return `'${node.inputs[j]}'${from} (stride ${num(g.stride[axis]!)}, centre ${num(g.centre[axis]!)}, receptive field ${num(g.size[axis]!)})`;
        };
        const n = f.size.length;
        const sa = fa.stride[axis]!;
        const sb = fb.stride[axis]!;
        const effect = same(sa, sb)
          ? `output position i combines features centred on input pixels ${at(fa.centre[axis]!, sa)} and ${at(fb.centre[axis]!, sb)}, ${num(Math.abs(fa.centre[axis]! - fb.centre[axis]!))} pixels apart`
          : `the paths sample the input on different grids (pixels ${at(fa.centre[axis]!, sa)} and ${at(fb.centre[axis]!, sb)} at position i)`;
        ctx.report({
          span: blobSpan(ctx, node, node.inputs[b]!, 'bottom'),
          message: `'${node.name}' merges paths whose receptive fields are not aligned along the ${axisName(axis, n)}: ${describe(a, fa)} and ${describe(b, fb)}; ${effect}`,
          hint: 'make (kernel − 1)/2 − pad agree in both paths (and their strides), or Crop one path by the offset that cancels the shift',
        });
        break;
      }
    }
  },
});
