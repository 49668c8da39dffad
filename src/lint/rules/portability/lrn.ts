import { defineRule } from '../../rule.js';
import { TARGET_NAMES, targetOf } from './common.js';

const fmt = (x: number) => String(Number(x.toPrecision(6)));

export const rule = defineRule({
  meta: {
    id: 'portability/lrn',
    category: 'portability',
    recommended: 'warn',
    description: 'Local response normalisation for a target without that layer (TensorFlow.js; PyTorch for the within-channel form).',
    explanation: [
      'LRN divides each value by (k + α/n · Σ x²)^β, the sum running over n neighbouring channels (Caffe ACROSS_CHANNELS, PyTorch `LocalResponseNorm`) or over an n×n window of one channel (Caffe WITHIN_CHANNEL, where the divisor is (1 + α/n² · Σ x²)^β).',
      'The tfjs layers API has no LRN layer; tfjs-core has `tf.localResponseNormalization(x, depthRadius, bias, alpha, beta)`, which sums over 2·depthRadius + 1 channels on the *last* axis and does **not** divide alpha by the window (TensorFlow’s convention, unlike Caffe’s and PyTorch’s).',
      'So a faithful port needs depthRadius = (n − 1)/2 and alpha = α/n — GoogLeNet’s α = 1e-4 becomes 2e-5 in TensorFlow (ethereon/caffe-tensorflow#173), and forgetting it makes the normalisation 5× too strong.',
      'nnspec lowers across-channel LRN to that call with the converted constants on channels-last data, exactly.',
      'Within-channel LRN exists in neither TensorFlow.js nor PyTorch: nnspec builds it as Caffe does, from a windowed sum of x² (padding (n − 1)/2, dividing by n² including the padding), then x · (1 + α·mean)^−β.',
    ].join(' '),
    references: [
      { title: 'TensorFlow.js tf.localResponseNormalization', url: 'https://js.tensorflow.org/api/latest/#localResponseNormalization' },
      { title: 'PyTorch LocalResponseNorm', url: 'https://pytorch.org/docs/stable/generated/torch.nn.LocalResponseNorm.html' },
      { title: 'Caffe LRN layer (lrn_layer.cpp: alpha / size, within-channel as pooling of squares)', url: 'https://caffe.berkeleyvision.org/tutorial/layers/lrn.html' },
      { title: 'ethereon/caffe-tensorflow#173: LRN alpha must be divided by the size', url: 'https://github.com/ethereon/caffe-tensorflow/issues/173' },
    ],
    options: null,
    fixable: false,
    targets: ['tfjs', 'pytorch'],
  },
  check(ctx) {
    const target = targetOf(ctx, ['tfjs', 'pytorch']);
    if (!target) return;
    for (const node of ctx.nodes) {
      if (node.op !== 'lrn') continue;
      const { size, alpha, beta, k, region } = node.attrs;
      const fields = [['lrn_param', 'norm_region'], ['region'], ['lrn_param', 'local_size'], ['size']];
      if (region === 'within_channel') {
        const how =
          target === 'tfjs'
            ? `a ${size}×${size} window sum of x² (tf.depthwiseConv2d with a kernel of ones, padding ${(size - 1) / 2})`
            : `F.avg_pool2d(x², ${size}, stride 1, padding ${(size - 1) / 2}, count_include_pad=True)`;
        ctx.report({
          node,
          fields,
          message: `'${node.name}' is a within-channel LRN (${size}×${size} window); ${TARGET_NAMES[target]} has no such layer: nnspec will compute it from ${how}, as x · (1 + ${fmt(alpha)} · mean of x²)^−${fmt(beta)}`,
        });
        continue;
      }
      if (target !== 'tfjs') continue;
      ctx.report({
        node,
        fields,
        message: `'${node.name}' is an LRN layer; TensorFlow.js layers have none: nnspec will call tf.localResponseNormalization on channels-last data with depthRadius ${(size - 1) / 2} (size ${size}), alpha ${fmt(alpha / size)} (${fmt(alpha)} / ${size}: TensorFlow does not divide by the size), bias ${fmt(k)} and beta ${fmt(beta)}`,
      });
    }
  },
});
