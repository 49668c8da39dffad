import { defineRule } from '../../rule.js';
import { downstream } from './shared.js';

export const rule = defineRule({
  meta: {
    id: 'regularization/dropout-before-batchnorm',
    category: 'regularization',
    recommended: 'warn',
    description: 'Dropout whose output goes straight into BatchNorm, whose running variance then does not match inference.',
    explanation: [
      'While training, inverted dropout with drop probability p zeroes units and scales the rest by 1/(1 − p): the mean is kept, but the variance of each unit grows (for a unit with mean μ and variance σ², to (σ² + p·μ²)/(1 − p)).',
      'A BatchNorm right after it learns its running variance from these inflated values; in inference dropout is the identity, the variance is smaller, and BatchNorm divides by the wrong number.',
      'Li et al. (2019) call this the *variance shift* and show it costs accuracy in DenseNet, ResNeXt and Wide ResNet: put dropout after the last BatchNorm (just before the classifier), or drop it where BatchNorm already regularises.',
    ].join(' '),
    references: [
      { title: 'Li et al., Understanding the Disharmony between Dropout and Batch Normalization by Variance Shift (CVPR 2019)', url: 'https://arxiv.org/abs/1801.05134' },
      { title: 'Ioffe & Szegedy, Batch Normalization (2015)', url: 'https://arxiv.org/abs/1502.03167' },
    ],
    options: null,
    fixable: false,
  },
  check(ctx) {
    for (const node of ctx.nodes) {
      if (node.op !== 'dropout' || node.attrs.drop_prob <= 0) continue;
      for (const next of downstream(ctx, node)) {
        // A BatchNorm that always uses batch statistics normalises inference with inference's own batch: no shift.
        if (next.op !== 'batchnorm' || next.attrs.statistics === 'batch') continue;
        ctx.report({
          node,
          fields: [['dropout_param', 'dropout_ratio'], ['drop_prob']],
          message: `'${node.name}' (drop probability ${node.attrs.drop_prob}) feeds BatchNorm '${next.name}', whose running variance is learnt from dropped-out values and is wrong in inference, where dropout is off`,
          hint: 'move the dropout after the last BatchNorm (before the classifier), or remove it',
        });
        break;
      }
    }
  },
});
