import { defineOp, none } from '../op.js';

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
});

export const accuracy = defineOp({
  name: 'accuracy',
  category: 'loss',
  summary: 'Top-k classification accuracy (an evaluation output, not a loss).',
  attrs: (k) => k.Obj({ top_k: k.PositiveInt(), axis: k.Int(), ignore_label: k.Nullable(k.T.Integer()) }),
  inputs: { min: 2, max: 2 },
  outputs: { min: 1, max: 2 },
  params: none,
});
