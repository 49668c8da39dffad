import { defineRule } from '../../rule.js';
import { TARGET_NAMES, targetOf } from './common.js';

export const rule = defineRule({
  meta: {
    id: 'portability/grouped-conv',
    category: 'portability',
    recommended: 'warn',
    description: 'A grouped convolution (groups > 1, not depthwise) for a target without grouped convolutions (TensorFlow.js).',
    explanation: [
      'A convolution with g groups splits its input channels into g slices and convolves each slice with its own filters (AlexNet’s `group: 2`, ResNeXt).',
      'Caffe (`group`) and PyTorch (`groups`) have it; TensorFlow.js does not: `tf.conv2d` requires the filter depth to equal the input depth, and the tfjs layers API has no groups setting (a Keras model with `groups=2` fails to load, tensorflow/tfjs#3900).',
      'The depthwise case (groups equal to the input channels) maps to `tf.depthwiseConv2d` and is not reported.',
      'nnspec lowers the general case exactly: it slices the input into the g channel groups, runs one `tf.conv2d` per group with that group’s filters, and concatenates the results along the channels — the same values, in g smaller calls.',
      'Transposed convolutions with groups are split the same way (`tf.conv2dTranspose` has no groups either).',
    ].join(' '),
    references: [
      { title: 'TensorFlow.js tf.conv2d (filter [height, width, inDepth, outDepth])', url: 'https://js.tensorflow.org/api/latest/#conv2d' },
      { title: 'tensorflow/tfjs#3900: a Keras model with groups=2 does not load (shape mismatch)', url: 'https://github.com/tensorflow/tfjs/issues/3900' },
      { title: 'PyTorch Conv2d: groups', url: 'https://pytorch.org/docs/stable/generated/torch.nn.Conv2d.html' },
    ],
    options: null,
    fixable: false,
    targets: ['tfjs'],
  },
  check(ctx) {
    const target = targetOf(ctx, ['tfjs']);
    if (!target) return;
    for (const node of ctx.nodes) {
      if ((node.op !== 'conv' && node.op !== 'conv_transpose') || node.attrs.groups <= 1) continue;
      const g = node.attrs.groups;
      const cin = ctx.inputShape(node, 0)?.[node.attrs.axis];
      const fields = [['convolution_param', 'group'], ['groups']];
      // Depthwise (one group per input channel) is tf.depthwiseConv2d.
      if (node.op === 'conv' && cin === g) continue;
      const fn = node.op === 'conv' ? 'tf.conv2d' : 'tf.conv2dTranspose';
      const lowering = `nnspec will slice the input into ${g} channel groups, run one ${fn} per group and concatenate the outputs`;
      if (typeof cin !== 'number') {
        const what = node.op === 'conv' ? 'convolution' : 'transposed convolution';
        const unless = node.op === 'conv' ? ' unless they are one per input channel (depthwise, which is tf.depthwiseConv2d)' : '';
        ctx.report({ node, fields, message: `'${node.name}' is a ${what} with ${g} groups (its input channels are unknown here); ${TARGET_NAMES[target]} has no grouped convolution:${unless ? `${unless},` : ''} ${lowering}` });
        continue;
      }
      ctx.report({
        node,
        fields,
        message: `'${node.name}' is a ${node.op === 'conv' ? 'grouped' : 'grouped transposed'} convolution (${g} groups of ${cin / g} input and ${node.attrs.num_output / g} output channels each); ${TARGET_NAMES[target]} has no grouped convolution: ${lowering}`,
      });
    }
  },
});
