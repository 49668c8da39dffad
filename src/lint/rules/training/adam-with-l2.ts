import { defineRule } from '../../rule.js';
import { trainFieldSpan } from './train-fields.js';

export const rule = defineRule({
  meta: {
    id: 'training/adam-with-l2',
    category: 'training',
    recommended: 'warn',
    description: 'Adam with weight decay added to the gradient (L2), where decoupled weight decay (AdamW) was most likely meant.',
    explanation: [
      'With SGD, adding λ·w to the gradient (L2 regularisation) and shrinking the weights by lr·λ·w each step (weight decay) are the same thing.',
      'With Adam they are not: the L2 term goes through Adam\'s per-parameter division by √v̂, so weights with large or noisy gradients are barely decayed while rarely-updated ones are decayed hard, and the strength no longer follows λ.',
      'Loshchilov & Hutter show that Adam with L2 generalises worse than SGD with momentum largely for this reason, and that decoupling the decay (AdamW: w ← w − lr·(m̂/(√v̂ + ε) + λ·w)) closes most of the gap and makes the best λ largely independent of the learning rate.',
      'Caffe\'s Adam and PyTorch\'s `Adam(weight_decay=…)` are the coupled L2 form.',
      'In nnspec write `solver { type: adamw }`; note that AdamW values of λ are larger than L2 ones (PyTorch\'s AdamW defaults to 0.01).',
    ].join(' '),
    references: [
      { title: 'Loshchilov & Hutter, Decoupled Weight Decay Regularization (ICLR 2019)', url: 'https://arxiv.org/abs/1711.05101' },
      { title: 'PyTorch: torch.optim.AdamW', url: 'https://pytorch.org/docs/stable/generated/torch.optim.AdamW.html' },
    ],
    options: null,
    fixable: false,
  },
  check(ctx) {
    const train = ctx.model.train;
    if (!train || train.solver.type !== 'adam' || !(train.regularization.l2 > 0)) return;
    const caffe = ctx.model.dialect === 'caffe';
    ctx.report({
      span: trainFieldSpan(ctx, { nnspec: [['weight_decay', 'l2'], ['weight_decay']], caffe: [['weight_decay']] }),
      message: `Adam with weight decay ${train.regularization.l2} adds it to the gradient (L2), where Adam's per-parameter scaling weakens it for the weights with the largest gradients; this is not the decoupled weight decay of AdamW`,
      hint: caffe
        ? 'Caffe has no AdamW: use SGD with momentum for weight decay that acts as intended, or train with AdamW elsewhere'
        : 'write solver { type: adamw } for decoupled weight decay (and retune the decay: AdamW uses larger values, e.g. 0.01 to 0.05)',
    });
  },
});
