import { defineRule } from '../../rule.js';
import { strideFields } from './dropped-border.js';
import { axisName, lineName, windowAxes } from './windows.js';

export const rule = defineRule({
  meta: {
    id: 'graph/pool-window-outside-input',
    category: 'graph',
    recommended: 'error',
    description: 'A pooling whose last window starts past the end of its input, so that output is computed from nothing.',
    explanation: [
      'Caffe pooling rounds its output size up: out = ceil((in + 2·pad − k) / stride) + 1.',
      'It then drops a last window that would start outside the image — but only when the layer is padded (pooling_layer.cpp).',
      'Unpadded, with a kernel smaller than the stride, the rounded-up last window can start beyond the input: for in = 5, k = 1, stride 3 the windows start at 0, 3 and 6, and the window at 6 covers no input at all.',
      'Caffe still writes that output: −FLT_MAX (−3.4·10³⁸) for MAX pooling and 0 for AVE, values that flow on into the next layers.',
      'PyTorch’s `ceil_mode` drops such a window whether or not the layer is padded, so the two frameworks even disagree on the output size (2 vs 3 here).',
      'Round down (`round_mode: FLOOR`, nnspec `round: floor`), or use a kernel at least as large as the stride.',
    ].join(' '),
    references: [
      { title: 'Caffe PoolingLayer (pooling_layer.cpp: output size and the padded-only clip)', url: 'https://github.com/BVLC/caffe/blob/master/src/caffe/layers/pooling_layer.cpp' },
      { title: 'PyTorch MaxPool2d: ceil_mode, “sliding windows that would start in the right padded region are ignored”', url: 'https://pytorch.org/docs/stable/generated/torch.nn.MaxPool2d.html' },
    ],
    options: null,
    fixable: false,
  },
  check(ctx) {
    for (const node of ctx.nodes) {
      if (node.op !== 'pool') continue;
      const n = node.attrs.kernel.length;
      const parts: string[] = [];
      for (const a of windowAxes(ctx, node)) {
        const lastStart = (a.out - 1) * a.stride - a.padBegin;
        if (lastStart < a.size) continue;
        const outside = a.out - Math.ceil((a.padBegin + a.size) / a.stride);
        const which = outside === 1 ? `its last window along the ${axisName(a.axis, n)}` : `its last ${outside} windows along the ${axisName(a.axis, n)}`;
        parts.push(`${which} ${outside === 1 ? 'starts' : 'start'} at ${lineName(a.axis, n, 1)} ${lastStart - (outside - 1) * a.stride}, past the ${a.size} ${lineName(a.axis, n, a.size)} of the input (kernel ${a.kernel}, stride ${a.stride})`);
      }
      if (parts.length === 0) continue;
      const value = node.attrs.mode === 'max' ? ': Caffe writes −FLT_MAX there' : node.attrs.mode === 'avg' ? ': Caffe writes 0 there' : '';
      const rounding = node.attrs.rounding === 'caffe' ? "Caffe's rounding (up, with no clipping when unpadded)" : `${node.attrs.rounding} rounding`;
      ctx.report({
        node,
        fields: [['pooling_param', 'round_mode'], ['round'], ...strideFields(node)],
        message: `'${node.name}' has outputs computed from no input: with ${rounding}, ${parts.join(', and ')}${value}`,
        hint: 'round down (Caffe round_mode: FLOOR, nnspec round: floor) or make the kernel at least as large as the stride',
      });
    }
  },
});
