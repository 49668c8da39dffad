import { defineRule } from '../../rule.js';
import { describePool, padFields, targetOf } from './common.js';

const list = (xs: readonly number[]) => xs.join('×');

export const rule = defineRule({
  meta: {
    id: 'portability/pool-padding-limit',
    category: 'portability',
    recommended: 'warn',
    description: 'A pooling padded by more than half its window, which PyTorch’s pooling layers refuse.',
    explanation: [
      'Caffe accepts any pooling pad smaller than the kernel; PyTorch’s MaxPool2d and AvgPool2d check that the pad is at most half the (effective) kernel size — pad ≤ ⌊k/2⌋ — and raise “pad should be at most half of effective kernel size” otherwise.',
      'So a valid Caffe pooling such as kernel 3 with pad 2 has no direct PyTorch equivalent.',
      'nnspec writes the padding explicitly instead (`F.pad`, with −∞ for max pooling so that padded cells never win, zeros for average pooling) and pools with padding 0;',
      'an average pooling that must not count padded cells is then rescaled by each window’s count of in-bounds cells.',
    ].join(' '),
    references: [
      { title: 'PyTorch MaxPool2d (padding “should be at most half of effective kernel size”)', url: 'https://pytorch.org/docs/stable/generated/torch.nn.MaxPool2d.html' },
      { title: 'PyTorch torch.nn.functional.pad', url: 'https://pytorch.org/docs/stable/generated/torch.nn.functional.pad.html' },
    ],
    options: null,
    fixable: false,
    targets: ['pytorch'],
  },
  check(ctx) {
    if (!targetOf(ctx, ['pytorch'])) return;
    for (const node of ctx.nodes) {
      if (node.op !== 'pool') continue;
      const { kernel, pad_begin: pb, pad_end: pe } = node.attrs;
      // Unequal sides are padded explicitly anyway (portability/asymmetric-padding).
      if (pb.some((b, i) => b !== pe[i])) continue;
      const limit = kernel.map((k) => Math.floor(k / 2));
      if (!pb.some((p, i) => p > limit[i]!)) continue;
      const fill = node.attrs.mode === 'max' ? '−inf' : '0';
      const divisor = node.attrs.mode === 'avg' && !node.attrs.count_include_pad ? ' and rescale each output by its count of in-bounds cells' : '';
      ctx.report({
        node,
        fields: padFields(node),
        message: `'${node.name}' (${describePool(node)}) pads ${list(pb)} with a ${list(kernel)} window; PyTorch pooling allows at most ${list(limit)} (half the kernel): nnspec will pad explicitly with F.pad(…, value=${fill}) and pool with padding 0${divisor}`,
      });
    }
  },
});
