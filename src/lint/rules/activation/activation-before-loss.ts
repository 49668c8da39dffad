import type { Node } from '../../../ir/graph.js';
import type { LintContext } from '../../context.js';
import { defineRule } from '../../rule.js';
import { fmt } from '../init/flow.js';

/** The range of an activation's outputs (null: not one this rule knows). */
function range(node: Node): { lo: number; hi: number; what: string } | null {
  switch (node.op) {
    case 'sigmoid':
      return { lo: 0, hi: 1, what: 'a sigmoid, whose outputs lie in (0, 1)' };
    case 'softmax':
      return { lo: 0, hi: 1, what: 'a softmax, whose outputs are probabilities in (0, 1)' };
    case 'tanh':
      return { lo: -1, hi: 1, what: 'a tanh, whose outputs lie in (−1, 1)' };
    case 'relu':
      return node.attrs.negative_slope === 0 ? { lo: 0, hi: Infinity, what: 'a ReLU, whose outputs are never negative' } : null;
    case 'clip':
      return { lo: node.attrs.min, hi: node.attrs.max, what: `a clip to [${node.attrs.min}, ${node.attrs.max}]` };
    case 'absval':
      return { lo: 0, hi: Infinity, what: 'an absolute value, never negative' };
    case 'bnll':
      return { lo: 0, hi: Infinity, what: 'a softplus (BNLL), never negative' };
    case 'threshold':
      return { lo: 0, hi: 1, what: 'a threshold, whose outputs are 0 or 1' };
    default:
      return null;
  }
}

/** Ops between the scores and the loss that change neither values nor their range. */
const CARRY = new Set(['flatten', 'reshape', 'split', 'dropout', 'crop']);

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** The class count of a softmax loss's scores (its axis), when the shapes say. */
function classes(ctx: LintContext<unknown>, loss: Node): number | null {
  if (loss.op !== 'loss') return null;
  const shape = ctx.inputShape(loss, 0);
  if (!shape) return null;
  const axis = loss.attrs.axis < 0 ? shape.length + loss.attrs.axis : loss.attrs.axis;
  const k = shape[axis];
  return typeof k === 'number' ? k : null;
}

/** The classes of an nnspec network output (axis 1 of the activation's output). */
function outputClasses(ctx: LintContext<unknown>, node: Node): number | null {
  const k = ctx.outputShape(node, 0)?.[1];
  return typeof k === 'number' ? k : null;
}

export const rule = defineRule({
  meta: {
    id: 'activation/activation-before-loss',
    category: 'activation',
    recommended: 'warn',
    description: 'A sigmoid, softmax, tanh or ReLU squashes the scores a softmax or sigmoid cross-entropy loss expects as raw logits.',
    explanation: [
      'Softmax cross-entropy (Caffe `SoftmaxWithLoss`, nnspec `loss: softmax_cross_entropy`, PyTorch `CrossEntropyLoss`) and sigmoid cross-entropy (`SigmoidCrossEntropyLoss`, `BCEWithLogitsLoss`) apply their own softmax or sigmoid to unbounded scores (logits), which is also what makes them numerically stable.',
      'Put a bounded activation in front and the loss squashes twice. Scores in [0, 1] give softmax probabilities of at most e/(e + K − 1): with 1000 classes 0.0027, so the loss can never fall below ln(1 + 999/e) ≈ 5.9 and training stalls.',
      'Before a sigmoid loss, scores that are never negative give probabilities of at least sigmoid(0) = 0.5: the net cannot predict "no" for any label.',
      'A ReLU on the final scores clamps every negative score to 0 and passes no gradient for it, so a class can only be pushed up, never down, and one that falls to 0 stops learning.',
      'Feed the last fully connected (or 1×1 convolution) layer to the loss directly; use a separate Softmax or Sigmoid layer only for the probabilities you read in deployment.',
    ].join(' '),
    references: [
      { title: 'Caffe SoftmaxWithLoss layer (computes the softmax of its input itself)', url: 'https://caffe.berkeleyvision.org/doxygen/classcaffe_1_1SoftmaxWithLossLayer.html' },
      { title: 'PyTorch torch.nn.CrossEntropyLoss ("the input is expected to contain the unnormalized logits")', url: 'https://pytorch.org/docs/stable/generated/torch.nn.CrossEntropyLoss.html' },
      { title: 'PyTorch torch.nn.BCEWithLogitsLoss', url: 'https://pytorch.org/docs/stable/generated/torch.nn.BCEWithLogitsLoss.html' },
    ],
    options: null,
    fixable: false,
  },
  check(ctx) {
    const nnspecLoss = ctx.model.dialect === 'nnspec' && ctx.model.train?.loss === 'softmax_cross_entropy';
    for (const node of ctx.nodes) {
      const r = range(node);
      if (!r) continue;
      // Forward through layers that carry the values unchanged, to a logit loss (or, in nnspec, the output the train section's loss reads).
      let loss: Node | null = null;
      let kind: 'softmax_cross_entropy' | 'sigmoid_cross_entropy' | null = null;
      let outputReached = false;
      const seen = new Set<Node>([node]);
      let frontier: Node[] = [node];
      for (let steps = 0; frontier.length > 0 && steps < 32 && !loss; steps++) {
        const next: Node[] = [];
        for (const n of frontier) {
          const readers = ctx.readers(n);
          if (readers.length === 0) outputReached = true;
          for (const reader of readers) {
            if (seen.has(reader)) continue;
            seen.add(reader);
            if (reader.op === 'loss' && ctx.writers(reader)[0] === n && (reader.attrs.kind === 'softmax_cross_entropy' || reader.attrs.kind === 'sigmoid_cross_entropy')) {
              loss = reader;
              kind = reader.attrs.kind;
            } else if (CARRY.has(reader.op)) next.push(reader);
          }
        }
        frontier = next;
      }
      // nnspec's train section applies its loss to the network output.
      if (!kind && nnspecLoss && outputReached) kind = 'softmax_cross_entropy';
      if (!kind) continue;
      const lossName = loss ? `'${loss.name}' (${kind === 'softmax_cross_entropy' ? 'softmax' : 'sigmoid'} cross-entropy)` : 'the softmax cross-entropy loss of the train section';
      let why: string | null = null;
      if (kind === 'softmax_cross_entropy') {
        if (Number.isFinite(r.hi) && Number.isFinite(r.lo)) {
          const k = loss ? classes(ctx, loss) : outputClasses(ctx, node);
          if (k !== null && k > 1) {
            const p = Math.exp(r.hi) / (Math.exp(r.hi) + (k - 1) * Math.exp(r.lo));
            why = `with ${k} classes the largest probability it can reach is ${fmt(p)}, so the loss never falls below ${fmt(-Math.log(p))}`;
          } else why = `the probabilities it can reach are at most e^${fmt(r.hi - r.lo)}/(e^${fmt(r.hi - r.lo)} + K − 1) for K classes, so the loss stays high`;
        } else if (node.op === 'relu') why = 'a score clamped to 0 passes no gradient, so classes can only be pushed up, and a class stuck at 0 stops learning';
      } else if (Number.isFinite(r.lo)) {
        why = `the loss's own sigmoid then gives probabilities of at least ${fmt(sigmoid(r.lo))}${Number.isFinite(r.hi) ? ` and at most ${fmt(sigmoid(r.hi))}` : ''}, so it can never predict a label as absent`;
      }
      if (!why) continue;
      ctx.report({
        node,
        message: `'${node.name}' is ${r.what}, and its output goes to ${lossName}, which applies its own ${kind === 'softmax_cross_entropy' ? 'softmax' : 'sigmoid'} to raw scores: ${why}`,
        hint: `feed the scores to the loss directly${node.op === 'softmax' || node.op === 'sigmoid' ? ` (keep the ${node.op === 'softmax' ? 'Softmax' : 'Sigmoid'} only for deployment, on a separate branch)` : ` (remove '${node.name}')`}`,
      });
    }
  },
});
