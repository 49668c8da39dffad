import { defineRule } from '../../rule.js';

export const rule = defineRule({
  meta: {
    id: 'regularization/dropout-ratio-range',
    category: 'regularization',
    recommended: 'error',
    description: 'A dropout probability must be in [0, 1).',
    explanation: [
      'Dropout zeroes each activation with probability p while training and scales the survivors by 1/(1 − p).',
      'At p = 1 every activation is dropped and the scale is infinite: the layer outputs nothing useful and its gradient is undefined.',
      'Caffe and nnspec both write the probability of *dropping* (Caffe `dropout_ratio`, nnspec `drop_prob`).',
    ].join(' '),
    references: [{ title: 'Srivastava et al., Dropout: A Simple Way to Prevent Neural Networks from Overfitting (JMLR 2014)', url: 'https://jmlr.org/papers/v15/srivastava14a.html' }],
    options: null,
    fixable: false,
  },
  check(ctx) {
    for (const node of ctx.nodes) {
      if (node.op !== 'dropout') continue;
      const p = node.attrs.drop_prob;
      if (p >= 0 && p < 1) continue;
      ctx.report({
        node,
        fields: [['dropout_param', 'dropout_ratio'], ['drop_prob']],
        message: `'${node.name}' drops with probability ${p}; a dropout probability must be at least 0 and below 1`,
      });
    }
  },
});
