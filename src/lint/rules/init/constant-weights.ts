import { defineRule } from '../../rule.js';
import { biasOf, following, isTrained, isWeightLayer, weightFillerWritten, WEIGHT_INIT_FIELDS, weightOf, weightOwner } from './flow.js';

export const rule = defineRule({
  meta: {
    id: 'init/constant-weights',
    category: 'init',
    recommended: 'warn',
    description: 'A trained convolution or fully connected layer starts with every weight equal (a constant filler, or a Caffe layer with no weight_filler).',
    explanation: [
      'Random initialisation exists to break symmetry. When every weight of a layer starts at the same value, all its output units (filters) compute the same function of the input;',
      'the gradient of unit k is its share of the error from the layers above times the same input, so the units can only drift apart through different weights above them, and if those are constant too they stay identical forever: the layer behaves like a single unit.',
      'All-zero weights are worse before a ReLU: with a zero bias the layer outputs exactly 0, ReLU passes no gradient at 0, so the layer never learns and no gradient reaches the layers below it.',
      "In Caffe this is usually an accident: a layer without `weight_filler` is filled with the constant 0 (FillerParameter's default), not with any sensible default.",
      'Draw the weights at random instead: `msra` (He) before ReLU, `xavier` otherwise. Constant biases are fine (the weights already differ), as are frozen layers (`lr_mult: 0`), fixed bilinear upsampling kernels,',
      'and a zero-initialised layer that feeds the loss directly (a classifier or score layer): each of its outputs gets its own error from the loss, so they differ after the first step.',
      'A Caffe net in which most weight layers have no filler is taken to be fine-tuned from a .caffemodel (`caffe train --weights`) and is not reported.',
    ].join(' '),
    references: [
      { title: 'CS231n, Neural Networks Part 2: Weight Initialization ("Pitfall: all zero initialization")', url: 'https://cs231n.github.io/neural-networks-2/' },
      { title: 'Caffe FillerParameter (src/caffe/proto/caffe.proto: type defaults to "constant", value to 0)', url: 'https://github.com/BVLC/caffe/blob/master/src/caffe/proto/caffe.proto' },
      { title: 'Goodfellow, Bengio & Courville, Deep Learning, §8.4 Parameter Initialization Strategies', url: 'https://www.deeplearningbook.org/contents/optimization.html' },
    ],
    options: null,
    fixable: false,
  },
  check(ctx) {
    if (!isTrained(ctx)) return;
    const layers = ctx.nodes.filter(isWeightLayer);
    // A Caffe net whose weight layers mostly have no filler is fine-tuned from trained weights.
    let finetuned = false;
    if (ctx.model.dialect === 'caffe') {
      const trainable = layers.filter((n) => (weightOf(n)?.lr_mult ?? 0) > 0 && weightOwner(ctx, n)?.node === n);
      const unwritten = trainable.filter((n) => !weightFillerWritten(ctx, n)).length;
      finetuned = unwritten > 0 && unwritten >= trainable.length - unwritten;
    }
    for (const node of layers) {
      const w = weightOf(node);
      // A blob shared by name is filled by its first holder, which is where it is reported.
      if (!w || weightOwner(ctx, node)?.node !== node) continue;
      if (w.init.type !== 'constant' || w.lr_mult === 0 || !w.trainable) continue;
      const written = weightFillerWritten(ctx, node);
      const caffeDefault = ctx.model.dialect === 'caffe' && !written;
      if (caffeDefault && finetuned) continue;
      const next = following(ctx, node);
      // The last layer: each output is pulled its own way by the loss.
      if (next.reachesOutput && next.activations.length === 0 && !next.reachesWeightLayer) continue;
      const value = w.init.value;
      const units = node.attrs.num_output;
      const b = biasOf(node)?.init;
      const biasZero = !b || (b.type === 'constant' && b.value <= 0);
      const dead = value === 0 && biasZero && next.activations.length > 0 && next.activations.every((a) => a.op === 'relu' && a.attrs.negative_slope === 0) && !next.normalizedBefore;
      const what = caffeDefault ? `'${node.name}' has no weight_filler, so Caffe fills its weights with the constant 0` : `'${node.name}' initialises every weight to the constant ${value}`;
      const why = dead
        ? `${b?.type === 'constant' && b.value < 0 ? `with a bias of ${b.value} it outputs ${b.value} everywhere, which ReLU turns into 0 with no gradient` : `with ${b ? 'a zero bias' : 'no bias'} it outputs 0, ReLU passes no gradient at 0`}, so '${node.name}' never learns and blocks the gradient to every layer below it`
        : `all ${units} of its ${node.op === 'linear' ? 'units' : 'filters'} start with the same weights, respond identically to every input and can only drift apart through the layers above (symmetry is not broken)`;
      ctx.report({
        node,
        fields: caffeDefault ? [] : WEIGHT_INIT_FIELDS,
        message: `${what}: ${why}`,
        hint: caffeDefault
          ? `add a random weight_filler, e.g. weight_filler { type: "msra" } before a ReLU (or "xavier"); if the weights come from a trained .caffemodel, this finding does not apply`
          : 'draw the weights at random (e.g. init: kaiming before a ReLU, xavier otherwise); keep constants for biases',
      });
    }
  },
});
