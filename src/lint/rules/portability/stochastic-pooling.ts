import { defineRule } from '../../rule.js';
import { TARGET_NAMES, targetOf } from './common.js';

export const rule = defineRule({
  meta: {
    id: 'portability/stochastic-pooling',
    category: 'portability',
    recommended: 'warn',
    description: 'Stochastic pooling, which only Caffe has.',
    explanation: [
      'Stochastic pooling (Zeiler & Fergus 2013) picks one value per window at random while training, with probability proportional to the (non-negative) values, and at test time outputs the probability-weighted average Σx² / Σx.',
      'Caffe implements it (`pool: STOCHASTIC`, GPU only); PyTorch and TensorFlow.js have no such layer.',
      'nnspec writes the test-time form exactly from two average poolings (of x² and of x, whose divisors cancel); training-time sampling needs a custom layer, which nnspec emits for the target.',
    ].join(' '),
    references: [
      { title: 'Zeiler & Fergus, Stochastic Pooling for Regularization of Deep Convolutional Neural Networks (arXiv 1301.3557)', url: 'https://arxiv.org/abs/1301.3557' },
      { title: 'Caffe Pooling layer (pool: STOCHASTIC)', url: 'https://caffe.berkeleyvision.org/tutorial/layers/pooling.html' },
    ],
    options: null,
    fixable: false,
    targets: ['pytorch', 'tfjs'],
  },
  check(ctx) {
    const target = targetOf(ctx, ['pytorch', 'tfjs']);
    if (!target) return;
    for (const node of ctx.nodes) {
      if ((node.op !== 'pool' && node.op !== 'global_pool') || node.attrs.mode !== 'stochastic') continue;
      ctx.report({
        node,
        fields: [['pooling_param', 'pool']],
        message: `'${node.name}' is a stochastic pooling; ${TARGET_NAMES[target]} has none: nnspec will write its test-time form, Σx²/Σx per window from two average poolings (exact in inference), and a custom layer for the random sampling in training`,
      });
    }
  },
});
