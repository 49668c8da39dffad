import { defineRule } from '../../rule.js';
import { downstream, upstream } from './shared.js';

export const rule = defineRule<{ minParams: number }>({
  meta: {
    id: 'regularization/unregularized-fully-connected',
    category: 'regularization',
    recommended: 'warn',
    description: 'A large fully connected layer trained with neither dropout next to it nor weight decay on its weights.',
    explanation: [
      'Fully connected layers hold most of the parameters of classic convolutional networks (AlexNet\'s fc6 alone has 9216 × 4096 ≈ 37.7 million of its 61 million) and are where they overfit.',
      'The usual remedies are dropout on the layer\'s input or output (AlexNet and VGG drop 50% after fc6 and fc7) and weight decay, an L2 penalty λ·‖w‖²/2 that pulls weights towards zero (5·10⁻⁴ in AlexNet and VGG, 10⁻⁴ in ResNet).',
      'A layer with millions of weights and neither can memorise the training set: training loss falls while validation loss rises.',
      'The rule looks only at models with a training setup (an nnspec `train` section, a Caffe solver with its net inside): without one nothing says whether weight decay is used.',
      'Dropout counts when it reads the layer\'s output or writes its input, through activations and reshapes; weight decay counts when the setup has L2 or L1 above zero and the weight\'s decay_mult is not zero.',
    ].join(' '),
    references: [
      { title: 'Srivastava et al., Dropout: A Simple Way to Prevent Neural Networks from Overfitting (JMLR 2014)', url: 'https://jmlr.org/papers/v15/srivastava14a.html' },
      { title: 'Krizhevsky, Sutskever & Hinton, ImageNet Classification with Deep Convolutional Neural Networks (NeurIPS 2012)', url: 'https://proceedings.neurips.cc/paper/2012/hash/c399862d3b9d6b76c8436e924a68c45b-Abstract.html' },
      { title: 'CS231n: Neural Networks Part 2, Regularization', url: 'https://cs231n.github.io/neural-networks-2/#reg' },
    ],
    options: {
      type: 'object',
      properties: {
        minParams: { type: 'integer', minimum: 1, default: 1_000_000, description: 'Fully connected layers with at least this many trainable parameters are checked.' },
      },
      additionalProperties: false,
    },
    fixable: false,
  },
  check(ctx) {
    const train = ctx.model.train;
    if (!train) return;
    const decay = train.regularization.l2 > 0 || train.regularization.l1 > 0;
    for (const node of ctx.nodes) {
      if (node.op !== 'linear') continue;
      const params = ctx.analysis(node)?.cost?.trainableParams ?? 0;
      if (params < ctx.options.minParams) continue;
      const weight = node.params.find((p) => p.name === 'weight');
      if (decay && weight && weight.decay_mult !== 0) continue;
      if (node.attrs.weight_drop_prob > 0) continue;
      const near = [...downstream(ctx, node), ...upstream(ctx, node)];
      if (near.some((n) => n.op === 'dropout' && n.attrs.drop_prob > 0)) continue;
      const why = !decay ? 'the training setup has no weight decay' : `its weight has decay_mult 0`;
      ctx.report({
        node,
        ...(decay ? { fields: [['param', 'decay_mult'], ['weight', 'decay_mult']] } : {}),
        message: `'${node.name}' has ${params.toLocaleString('en-US')} trainable parameters with no dropout on its input or output, and ${why}; a layer this large overfits without regularisation`,
        hint: ctx.model.dialect === 'caffe' ? 'add a Dropout layer after its activation (dropout_ratio: 0.5), or set weight_decay in the solver (e.g. 0.0005)' : 'add Dropout { drop_prob: 0.5 } after its activation, or set weight_decay in the train section (e.g. 5e-4)',
      });
    }
  },
});
