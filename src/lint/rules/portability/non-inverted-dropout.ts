import { defineRule } from '../../rule.js';
import { TARGET_NAMES, targetOf } from './common.js';

export const rule = defineRule({
  meta: {
    id: 'portability/non-inverted-dropout',
    category: 'portability',
    recommended: 'warn',
    description: 'A dropout that scales in inference rather than in training, which no target’s dropout layer does.',
    explanation: [
      'Dropout zeroes each value with probability p while training. The original formulation (Srivastava et al. 2014) leaves the kept values alone and multiplies by (1 − p) at test time;',
      'every current framework — BVLC Caffe, PyTorch, TensorFlow.js — uses *inverted* dropout instead, dividing the kept values by (1 − p) while training and doing nothing at test time.',
      'Only a few Caffe forks (Fast/Faster R-CNN’s `scale_train: false`) keep the old form, and their trained weights expect the test-time scaling.',
      'nnspec writes the target’s inverted dropout followed by a constant scale of (1 − p): in training x·mask/(1 − p)·(1 − p) = x·mask, in inference x·(1 − p) — the same function as the original.',
    ].join(' '),
    references: [
      { title: 'Srivastava et al., Dropout: A Simple Way to Prevent Neural Networks from Overfitting (JMLR 2014)', url: 'https://jmlr.org/papers/v15/srivastava14a.html' },
      { title: 'CS231n: Neural Networks Part 2 (inverted dropout)', url: 'https://cs231n.github.io/neural-networks-2/' },
      { title: 'PyTorch Dropout (scaled by 1/(1 − p) during training)', url: 'https://pytorch.org/docs/stable/generated/torch.nn.Dropout.html' },
    ],
    options: null,
    fixable: false,
    targets: ['pytorch', 'caffe', 'tfjs'],
  },
  check(ctx) {
    const target = targetOf(ctx, ['pytorch', 'caffe', 'tfjs']);
    if (!target) return;
    for (const node of ctx.nodes) {
      if (node.op !== 'dropout' || node.attrs.scale_train) continue;
      const p = node.attrs.drop_prob;
      ctx.report({
        node,
        fields: [['dropout_param', 'scale_train'], ['scale_train']],
        message: `'${node.name}' drops with probability ${p} and scales by ${1 - p} in inference instead of by 1/${1 - p} in training; ${TARGET_NAMES[target]}'s dropout only scales in training: nnspec will write it followed by a constant scale of ${1 - p}, which computes the same`,
      });
    }
  },
});
