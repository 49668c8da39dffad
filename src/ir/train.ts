/**
 * The training setup of a model, framework-neutral. The nnspec `train` section and Caffe's
 * SolverParameter both bind to it; the training command executes it.
 *
 * Weight decay follows Caffe and PyTorch: `l2: λ` adds λ·w to each weight's gradient (the
 * gradient of λ/2·‖w‖², which is Keras' l2(λ/2)), `l1: λ` adds λ·sign(w); both are multiplied
 * by the parameter's decay_mult. Learning rates are multiplied by the parameter's lr_mult.
 */
import type { Static } from '@sinclair/typebox';
import type { SchemaKit } from './schema-kit.js';

export const trainSchema = ({ T: Type, Obj, Enum, Nullable }: SchemaKit) => {
const Unit = Enum(['iteration', 'epoch']);
const Range = Type.Tuple([Type.Number(), Type.Number()]);

const SolverSchema = Obj({
  type: Enum(['sgd', 'nesterov', 'adam', 'adamw', 'rmsprop', 'adagrad', 'adadelta']),
  base_lr: Type.Number({ minimum: 0 }),
  momentum: Type.Number({ minimum: 0, description: 'SGD/Nesterov momentum; Adam β1; AdaDelta decay' }),
  beta2: Type.Number({ minimum: 0, maximum: 1, description: 'Adam β2 (Caffe momentum2)' }),
  eps: Type.Number({ minimum: 0, description: 'Adam/AdaGrad/RMSProp/AdaDelta ε (Caffe delta)' }),
  rms_decay: Type.Number({ minimum: 0, maximum: 1, description: 'RMSProp moving-average decay' }),
  /**
   * 'caffe': the velocity holds lr·gradient (v ← m·v + lr·g, w ← w − v); 'pytorch': it holds
   * the gradient and lr multiplies it afterwards. The two agree while lr is constant.
   */
  momentum_convention: Enum(['caffe', 'pytorch']),
});

const LrScheduleSchema = Obj({
  policy: Enum(['fixed', 'step', 'multistep', 'exp', 'inv', 'poly', 'sigmoid', 'cosine']),
  gamma: Type.Number(),
  power: Type.Number(),
  step_size: Nullable(Type.Number({ exclusiveMinimum: 0 })),
  milestones: Type.Array(Type.Number({ minimum: 0 })),
  /** Whether step sizes, milestones and warm-up count iterations or epochs. */
  unit: Unit,
  min_lr: Type.Number({ minimum: 0, description: 'cosine: the final learning rate' }),
  warmup: Nullable(Obj({ length: Type.Number({ exclusiveMinimum: 0 }), unit: Unit, start_factor: Type.Number({ minimum: 0, maximum: 1 }) })),
});

const Prob = Type.Number({ minimum: 0, maximum: 1 });

const AugmentationSchema = Type.Union([
  Obj({ op: Type.Literal('hflip'), p: Prob }),
  Obj({ op: Type.Literal('random_crop'), size: Type.Array(Type.Integer({ minimum: 1 })), padding: Type.Integer({ minimum: 0 }) }),
  Obj({ op: Type.Literal('random_resized_crop'), size: Type.Array(Type.Integer({ minimum: 1 })), scale: Range, ratio: Range }),
  Obj({ op: Type.Literal('color_jitter'), brightness: Type.Number({ minimum: 0 }), contrast: Type.Number({ minimum: 0 }), saturation: Type.Number({ minimum: 0 }), hue: Type.Number({ minimum: 0, maximum: 0.5 }) }),
  Obj({ op: Type.Literal('cutout'), size: Type.Integer({ minimum: 1 }), count: Type.Integer({ minimum: 1 }) }),
  Obj({ op: Type.Literal('mixup'), alpha: Type.Number({ exclusiveMinimum: 0 }) }),
  Obj({
    op: Type.Literal('autoaugment'),
    subpolicies: Type.Array(
      Type.Array(
        Obj({
          op: Enum(['ShearX', 'ShearY', 'TranslateX', 'TranslateY', 'Rotate', 'Invert', 'Solarize', 'Posterize', 'AutoContrast', 'Equalize', 'Contrast', 'Brightness', 'Sharpness', 'Color']),
          p: Prob,
          magnitude: Type.Integer({ minimum: 0, maximum: 10 }),
        }),
        { minItems: 1 },
      ),
      { minItems: 1 },
    ),
  }),
]);

return Obj({
  solver: SolverSchema,
  regularization: Obj({ l2: Type.Number({ minimum: 0 }), l1: Type.Number({ minimum: 0 }) }),
  lr_schedule: LrScheduleSchema,
  epochs: Nullable(Type.Number({ exclusiveMinimum: 0 })),
  iterations: Nullable(Type.Integer({ minimum: 1 })),
  batch_size: Nullable(Type.Integer({ minimum: 1 })),
  iter_size: Type.Integer({ minimum: 1, description: 'gradient accumulation steps per update' }),
  gradient_clip: Nullable(Type.Number({ exclusiveMinimum: 0, description: 'maximum global L2 norm of the gradients' })),
  loss: Nullable(Enum(['softmax_cross_entropy'])),
  validation: Nullable(
    Obj({
      split: Nullable(Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1 })),
      interval: Nullable(Type.Number({ exclusiveMinimum: 0 })),
      unit: Unit,
      iterations: Nullable(Type.Integer({ minimum: 1 })),
    }),
  ),
  early_stopping: Nullable(Obj({ metric: Type.String(), mode: Enum(['min', 'max']), patience: Type.Integer({ minimum: 1 }), min_delta: Type.Number({ minimum: 0 }) })),
  augmentation: Type.Array(AugmentationSchema),
  seed: Nullable(Type.Integer()),
  /** Settings that only matter to the originating framework (Caffe's snapshot prefix, display, …), as written. */
  extra: Type.Record(Type.String(), Type.Unknown()),
});
};

export type TrainConfig = Static<ReturnType<typeof trainSchema>>;
export type Augmentation = TrainConfig['augmentation'][number];
export type LrSchedule = TrainConfig['lr_schedule'];
