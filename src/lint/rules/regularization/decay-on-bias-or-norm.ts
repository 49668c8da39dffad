import type { Node } from '../../../ir/graph.js';
import { defineRule } from '../../rule.js';
import { paramDecaySpan } from './shared.js';

/** Which blob of a node is not a weight that weight decay is meant for, and what to call it. */
function kindOf(node: Node, blob: string, ctx: { writers(n: Node): readonly (Node | undefined)[] }): string | null {
  if (blob === 'bias' || /^b_/.test(blob)) return node.op === 'batchnorm' ? 'BatchNorm β' : node.op === 'scale' && readsBatchNorm(node, ctx) ? 'BatchNorm β (Scale bias)' : 'bias';
  if (node.op === 'batchnorm' && blob === 'weight') return 'BatchNorm γ';
  if (node.op === 'scale' && blob === 'weight' && readsBatchNorm(node, ctx)) return 'BatchNorm γ (Scale)';
  if (node.op === 'prelu' && blob === 'weight') return 'PReLU slope';
  return null;
}

/** Caffe's BatchNorm has no γ and β: the Scale layer after it holds them. */
function readsBatchNorm(node: Node, ctx: { writers(n: Node): readonly (Node | undefined)[] }): boolean {
  return ctx.writers(node)[0]?.op === 'batchnorm';
}

export const rule = defineRule({
  meta: {
    id: 'regularization/decay-on-bias-or-norm',
    category: 'regularization',
    recommended: 'off',
    description: 'Weight decay applied to biases, BatchNorm γ/β (Caffe: the Scale after BatchNorm) or PReLU slopes.',
    explanation: [
      'Weight decay adds λ·w to each parameter\'s gradient to keep weights small, which limits how sharply a layer can fit its training data.',
      'Biases and the γ/β of normalisation layers are a handful of numbers per channel that shift and scale activations; they add almost no capacity, and pulling them towards zero only fights the network: a decayed γ shrinks the signal BatchNorm has just normalised, a decayed β moves ReLU thresholds.',
      'The Caffe reference models write `decay_mult: 0` on every bias for this reason; He et al. (2015) keep weight decay off PReLU slopes because it pushes them to zero (a plain ReLU); and "Bag of Tricks" (He et al. 2019) applies decay only to convolution and fully connected weights.',
      'It is a convention, not a bug (torchvision\'s recipes decay everything), hence off unless the strict preset is used.',
      'Set `decay_mult: 0` on those parameters (in nnspec, once for all in `defaults { … }`).',
    ].join(' '),
    references: [
      { title: 'He et al., Bag of Tricks for Image Classification with Convolutional Neural Networks (2019), §3.1 No bias decay', url: 'https://arxiv.org/abs/1812.01187' },
      { title: 'He et al., Delving Deep into Rectifiers (2015): no weight decay on PReLU slopes', url: 'https://arxiv.org/abs/1502.01852' },
      { title: 'Caffe: bvlc_alexnet train_val.prototxt (decay_mult: 0 on biases)', url: 'https://github.com/BVLC/caffe/blob/master/models/bvlc_alexnet/train_val.prototxt' },
    ],
    options: null,
    fixable: false,
  },
  check(ctx) {
    const train = ctx.model.train;
    if (!train) return;
    const { l2, l1 } = train.regularization;
    if (!(l2 > 0 || l1 > 0)) return;
    const penalty = l2 > 0 ? `L2 weight decay ${l2}` : `L1 decay ${l1}`;
    for (const node of ctx.nodes) {
      const decayed: { kind: string; index: number; mult: number }[] = [];
      node.params.forEach((blob, index) => {
        if (!blob.trainable || blob.lr_mult === 0 || blob.decay_mult === 0) return;
        const kind = kindOf(node, blob.name, ctx);
        if (kind) decayed.push({ kind, index, mult: blob.decay_mult });
      });
      if (decayed.length === 0) continue;
      const what = decayed.map((d) => `${d.kind} (decay_mult ${d.mult})`).join(' and ');
      ctx.report({
        span: paramDecaySpan(ctx, node, decayed[0]!.index),
        message: `'${node.name}' applies ${penalty} to its ${what}; decaying ${decayed.length === 1 ? 'it' : 'them'} pulls ${decayed.length === 1 ? 'it' : 'them'} towards zero without limiting the network's capacity`,
        hint: ctx.model.dialect === 'caffe' ? 'give those blobs param { decay_mult: 0 }' : 'set decay_mult: 0 on those parameters (for every layer of a type at once, in defaults { … })',
      });
    }
  },
});
