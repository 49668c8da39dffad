import { defineRule } from '../../rule.js';
import { trainFieldSpan, trainHeadSpan } from './train-fields.js';

export const rule = defineRule({
  meta: {
    id: 'training/no-validation',
    category: 'training',
    recommended: 'warn',
    description: 'A training setup that never measures the model on held-out data.',
    explanation: [
      'The training loss says how well the network fits the data it learns from, not how well it generalises: it keeps falling while the network overfits.',
      'Only a metric on held-out data shows when that starts, and it is what learning-rate decisions, early stopping and the choice of checkpoint should rest on.',
      'In nnspec, give `validation { split interval unit }`; in a Caffe solver, `test_iter` (batches per evaluation) and `test_interval` (iterations between evaluations) run the net\'s TEST phase.',
      'The rule also reports a validation that cannot happen: a Caffe `test_iter` without `test_interval` (Caffe then never tests), or an interval longer than the whole run.',
    ].join(' '),
    references: [
      { title: 'Goodfellow, Bengio & Courville, Deep Learning (2016), §5.3 Hyperparameters and Validation Sets', url: 'https://www.deeplearningbook.org/contents/ml.html' },
      { title: 'CS231n: Neural Networks Part 3, Babysitting the learning process (train/val accuracy)', url: 'https://cs231n.github.io/neural-networks-3/#accuracy' },
      { title: 'Caffe: Solver (test_iter, test_interval)', url: 'https://caffe.berkeleyvision.org/tutorial/solver.html' },
    ],
    options: null,
    fixable: false,
  },
  check(ctx) {
    const train = ctx.model.train;
    if (!train) return;
    const caffe = ctx.model.dialect === 'caffe';
    const v = train.validation;
    if (!v) {
      ctx.report({
        span: caffe ? trainFieldSpan(ctx, { caffe: [['max_iter'], ['base_lr']] }) : trainHeadSpan(ctx),
        message: caffe
          ? 'the solver never tests the net (no test_iter or test_interval): training runs without a measure on held-out data'
          : 'the train section has no validation: training runs without a measure on held-out data',
        hint: caffe ? 'add test_iter (batches per test) and test_interval (e.g. 1000) and give the net a TEST-phase data layer' : 'add validation { split: 0.1 } (or a separate validation set with its interval)',
      });
      return;
    }
    if (v.interval === null) {
      if (caffe) {
        ctx.report({
          span: trainFieldSpan(ctx, { caffe: [['test_iter']] }),
          message: 'the solver gives test_iter but no test_interval, so Caffe never runs the test net',
          hint: 'add test_interval: the number of iterations between tests (e.g. 1000)',
        });
      }
      return;
    }
    const length = v.unit === 'iteration' ? train.iterations : train.epochs;
    const unit = v.unit === 'iteration' ? 'iterations' : 'epochs';
    if (length === null || !(v.interval > length)) return;
    ctx.report({
      span: trainFieldSpan(ctx, { nnspec: [['validation', 'interval'], ['validation']], caffe: [['test_interval']] }),
      message: `the validation interval (${v.interval} ${unit}) is longer than the whole run (${length} ${unit}), so the model is never validated during training`,
      hint: `validate at least a few times per run, e.g. every ${Math.max(1, Math.round(length / 10))} ${unit}`,
    });
  },
});
