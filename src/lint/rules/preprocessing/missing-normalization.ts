import { defineRule } from '../../rule.js';
import { firstConvolution, normalises, sites } from './shared.js';

export const rule = defineRule({
  meta: {
    id: 'preprocessing/missing-normalization',
    category: 'preprocessing',
    recommended: 'warn',
    description: 'Images reach a convolution without any normalisation: no mean subtracted, no std or scale.',
    explanation: [
      '8-bit images arrive as values from 0 to 255. Fed as they are, every input is positive with a mean near 120 and a spread near 60, so the first layer\'s pre-activations are about 100 times larger than the initialisation schemes (Glorot, He) assume for unit-variance inputs;',
      'and because all inputs share one sign, for each example the gradients of a unit\'s weights all take the sign of its error signal, so the weights can only all grow or all shrink together and descent zig-zags.',
      'Subtract the per-channel mean and divide by the standard deviation (torchvision: mean [0.485, 0.456, 0.406] and std [0.229, 0.224, 0.225] on values scaled to [0, 1]; Caffe: `mean_value: 104 117 123`, optionally with `scale`), or at least scale to [0, 1] (LeNet\'s `scale: 0.00390625`).',
      'The rule reads nnspec inputs and the data layers that read images (Caffe Data, ImageData, WindowData); a Caffe deploy net\'s `input` says nothing about preprocessing, which the caller does, so it is not checked.',
    ].join(' '),
    references: [
      { title: 'CS231n: Neural Networks Part 2, Data Preprocessing', url: 'https://cs231n.github.io/neural-networks-2/#datapre' },
      { title: 'LeCun, Bottou, Orr & Müller, Efficient BackProp (1998), §4.3 Normalizing the Inputs', url: 'http://yann.lecun.com/exdb/publis/pdf/lecun-98b.pdf' },
      { title: 'torchvision: transforms.Normalize', url: 'https://pytorch.org/vision/stable/generated/torchvision.transforms.Normalize.html' },
      { title: 'Caffe: Data layers and transform_param', url: 'https://caffe.berkeleyvision.org/tutorial/layers/data.html' },
    ],
    options: null,
    fixable: false,
  },
  check(ctx) {
    for (const site of sites(ctx)) {
      if (!site.images || normalises(site.preprocess)) continue;
      const node = site.node;
      if (node.op === 'data' && node.attrs.source_type === 'MemoryData') continue;
      const conv = firstConvolution(ctx, node);
      if (!conv) continue;
      const what = node.op === 'data' ? `'${node.name}' (${node.attrs.source_type})` : `input '${node.name}'`;
      ctx.report({
        node,
        fields: site.fields.any,
        message: `${what} reaches convolution '${conv.name}' with no mean, std or scale: 8-bit images arrive as 0–255, about 100 times the unit scale the initialisation assumes`,
        hint:
          node.op === 'input'
            ? 'state the normalisation, e.g. mean: [0.485, 0.456, 0.406] std: [0.229, 0.224, 0.225] for inputs in [0, 1], or mean: [104, 117, 123] for 0–255 pixels; scale: 0.00390625 at least maps 0–255 to [0, 1)'
            : ctx.model.dialect === 'caffe'
              ? 'add transform_param { mean_value: … } (or mean_file) and/or scale: 0.00390625'
              : 'give the Data layer mean (or mean_file) and/or scale: 0.00390625',
      });
    }
  },
});
