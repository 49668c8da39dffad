import { defineOp, none } from '../op.js';

export const linear = defineOp({
  name: 'linear',
  category: 'dense',
  summary:
    'Fully connected (Caffe InnerProduct): the axes from `axis` on are flattened in row-major (C, H, W) order into K inputs; the weight is [num_output, K].',
  attrs: (k) =>
    k.Obj({
      num_output: k.PositiveInt(),
      axis: k.Int({ description: 'first axis flattened into the inputs (negative: from the end)' }),
      bias: k.Bool(),
      transpose: k.Bool('the weight is stored [K, num_output] (Caffe `transpose: true`)'),
      weight_drop_prob: k.T.Number({ minimum: 0, maximum: 1, description: 'DropConnect: probability of dropping each weight while training (0: off)' }),
    }),
  inputs: { min: 1, max: 1 },
  outputs: { min: 1, max: 1 },
  params: (a) => (a.bias ? ['weight', 'bias'] : ['weight']),
});

export const embed = defineOp({
  name: 'embed',
  category: 'dense',
  summary: 'Looks up rows of a [input_dim, num_output] table by integer index (Caffe Embed).',
  attrs: (k) => k.Obj({ num_output: k.PositiveInt(), input_dim: k.PositiveInt(), bias: k.Bool() }),
  inputs: { min: 1, max: 1 },
  outputs: { min: 1, max: 1 },
  params: (a) => (a.bias ? ['weight', 'bias'] : ['weight']),
});

export const recurrent = defineOp({
  name: 'recurrent',
  category: 'dense',
  summary: 'A recurrent layer over time-major input (Caffe LSTM / RNN).',
  attrs: (k) => k.Obj({ cell: k.Enum(['lstm', 'rnn']), num_output: k.PositiveInt(), expose_hidden: k.Bool() }),
  inputs: { min: 2, max: 5 },
  outputs: { min: 1, max: 3 },
  params: (a) => (a.cell === 'lstm' ? ['W_xc', 'b_c', 'W_hc'] : ['W_xh', 'b_h', 'W_hh', 'W_ho', 'b_o']),
});

export const lstm_unit = defineOp({
  name: 'lstm_unit',
  category: 'dense',
  summary: 'One LSTM step over precomputed gate inputs (Caffe LSTMUnit).',
  attrs: (k) => k.Obj({}),
  inputs: { min: 3, max: 3 },
  outputs: { min: 2, max: 2 },
  params: none,
});
