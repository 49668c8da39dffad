import { defineRule } from '../../rule.js';
import { axisName, lineName, windowAxes } from './windows.js';

export const rule = defineRule({
  meta: {
    id: 'graph/padding-only-output',
    category: 'graph',
    recommended: 'warn',
    description: 'A convolution padded by at least its kernel extent, so its border outputs see nothing but zero padding.',
    explanation: [
      'Zero padding p lets windows hang over the border: with p = (k − 1)/2 (“same”) every output is centred on an input position, and with p = k − 1 (“full”) the outermost windows still overlap one input row.',
      'With p ≥ k the outermost windows lie entirely in the padding: those outputs are the same for every input (the bias alone, or 0 without one).',
      'They cost memory and computation, they make the map larger than anything the input supports, and the next layers learn from constant borders.',
      'For a dilated kernel the extent d·(k − 1) + 1 is what counts.',
      'Padding of at most k − 1 (usually (k − 1)/2) is what a convolution needs; add the extra size elsewhere if a later layer needs it.',
    ].join(' '),
    references: [
      { title: 'Dumoulin & Visin, A guide to convolution arithmetic for deep learning (arXiv 1603.07285), §2.2: half (same) and full padding', url: 'https://arxiv.org/abs/1603.07285' },
      { title: 'CS231n: Convolutional Networks (zero-padding)', url: 'https://cs231n.github.io/convolutional-networks/' },
    ],
    options: null,
    fixable: false,
  },
  check(ctx) {
    for (const node of ctx.nodes) {
      if (node.op !== 'conv' && node.op !== 'im2col') continue;
      const n = node.attrs.kernel.length;
      const parts: string[] = [];
      for (const a of windowAxes(ctx, node)) {
        const first = a.padBegin >= a.extent ? Math.floor((a.padBegin - a.extent) / a.stride) + 1 : 0;
        const last = Math.max(0, a.out - Math.ceil((a.padBegin + a.size) / a.stride));
        if (first === 0 && last === 0) continue;
        const pads = a.padBegin === a.padEnd ? `pads ${a.padBegin}` : `pads ${a.padBegin} before and ${a.padEnd} after`;
        const kernel = a.extent === a.kernel ? `a kernel of ${a.kernel}` : `a dilated kernel spanning ${a.extent}`;
        const which = [first > 0 ? (first === 1 ? 'the first' : `the first ${first}`) : '', last > 0 ? (last === 1 ? 'the last' : `the last ${last}`) : ''].filter(Boolean).join(' and ');
        parts.push(`along the ${axisName(a.axis, n)} it ${pads} with ${kernel} (stride ${a.stride}), so ${which} ${lineName(a.axis, n, Math.max(first, last, 2))} of its ${a.out}-${lineName(a.axis, n, 1)} output`);
      }
      if (parts.length === 0) continue;
      const value = node.op === 'im2col' ? 'columns of zeros' : node.attrs.bias ? 'the bias alone' : 'zero';
      ctx.report({
        node,
        fields: [['convolution_param', 'pad'], ['convolution_param', 'pad_h'], ['convolution_param', 'pad_w'], ['pad'], ['pad_begin'], ['pad_end']],
        message: `'${node.name}' has outputs that see only zero padding: ${parts.join('; ')} see no input and are ${value}`,
        hint: 'pad by at most kernel − 1 (usually (kernel − 1) / 2 to keep the size)',
      });
    }
  },
});
