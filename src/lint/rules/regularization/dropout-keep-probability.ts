import { defineRule } from '../../rule.js';

export const rule = defineRule<{ threshold: number }>({
  meta: {
    id: 'regularization/dropout-keep-probability',
    category: 'regularization',
    recommended: 'warn',
    description: 'A dropout probability of 0.8 or more, which looks like a keep probability written where the drop probability belongs.',
    explanation: [
      'Two conventions name the same number from opposite ends. The original dropout paper and TensorFlow 1 (`tf.nn.dropout(x, keep_prob)`) give the probability of **keeping** a unit, often 0.5 for hidden layers and 0.8 for inputs;',
      'Caffe (`dropout_ratio`), PyTorch (`nn.Dropout(p)`), Keras (`rate`) and nnspec (`drop_prob`) give the probability of **dropping** it.',
      'Copying `keep_prob: 0.9` into `dropout_ratio: 0.9` drops 90% of the units: each survivor is scaled by 1/(1 − 0.9) = 10, the gradient reaches a tenth of the layer per step, and the network underfits badly.',
      'Srivastava et al. found retention probabilities of 0.5–0.8 work best, that is drop probabilities of 0.2–0.5.',
      'Write the drop probability: `1 − keep_prob`.',
    ].join(' '),
    references: [
      { title: 'Srivastava et al., Dropout: A Simple Way to Prevent Neural Networks from Overfitting (JMLR 2014)', url: 'https://jmlr.org/papers/v15/srivastava14a.html' },
      { title: 'PyTorch: torch.nn.Dropout (p is the probability of an element to be zeroed)', url: 'https://pytorch.org/docs/stable/generated/torch.nn.Dropout.html' },
      { title: 'Caffe: Dropout layer (dropout_ratio)', url: 'https://caffe.berkeleyvision.org/tutorial/layers/dropout.html' },
    ],
    options: {
      type: 'object',
      properties: {
        threshold: { type: 'number', minimum: 0, maximum: 1, default: 0.8, description: 'Drop probabilities at or above this are reported.' },
      },
      additionalProperties: false,
    },
    fixable: false,
  },
  check(ctx) {
    for (const node of ctx.nodes) {
      if (node.op !== 'dropout') continue;
      const p = node.attrs.drop_prob;
      if (!(p >= ctx.options.threshold) || p >= 1) continue;
      const kept = Math.round((1 - p) * 1000) / 10;
      ctx.report({
        node,
        fields: [['dropout_param', 'dropout_ratio'], ['drop_prob']],
        message: `'${node.name}' drops ${Math.round(p * 1000) / 10}% of its units (drop probability ${p}) and keeps only ${kept}%; this looks like a keep probability`,
        hint: `if ${p} is the probability of keeping a unit (keep_prob), write ${ctx.model.dialect === 'caffe' ? 'dropout_ratio' : 'drop_prob'}: ${Math.round((1 - p) * 1e6) / 1e6}`,
      });
    }
  },
});
