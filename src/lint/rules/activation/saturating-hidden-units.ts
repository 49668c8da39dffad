import type { Node } from '../../../ir/graph.js';
import type { LintContext } from '../../context.js';
import { defineRule } from '../../rule.js';
import { following, isNormalizer, isPassThrough, isSaturating } from '../init/flow.js';

interface Options {
  minLayers: number;
}

/** Whether what `act` writes is used as a multiplicative gate (an elementwise product, a second Scale input, an LSTM unit). */
function isGate(ctx: LintContext<unknown>, act: Node): boolean {
  const seen = new Set<Node>([act]);
  let frontier: Node[] = [act];
  for (let steps = 0; frontier.length > 0 && steps < 64; steps++) {
    const next: Node[] = [];
    for (const n of frontier) {
      for (const r of ctx.readers(n)) {
        if (seen.has(r)) continue;
        seen.add(r);
        if (r.op === 'eltwise' && r.attrs.operation === 'prod') return true;
        if (r.op === 'scale' && r.inputs.length === 2 && ctx.writers(r)[1] === n) return true;
        if (r.op === 'lstm_unit') return true;
        if (['split', 'reshape', 'flatten', 'tile', 'slice'].includes(r.op)) next.push(r);
      }
    }
    frontier = next;
  }
  return false;
}

/** Whether a normalisation comes right before `act` (through pass-through layers). */
function normalizedBefore(ctx: LintContext<unknown>, act: Node): boolean {
  let at: Node | undefined = ctx.writers(act)[0];
  for (let steps = 0; at && steps < 64; steps++) {
    if (isNormalizer(at)) return true;
    if (!isPassThrough(at)) return false;
    at = ctx.writers(at)[0];
  }
  return false;
}

export const rule = defineRule<Options>({
  meta: {
    id: 'activation/saturating-hidden-units',
    category: 'activation',
    recommended: 'warn',
    description: 'A deep net uses sigmoid or tanh between its hidden layers (vanishing gradients); ReLU-family activations train faster.',
    explanation: [
      'Backpropagation multiplies the gradient by the activation\'s slope at every layer. The sigmoid\'s slope is at most 1/4 (at 0) and tanh\'s at most 1, and both fall towards 0 as soon as their input leaves the middle (tanh′(2) ≈ 0.07):',
      'through L such layers the gradient shrinks by up to 4^L for sigmoid, so the layers near the input learn far more slowly than those near the output (Glorot & Bengio 2010).',
      'The sigmoid is also not centred on 0, which biases the next layer\'s weight updates. ReLU has slope 1 wherever it is active, which is why deep nets use it (Krizhevsky et al. 2012 trained 6× faster than with tanh);',
      'LeakyReLU, PReLU, ELU and GELU keep a gradient for negative inputs too.',
      'Sigmoid and tanh remain right where their range matters: outputs (probabilities, bounded targets) and multiplicative gates (LSTM gates, attention and squeeze-and-excitation weights), which the rule leaves alone.',
      'A sigmoid or tanh with BatchNorm right before it is not counted either: Ioffe & Szegedy (2015) trained a sigmoid Inception that way, since normalisation keeps the inputs in the non-flat range.',
      'The rule reports when the net has at least `minLayers` hidden sigmoid/tanh layers.',
    ].join(' '),
    references: [
      { title: 'Glorot & Bengio, Understanding the difficulty of training deep feedforward neural networks (AISTATS 2010)', url: 'https://proceedings.mlr.press/v9/glorot10a.html' },
      { title: 'Glorot, Bordes & Bengio, Deep Sparse Rectifier Neural Networks (AISTATS 2011)', url: 'https://proceedings.mlr.press/v15/glorot11a.html' },
      { title: 'Ioffe & Szegedy, Batch Normalization: Accelerating Deep Network Training by Reducing Internal Covariate Shift (2015)', url: 'https://arxiv.org/abs/1502.03167' },
      { title: 'Krizhevsky, Sutskever & Hinton, ImageNet Classification with Deep Convolutional Neural Networks (NeurIPS 2012), Figure 1', url: 'https://papers.nips.cc/paper_files/paper/2012/hash/c399862d3b9d6b76c8436e924a68c45b-Abstract.html' },
      { title: 'CS231n, Neural Networks Part 1: Commonly used activation functions', url: 'https://cs231n.github.io/neural-networks-1/' },
    ],
    options: {
      type: 'object',
      properties: {
        minLayers: { type: 'integer', minimum: 1, default: 3, description: 'report only when the net has at least this many hidden sigmoid/tanh layers' },
      },
      additionalProperties: false,
    },
    fixable: false,
  },
  check(ctx) {
    const hidden: Node[] = [];
    for (const node of ctx.nodes) {
      if (!isSaturating(node)) continue;
      // Hidden: what it writes reaches another weight layer (not only an output or a loss).
      if (!following(ctx, node).reachesWeightLayer) continue;
      if (isGate(ctx, node) || normalizedBefore(ctx, node)) continue;
      hidden.push(node);
    }
    if (hidden.length < ctx.options.minLayers) return;
    const sigmoids = hidden.filter((n) => n.op === 'sigmoid').length;
    const bound = sigmoids === hidden.length ? `(1/4)^${hidden.length} ≈ ${(0.25 ** hidden.length).toExponential(0)}` : null;
    for (const node of hidden) {
      const fn = node.op === 'sigmoid' ? 'sigmoid' : 'tanh';
      const slope = node.op === 'sigmoid' ? 'its slope is at most 1/4' : 'its slope is at most 1 and below 0.42 once |x| > 1';
      ctx.report({
        node,
        message: `'${node.name}' is one of ${hidden.length} hidden sigmoid/tanh layers in this net: ${fn} is flat away from 0 (${slope}), so the gradient shrinks at every such layer on its way to the first layers${bound ? `, by up to ${bound} over all of them` : ''}`,
        hint: ctx.model.dialect === 'caffe' ? 'use ReLU (or PReLU / ELU) for hidden layers; keep sigmoid/tanh for outputs and gates, or put BatchNorm before them' : 'use ReLU (or LeakyReLU / PReLU / ELU / GELU) for hidden layers; keep sigmoid/tanh for outputs and gates, or put BatchNorm before them',
      });
    }
  },
});
