import { defineRule } from '../../rule.js';
import { describeFiller, fmt, following, isTrained, isWeightLayer, WEIGHT_INIT_FIELDS, weightOwner } from './flow.js';
import { signalOf } from './signal.js';

interface Options {
  minStd: number;
  inputStd: number | null;
}

export const rule = defineRule<Options>({
  meta: {
    id: 'init/vanishing-activations',
    category: 'init',
    recommended: 'warn',
    description: 'Estimated from the initialisers, the activations of a deep stack shrink towards zero (e.g. a fixed small Gaussian such as std 0.01 in many layers without normalisation).',
    explanation: [
      'A layer that sums D inputs with weights of variance σ² gives outputs of variance D·σ²·E[x²]; a ReLU then keeps about half of E[x²].',
      'A fixed σ does not adapt to D: with σ = 0.01, a 3×3 convolution over 256 channels (D = 2304) multiplies the variance by 2304 × 0.0001 ≈ 0.23 and, with its ReLU, by about 0.12 per layer, so ten such layers leave a standard deviation about 2·10⁻⁵ times the input\'s.',
      'The gradient of a weight is its input times the error arriving from above, so once activations are tiny the weights hardly move, and the backward pass shrinks the same way.',
      'The rule propagates the mean and variance of every blob from the input (its preprocessing tells its scale: mean-subtracted 8-bit pixels have a standard deviation of about 58), through weight layers (their fillers and fan-in, and the biases they start with),',
      'nonlinearities (expectations over a Gaussian), BatchNorm (which resets the scale), LRN, dropout, pooling and merges, and reports the first weight layer whose outputs start with a standard deviation below `minStd`.',
      'Use an initialiser scaled by fan-in (He/`msra`, variance 2/fan_in, before ReLUs; Xavier/LeCun, 1/fan_in, otherwise) or add BatchNorm. AlexNet/CaffeNet\'s std 0.01 trains because its biases of 1 keep the ReLUs in their linear range and the values near 1; the estimate counts those biases.',
      'It is an estimate (independent, Gaussian pre-activations): treat the number as an order of magnitude.',
    ].join(' '),
    references: [
      { title: 'CS231n, Neural Networks Part 2: Weight Initialization', url: 'https://cs231n.github.io/neural-networks-2/' },
      { title: 'Glorot & Bengio, Understanding the difficulty of training deep feedforward neural networks (AISTATS 2010)', url: 'https://proceedings.mlr.press/v9/glorot10a.html' },
      { title: 'He et al., Delving Deep into Rectifiers (2015), §2.2', url: 'https://arxiv.org/abs/1502.01852' },
      { title: 'Poole et al., Exponential expressivity in deep neural networks through transient chaos (2016)', url: 'https://arxiv.org/abs/1606.05340' },
    ],
    options: {
      type: 'object',
      properties: {
        minStd: { type: 'number', exclusiveMinimum: 0, default: 1e-3, description: 'report the first weight layer whose outputs have an estimated standard deviation below this' },
        inputStd: {
          anyOf: [{ type: 'number', exclusiveMinimum: 0 }, { type: 'null' }],
          default: null,
          description: "the input's standard deviation after preprocessing; null estimates it from the preprocessing (8-bit images, [0, 1] images, or already normalised)",
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
      if (!isWeightLayer(node)) continue;
      const stat = signal.outputs.get(node)?.[0];
      const step = signal.steps.get(node);
      if (!stat || !step) continue;
      const std = Math.sqrt(stat.v);
      if (std >= ctx.options.minStd) continue;
      // A last layer may start small on purpose (scores or regression offsets near 0).
      const next = following(ctx, node);
      if (next.reachesOutput && next.activations.length === 0 && !next.reachesWeightLayer) continue;
      const w = weightOwner(ctx, node)!.blob;
      const source = [...signal.inputWords.values()][0] ?? 'the input';
      ctx.report({
        node,
        fields: WEIGHT_INIT_FIELDS,
        message:
          `'${node.name}' (weight layer ${stat.depth} from the input) starts with outputs of estimated standard deviation ${fmt(std)}:` +
          ` its ${describeFiller(w.init)} over ${fmt(step.summed)} inputs scales the variance by D·E[w²] = ${fmt(step.summed)} × ${fmt(step.w2)} = ${fmt(step.summed * step.w2)}, ${stat.depth === 1 ? `of the network input, whose E[x²] is ${fmt(step.inputQ)}` : `of an input whose E[x²] is already down to ${fmt(step.inputQ)}`};` +
          ` activations this small give near-zero weight gradients (estimated from ${source}${signal.shapes.assumed ? `, ${signal.shapes.assumed}` : ''})`,
        hint: 'scale the initialisers by fan-in (He/msra before ReLUs, Xavier otherwise) or normalise (BatchNorm) between layers',
      });
      return;
    }
  },
});
