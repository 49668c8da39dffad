/**
 * Parameter updates with Caffe's solver semantics (caffe/src/caffe/solvers/*.cpp), per
 * parameter blob:
 * - the gradient is first clipped (global L2 norm over every blob, Caffe's clip_gradients),
 *   then regularised: L2 adds λ₂·decay_mult·w, L1 adds λ₁·decay_mult·sign(w) (elastic net: both);
 *   AdamW instead decays the weight directly (w ← w − rate·λ₂·decay_mult·w), Loshchilov & Hutter;
 * - the rate is lr·lr_mult.
 * SGD/Nesterov follow `momentum_convention`: 'caffe' keeps rate·g in the velocity
 * (v ← μv + rate·g, w ← w − v; Nesterov w ← w − ((1+μ)v − μv_prev)); 'pytorch' keeps g
 * (v ← μv + g, w ← w − rate·v; Nesterov w ← w − rate·(g + μv)). Adam, RMSProp, AdaGrad and
 * AdaDelta are Caffe's: ε is added to √v (Adam: to the uncorrected √v, with the bias correction
 * folded into the rate as √(1−β₂ᵗ)/(1−β₁ᵗ)).
 */
import type { StoredParam } from '../backends/tfjs/params.js';
import type { Tensor, Tf, Variable } from '../backends/tfjs/types.js';
import type { TrainConfig } from '../ir/train.js';
import { SGD_STEP_KERNEL } from '../runtime/native.js';

type Solver = TrainConfig['solver'];

interface Slot {
  param: StoredParam;
  /** First moment / velocity / AdaGrad sum / AdaDelta's squared-gradient average. */
  a: Variable;
  /** Adam's second moment, RMSProp's average, AdaDelta's squared-update average. */
  b: Variable | null;
}

/** What an update depends on besides the parameters: the step count and each slot's values, per parameter blob. */
export interface OptimizerState {
  steps: number;
  slots: { node: string; name: string; a: Float32Array; b: Float32Array | null }[];
}

export interface Regularization {
  l2: number;
  l1: number;
}

export class Optimizer {
  private readonly slots: Slot[];
  private steps = 0;

  constructor(
    private readonly tf: Tf,
    private readonly solver: Solver,
    private readonly regularization: Regularization,
    params: readonly StoredParam[],
    private readonly clip: number | null = null,
  ) {
    const two = solver.type === 'adam' || solver.type === 'adamw' || solver.type === 'adadelta';
    this.slots = params.map((param) => ({
      param,
      a: tf.variable(tf.zerosLike(param.variable), false),
      b: two ? tf.variable(tf.zerosLike(param.variable), false) : null,
    }));
  }

  private fused: boolean | undefined;

  /** Whether the backend runs nnspec's one-pass SGD update (the native kernels register it). */
  private fusedSgd(): boolean {
    this.fused ??= this.tf.getKernel(SGD_STEP_KERNEL, this.tf.getBackend()) !== undefined && process.env['NNSPEC_FUSED_SGD'] !== '0';
    return this.fused;
  }

  /** The variables it updates, for tf.variableGrads. */
  variables(): Variable[] {
    return this.slots.map((s) => s.param.variable);
  }

  /** One update with the gradients keyed by variable name (as tf.variableGrads gives them). */
  step(grads: Record<string, Tensor>, lr: number): void {
    const tf = this.tf;
    this.steps++;
    tf.tidy(() => {
      let scale: Tensor | number = 1;
      if (this.clip !== null) {
        const sq = this.slots.map((s) => grads[s.param.variable.name]).filter((g): g is Tensor => !!g).map((g) => tf.sum(tf.square(g)));
        const norm = tf.sqrt(tf.addN(sq));
        // Caffe scales by clip/norm only when the norm exceeds clip.
        scale = tf.minimum(1, tf.div(this.clip, tf.maximum(norm, 1e-30)));
      }
      for (const slot of this.slots) {
        const raw = grads[slot.param.variable.name];
        if (!raw) continue;
        // Multiplying by 1 changes no value; skipping it saves a pass over every gradient.
        this.update(slot, scale === 1 ? raw : tf.mul(raw, scale), lr * slot.param.lr_mult);
      }
    });
  }

  private update(slot: Slot, gradient: Tensor, rate: number): void {
    const tf = this.tf;
    const { solver, regularization } = this;
    const w = slot.param.variable;
    const dm = slot.param.decay_mult;
    const decoupled = solver.type === 'adamw';
    if ((solver.type === 'sgd' || solver.type === 'nesterov') && !(regularization.l1 > 0 && dm !== 0) && this.fusedSgd()) {
      const l2 = regularization.l2 > 0 && dm !== 0 ? regularization.l2 * dm : 0;
      const mu = solver.momentum;
      const params = Float32Array.from([l2, mu, 1 + mu, rate, solver.momentum_convention === 'caffe' ? 1 : 0, solver.type === 'nesterov' ? 1 : 0]);
      const [v, next] = tf.engine().runKernel(SGD_STEP_KERNEL, { w, v: slot.a, g: gradient }, { params } as never) as unknown as Tensor[];
      slot.a.assign(v!);
      w.assign(next!);
      return;
    }
    let g = gradient;
    if (regularization.l2 > 0 && dm !== 0 && !decoupled) g = tf.add(g, tf.mul(w, regularization.l2 * dm));
    if (regularization.l1 > 0 && dm !== 0) g = tf.add(g, tf.mul(tf.sign(w), regularization.l1 * dm));
    const mu = solver.momentum;
    const eps = solver.eps;
    switch (solver.type) {
      case 'sgd':
      case 'nesterov': {
        const prev = slot.a.clone();
        const caffe = solver.momentum_convention === 'caffe';
        const v = caffe ? tf.add(tf.mul(prev, mu), tf.mul(g, rate)) : tf.add(tf.mul(prev, mu), g);
        slot.a.assign(v);
        let step: Tensor;
        if (solver.type === 'sgd') step = caffe ? v : tf.mul(v, rate);
        else step = caffe ? tf.sub(tf.mul(v, 1 + mu), tf.mul(prev, mu)) : tf.mul(tf.add(g, tf.mul(v, mu)), rate);
        w.assign(tf.sub(w, step));
        return;
      }
      case 'adam':
      case 'adamw': {
        const t = this.steps;
        const b1 = mu;
        const b2 = solver.beta2;
        const m = tf.add(tf.mul(slot.a, b1), tf.mul(g, 1 - b1));
        const v = tf.add(tf.mul(slot.b!, b2), tf.mul(tf.square(g), 1 - b2));
        slot.a.assign(m);
        slot.b!.assign(v);
        const corrected = (rate * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
        let next = tf.sub(w, tf.mul(tf.div(m, tf.add(tf.sqrt(v), eps)), corrected));
        if (decoupled && regularization.l2 > 0 && dm !== 0) next = tf.sub(next, tf.mul(w, rate * regularization.l2 * dm));
        w.assign(next);
        return;
      }
      case 'rmsprop': {
        const d = solver.rms_decay;
        const v = tf.add(tf.mul(slot.a, d), tf.mul(tf.square(g), 1 - d));
        slot.a.assign(v);
        w.assign(tf.sub(w, tf.mul(tf.div(g, tf.add(tf.sqrt(v), eps)), rate)));
        return;
      }
      case 'adagrad': {
        const h = tf.add(slot.a, tf.square(g));
        slot.a.assign(h);
        w.assign(tf.sub(w, tf.mul(tf.div(g, tf.add(tf.sqrt(h), eps)), rate)));
        return;
      }
      case 'adadelta': {
        const v = tf.add(tf.mul(slot.a, mu), tf.mul(tf.square(g), 1 - mu));
        const update = tf.mul(g, tf.sqrt(tf.div(tf.add(slot.b!, eps), tf.add(v, eps))));
        slot.a.assign(v);
        slot.b!.assign(tf.add(tf.mul(slot.b!, mu), tf.mul(tf.square(update), 1 - mu)));
        w.assign(tf.sub(w, tf.mul(update, rate)));
        return;
      }
    }
  }

  exportState(): OptimizerState {
    return {
      steps: this.steps,
      slots: this.slots.map((s) => ({ node: s.param.node, name: s.param.name, a: s.a.dataSync() as Float32Array, b: s.b ? (s.b.dataSync() as Float32Array) : null })),
    };
  }

  /** Restores a state exported from an optimizer of the same type over the same parameters; returns why not, or null. */
  importState(state: OptimizerState): string | null {
    const tf = this.tf;
    if (state.slots.length !== this.slots.length) return `it holds ${state.slots.length} optimizer slots, the net has ${this.slots.length} trainable blobs`;
    for (const [i, slot] of this.slots.entries()) {
      const saved = state.slots[i]!;
      const size = slot.a.size;
      if (saved.node !== slot.param.node || saved.name !== slot.param.name) return `optimizer slot ${i} is for '${saved.node}' ${saved.name}, the net's is '${slot.param.node}' ${slot.param.name}`;
      if (saved.a.length !== size || (saved.b?.length ?? size) !== size || (saved.b === null) !== (slot.b === null)) return `the optimizer slots of '${saved.node}' ${saved.name} do not fit (another solver type or shape)`;
    }
    for (const [i, slot] of this.slots.entries()) {
      const saved = state.slots[i]!;
      tf.tidy(() => {
        slot.a.assign(tf.tensor(saved.a, slot.a.shape, 'float32'));
        if (slot.b && saved.b) slot.b.assign(tf.tensor(saved.b, slot.b.shape, 'float32'));
      });
    }
    this.steps = state.steps;
    return null;
  }

  dispose(): void {
    for (const s of this.slots) {
      s.a.dispose();
      s.b?.dispose();
    }
  }
}
