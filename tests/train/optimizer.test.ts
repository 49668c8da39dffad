import * as tfjs from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { StoredParam } from '../../src/backends/tfjs/params.js';
import type { Tf } from '../../src/backends/tfjs/types.js';
import type { TrainConfig } from '../../src/ir/train.js';
import { Optimizer, type Regularization } from '../../src/train/optimizer.js';

const tf = tfjs as unknown as Tf;
beforeAll(async () => {
  await tf.setBackend('cpu');
});

type Solver = TrainConfig['solver'];
const SOLVER: Solver = { type: 'sgd', base_lr: 0.1, momentum: 0, beta2: 0.999, eps: 1e-8, rms_decay: 0.9, momentum_convention: 'caffe' };
let id = 0;

/** Runs updates with a fixed gradient and the given rates; returns the weights after each. */
function run(solver: Partial<Solver>, w: number[], g: number[], rates: number[], opts: { reg?: Partial<Regularization>; lr_mult?: number; decay_mult?: number; clip?: number } = {}): number[][] {
  const variable = tf.variable(tf.tensor1d(w), true, `p${id++}`);
  const param: StoredParam = { node: 'n', name: 'weight', variable, trainable: true, lr_mult: opts.lr_mult ?? 1, decay_mult: opts.decay_mult ?? 1 };
  const opt = new Optimizer(tf, { ...SOLVER, ...solver }, { l2: 0, l1: 0, ...opts.reg }, [param], opts.clip ?? null);
  const out: number[][] = [];
  const grad = tf.tensor1d(g);
  for (const r of rates) {
    opt.step({ [variable.name]: grad }, r);
    out.push(Array.from(variable.dataSync()));
  }
  opt.dispose();
  variable.dispose();
  grad.dispose();
  return out;
}

const close = (got: number[][], want: number[][]) => got.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(want[i]![j]!, 5)));

describe('optimiser steps (hand-computed)', () => {
  it('SGD, Caffe form, with L2 decay, lr_mult and momentum', () => {
    // rate 0.1·2; g' = g + 0.01·w; v = 0.9v + rate·g'; w −= v.
    close(run({ momentum: 0.9 }, [1, -2], [0.5, 0.5], [0.1, 0.1], { reg: { l2: 0.01 }, lr_mult: 2 }), [
      [0.898, -2.096],
      [0.704404, -2.278208],
    ]);
  });
  it('SGD conventions differ once the rate changes', () => {
    // Caffe: v=1, w=0; v=0.5·1+0.1·1=0.6, w=−0.6. PyTorch: v=1, w=0; v=0.5+1=1.5, w=−0.15.
    close(run({ momentum: 0.5 }, [1], [1], [1, 0.1]), [[0], [-0.6]]);
    close(run({ momentum: 0.5, momentum_convention: 'pytorch' }, [1], [1], [1, 0.1]), [[0], [-0.15]]);
  });
  it('decay_mult 0 turns decay off; L1 adds λ·sign(w)', () => {
    close(run({}, [1, -2], [0, 0], [1], { reg: { l1: 0.1 } }), [[0.9, -1.9]]);
    close(run({}, [1, -2], [0, 0], [1], { reg: { l1: 0.1, l2: 0.1 }, decay_mult: 0 }), [[1, -2]]);
  });
  it('Nesterov, both conventions', () => {
    // w −= (1+μ)v − μv_prev: −1.5, then −(2.25 − 0.5).
    close(run({ type: 'nesterov', momentum: 0.5 }, [1], [1], [1, 1]), [[-0.5], [-2.25]]);
    close(run({ type: 'nesterov', momentum: 0.5, momentum_convention: 'pytorch' }, [1], [1], [1, 1]), [[-0.5], [-2.25]]);
  });
  it('Adam: the first step moves each weight by the rate', () => {
    close(run({ type: 'adam', momentum: 0.9 }, [1, 1], [2, -0.5], [0.1]), [[0.9, 1.1]]);
  });
  it('AdamW decays the weight itself', () => {
    close(run({ type: 'adamw', momentum: 0.9 }, [1], [2], [0.1], { reg: { l2: 0.1 } }), [[0.89]]);
  });
  it('RMSProp and AdaGrad', () => {
    close(run({ type: 'rmsprop', rms_decay: 0.9 }, [1], [2], [0.01]), [[1 - 0.02 / Math.sqrt(0.4)]]);
    close(run({ type: 'adagrad' }, [1], [2], [0.1, 0.1]), [[0.9], [0.9 - 0.2 / Math.sqrt(8)]]);
  });
  it('clips the global gradient norm', () => {
    close(run({}, [0, 0], [3, 4], [1], { clip: 1 }), [[-0.6, -0.8]]);
    close(run({}, [0, 0], [0.3, 0.4], [1], { clip: 1 }), [[-0.3, -0.4]]);
  });
});
