import { defineOp, noMacs, none, noParamShapes, pointwise, sameShapes } from '../op.js';

export const dropout = defineOp({
  name: 'dropout',
  category: 'regularization',
  summary:
    'While training, zeroes each value with probability drop_prob (a drop probability, not a keep probability) and scales the rest by 1 / (1 − drop_prob); identity in inference.',
  attrs: (k) =>
    k.Obj({
      drop_prob: k.T.Number({ minimum: 0, maximum: 1 }),
      scale_train: k.Bool('inverted dropout (scale while training); false scales by 1 − drop_prob in inference instead'),
    }),
  inputs: { min: 1, max: 1 },
  outputs: { min: 1, max: 1 },
  params: none,
  shape: sameShapes,
  paramShapes: noParamShapes,
  spatial: pointwise,
  macs: noMacs,
});
