import { defineRule } from '../../rule.js';
import { trainFieldSpan } from './train-fields.js';

export const rule = defineRule({
  meta: {
    id: 'training/schedule-never-decays',
    category: 'training',
    recommended: 'warn',
    description: 'A learning-rate schedule whose decays fall after the end of the run, or whose factor does not decay.',
    explanation: [
      'Step schedules train at a high rate to make fast progress, then divide it (typically by 10) so the weights settle into a minimum: ResNet\'s error drops sharply at each division.',
      'A `step` schedule whose step size is as long as the run, or `multistep` milestones at or beyond its end, never divide the rate: the whole run is spent at the initial rate and the final drop in error never comes.',
      'This happens when the schedule counts in a different unit from the run (steps of 30 meant as epochs, counted as iterations), or when the run is shortened without moving the milestones.',
      'A decay factor gamma of 1 or more (`step`, `multistep`, `exp`) keeps the rate constant or makes it grow instead of decaying.',
    ].join(' '),
    references: [
      { title: 'He et al., Deep Residual Learning for Image Recognition (2015): the rate divided by 10 at plateaus', url: 'https://arxiv.org/abs/1512.03385' },
      { title: 'Caffe: SolverParameter learning-rate policies (caffe.proto)', url: 'https://github.com/BVLC/caffe/blob/master/src/caffe/proto/caffe.proto' },
      { title: 'PyTorch: torch.optim.lr_scheduler.MultiStepLR', url: 'https://pytorch.org/docs/stable/generated/torch.optim.lr_scheduler.MultiStepLR.html' },
    ],
    options: null,
    fixable: false,
  },
  check(ctx) {
    const train = ctx.model.train;
    if (!train) return;
    const s = train.lr_schedule;
    const caffe = ctx.model.dialect === 'caffe';
    if ((s.policy === 'step' || s.policy === 'multistep' || s.policy === 'exp') && s.gamma >= 1) {
      ctx.report({
        span: trainFieldSpan(ctx, { nnspec: [['lr_schedule', 'gamma'], ['lr_schedule']], caffe: [['gamma']] }),
        message: `the '${s.policy}' schedule multiplies the learning rate by gamma ${s.gamma}, which ${s.gamma === 1 ? 'keeps it constant' : 'makes it grow'} instead of decaying`,
        hint: 'use a gamma below 1 (0.1 divides the rate by 10 at each step)',
      });
    }
    // The run's length in the schedule's unit (Caffe counts everything in iterations).
    const length = s.unit === 'iteration' ? train.iterations : train.epochs;
    if (length === null) return;
    const unit = s.unit === 'iteration' ? 'iterations' : 'epochs';
    if (s.policy === 'step' && s.step_size !== null && s.step_size >= length) {
      ctx.report({
        span: trainFieldSpan(ctx, { nnspec: [['lr_schedule', 'step_size']], caffe: [['stepsize']] }),
        message: `the learning rate would first decay after ${s.step_size} ${unit}, but the run lasts ${length} ${unit}: it never decays`,
        hint: `use a step size well inside the run (e.g. ${Math.max(1, Math.round(length / 3))} ${unit}, decaying about three times)${caffe ? '' : ", and check that lr_schedule's unit matches how the run's length is given"}`,
      });
    }
    if (s.policy === 'multistep') {
      const late = s.milestones.filter((m) => m >= length);
      if (late.length > 0) {
        ctx.report({
          span: trainFieldSpan(ctx, { nnspec: [['lr_schedule', 'milestones']], caffe: [['stepvalue']] }),
          message: `${late.length === s.milestones.length ? 'every' : `${late.length} of ${s.milestones.length}`} milestone${s.milestones.length === 1 ? '' : 's'} (${late.join(', ')}) ${late.length === 1 ? 'falls' : 'fall'} at or after the end of the run (${length} ${unit})${late.length === s.milestones.length ? ': the learning rate never decays' : ' and never take effect'}`,
          hint: `place the milestones inside the run (before ${length} ${unit})`,
        });
      }
    }
    const w = s.warmup;
    if (w && w.unit === s.unit && w.length >= length) {
      ctx.report({
        span: trainFieldSpan(ctx, { nnspec: [['lr_schedule', 'warmup', 'length'], ['lr_schedule', 'warmup']] }),
        message: `the warm-up lasts ${w.length} ${unit}, as long as the run (${length} ${unit}): the learning rate never reaches its base value`,
        hint: 'warm up over a small part of the run (a few epochs, or a few thousand iterations)',
      });
    }
  },
});
