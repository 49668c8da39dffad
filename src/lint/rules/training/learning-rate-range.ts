import type { TrainConfig } from '../../../ir/train.js';
import { defineRule } from '../../rule.js';
import { settingName, solverTypeKnown, trainFieldSpan } from './train-fields.js';

type Range = [number, number];
interface Options {
  sgd: Range;
  adam: Range;
  rmsprop: Range;
  adagrad: Range;
  adadelta: Range;
}

const range = (dflt: Range, description: string) => ({
  type: 'array',
  items: { type: 'number', minimum: 0 },
  minItems: 2,
  maxItems: 2,
  default: dflt,
  description,
});

/** Which option speaks for a solver: Nesterov is SGD with a look-ahead, AdamW is Adam with decoupled decay. */
function family(type: TrainConfig['solver']['type']): keyof Options | null {
  if (type === 'sgd' || type === 'nesterov') return 'sgd';
  if (type === 'adam' || type === 'adamw') return 'adam';
  return type === 'rmsprop' || type === 'adagrad' || type === 'adadelta' ? type : null;
}

const NAMES: Record<string, string> = { sgd: 'SGD', nesterov: 'Nesterov SGD', adam: 'Adam', adamw: 'AdamW', rmsprop: 'RMSProp', adagrad: 'AdaGrad', adadelta: 'AdaDelta' };

const TYPICAL: Record<keyof Options, string> = { sgd: 'SGD with momentum 0.01 to 0.1', adam: 'Adam 1e-3 (3e-4 for transformers)', rmsprop: 'RMSProp 1e-3', adagrad: 'AdaGrad 0.01', adadelta: 'AdaDelta 1.0' };

const fmt = (x: number) => (x !== 0 && (Math.abs(x) < 1e-3 || Math.abs(x) >= 1e4) ? x.toExponential().replace('e+', 'e') : String(x));

export const rule = defineRule<Options>({
  meta: {
    id: 'training/learning-rate-range',
    category: 'training',
    recommended: 'warn',
    description: 'A base learning rate outside the range that usually trains for its optimiser (SGD 1e-5…1, Adam 1e-6…1e-2, …).',
    explanation: [
      'Too large a learning rate makes the loss diverge (NaN within a few hundred steps); too small a one leaves the weights where they started for the whole run.',
      'What counts as large depends on the optimiser. SGD steps by lr · gradient, and gradients of a mean loss are usually well below 1, so rates from 0.01 to 0.1 are common (ResNet: 0.1, AlexNet and VGG: 0.01).',
      'Adam (and RMSProp, AdaGrad) divide each gradient by a running estimate of its own magnitude, so every parameter moves by about lr per step whatever the gradient\'s scale: Kingma & Ba bound the step by the learning rate α, and recommend 0.001.',
      'An Adam rate of 0.1 therefore moves every weight by up to 0.1 at every step, far more than the weights of a network initialised with std 0.01–0.05 can take; published Adam rates lie between about 1e-5 and 3e-3.',
      'AdaDelta was designed to need no learning rate at all: it is run with 1.0 (PyTorch\'s default, Caffe\'s AdaDelta example).',
      'A rate far below the range is reported too; it is right only when the loss is summed over many elements instead of averaged (FCN\'s unnormalised per-pixel loss trains at 1e-10 to 1e-14), which scales the gradient up by that count.',
      'Change the ranges with the options when a setup knowingly leaves them.',
    ].join(' '),
    references: [
      { title: 'Kingma & Ba, Adam: A Method for Stochastic Optimization (2015), §2.1', url: 'https://arxiv.org/abs/1412.6980' },
      { title: 'Bengio, Practical Recommendations for Gradient-Based Training of Deep Architectures (2012)', url: 'https://arxiv.org/abs/1206.5533' },
      { title: 'CS231n: Neural Networks Part 3, Learning and Evaluation', url: 'https://cs231n.github.io/neural-networks-3/' },
      { title: 'PyTorch: torch.optim (default learning rates per optimiser)', url: 'https://pytorch.org/docs/stable/optim.html' },
    ],
    options: {
      type: 'object',
      properties: {
        sgd: range([1e-5, 1], 'Sane [lowest, highest] base learning rate for SGD and Nesterov.'),
        adam: range([1e-6, 1e-2], 'Sane [lowest, highest] base learning rate for Adam and AdamW.'),
        rmsprop: range([1e-6, 0.1], 'Sane [lowest, highest] base learning rate for RMSProp.'),
        adagrad: range([1e-4, 1], 'Sane [lowest, highest] base learning rate for AdaGrad.'),
        adadelta: range([1e-3, 10], 'Sane [lowest, highest] base learning rate for AdaDelta.'),
      },
      additionalProperties: false,
    },
    fixable: false,
  },
  check(ctx) {
    const train = ctx.model.train;
    if (!train || !solverTypeKnown(ctx)) return;
    const { type, base_lr: lr } = train.solver;
    const fam = family(type);
    const r = fam ? ctx.options[fam] : undefined;
    if (!r || r.length !== 2) return;
    const [lo, hi] = r;
    if (lr >= lo && lr <= hi) return;
    const name = NAMES[type] ?? type;
    const adaptive = type !== 'sgd' && type !== 'nesterov';
    const why =
      lr > hi
        ? adaptive
          ? `${name} moves every parameter by up to about the learning rate at each step, far more than weights initialised at a scale of 0.01–0.1 can take, and training becomes unstable`
          : 'steps this large usually make the loss diverge'
        : 'the weights would barely move over the run (unless the loss is summed over many elements rather than averaged)';
    ctx.report({
      span: trainFieldSpan(ctx, { nnspec: [['solver', 'lr']], caffe: [['base_lr']] }),
      message: `the learning rate ${fmt(lr)} is ${lr > hi ? 'above' : 'below'} the usual range for ${name} (${fmt(lo)} to ${fmt(hi)}); ${why}`,
      hint: `typical starting rates: ${TYPICAL[fam!]}; set ${settingName(ctx, 'solver { lr }', 'base_lr')} accordingly, or widen the range in the rule options if this is deliberate`,
    });
  },
});
