import type { Node } from '../../../ir/graph.js';
import { defineRule } from '../../rule.js';
import { describeFiller, fmt, following, isNormalizer, isTrained, isWeightLayer, normalizedAfter, WEIGHT_INIT_FIELDS, weightOf, weightOwner } from './flow.js';

interface Options {
  minLayers: number;
}

/** The variance scale He et al. derive for a leaky ReLU of slope a: 2 / (1 + a²). */
function heScale(act: Node): number {
  const a = act.op === 'relu' ? act.attrs.negative_slope : act.op === 'prelu' ? (act.params[0]?.init.type === 'constant' ? act.params[0].init.value : 0.25) : 0;
  return 2 / (1 + a * a);
}

function actName(act: Node): string {
  if (act.op === 'prelu') return 'PReLU';
  return act.op === 'relu' && act.attrs.negative_slope !== 0 ? 'LeakyReLU' : 'ReLU';
}

export const rule = defineRule<Options>({
  meta: {
    id: 'init/relu-init-mismatch',
    category: 'init',
    recommended: 'off',
    description: 'Many layers before ReLUs use an initialiser scaled for linear or tanh units (Xavier/Glorot, LeCun, PyTorch\'s default) instead of He/Kaiming.',
    explanation: [
      'An initialiser with weight variance scale/fan_in gives each output a variance of scale × E[x²] of its input.',
      'Xavier/Glorot and LeCun (scale 1) keep that at 1 for units that are linear around 0, such as tanh. A ReLU zeroes the negative half of its input, so E[x²] after it is half the variance before:',
      'with scale 1 every ReLU layer halves the signal\'s variance, and the halvings compound, (1/2)^L after L layers, forward and, symmetrically, for the gradients backward.',
      'He et al. (2015) derive scale 2 (variance 2/fan_in, Caffe `msra`, PyTorch `kaiming_normal_` with nonlinearity="relu"; 2/(1 + a²) for a leaky slope a), which keeps the variance constant through any depth:',
      'with Xavier their 30-layer plain ReLU net did not learn at all, while He initialisation trained it. PyTorch\'s default (variance 1/(3·fan_in)) shrinks it by 6 per layer.',
      'The rule reports such layers only when some path crosses at least `minLayers` of them with no normalisation in between (LeNet\'s one Xavier layer before a ReLU is harmless);',
      'a layer with BatchNorm between it and the ReLU, or right after the ReLU, is not counted, since normalisation resets the scale.',
      'It is off in `recommended`: VGG-16, GoogLeNet and SqueezeNet were trained from Xavier initialisation, and at their depth the mismatch slows the start of training rather than stopping it (He et al.\'s 22-layer net still converged with Xavier, more slowly); `init/vanishing-activations` reports the nets where the shrinkage really collapses the signal.',
    ].join(' '),
    references: [
      { title: 'He et al., Delving Deep into Rectifiers: Surpassing Human-Level Performance on ImageNet Classification (2015)', url: 'https://arxiv.org/abs/1502.01852' },
      { title: 'Glorot & Bengio, Understanding the difficulty of training deep feedforward neural networks (AISTATS 2010)', url: 'https://proceedings.mlr.press/v9/glorot10a.html' },
      { title: 'PyTorch torch.nn.init (kaiming_normal_, calculate_gain)', url: 'https://pytorch.org/docs/stable/nn.init.html' },
    ],
    options: {
      type: 'object',
      properties: {
        minLayers: { type: 'integer', minimum: 1, default: 5, description: 'report only when some path through the net crosses at least this many such layers with no normalisation between them (the shrinkage compounds with depth)' },
      },
      additionalProperties: false,
    },
    fixable: false,
  },
  check(ctx) {
    if (!isTrained(ctx)) return;
    const found: { node: Node; act: Node; ratio: number }[] = [];
    const ratioOf = new Map<Node, number>();
    for (const node of ctx.nodes) {
      if (!isWeightLayer(node)) continue;
      const w = weightOf(node);
      if (!w || !w.trainable || w.lr_mult === 0 || weightOwner(ctx, node)?.node !== node || w.init.type !== 'variance_scaling') continue;
      const next = following(ctx, node);
      if (next.normalizedBefore || next.activations.length === 0) continue;
      if (!next.activations.every((a) => a.op === 'relu' || a.op === 'prelu')) continue;
      if (next.activations.some((a) => normalizedAfter(ctx, a))) continue;
      const act = next.activations[0]!;
      const ratio = w.init.scale / heScale(act);
      if (ratio < 0.75) {
        found.push({ node, act, ratio });
        ratioOf.set(node, ratio);
      }
    }
    if (found.length === 0) return;
    // The path that crosses the most such layers (a normalisation starts a new count).
    const chain = new Map<Node, { count: number; product: number }>();
    let longest = { count: 0, product: 1 };
    for (const node of ctx.nodes) {
      let best = { count: 0, product: 1 };
      for (const w of ctx.writers(node)) {
        const c = w ? chain.get(w) : undefined;
        if (c && c.count > best.count) best = c;
      }
      if (isNormalizer(node)) best = { count: 0, product: 1 };
      const r = ratioOf.get(node);
      if (r !== undefined) best = { count: best.count + 1, product: best.product * r };
      chain.set(node, best);
      if (best.count > longest.count) longest = best;
    }
    if (longest.count < ctx.options.minLayers) return;
    for (const { node, act, ratio } of found) {
      const w = weightOf(node)!;
      ctx.report({
        node,
        fields: WEIGHT_INIT_FIELDS,
        message:
          `'${node.name}' initialises its weights with ${describeFiller(w.init)} before ${actName(act)} '${act.name}': that scale suits units that are linear around 0, and with the ReLU each such layer keeps ×${fmt(ratio)} of the signal's variance;` +
          ` the longest path through this net crosses ${longest.count} such layers, together ×${fmt(longest.product)} (standard deviation ×${fmt(Math.sqrt(longest.product))})`,
        hint: ctx.model.dialect === 'caffe' ? 'use weight_filler { type: "msra" } (He: variance 2/fan_in) before ReLUs' : 'use init: kaiming (He: variance 2/fan_in) before ReLUs',
      });
    }
  },
});
