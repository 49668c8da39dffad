import { axisOf, fail, formatShape } from '../dims.js';
import { defineOp, noMacs, none, noParamShapes, NOT_SPATIAL } from '../op.js';

export const loss = defineOp({
  name: 'loss',
  category: 'loss',
  summary: 'A training objective; its output is weighted by loss_weight (1 unless given).',
  attrs: (k) =>
    k.Obj({
      kind: k.Enum(['softmax_cross_entropy', 'euclidean', 'sigmoid_cross_entropy', 'contrastive', 'hinge', 'infogain', 'multinomial_logistic']),
      axis: k.Int({ description: 'the class axis (softmax cross-entropy, infogain)' }),
      ignore_label: k.Nullable(k.T.Integer()),
      normalization: k.Enum(['full', 'valid', 'batch_size', 'none']),
      margin: k.Num('contrastive loss margin'),
      legacy_version: k.Bool('contrastive loss: the pre-2015 formula'),
      norm: k.Enum(['l1', 'l2'], 'hinge loss norm'),
      source: k.Nullable(k.T.String({ description: 'infogain matrix file' })),
    }),
  inputs: { min: 1, max: 3 },
  outputs: { min: 1, max: 2 },
  params: none,
  // A loss is a scalar; SoftmaxWithLoss's optional second output is the probabilities.
  shape: (_a, inputs, outputCount) => Array.from({ length: outputCount }, (_, i) => (i === 0 ? [] : inputs[0]!)),
  paramShapes: noParamShapes,
  spatial: () => NOT_SPATIAL,
  macs: noMacs,
});

export const accuracy = defineOp({
  name: 'accuracy',
  category: 'loss',
  summary: 'Top-k classification accuracy (an evaluation output, not a loss).',
  attrs: (k) => k.Obj({ top_k: k.PositiveInt(), axis: k.Int(), ignore_label: k.Nullable(k.T.Integer()) }),
  inputs: { min: 2, max: 2 },
  outputs: { min: 1, max: 2 },
  params: none,
  // The accuracy, then (optionally) one accuracy per class.
  shape: (a, [scores], outputCount) => {
    const axis = axisOf(a.axis, scores!, 'Accuracy axis');
    const classes = scores![axis]!;
    if (typeof classes === 'number' && a.top_k > classes) fail('shape/invalid', `top_k ${a.top_k} is more than the ${classes} classes of ${formatShape(scores!)}`);
    return Array.from({ length: outputCount }, (_, i) => (i === 0 ? [] : [classes]));
  },
  paramShapes: noParamShapes,
  spatial: () => NOT_SPATIAL,
  macs: noMacs,
});
