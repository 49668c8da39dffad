import type { Node } from '../../../ir/graph.js';
import { defineRule } from '../../rule.js';
import { isWindowNode, lineName, windowAxes, type WindowAxis } from './windows.js';

/** The fields where a window's stride (then its kernel) is written, Caffe and nnspec. */
export function strideFields(node: Node): string[][] {
  const param = node.op === 'pool' ? 'pooling_param' : 'convolution_param';
  return [[param, 'stride'], [param, 'stride_h'], [param, 'stride_w'], ['stride'], [param, 'kernel_size'], [param, 'kernel_h'], ['kernel']];
}

/** Input positions after the last window, and how many of them are real input (not end padding). */
function leftOver(a: WindowAxis): { rem: number; dropped: number } {
  const span = a.size + a.padBegin + a.padEnd - a.extent;
  const rem = span - (a.out - 1) * a.stride;
  return { rem, dropped: Math.max(0, rem - a.padEnd) };
}

export const rule = defineRule({
  meta: {
    id: 'graph/dropped-border',
    category: 'graph',
    recommended: 'warn',
    description: 'A strided convolution or floor-rounded pooling whose windows stop short of the input’s end, so its last rows or columns are never read.',
    explanation: [
      'A window of extent k moved by stride s over n positions (plus padding) fits floor((n + pads − k) / s) + 1 times.',
      'When (n + pads − k) is not a multiple of s, the last (n + pads − k) mod s positions come after the last window: no output ever reads them.',
      'If they are padding nothing is lost, but when they are input rows, the network silently ignores the bottom rows (right columns) of its input or feature map —',
      'e.g. a 3×3 convolution with stride 2 and no padding on 224×224 reads rows 0…222 and drops row 223, and a 2×2 pooling with stride 2 and floor rounding on a 7×7 map drops the 7th row and column, a seventh of the map.',
      'Caffe pooling rounds up (and PyTorch’s `ceil_mode=True`), which adds a last, clipped window instead; convolutions always round down.',
      'Choose sizes so that (n + pads − k) is a multiple of the stride: pad the end, use ceil rounding for pooling, or resize the input.',
      'Windows smaller than their stride (a 1×1 convolution with stride 2) skip rows between windows anyway and are not reported.',
    ].join(' '),
    references: [
      { title: 'Dumoulin & Visin, A guide to convolution arithmetic for deep learning (arXiv 1603.07285), §2.4: zero padding and non-unit strides', url: 'https://arxiv.org/abs/1603.07285' },
      { title: 'PyTorch MaxPool2d: output size and ceil_mode', url: 'https://pytorch.org/docs/stable/generated/torch.nn.MaxPool2d.html' },
      { title: 'CS231n: Convolutional Networks (spatial arrangement: sizes that do not fit the stride)', url: 'https://cs231n.github.io/convolutional-networks/' },
    ],
    options: null,
    fixable: false,
  },
  check(ctx) {
    for (const node of ctx.nodes) {
      if (!isWindowNode(node)) continue;
      // Rounding up (Caffe, ceil_mode) adds a last window that covers the rest of the input.
      if (node.op === 'pool' && node.attrs.rounding !== 'floor') continue;
      const axes = windowAxes(ctx, node);
      const lost = axes.map((a) => ({ a, ...leftOver(a) })).filter((x) => x.dropped > 0 && x.a.extent >= x.a.stride);
      if (lost.length === 0) continue;
      const n = node.attrs.kernel.length;
      const input = ctx.inputShape(node, 0)!;
      const spatial = input.slice(input.length - n).join('×');
      const parts = lost.map(({ a, dropped }) => (dropped === 1 ? `the last ${lineName(a.axis, n, 1)}` : `the last ${dropped} ${lineName(a.axis, n, dropped)}`));
      const sums = [
        ...new Set(
          lost.map(({ a, rem }) => {
            const pads = a.padBegin + a.padEnd;
            const padNote = a.padEnd > 0 ? `, ${a.padEnd} of them end padding` : '';
            return `(${a.size} + ${pads} − ${a.extent}) mod ${a.stride} = ${rem} position${rem === 1 ? '' : 's'} after the last window${padNote}`;
          }),
        ),
      ];
      const each = lost.length > 1 && sums.length === 1 ? ' on each axis' : '';
      const rounding = node.op === 'pool' ? 'floor rounding' : 'a convolution rounds down and';
      const first = lost[0]!.a;
      const extra = first.stride - lost[0]!.rem;
      ctx.report({
        node,
        fields: strideFields(node),
        message: `'${node.name}' never reads ${parts.join(' and ')} of its ${spatial} input: ${rounding} leaves ${sums.join('; ')}${each}`,
        hint:
          node.op === 'pool'
            ? `round up (Caffe's default, PyTorch ceil_mode), pad the end by ${extra}, or choose sizes where (in + pads − kernel) is a multiple of the stride`
            : `pad the end by ${extra} or resize so that (in + pads − kernel) is a multiple of the stride`,
      });
    }
  },
});
