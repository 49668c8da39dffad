/**
 * The `train { … }` section (src/dialects/nnspec/train.ts) from the IR's TrainConfig, with
 * the defaults of that reader left out.
 */
import type { TrainConfig } from '../../ir/train.js';
import { deepEqual } from './fillers.js';
import { rawValue } from './layers.js';
import { int, Msg, name, num, oneOrList, unsupported, type Value } from './text.js';

function put(m: Msg, key: string, value: number | null, def: number | null, show: (x: number) => string = num): void {
  if (value !== null && value !== def) m.add(key, show(value));
}

function augment(t: TrainConfig): Msg | undefined {
  if (t.augmentation.length === 0) return undefined;
  const m = new Msg();
  for (const a of t.augmentation) {
    switch (a.op) {
      case 'hflip':
        m.add('hflip', num(a.p));
        break;
      case 'random_crop':
        m.add('random_crop', new Msg([['size', oneOrList(a.size.map(int))]]).add('padding', a.padding ? int(a.padding) : undefined));
        break;
      case 'random_resized_crop':
        m.add(
          'random_resized_crop',
          new Msg([['size', oneOrList(a.size.map(int))]])
            .add('scale', deepEqual(a.scale, [0.08, 1]) ? undefined : a.scale.map(num))
            .add('ratio', deepEqual(a.ratio, [3 / 4, 4 / 3]) ? undefined : a.ratio.map(num)),
        );
        break;
      case 'color_jitter': {
        const c = new Msg();
        for (const k of ['brightness', 'contrast', 'saturation', 'hue'] as const) if (a[k] !== 0) c.add(k, num(a[k]));
        m.add('color_jitter', c);
        break;
      }
      case 'cutout':
        m.add('cutout', new Msg([['size', int(a.size)]]).add('count', a.count === 1 ? undefined : int(a.count)));
        break;
      case 'mixup':
        m.add('mixup', new Msg([['alpha', num(a.alpha)]]));
        break;
      case 'autoaugment':
        m.add('autoaugment', new Msg(a.subpolicies.map((sp): [string, Value] => ['subpolicy', new Msg(sp.map((o): [string, Value] => ['op', new Msg([['type', o.op], ['p', num(o.p)], ['magnitude', int(o.magnitude)]])]))])));
        break;
    }
  }
  return m;
}

/**
 * The section, and comments for what only the original framework reads (Caffe's display,
 * snapshot settings, …), which nnspec keeps nowhere.
 */
export function trainSection(t: TrainConfig): { msg: Msg; dropped: string[] } {
  const s = t.solver;
  const lrConstant = t.lr_schedule.policy === 'fixed' && t.lr_schedule.warmup === null;
  if (s.momentum_convention === 'caffe' && (s.type === 'sgd' || s.type === 'nesterov') && s.momentum !== 0 && !lrConstant) {
    unsupported(`Caffe's momentum convention (the velocity holds lr·gradient) under the changing learning rate of the '${t.lr_schedule.policy}' policy; nnspec's solver follows PyTorch, and the two differ once the rate changes`);
  }
  const solver = new Msg().add('type', s.type === 'sgd' ? undefined : s.type).add('lr', num(s.base_lr));
  const defaultMomentum = s.type === 'adam' || s.type === 'adamw' ? 0.9 : s.type === 'adadelta' ? 0.95 : 0;
  put(solver, 'momentum', s.momentum, defaultMomentum);
  put(solver, 'beta2', s.beta2, 0.999);
  put(solver, 'eps', s.eps, 1e-8);
  put(solver, 'rms_decay', s.rms_decay, 0.99);
  const m = new Msg([['solver', solver]]);
  const r = t.regularization;
  if (r.l1 !== 0) m.add('weight_decay', new Msg().add('l2', r.l2 ? num(r.l2) : undefined).add('l1', num(r.l1)));
  else if (r.l2 !== 0) m.add('weight_decay', num(r.l2));
  const l = t.lr_schedule;
  const sched = new Msg().add('policy', l.policy === 'fixed' ? undefined : l.policy);
  put(sched, 'gamma', l.gamma, 0.1);
  put(sched, 'power', l.power, 1);
  put(sched, 'step_size', l.step_size, null);
  if (l.milestones.length) sched.add('milestones', l.milestones.map(num));
  if (l.unit !== 'epoch') sched.add('unit', l.unit);
  put(sched, 'min_lr', l.min_lr, 0);
  if (l.warmup) {
    const w = new Msg([['length', num(l.warmup.length)]]).add('unit', l.warmup.unit === l.unit ? undefined : l.warmup.unit);
    put(w, 'start_factor', l.warmup.start_factor, 0.1);
    sched.add('warmup', w);
  }
  if (!sched.empty) m.add('lr_schedule', sched);
  put(m, 'epochs', t.epochs, null);
  put(m, 'iterations', t.iterations, null, int);
  put(m, 'batch_size', t.batch_size, null, int);
  put(m, 'iter_size', t.iter_size, 1, int);
  put(m, 'gradient_clip', t.gradient_clip, null);
  if (t.loss) m.add('loss', t.loss);
  if (t.validation) {
    const v = t.validation;
    const val = new Msg();
    put(val, 'split', v.split, null);
    put(val, 'interval', v.interval, 1);
    if (v.unit !== 'epoch') val.add('unit', v.unit);
    put(val, 'iterations', v.iterations, null, int);
    m.add('validation', val);
  }
  if (t.early_stopping) {
    const e = t.early_stopping;
    const implied = /loss/.test(e.metric) ? 'min' : 'max';
    m.add('early_stopping', new Msg([['metric', name(e.metric)]]).add('mode', e.mode === implied ? undefined : e.mode).add('patience', int(e.patience)).add('min_delta', e.min_delta ? num(e.min_delta) : undefined));
  }
  m.add('augment', augment(t));
  put(m, 'seed', t.seed, null, int);
  const dropped = Object.entries(t.extra).map(([k, v]) => {
    const text = rawValue(v, 'a solver setting');
    return `${k}: ${typeof text === 'string' ? text : JSON.stringify(v)}`;
  });
  return { msg: m, dropped };
}
