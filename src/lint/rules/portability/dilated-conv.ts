import { defineRule } from '../../rule.js';
import { TARGET_NAMES, targetOf } from './common.js';

export const rule = defineRule({
  meta: {
    id: 'portability/dilated-conv',
    category: 'portability',
    recommended: 'warn',
    description: 'A convolution that is both strided and dilated, or a dilated transposed convolution, for TensorFlow.js.',
    explanation: [
      'TensorFlow.js convolutions take strides or dilations above 1, not both: `tf.conv2d` and `tf.depthwiseConv2d` assert “Either strides or dilations must be 1”, and `tf.conv2dTranspose` has no dilation at all.',
      'Caffe and PyTorch accept any combination.',
      'nnspec lowers a strided, dilated convolution exactly by convolving with stride 1 and keeping every s-th output (a strided slice) — the same values for s_h·s_w times the multiply-adds —',
      'and a dilated transposed convolution by spreading its kernel (zeros between the taps), which `tf.conv2dTranspose` then applies as an ordinary kernel of the dilated extent.',
    ].join(' '),
    references: [
      { title: 'TensorFlow.js tf.conv2d (strides and dilations)', url: 'https://js.tensorflow.org/api/latest/#conv2d' },
      { title: 'Yu & Koltun, Multi-Scale Context Aggregation by Dilated Convolutions (arXiv 1511.07122)', url: 'https://arxiv.org/abs/1511.07122' },
    ],
    options: null,
    fixable: false,
    targets: ['tfjs'],
  },
  check(ctx) {
    const target = targetOf(ctx, ['tfjs']);
    if (!target) return;
    for (const node of ctx.nodes) {
      if (node.op !== 'conv' && node.op !== 'conv_transpose') continue;
      const { stride, dilation } = node.attrs;
      if (!dilation.some((d) => d > 1)) continue;
      const fields = [['convolution_param', 'dilation'], ['dilation']];
      if (node.op === 'conv_transpose') {
        const extent = node.attrs.kernel.map((k, i) => (dilation[i] ?? 1) * (k - 1) + 1);
        ctx.report({
          node,
          fields,
          message: `'${node.name}' is a transposed convolution with dilation ${dilation.join('×')}; ${TARGET_NAMES[target]}'s tf.conv2dTranspose has no dilation: nnspec will spread the ${node.attrs.kernel.join('×')} kernel to ${extent.join('×')} with zeros between the taps`,
        });
        continue;
      }
      if (!stride.some((s) => s > 1)) continue;
      const factor = stride.reduce((a, b) => a * b, 1);
      ctx.report({
        node,
        fields,
        message: `'${node.name}' has stride ${stride.join('×')} and dilation ${dilation.join('×')}; ${TARGET_NAMES[target]} convolutions take one or the other: nnspec will convolve with stride 1 and keep one output in ${stride.join('×')}, the same values for ${factor}× the multiply-adds`,
      });
    }
  },
});
