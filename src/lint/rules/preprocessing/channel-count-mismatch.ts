import { defineRule } from '../../rule.js';
import { formatList, sites } from './shared.js';

export const rule = defineRule({
  meta: {
    id: 'preprocessing/channel-count-mismatch',
    category: 'preprocessing',
    recommended: 'error',
    description: 'A per-channel mean or std whose number of values is neither 1 nor the input\'s channel count.',
    explanation: [
      'Normalisation works per channel: channel c becomes (x_c − mean_c) / std_c. One value applies to every channel; otherwise there must be exactly one per channel.',
      'Three means for a one-channel (grey) input, or one per channel of a different colour layout, cannot be applied: Caffe stops with "Specify either 1 mean_value or as many as channels", and torchvision\'s Normalize fails to broadcast.',
      'Usually the values were copied from an RGB model to a grey-scale one (or the reverse): use the statistics of your own data, one value per channel.',
    ].join(' '),
    references: [
      { title: 'Caffe: data_transformer.cpp (mean_values must be 1 or as many as channels)', url: 'https://github.com/BVLC/caffe/blob/master/src/caffe/data_transformer.cpp' },
      { title: 'torchvision: transforms.Normalize', url: 'https://pytorch.org/vision/stable/generated/torchvision.transforms.Normalize.html' },
    ],
    options: null,
    fixable: false,
  },
  check(ctx) {
    for (const site of sites(ctx)) {
      const p = site.preprocess;
      const c = site.channels;
      if (!p || c === null) continue;
      for (const [what, values, fields] of [
        ['mean', p.mean, site.fields.mean],
        ['std', p.std, site.fields.std],
      ] as const) {
        if (!values || values.length === 1 || values.length === c) continue;
        ctx.report({
          node: site.node,
          fields: [...fields],
          message: `'${site.node.name}' has ${c} channel${c === 1 ? '' : 's'} but its ${what} ${formatList(values)} gives ${values.length} values; normalisation needs one value or one per channel`,
          hint: `give ${c === 1 ? 'one value' : `one value or ${c}`} (the ${what} of your data${c === 1 ? '' : ', per channel'})`,
        });
      }
    }
  },
});
