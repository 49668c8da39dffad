import { defineRule } from '../../rule.js';
import { dataflow } from '../graph/dataflow.js';
import { TARGET_NAMES, targetOf } from './common.js';

const fmt = (x: number) => String(Number(x.toPrecision(6)));

export const rule = defineRule({
  meta: {
    id: 'portability/batchnorm-running-average',
    category: 'portability',
    recommended: 'warn',
    description: 'A trained BatchNorm whose running statistics follow a convention the target does not have (Caffe’s bias-corrected sums vs PyTorch’s moving average).',
    explanation: [
      'BatchNorm keeps running estimates of each channel’s mean and variance for inference.',
      'PyTorch (and Keras / TensorFlow.js) keep an exponential moving average, x̂ ← (1 − m)·x̂ + m·x_batch, started at mean 0 and variance 1, so the estimates are biased toward the start for the first ~1/m updates.',
      'Caffe keeps bias-corrected sums instead: s ← β·s + 1, Σ ← β·Σ + x_batch, estimate Σ/s (β = moving_average_fraction, 0.999), so its estimates are exact averages from the first iteration — and the stored blobs are sums that must be divided by the third blob, the scale factor (BVLC/caffe#4885, where converters forgot it).',
      'With the same β = 1 − m the two agree once the moving average has forgotten its start, but not during early training, so a training run does not reproduce exactly.',
      'nnspec converts the constants (Caffe’s moving_average_fraction = 1 − PyTorch’s momentum; Keras/TensorFlow.js momentum = 1 − PyTorch’s) and, when importing weights, divides Caffe’s sums by the scale factor; inference is then the same.',
      'This only matters for training, so deploy nets are not reported.',
    ].join(' '),
    references: [
      { title: 'Ioffe & Szegedy, Batch Normalization (arXiv 1502.03167)', url: 'https://arxiv.org/abs/1502.03167' },
      { title: 'PyTorch BatchNorm2d: momentum and running statistics', url: 'https://pytorch.org/docs/stable/generated/torch.nn.BatchNorm2d.html' },
      { title: 'Caffe BatchNorm layer (moving_average_fraction, scale factor)', url: 'https://caffe.berkeleyvision.org/tutorial/layers/batchnorm.html' },
      { title: 'BVLC/caffe#4885: BatchNorm output is not (x − mean)/sqrt(var + eps) without the scale factor', url: 'https://github.com/BVLC/caffe/issues/4885' },
    ],
    options: null,
    fixable: false,
    targets: ['pytorch', 'tfjs', 'caffe'],
  },
  check(ctx) {
    const target = targetOf(ctx, ['pytorch', 'tfjs', 'caffe']);
    if (!target) return;
    // Only training updates the running statistics.
    if (!ctx.model.train && !dataflow(ctx.nodes).hasObjective) return;
    for (const node of ctx.nodes) {
      if (node.op !== 'batchnorm' || node.attrs.statistics !== 'auto') continue;
      const m = node.attrs.momentum;
      const fields = [['batch_norm_param', 'moving_average_fraction'], ['momentum']];
      if (target === 'caffe' && node.attrs.running_update === 'ema') {
        ctx.report({
          node,
          fields,
          message: `'${node.name}' keeps an exponential moving average of the batch statistics (momentum ${fmt(m)}); Caffe's BatchNorm keeps bias-corrected sums instead: nnspec will write moving_average_fraction ${fmt(1 - m)}, and the running statistics will differ early in training`,
        });
      } else if (target !== 'caffe' && node.attrs.running_update === 'caffe') {
        const written = target === 'tfjs' ? `momentum ${fmt(1 - m)} (Keras' convention, the weight of the old average)` : `momentum ${fmt(m)}`;
        ctx.report({
          node,
          fields,
          message: `'${node.name}' keeps Caffe's bias-corrected running sums (moving_average_fraction ${fmt(1 - m)}); ${TARGET_NAMES[target]}'s BatchNorm keeps an exponential moving average started at mean 0 and variance 1: nnspec will write ${written}, and the running statistics will differ early in training`,
        });
      }
    }
  },
});
