import { defineRule } from '../../rule.js';
import { isV2Layer, writtenField } from './common.js';

const READS = new Set(['softmax_cross_entropy', 'sigmoid_cross_entropy', 'infogain']);

export const rule = defineRule({
  meta: {
    id: 'style/deprecated-loss-normalize',
    category: 'style',
    recommended: 'warn',
    description: 'loss_param { normalize: … }, the deprecated boolean that normalization replaced.',
    explanation: [
      'Caffe’s LossParameter used to have a boolean `normalize`: true divided the summed loss by the number of counted (non-ignored) labels, false by the batch size.',
      'It was replaced (2016) by the enum `normalization` — FULL, VALID, BATCH_SIZE or NONE — which also says what happens to `ignore_label` entries.',
      'Caffe still reads `normalize` when `normalization` is not written, as `normalize: true` → VALID and `normalize: false` → BATCH_SIZE, so writing that value instead keeps the loss exactly as it was; `--fix` does that.',
      'The choice matters: FCN’s `normalize: false` divides the loss summed over every pixel by the batch size only, which is why its solver’s comment reads “lr for unnormalized softmax” and its base_lr is 1e-14.',
      'Caffe reads the field in SoftmaxWithLoss, SigmoidCrossEntropyLoss and InfogainLoss; other losses ignore both spellings and are not reported.',
    ].join(' '),
    references: [
      { title: 'Caffe caffe.proto: LossParameter (normalization; normalize deprecated)', url: 'https://github.com/BVLC/caffe/blob/master/src/caffe/proto/caffe.proto' },
      { title: 'Caffe tutorial: Loss', url: 'https://caffe.berkeleyvision.org/tutorial/loss.html' },
    ],
    options: null,
    fixable: true,
  },
  check(ctx) {
    for (const node of ctx.nodes) {
      // The losses whose Caffe implementation reads normalize / normalization.
      if (node.op !== 'loss' || !READS.has(node.attrs.kind) || !isV2Layer(ctx, node)) continue;
      const old = writtenField(ctx, node, ['loss_param', 'normalize']);
      if (!old || writtenField(ctx, node, ['loss_param', 'normalization'])) continue;
      const mode = node.attrs.normalization === 'valid' ? 'VALID' : node.attrs.normalization === 'batch_size' ? 'BATCH_SIZE' : null;
      if (!mode) continue;
      const written = ctx.source.text.slice(old.value.start, old.value.end);
      ctx.report({
        span: { start: old.start, end: old.end },
        message: `'${node.name}' uses the deprecated loss_param normalize: ${written}; write normalization: ${mode}, which is what Caffe reads it as (${mode === 'VALID' ? 'divide by the counted labels' : 'divide by the batch size'})`,
        hint: `replace it with normalization: ${mode} (nnspec lint --fix does it)`,
        fix: [{ start: old.start, end: old.end, text: `normalization: ${mode}` }],
      });
    }
  },
});
