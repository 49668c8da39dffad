import type { Node } from '../../../ir/graph.js';
import { defineRule } from '../../rule.js';
import { describeFiller, fmt, isNormalizer, isPassThrough, isSaturating, isTrained, isWeightLayer, weightOwner } from './flow.js';
import { expectation, signalOf } from './signal.js';

interface Options {
  maxStd: number;
  inputStd: number | null;
}

/** The weight layer that feeds `node` through pass-through layers (null: a normalisation or something else first). */
function feedingLayer(ctx: { writers(n: Node): readonly (Node | undefined)[] }, node: Node): Node | null {
  let at: Node | undefined = ctx.writers(node)[0];
  for (let steps = 0; at && steps < 64; steps++) {
    if (isWeightLayer(at)) return at;
    if (isNormalizer(at) || !isPassThrough(at)) return null;
    at = ctx.writers(at)[0];
  }
  return null;
}

export const rule = defineRule<Options>({
  meta: {
    id: 'init/saturating-activations',
    category: 'init',
    recommended: 'warn',
    description: 'Estimated from the initialisers, a sigmoid or tanh starts with inputs so large that it is flat for most of them (saturated).',
    explanation: [
      'tanh and sigmoid are flat away from 0: tanh′(x) = 1 − tanh²(x) is 0.07 at |x| = 2 and smaller beyond, and sigmoid(x) = (1 + tanh(x/2))/2 has half tanh\'s scale, so it saturates at twice the input.',
      'When the weights before them are too large for their fan-in (a fixed Gaussian with std 1 over hundreds of inputs gives pre-activations with a standard deviation in the tens), almost every unit starts in a flat region:',
      'its output is ±1 (or 0/1) whatever the input, and the gradient through it is close to 0, so learning stalls. LeCun et al. (Efficient BackProp) size the weights as 1/sqrt(fan_in) for exactly this reason: so that the weighted sums fall in the nonlinearity\'s linear range.',
      'The rule estimates each sigmoid or tanh input\'s spread from the input\'s preprocessing and the initialisers (see init/vanishing-activations) and reports it when its root mean square, in tanh units (half of it for sigmoid), is above `maxStd`.',
      'Scale the weights by fan-in (Xavier/LeCun: variance 1/fan_in) or put BatchNorm before the nonlinearity.',
    ].join(' '),
    references: [
      { title: 'Glorot & Bengio, Understanding the difficulty of training deep feedforward neural networks (AISTATS 2010)', url: 'https://proceedings.mlr.press/v9/glorot10a.html' },
      { title: 'LeCun, Bottou, Orr & Müller, Efficient BackProp (1998), §4.6 Initializing the weights', url: 'https://yann.lecun.com/exdb/publis/pdf/lecun-98b.pdf' },
      { title: 'CS231n, Neural Networks Part 2: Weight Initialization', url: 'https://cs231n.github.io/neural-networks-2/' },
    ],
    options: {
      type: 'object',
      properties: {
        maxStd: { type: 'number', exclusiveMinimum: 0, default: 3, description: 'report a tanh whose input has a root mean square above this (a sigmoid: above twice this)' },
        inputStd: {
          anyOf: [{ type: 'number', exclusiveMinimum: 0 }, { type: 'null' }],
          default: null,
          description: "the input's standard deviation after preprocessing; null estimates it from the preprocessing",
        },
      },
      additionalProperties: false,
    },
    fixable: false,
  },
  check(ctx) {
    if (!isTrained(ctx)) return;
    const signal = signalOf(ctx, ctx.options.inputStd);
    for (const node of ctx.nodes) {
      if (!isSaturating(node)) continue;
      const x = signal.inputs.get(node)?.[0];
      if (!x) continue;
      const rms = Math.sqrt(x.m * x.m + x.v);
      const tanhUnits = node.op === 'sigmoid' ? rms / 2 : rms;
      if (tanhUnits <= ctx.options.maxStd) continue;
      // Average slope as a fraction of the slope at 0 (1 for tanh, 1/4 for sigmoid).
      const slope = node.op === 'tanh' ? expectation((y) => 1 - Math.tanh(y) ** 2, x.m, x.v).mean : expectation((y) => 1 - Math.tanh(y / 2) ** 2, x.m, x.v).mean;
      const layer = feedingLayer(ctx, node);
      const w = layer ? weightOwner(ctx, layer)?.blob : undefined;
      const from = layer && w ? ` from '${layer.name}' (${describeFiller(w.init)})` : '';
      const fn = node.op === 'tanh' ? 'tanh' : 'sigmoid';
      ctx.report({
        node,
        message:
          `'${node.name}' starts with inputs${from} of estimated root mean square ${fmt(rms)}${Math.abs(x.m) > 0.1 * rms ? ` (mean ${fmt(x.m)})` : ''}: ${fn} is saturated for most of them,` +
          ` its average slope is ${Math.round(slope * 100)}% of its slope at 0, so little gradient passes through it${signal.shapes.assumed ? ` (${signal.shapes.assumed})` : ''}`,
        hint: 'scale the weights before it by fan-in (xavier / lecun: variance 1/fan_in) or add BatchNorm before it',
      });
    }
  },
});
