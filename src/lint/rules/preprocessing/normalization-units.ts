import { defineRule } from '../../rule.js';
import { formatList, sites } from './shared.js';

const round = (x: number) => Number(x.toPrecision(3));

export const rule = defineRule({
  meta: {
    id: 'preprocessing/normalization-units',
    category: 'preprocessing',
    recommended: 'warn',
    description: 'An image mean and a std (or scale) in different units: one for 0–255 pixels, the other for values in [0, 1].',
    explanation: [
      'Normalisation computes y = (x − mean) · scale / std: the mean is in the units of the raw input, and the spread it divides by is std / scale, in the same units.',
      'Image statistics are quoted in two units: Caffe\'s ImageNet mean 104, 117, 123 (std about 58) is for 0–255 pixels, torchvision\'s mean 0.485, 0.456, 0.406 and std 0.229, 0.224, 0.225 for pixels scaled to [0, 1]. Mixing them gives nonsense:',
      'mean 104 with std 0.229 maps the pixel range to about −450…+660, and mean 0.485 with scale 1/255 (Caffe subtracts the mean *before* scaling) leaves the inputs in [0, 1], not centred.',
      'A mean of 10 or more means 0–255 units, where no natural image set has a spread below 1; a mean of at most 1 means [0, 1] units, where the spread cannot reach 10. The rule reports a spread std / scale on the other side of those bounds.',
      'Take mean and std from the same source, and in Caffe give the mean in pixel units (scale applies after it).',
    ].join(' '),
    references: [
      { title: 'torchvision: transforms.Normalize (statistics for inputs in [0, 1])', url: 'https://pytorch.org/vision/stable/generated/torchvision.transforms.Normalize.html' },
      { title: 'Caffe: data_transformer.cpp (the mean is subtracted before scale is applied)', url: 'https://github.com/BVLC/caffe/blob/master/src/caffe/data_transformer.cpp' },
      { title: 'CS231n: Neural Networks Part 2, Data Preprocessing', url: 'https://cs231n.github.io/neural-networks-2/#datapre' },
    ],
    options: null,
    fixable: false,
  },
  check(ctx) {
    for (const site of sites(ctx)) {
      const p = site.preprocess;
      if (!site.images || !p || !p.mean || p.mean.length === 0 || p.std?.length === 0 || p.scale === 0) continue;
      const scale = Math.abs(p.scale);
      // The spread the values are divided by, in the units of the raw input.
      const spreads = (p.std ?? [1]).map((s) => s / scale);
      const maxMean = Math.max(...p.mean);
      const minMean = Math.min(...p.mean);
      const lo = Math.min(...spreads);
      const hi = Math.max(...spreads);
      const divisor = p.std ? (p.scale === 1 ? `std ${formatList(p.std)}` : `std ${formatList(p.std)} / scale ${p.scale}`) : `1 / scale ${p.scale}`;
      let message: string | null = null;
      let fields = site.fields.mean;
      if (minMean >= 10 && hi < 1) {
        message = `'${site.node.name}' subtracts mean ${formatList(p.mean)}, in 0–255 pixel units, but divides by ${divisor} = ${round(hi)} pixel levels, a spread for [0, 1] values; for images spread over about 58 levels the inputs come out about ${Math.round(58 / hi)} times too large`;
        fields = p.std ? site.fields.std : site.fields.scale;
      } else if (maxMean <= 1 && maxMean > 0 && minMean >= 0 && lo >= 10) {
        message = `'${site.node.name}' subtracts mean ${formatList(p.mean)}, in [0, 1] units, but divides by ${divisor} = ${round(lo)}, a spread in 0–255 pixel units; the inputs are not centred`;
      }
      if (!message) continue;
      ctx.report({
        node: site.node,
        fields: [...fields],
        message,
        hint: 'take mean and std from one source: [0.485, 0.456, 0.406] / [0.229, 0.224, 0.225] for inputs in [0, 1], or [123.7, 116.3, 103.5] / [58.4, 57.1, 57.4] for 0–255 RGB pixels (Caffe: mean before scale, in pixel units)',
      });
    }
  },
});
