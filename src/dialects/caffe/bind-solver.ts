/**
 * Caffe SolverParameter → the IR's training setup (and, when the solver embeds its net in
 * net_param or train_net_param, the training graph). Semantics follow sgd_solver.cpp and the
 * solvers next to it: the learning-rate policies, L1/L2 regularisation, momentum with the
 * learning rate inside the velocity.
 */
import type { DiagnosticBag } from '../../diagnostics/diagnostic.js';
import { didYouMean } from '../../diagnostics/did-you-mean.js';
import type { Field, Message } from '../../language/syntax-tree.js';
import type { Node } from '../../ir/graph.js';
import type { TrainConfig } from '../../ir/train.js';
import type { NodeOrigin } from '../../passes/graph-check.js';
import { has, NODE, ProtoDecoder, rawJson, spanOf } from '../../schema/decode-proto.js';
import * as P from './caffe-proto.js';
import { CaffeNetBinder, type CaffeNetOptions, type CaffeNetResult } from './bind-net.js';

const SOLVER_TYPES = { SGD: 'sgd', Nesterov: 'nesterov', AdaGrad: 'adagrad', RMSProp: 'rmsprop', AdaDelta: 'adadelta', Adam: 'adam' } as const;
const POLICIES = ['fixed', 'step', 'exp', 'inv', 'multistep', 'poly', 'sigmoid'] as const;
const LEGACY_TYPES = { SGD: 'SGD', NESTEROV: 'Nesterov', ADAGRAD: 'AdaGrad', RMSPROP: 'RMSProp', ADADELTA: 'AdaDelta', ADAM: 'Adam' } as const;

/** SolverParameter fields that only matter to Caffe itself; kept as written in `extra`. */
const CAFFE_ONLY = [
  'net',
  'train_net',
  'test_net',
  'train_state',
  'test_state',
  'test_compute_loss',
  'test_initialization',
  'display',
  'average_loss',
  'snapshot',
  'snapshot_prefix',
  'snapshot_diff',
  'snapshot_format',
  'snapshot_after_train',
  'solver_mode',
  'device_id',
  'debug_info',
  'layer_wise_reduce',
  'weights',
];

export interface SolverResult {
  train: TrainConfig;
  net: CaffeNetResult | null;
}

export function bindSolver(
  message: Message,
  diagnostics: DiagnosticBag,
  decoder: ProtoDecoder,
  options: CaffeNetOptions,
  sink: (node: Node, origin?: NodeOrigin) => void,
): SolverResult {
  const netFields = message.fields.filter((f) => f.name === 'net_param' || f.name === 'train_net_param' || f.name === 'test_net_param');
  const s = decoder.decode(P.SolverParameter, { ...message, fields: message.fields.filter((f) => !netFields.includes(f)) });
  const at = (name: string) => spanOf(s, name);

  const trainNets = ['net', 'net_param', 'train_net', 'train_net_param'].filter((n) => message.fields.some((f) => f.name === n));
  if (trainNets.length !== 1) {
    diagnostics.error(
      'caffe/solver-net',
      trainNets.length === 0
        ? 'a solver needs a training net: give one of net, net_param, train_net or train_net_param'
        : `a solver takes one training net, but this one gives ${trainNets.join(' and ')}`,
      trainNets.length === 0 ? { start: message.start, end: message.start } : at(trainNets[1]!),
    );
  }

  // The embedded training net becomes the graph (bound for the TRAIN phase unless told otherwise).
  let net: CaffeNetResult | null = null;
  const embedded = netFields.find((f) => f.name === 'net_param' || f.name === 'train_net_param');
  if (embedded && embedded.value.kind === 'message') {
    const binder = new CaffeNetBinder(diagnostics, decoder, { ...options, phase: options.phase ?? 'TRAIN' }, sink);
    for (const f of embedded.value.fields) binder.field(f);
    net = binder.finish();
  }
  for (const f of netFields) if (f.name === 'test_net_param' && f.value.kind === 'message') checkOnly(f, diagnostics, decoder);

  let typeName: string = s.type;
  if (has(s, 'solver_type')) {
    if (has(s, 'type')) diagnostics.error('caffe/conflicting-fields', 'the old solver_type (enum) and type (string) cannot both be given', at('solver_type'));
    else typeName = LEGACY_TYPES[s.solver_type];
  }
  const type = SOLVER_TYPES[typeName as keyof typeof SOLVER_TYPES];
  if (!type) {
    diagnostics.error('caffe/unknown-solver', `Caffe has no solver type '${typeName}' (${Object.keys(SOLVER_TYPES).join(', ')})`, at('type'), {
      hint: didYouMean(typeName, Object.keys(SOLVER_TYPES)),
    });
  }
  if (s.base_lr === undefined) diagnostics.error('caffe/missing-field', 'a solver needs base_lr', { start: message.start, end: message.start });

  const policy = s.lr_policy ?? '';
  if (!(POLICIES as readonly string[]).includes(policy)) {
    diagnostics.error(
      'caffe/unknown-lr-policy',
      policy ? `Caffe has no learning-rate policy '${policy}' (${POLICIES.join(', ')})` : `a solver needs lr_policy (${POLICIES.join(', ')})`,
      policy ? at('lr_policy') : { start: message.start, end: message.start },
      { hint: policy ? didYouMean(policy, POLICIES) : undefined },
    );
  }
  const needs: Record<string, string[]> = { step: ['gamma', 'stepsize'], exp: ['gamma'], inv: ['gamma', 'power'], multistep: ['gamma', 'stepvalue'], poly: ['power', 'max_iter'], sigmoid: ['gamma', 'stepsize'] };
  for (const field of needs[policy] ?? []) {
    if (!has(s, field)) diagnostics.error('caffe/missing-field', `the '${policy}' learning-rate policy needs ${field}`, at('lr_policy'));
  }
  for (let i = 1; i < s.stepvalue.length; i++) {
    if (s.stepvalue[i]! <= s.stepvalue[i - 1]!) diagnostics.error('caffe/invalid-value', 'stepvalue entries must increase', at('stepvalue'));
  }

  const reg = s.regularization_type;
  if (reg !== 'L1' && reg !== 'L2') diagnostics.error('caffe/invalid-value', `regularization_type must be "L1" or "L2", got "${reg}"`, at('regularization_type'));
  const decay = s.weight_decay ?? 0;

  const extra: Record<string, unknown> = {};
  for (const f of s[NODE].fields) {
    if (!CAFFE_ONLY.includes(f.name)) continue;
    const value = rawJson(f.value);
    extra[f.name] = f.name in extra ? ([] as unknown[]).concat(extra[f.name], value) : value;
  }

  const train: TrainConfig = {
    solver: {
      type: type ?? 'sgd',
      base_lr: s.base_lr ?? 0,
      momentum: s.momentum ?? 0,
      beta2: s.momentum2,
      eps: s.delta,
      rms_decay: s.rms_decay,
      momentum_convention: 'caffe',
    },
    regularization: { l2: reg === 'L1' ? 0 : decay, l1: reg === 'L1' ? decay : 0 },
    lr_schedule: {
      policy: ((POLICIES as readonly string[]).includes(policy) ? policy : 'fixed') as TrainConfig['lr_schedule']['policy'],
      gamma: s.gamma ?? 0,
      power: s.power ?? 0,
      step_size: s.stepsize && s.stepsize > 0 ? s.stepsize : null,
      milestones: s.stepvalue,
      unit: 'iteration',
      min_lr: 0,
      warmup: null,
    },
    epochs: null,
    iterations: s.max_iter && s.max_iter > 0 ? s.max_iter : null,
    batch_size: null,
    iter_size: Math.max(1, s.iter_size),
    gradient_clip: s.clip_gradients > 0 ? s.clip_gradients : null,
    loss: null,
    validation:
      s.test_interval > 0 || s.test_iter.length > 0
        ? { split: null, interval: s.test_interval > 0 ? s.test_interval : null, unit: 'iteration', iterations: s.test_iter[0] && s.test_iter[0] > 0 ? s.test_iter[0] : null }
        : null,
    early_stopping: null,
    augmentation: [],
    seed: s.random_seed >= 0 ? s.random_seed : null,
    extra,
  };
  return { train, net };
}

/** Test nets embedded in a solver are checked for problems but not kept as the graph. */
function checkOnly(f: Field, diagnostics: DiagnosticBag, decoder: ProtoDecoder): void {
  if (f.value.kind !== 'message') return;
  const binder = new CaffeNetBinder(diagnostics, decoder, { phase: 'TEST' }, () => undefined);
  for (const inner of f.value.fields) binder.field(inner);
  binder.finish();
}

/** SolverParameter fields that NetParameter does not have: seeing one first means a solver file. */
export const SOLVER_ONLY_FIELDS: ReadonlySet<string> = new Set(Object.keys(P.SolverParameter.fields).filter((k) => !(k in P.NetParameter.fields)));
