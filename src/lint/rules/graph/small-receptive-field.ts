import type { Node } from '../../../ir/graph.js';
import type { LintContext } from '../../context.js';
import { defineRule } from '../../rule.js';
import { dataflow } from './dataflow.js';
import { inputField, networkInputSize } from './fields.js';

interface Options {
  minCoverage: number;
}

/** Whether a node pools each channel over the whole map: global pooling, adaptive pooling to 1×1, or a window as large as the map. */
function poolsEverything(ctx: LintContext<unknown>, node: Node): boolean {
  if (node.op === 'global_pool') return true;
  if (node.op === 'adaptive_pool') return node.attrs.output_size.every((d) => d === 1);
  if (node.op !== 'pool') return false;
  const input = ctx.inputShape(node, 0);
  if (!input || input.length !== node.attrs.kernel.length + 2) return false;
  return input.slice(2).every((d, i) => typeof d === 'number' && node.attrs.kernel[i]! >= d + node.attrs.pad_begin[i]! + node.attrs.pad_end[i]!);
}

/** Whether a shape still has a spatial extent (an axis after the channels longer than 1, or unknown). */
function spatial(shape: readonly (number | string)[] | null): boolean {
  if (!shape) return true;
  return shape.slice(2).some((d) => d !== 1);
}

/**
 * A classifier head: nothing computed from the pooled features is spatial again. (A
 * squeeze-and-excitation block also pools globally, but its result rescales a feature map.)
 */
function isHead(ctx: LintContext<unknown>, node: Node): boolean {
  const flow = dataflow(ctx.nodes);
  const seen = new Set<Node>();
  const todo = [node];
  while (todo.length > 0) {
    const n = todo.pop()!;
    for (const rs of flow.readers.get(n) ?? []) {
      for (const r of rs) {
        if (seen.has(r)) continue;
        seen.add(r);
        if (r.outputs.some((_, i) => spatial(ctx.outputShape(r, i)))) return false;
        todo.push(r);
      }
    }
  }
  return true;
}

export const rule = defineRule<Options>({
  meta: {
    id: 'graph/small-receptive-field',
    category: 'graph',
    recommended: 'warn',
    description: 'A classifier that pools globally over features whose receptive field covers too little of the input.',
    explanation: [
      'Global pooling (average or max over all positions, as in NIN, GoogLeNet, ResNet, SqueezeNet) keeps no positions: the class scores are a vote of local features, each of which sees only its receptive field.',
      'If that field is smaller than the input — 3×3 convolutions without pooling grow it by only 2 pixels per layer — no feature can respond to anything larger than the field, so the net classifies a bag of local patches and cannot use an object’s overall shape.',
      'Moreover the *effective* receptive field is much smaller than the theoretical one (its weight falls off like a Gaussian, Luo et al. 2016), so a theoretical field below the input size is a strong warning.',
      'BagNets (Brendel & Bethge 2019) show that ImageNet classes can be guessed surprisingly well from small patches — but that is a deliberate design, not an accident.',
      'A fully connected head over the last map (AlexNet, VGG) is not reported: its weights depend on position, so it can combine local features into larger layouts.',
      'Grow the field before the global pooling: more layers, strided convolutions or pooling, or dilation.',
      'By default the field must span at least half the input on each axis (option minCoverage; 1 asks for the whole input — SqueezeNet’s 207 pixels on 227 would then be reported too).',
    ].join(' '),
    references: [
      { title: 'Luo, Li, Urtasun & Zemel, Understanding the Effective Receptive Field in Deep Convolutional Neural Networks (arXiv 1701.04128)', url: 'https://arxiv.org/abs/1701.04128' },
      { title: 'Brendel & Bethge, Approximating CNNs with Bag-of-local-Features models works surprisingly well on ImageNet (arXiv 1904.00760)', url: 'https://arxiv.org/abs/1904.00760' },
      { title: 'Araujo, Norris & Sim, Computing Receptive Fields of Convolutional Neural Networks (Distill, 2019)', url: 'https://distill.pub/2019/computing-receptive-fields/' },
    ],
    options: {
      type: 'object',
      properties: {
        minCoverage: {
          type: 'number',
          exclusiveMinimum: 0,
          default: 0.5,
          description: 'the receptive field of the globally pooled features must span at least this fraction of the input on every spatial axis',
        },
      },
      additionalProperties: false,
    },
    fixable: false,
  },
  check(ctx) {
    for (const node of ctx.nodes) {
      if (!poolsEverything(ctx, node)) continue;
      const field = inputField(ctx, node, 0);
      if (!field || field.global) continue;
      const size = networkInputSize(ctx, field.input);
      if (!size || size.length !== field.size.length) continue;
      const short = field.size.some((r, i) => r < ctx.options.minCoverage * size[i]!);
      if (!short || !isHead(ctx, node)) continue;
      const writer = ctx.writers(node)[0];
      const rf = field.size.join('×');
      const largest = Math.max(...field.size);
      ctx.report({
        node,
        fields: [['pooling_param', 'global_pooling'], ['global'], ['output'], ['pooling_param', 'kernel_size'], ['kernel']],
        message: `'${node.name}' pools globally over '${node.inputs[0]}'${writer && writer.name !== node.inputs[0] ? ` (from '${writer.name}')` : ''}, whose receptive field is ${rf} on the ${size.join('×')} input '${field.input}': every feature it pools sees a patch of at most ${largest} pixels, so the classifier cannot respond to anything larger`,
        hint: 'grow the receptive field before the global pooling (more layers, strides or dilation) so that it spans the input',
      });
    }
  },
});
