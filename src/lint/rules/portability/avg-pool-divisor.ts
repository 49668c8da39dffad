import { defineRule } from '../../rule.js';
import { padFields, TARGET_NAMES, targetOf } from './common.js';

export const rule = defineRule({
  meta: {
    id: 'portability/avg-pool-divisor',
    category: 'portability',
    recommended: 'warn',
    description: 'A padded average pooling whose divisor convention the target does not have (TensorFlow.js: in-bounds cells only; Caffe: padding always counted).',
    explanation: [
      'An average pooling window that overlaps the padding can divide its sum by the whole window (padded cells count as zeros: Caffe always, PyTorch’s default `count_include_pad=True`) or by the cells inside the input only (`count_include_pad=False`, TensorFlow’s SAME pooling).',
      'The two differ at every border output: with a 3×3 window padded by 1, a corner output is sum/9 in Caffe and sum/4 in TensorFlow.js.',
      'TensorFlow.js’s `avgPool` always divides by the in-bounds count, so nnspec multiplies the border outputs by a precomputed ratio (in-bounds cells / window cells) to get Caffe’s values.',
      'Caffe cannot leave padding out, so a padded `count_pad: false` average pooling is refused by `nnspec convert --to caffe`.',
      'Converters that ignore this (MMdnn writes count_include_pad=False for every Caffe AVE pool) get border values that disagree.',
    ].join(' '),
    references: [
      { title: 'PyTorch AvgPool2d: count_include_pad', url: 'https://pytorch.org/docs/stable/generated/torch.nn.AvgPool2d.html' },
      { title: 'TensorFlow.js tf.avgPool', url: 'https://js.tensorflow.org/api/latest/#avgPool' },
      { title: 'Caffe PoolingLayer (pooling_layer.cpp: the AVE divisor counts padding)', url: 'https://github.com/BVLC/caffe/blob/master/src/caffe/layers/pooling_layer.cpp' },
    ],
    options: null,
    fixable: false,
    targets: ['tfjs', 'caffe'],
  },
  check(ctx) {
    const target = targetOf(ctx, ['tfjs', 'caffe']);
    if (!target) return;
    for (const node of ctx.nodes) {
      if (node.op !== 'pool' || node.attrs.mode !== 'avg') continue;
      const includes = node.attrs.count_include_pad;
      if (target === 'tfjs' ? !includes : includes) continue;
      const { kernel, stride, pad_begin: pb, pad_end: pe } = node.attrs;
      const input = ctx.inputShape(node, 0);
      const output = ctx.outputShape(node, 0);
      const n = kernel.length;
      // Does some window overlap the padding? The first one does when padded before; the last
      // one when it reaches past the input into end padding.
      const overlaps = kernel.some((k, i) => {
        if (pb[i]! > 0) return true;
        if (pe[i]! === 0) return false;
        const size = input?.[input.length - n + i];
        const out = output?.[output.length - n + i];
        if (typeof size !== 'number' || typeof out !== 'number') return true;
        return (out - 1) * stride[i]! - pb[i]! + k > size;
      });
      if (!overlaps) continue;
      const window = kernel.join('×');
      const message =
        target === 'tfjs'
          ? `'${node.name}' averages ${window} windows that overlap its padding and counts the padded cells (Caffe, PyTorch's default); ${TARGET_NAMES.tfjs}'s avgPool divides by the in-bounds cells only: nnspec will multiply the border outputs by a precomputed ratio of in-bounds to window cells`
          : `'${node.name}' averages ${window} windows that overlap its padding over the in-bounds cells only (count_pad: false); Caffe always counts the padding, so nnspec cannot convert it`;
      ctx.report({ node, fields: [['count_pad'], ...padFields(node)], message });
    }
  },
});
