import { defineRule } from '../../rule.js';
import { trainFieldSpan } from './train-fields.js';

export const rule = defineRule({
  meta: {
    id: 'training/early-stopping-without-validation',
    category: 'training',
    recommended: 'error',
    description: 'Early stopping in a training setup that holds out no validation data.',
    explanation: [
      'Early stopping ends training when a metric measured on held-out data (val_loss, val_top1) has not improved for `patience` evaluations, and keeps the best weights: it stops at the point where the network starts to overfit.',
      'Without a validation split or set there is nothing held out: the metric either does not exist, or it is measured on the training data, whose loss keeps falling while the network overfits, so the "early" stop never comes (or comes for the wrong reason).',
      'Add `validation { split: 0.1 }` (or a separate validation set with its interval), or remove early_stopping.',
    ].join(' '),
    references: [
      { title: 'Prechelt, Early Stopping — But When? (Neural Networks: Tricks of the Trade, 1998)', url: 'https://link.springer.com/chapter/10.1007/3-540-49430-8_3' },
      { title: 'Goodfellow, Bengio & Courville, Deep Learning (2016), §7.8 Early Stopping', url: 'https://www.deeplearningbook.org/contents/regularization.html' },
    ],
    options: null,
    fixable: false,
  },
  check(ctx) {
    const train = ctx.model.train;
    if (!train || !train.early_stopping || train.validation) return;
    ctx.report({
      span: trainFieldSpan(ctx, { nnspec: [['early_stopping', 'metric'], ['early_stopping']] }),
      message: `early stopping watches '${train.early_stopping.metric}', but the training setup holds out no validation data, so there is no held-out metric to stop on`,
      hint: 'add validation { split: 0.1 interval: 1 unit: epoch } to the train section, or remove early_stopping',
    });
  },
});
