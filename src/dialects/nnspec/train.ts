/**
 * The `train` section: solver, regularisation, learning-rate schedule, duration, validation,
 * early stopping and augmentation, read into the IR's TrainConfig. This issue parses and
 * validates it; the training command executes it.
 */
import type { Field, Message, Span } from '../../language/syntax-tree.js';
import type { Augmentation, TrainConfig } from '../../ir/train.js';
import { maybe, opt, readMessage, req, t, type ReadContext, type Ty } from './fields.js';
import { evaluate } from './evaluate.js';
import { didYouMean } from '../../diagnostics/did-you-mean.js';

const SOLVERS = ['sgd', 'nesterov', 'adam', 'adamw', 'rmsprop', 'adagrad', 'adadelta'] as const;
const POLICIES = ['fixed', 'step', 'multistep', 'exp', 'inv', 'poly', 'sigmoid', 'cosine'] as const;
const Unit = t.oneOf(['epoch', 'iteration'] as const);
const positive = t.num(0, Infinity, { exclusiveMin: true });
const unit = t.num(0, 1);
const fraction = t.num(0, 1, { exclusiveMin: true, exclusiveMax: true });

const solverFields = {
  type: opt(t.oneOf(SOLVERS), 'sgd' as (typeof SOLVERS)[number], 'the optimiser'),
  lr: req(positive, 'base learning rate'),
  momentum: maybe(t.num(0, 1, { exclusiveMax: true }), 'SGD momentum (0), or Adam β1 (0.9), or AdaDelta decay (0.95)'),
  beta2: opt(t.num(0, 1, { exclusiveMax: true }), 0.999, 'Adam β2'),
  eps: opt(t.num(0), 1e-8, 'Adam/RMSProp/AdaGrad/AdaDelta ε'),
  rms_decay: opt(unit, 0.99, 'RMSProp moving-average decay'),
  nesterov: opt(t.bool, false, 'Nesterov momentum (SGD)'),
};

const scheduleFields = {
  policy: opt(t.oneOf(POLICIES), 'fixed' as (typeof POLICIES)[number], 'how the learning rate changes'),
  gamma: opt(t.num(0), 0.1, 'decay factor (step, multistep, exp, inv, sigmoid)'),
  power: opt(t.num(), 1, 'exponent (poly, inv)'),
  step_size: maybe(positive, 'steps between decays (step, sigmoid)'),
  milestones: opt(t.list(t.num(0)), [] as number[], 'when to decay (multistep)'),
  unit: opt(Unit, 'epoch' as 'epoch' | 'iteration', 'whether step sizes, milestones and warm-up count epochs or iterations'),
  min_lr: opt(t.num(0), 0, 'final learning rate (cosine)'),
  warmup: maybe(t.message, 'linear warm-up: { length unit start_factor }'),
};

const AUTOAUGMENT_OPS = ['ShearX', 'ShearY', 'TranslateX', 'TranslateY', 'Rotate', 'Invert', 'Solarize', 'Posterize', 'AutoContrast', 'Equalize', 'Contrast', 'Brightness', 'Sharpness', 'Color'] as const;

function augmentations(msg: Message, ctx: ReadContext): Augmentation[] | undefined {
  const out: Augmentation[] = [];
  let ok = true;
  const sizeList = t.list(t.int(1), { minItems: 1, maxItems: 2 });
  const pair = t.list(t.num(0), { minItems: 2, maxItems: 2 });
  const KINDS = ['hflip', 'random_crop', 'random_resized_crop', 'color_jitter', 'cutout', 'mixup', 'autoaugment'];
  for (const field of msg.fields) {
    const value = evaluate(field.value, ctx.env, ctx.diagnostics);
    if (value.kind === 'missing') {
      ok = false;
      continue;
    }
    const sub = (decls: Parameters<typeof readMessage>[1]) => {
      const m = t.message.read(value, ctx, field);
      return m ? readMessage(m, decls, ctx, `augment ${field.name}`) : undefined;
    };
    switch (field.name) {
      case 'hflip': {
        const p = value.kind === 'ident' && (value.name === 'true' || value.name === 'false') ? (value.name === 'true' ? 0.5 : 0) : unit.read(value, ctx, field);
        if (p === undefined) ok = false;
        else if (p > 0) out.push({ op: 'hflip', p });
        break;
      }
      case 'random_crop': {
        const r = sub({ size: req(sizeList, 'crop height and width'), padding: opt(t.int(0), 0, 'zero padding added first') });
        if (!r?.ok) ok = false;
        else out.push({ op: 'random_crop', size: r.values.size as number[], padding: r.values.padding as number });
        break;
      }
      case 'random_resized_crop': {
        const r = sub({ size: req(sizeList, 'output height and width'), scale: opt(pair, [0.08, 1], 'area fraction range'), ratio: opt(pair, [3 / 4, 4 / 3], 'aspect ratio range') });
        if (!r?.ok) ok = false;
        else out.push({ op: 'random_resized_crop', size: r.values.size as number[], scale: r.values.scale as [number, number], ratio: r.values.ratio as [number, number] });
        break;
      }
      case 'color_jitter': {
        const r = sub({ brightness: opt(t.num(0), 0, 'max relative change'), contrast: opt(t.num(0), 0, 'max relative change'), saturation: opt(t.num(0), 0, 'max relative change'), hue: opt(t.num(0, 0.5), 0, 'max hue shift (fraction of a turn)') });
        if (!r?.ok) ok = false;
        else out.push({ op: 'color_jitter', ...(r.values as { brightness: number; contrast: number; saturation: number; hue: number }) });
        break;
      }
      case 'cutout': {
        const r = sub({ size: req(t.int(1), 'side of the square cut out'), count: opt(t.int(1), 1, 'squares per image') });
        if (!r?.ok) ok = false;
        else out.push({ op: 'cutout', size: r.values.size as number, count: r.values.count as number });
        break;
      }
      case 'mixup': {
        const r = sub({ alpha: req(positive, 'Beta(alpha, alpha) mixing distribution') });
        if (!r?.ok) ok = false;
        else out.push({ op: 'mixup', alpha: r.values.alpha as number });
        break;
      }
      case 'autoaugment': {
        const m = t.message.read(value, ctx, field);
        if (!m) {
          ok = false;
          break;
        }
        const subpolicies: { op: (typeof AUTOAUGMENT_OPS)[number]; p: number; magnitude: number }[][] = [];
        for (const sp of m.fields) {
          if (sp.name !== 'subpolicy') {
            ctx.diagnostics.error('nnspec/unknown-field', `autoaugment takes subpolicy { op { … } op { … } } entries, not '${sp.name}'`, nameSpan(sp));
            ok = false;
            continue;
          }
          const spm = t.message.read(sp.value, ctx, sp);
          if (!spm) {
            ok = false;
            continue;
          }
          const ops: (typeof subpolicies)[number] = [];
          for (const o of spm.fields) {
            const om = o.name === 'op' ? t.message.read(evaluate(o.value, ctx.env, ctx.diagnostics), ctx, o) : undefined;
            if (!om) {
              if (o.name !== 'op') ctx.diagnostics.error('nnspec/unknown-field', `a subpolicy holds op { type p magnitude } entries, not '${o.name}'`, nameSpan(o));
              ok = false;
              continue;
            }
            const r = readMessage(om, { type: req(t.oneOf(AUTOAUGMENT_OPS), 'the operation'), p: req(unit, 'probability of applying it'), magnitude: req(t.int(0, 10), 'strength, 0 to 10') }, ctx, 'op');
            if (r.ok) ops.push({ op: r.values.type, p: r.values.p, magnitude: r.values.magnitude });
            else ok = false;
          }
          if (ops.length === 0) {
            ctx.diagnostics.error('nnspec/empty', 'a subpolicy needs at least one op', sp);
            ok = false;
          } else subpolicies.push(ops);
        }
        if (subpolicies.length === 0 && ok) {
          ctx.diagnostics.error('nnspec/empty', 'autoaugment needs at least one subpolicy', field);
          ok = false;
        }
        if (subpolicies.length) out.push({ op: 'autoaugment', subpolicies });
        break;
      }
      default:
        ctx.diagnostics.error('nnspec/unknown-field', `augment has no operation '${field.name}' (${KINDS.join(', ')})`, nameSpan(field), { hint: didYouMean(field.name, KINDS) });
        ok = false;
    }
  }
  return ok ? out : undefined;
}

function nameSpan(f: Field): Span {
  return { start: f.start, end: f.start + f.name.length };
}

const weightDecay: Ty<{ l2: number; l1: number }> = {
  describe: 'a number (L2) or { l2 l1 }',
  read(v, ctx, field) {
    if (v.kind === 'number') return v.value >= 0 ? { l2: v.value, l1: 0 } : (ctx.diagnostics.error('nnspec/out-of-range', 'weight decay cannot be negative', v), undefined);
    const m = t.message.read(v, ctx, field);
    if (!m) return undefined;
    const r = readMessage(m, { l2: opt(t.num(0), 0, 'adds l2·w to each gradient (Caffe/PyTorch weight_decay)'), l1: opt(t.num(0), 0, 'adds l1·sign(w) to each gradient') }, ctx, 'weight_decay');
    return r.ok ? r.values : undefined;
  },
};

export function bindTrain(msg: Message, ctx: ReadContext, at: Span): TrainConfig | null {
  const r = readMessage(
    msg,
    {
      solver: req(t.message, 'the optimiser: { type lr momentum … }'),
      weight_decay: opt(weightDecay, { l2: 0, l1: 0 }, 'L2 (a number), or { l2 l1 } for L1 or elastic net'),
      lr_schedule: maybe(t.message, 'learning-rate policy'),
      epochs: maybe(positive, 'passes over the training data'),
      iterations: maybe(t.int(1), 'parameter updates'),
      batch_size: maybe(t.int(1), 'examples per step'),
      iter_size: opt(t.int(1), 1, 'batches accumulated per update'),
      gradient_clip: maybe(positive, 'largest global L2 norm of the gradients'),
      loss: maybe(t.oneOf(['softmax_cross_entropy'] as const), 'the objective added to the network output'),
      validation: maybe(t.message, '{ split interval unit iterations }'),
      early_stopping: maybe(t.message, '{ metric mode patience min_delta }'),
      augment: maybe(t.message, 'data augmentation, applied in the order written'),
      seed: maybe(t.int(), 'random seed'),
    },
    ctx,
    'train',
    { at, aliases: { optimizer: "write 'solver'", learning_rate: "write the rate in solver { lr: … }", lr: "write the rate in solver { lr: … }", schedule: "write 'lr_schedule'", l2: "write 'weight_decay'" } },
  );
  let ok = r.ok;
  const v = r.values;
  const solver = v.solver ? readMessage(v.solver, solverFields, ctx, 'solver', { aliases: { learning_rate: "write 'lr'", base_lr: "write 'lr'", beta1: "write 'momentum' (Adam's β1)", momentum2: "write 'beta2'", delta: "write 'eps'" } }) : undefined;
  if (!solver?.ok) ok = false;
  const schedule = readMessage(v.lr_schedule ?? { kind: 'message', fields: [], start: at.start, end: at.end }, scheduleFields, ctx, 'lr_schedule', { aliases: { stepsize: "write 'step_size'", stepvalue: "write 'milestones'", lr_policy: "write 'policy'" } });
  if (!schedule.ok) ok = false;
  const s = schedule.values;
  const need = (cond: boolean, field: string, message: string) => {
    if (!cond) {
      ctx.diagnostics.error('nnspec/missing-field', message, schedule.spans[field as keyof typeof s] ?? schedule.spans.policy ?? at);
      ok = false;
    }
  };
  need(s.policy !== 'step' && s.policy !== 'sigmoid' ? true : s.step_size !== undefined, 'policy', `the '${s.policy}' schedule needs step_size`);
  need(s.policy !== 'multistep' || s.milestones.length > 0, 'policy', "the 'multistep' schedule needs milestones");
  need((s.policy !== 'poly' && s.policy !== 'cosine') || v.epochs !== undefined || v.iterations !== undefined, 'policy', `the '${s.policy}' schedule needs the training length (epochs or iterations)`);
  for (let i = 1; i < s.milestones.length; i++) need(s.milestones[i]! > s.milestones[i - 1]!, 'milestones', 'milestones must increase');
  let warmup: TrainConfig['lr_schedule']['warmup'] = null;
  if (s.warmup) {
    const w = readMessage(s.warmup, { length: req(positive, 'warm-up length'), unit: opt(Unit, s.unit, 'epochs or iterations'), start_factor: opt(unit, 0.1, 'the warm-up starts at lr · start_factor') }, ctx, 'warmup');
    if (w.ok) warmup = w.values;
    else ok = false;
  }
  if (v.epochs !== undefined && v.iterations !== undefined) {
    ctx.diagnostics.error('nnspec/conflicting-fields', 'give the training length as epochs or iterations, not both', r.spans.iterations ?? at);
    ok = false;
  }
  let validation: TrainConfig['validation'] = null;
  if (v.validation) {
    const val = readMessage(v.validation, { split: maybe(fraction, 'fraction of the training data held out'), interval: opt(positive, 1, 'evaluate every this many units'), unit: opt(Unit, 'epoch' as 'epoch' | 'iteration', 'epochs or iterations'), iterations: maybe(t.int(1), 'batches per evaluation') }, ctx, 'validation');
    if (val.ok) validation = { split: val.values.split ?? null, interval: val.values.interval, unit: val.values.unit, iterations: val.values.iterations ?? null };
    else ok = false;
  }
  let early: TrainConfig['early_stopping'] = null;
  if (v.early_stopping) {
    const e = readMessage(v.early_stopping, { metric: req(t.name, 'the validation metric watched, e.g. val_loss or val_top1'), mode: maybe(t.oneOf(['min', 'max'] as const), 'min for losses, max for accuracies'), patience: req(t.int(1), 'evaluations without improvement before stopping'), min_delta: opt(t.num(0), 0, 'smallest change that counts as an improvement') }, ctx, 'early_stopping');
    if (e.ok) early = { metric: e.values.metric, mode: e.values.mode ?? (/loss/.test(e.values.metric) ? 'min' : 'max'), patience: e.values.patience, min_delta: e.values.min_delta };
    else ok = false;
  }
  const aug = v.augment ? augmentations(v.augment, ctx) : [];
  if (!aug) ok = false;
  if (!ok || !solver) return null;
  const sv = solver.values;
  const type = sv.type === 'sgd' && sv.nesterov ? 'nesterov' : sv.type;
  const defaultMomentum = type === 'adam' || type === 'adamw' ? 0.9 : type === 'adadelta' ? 0.95 : 0;
  return {
    solver: { type, base_lr: sv.lr, momentum: sv.momentum ?? defaultMomentum, beta2: sv.beta2, eps: sv.eps, rms_decay: sv.rms_decay, momentum_convention: 'pytorch' },
    regularization: v.weight_decay,
    lr_schedule: { policy: s.policy, gamma: s.gamma, power: s.power, step_size: s.step_size ?? null, milestones: s.milestones, unit: s.unit, min_lr: s.min_lr, warmup },
    epochs: v.epochs ?? null,
    iterations: v.iterations ?? null,
    batch_size: v.batch_size ?? null,
    iter_size: v.iter_size,
    gradient_clip: v.gradient_clip ?? null,
    loss: v.loss ?? null,
    validation,
    early_stopping: early,
    augmentation: aug ?? [],
    seed: v.seed ?? null,
    extra: {},
  };
}
