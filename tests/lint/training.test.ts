/**
 * The training rules: each on nnspec train sections and Caffe solvers that must pass and that
 * must fail, checking the rule id, the message, the severity and where it points.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/lint/config.js';
import { at, lintRule } from './rule-kit.js';

/** Lints `text` with rule `id` at error, with the rule's options if given. */
const lint = (text: string, ext: 'nnspec' | 'prototxt', id: string, options?: Record<string, unknown>) => lintRule(text, ext, id, options ? { options } : {});

/** A small nnspec net with the given train section body (null: no train section). */
const nnspec = (train: string | null) => `nnspec: 1
input { name: data shape: [N, 1, 28, 28] scale: 0.00390625 }
Conv { name: conv1 out: 4 kernel: 5 }
Linear { name: fc out: 10 }
${train === null ? '' : `train {\n${train}\n}`}
`;

/** A Caffe solver whose net is in another file. */
const solver = (lines: string) => `net: "train_val.prototxt"
${lines}
`;

// ---------------------------------------------------------------------------------------------

describe('training/learning-rate-range', () => {
  const ID = 'training/learning-rate-range';

  it('reports an Adam rate of 0.1 at the lr (nnspec)', async () => {
    const text = nnspec('  solver { type: adam lr: 0.1 }\n  epochs: 10\n  validation { split: 0.1 }');
    const { found, errors } = await lint(text, 'nnspec', ID);
    expect(errors).toEqual([]);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      severity: 'error',
      text: 'lr: 0.1',
      ...at(text, 'lr: 0.1'),
      message:
        'the learning rate 0.1 is above the usual range for Adam (1e-6 to 0.01); Adam moves every parameter by up to about the learning rate at each step, far more than weights initialised at a scale of 0.01–0.1 can take, and training becomes unstable',
    });
  });

  it('reports a Caffe SGD base_lr far below the range at base_lr', async () => {
    const text = solver('base_lr: 1e-14\nlr_policy: "fixed"\nmomentum: 0.99\nmax_iter: 1000\ntest_iter: 10\ntest_interval: 100');
    const { found, errors } = await lint(text, 'prototxt', ID);
    expect(errors).toEqual([]);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      text: 'base_lr: 1e-14',
      ...at(text, 'base_lr'),
      message: 'the learning rate 1e-14 is below the usual range for SGD (1e-5 to 1); the weights would barely move over the run (unless the loss is summed over many elements rather than averaged)',
    });
  });

  it('reports an SGD rate above 1', async () => {
    const text = nnspec('  solver { type: sgd lr: 5 momentum: 0.9 }\n  epochs: 10\n  validation { split: 0.1 }');
    const { found } = await lint(text, 'nnspec', ID);
    expect(found.map((f) => f.message)).toEqual(['the learning rate 5 is above the usual range for SGD (1e-5 to 1); steps this large usually make the loss diverge']);
  });

  it('passes the usual rates, and files without a training setup', async () => {
    for (const s of ['type: sgd lr: 0.1 momentum: 0.9', 'type: adam lr: 0.001', 'type: adamw lr: 3e-4', 'type: rmsprop lr: 0.045 momentum: 0.9', 'type: adadelta lr: 1']) {
      expect((await lint(nnspec(`  solver { ${s} }\n  epochs: 10\n  validation { split: 0.1 }`), 'nnspec', ID)).found, s).toEqual([]);
    }
    expect((await lint(solver('type: "Adam"\nbase_lr: 0.001\nmomentum: 0.9\nmomentum2: 0.999\nlr_policy: "fixed"\nmax_iter: 10000\ntest_iter: 100\ntest_interval: 500'), 'prototxt', ID)).found).toEqual([]);
    expect((await lint(nnspec(null), 'nnspec', ID)).found).toEqual([]);
  });

  it('does not judge a Caffe solver of an unknown type (check reports it) as SGD', async () => {
    const text = solver('type: "Adamax"\nbase_lr: 5\nlr_policy: "fixed"\nmax_iter: 100\ntest_iter: 1\ntest_interval: 10');
    const { found, errors } = await lint(text, 'prototxt', ID);
    expect(errors.some((e) => e.startsWith('caffe/unknown-solver'))).toBe(true);
    expect(found).toEqual([]);
    // The legacy enum form is known.
    expect((await lint(solver('solver_type: ADAM\nbase_lr: 0.5\nlr_policy: "fixed"\nmax_iter: 100\ntest_iter: 1\ntest_interval: 10'), 'prototxt', ID)).found.map((f) => f.message)).toEqual([
      expect.stringContaining('the learning rate 0.5 is above the usual range for Adam'),
    ]);
  });

  it('takes the ranges from the options', async () => {
    const text = nnspec('  solver { type: adam lr: 0.1 }\n  epochs: 10\n  validation { split: 0.1 }');
    expect((await lint(text, 'nnspec', ID, { adam: [1e-6, 0.2] })).found).toEqual([]);
    expect((await lint(nnspec('  solver { type: sgd lr: 0.1 }\n  epochs: 10\n  validation { split: 0.1 }'), 'nnspec', ID, { sgd: [1e-4, 0.05] })).found).toHaveLength(1);
  });
});

// ---------------------------------------------------------------------------------------------

describe('training/adam-with-l2', () => {
  const ID = 'training/adam-with-l2';
  const MESSAGE = (l2: number) =>
    `Adam with weight decay ${l2} adds it to the gradient (L2), where Adam's per-parameter scaling weakens it for the weights with the largest gradients; this is not the decoupled weight decay of AdamW`;

  it('reports Adam with weight_decay at the weight_decay (nnspec)', async () => {
    const text = nnspec('  solver { type: adam lr: 0.001 }\n  weight_decay: 5e-4\n  epochs: 10\n  validation { split: 0.1 }');
    const { found, errors } = await lint(text, 'nnspec', ID);
    expect(errors).toEqual([]);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ severity: 'error', text: 'weight_decay: 5e-4', ...at(text, 'weight_decay'), message: MESSAGE(5e-4) });
    expect(found[0]!.hint).toContain('type: adamw');
  });

  it('points at l2 in the { l2 l1 } form', async () => {
    const text = nnspec('  solver { type: adam lr: 0.001 }\n  weight_decay { l2: 1e-4 }\n  epochs: 10\n  validation { split: 0.1 }');
    const { found } = await lint(text, 'nnspec', ID);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ text: 'l2: 1e-4', ...at(text, 'l2: 1e-4'), message: MESSAGE(1e-4) });
  });

  it('reports a Caffe Adam solver with weight_decay, and says Caffe has no AdamW', async () => {
    const text = solver('type: "Adam"\nbase_lr: 0.001\nlr_policy: "fixed"\nweight_decay: 0.0005\nmax_iter: 100\ntest_iter: 1\ntest_interval: 10');
    const { found, errors } = await lint(text, 'prototxt', ID);
    expect(errors).toEqual([]);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ text: 'weight_decay: 0.0005', ...at(text, 'weight_decay'), message: MESSAGE(0.0005) });
    expect(found[0]!.hint).toContain('Caffe has no AdamW');
  });

  it('passes AdamW with weight decay, Adam without, L1 only, and SGD with weight decay', async () => {
    for (const body of [
      '  solver { type: adamw lr: 0.001 }\n  weight_decay: 0.01',
      '  solver { type: adam lr: 0.001 }',
      '  solver { type: adam lr: 0.001 }\n  weight_decay { l1: 1e-5 }',
      '  solver { type: sgd lr: 0.1 momentum: 0.9 }\n  weight_decay: 1e-4',
    ]) {
      expect((await lint(nnspec(`${body}\n  epochs: 10\n  validation { split: 0.1 }`), 'nnspec', ID)).found, body).toEqual([]);
    }
  });
});

// ---------------------------------------------------------------------------------------------

describe('training/schedule-never-decays', () => {
  const ID = 'training/schedule-never-decays';
  const train = (schedule: string, length = 'epochs: 20') => nnspec(`  solver { type: sgd lr: 0.1 momentum: 0.9 }\n  lr_schedule { ${schedule} }\n  ${length}\n  validation { split: 0.1 }`);

  it('reports a step size as long as the run, at the step_size (nnspec, epochs)', async () => {
    const text = train('policy: step step_size: 30 gamma: 0.1');
    const { found, errors } = await lint(text, 'nnspec', ID);
    expect(errors).toEqual([]);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ severity: 'error', text: 'step_size: 30', ...at(text, 'step_size'), message: 'the learning rate would first decay after 30 epochs, but the run lasts 20 epochs: it never decays' });
  });

  it('reports milestones at or after the end of the run', async () => {
    const milestones = [10, 20, 30];
    const text = train(`policy: multistep milestones: [${milestones.join(', ')}]`);
    const { found } = await lint(text, 'nnspec', ID);
    const late = milestones.filter((m) => m >= 20);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      text: 'milestones: [10, 20, 30]',
      ...at(text, 'milestones'),
      message: `${late.length} of ${milestones.length} milestones (${late.join(', ')}) fall at or after the end of the run (20 epochs) and never take effect`,
    });
    const all = await lint(train('policy: multistep milestones: [40]'), 'nnspec', ID);
    expect(all.found.map((f) => f.message)).toEqual(['every milestone (40) falls at or after the end of the run (20 epochs): the learning rate never decays']);
  });

  it('reports a gamma that does not decay, at the gamma', async () => {
    const text = train('policy: step step_size: 5 gamma: 1.5');
    const { found } = await lint(text, 'nnspec', ID);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ text: 'gamma: 1.5', ...at(text, 'gamma'), message: "the 'step' schedule multiplies the learning rate by gamma 1.5, which makes it grow instead of decaying" });
  });

  it('reports a warm-up as long as the run', async () => {
    const text = train('policy: cosine warmup { length: 20 }');
    const { found } = await lint(text, 'nnspec', ID);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ text: 'length: 20', ...at(text, 'length: 20'), message: 'the warm-up lasts 20 epochs, as long as the run (20 epochs): the learning rate never reaches its base value' });
  });

  it('reports a Caffe stepsize beyond max_iter at the stepsize', async () => {
    const text = solver('base_lr: 0.01\nlr_policy: "step"\ngamma: 0.1\nstepsize: 20000\nmax_iter: 10000\ntest_iter: 10\ntest_interval: 500');
    const { found, errors } = await lint(text, 'prototxt', ID);
    expect(errors).toEqual([]);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ text: 'stepsize: 20000', ...at(text, 'stepsize'), message: 'the learning rate would first decay after 20000 iterations, but the run lasts 10000 iterations: it never decays' });
  });

  it('passes schedules that decay inside the run, and does not compare different units', async () => {
    expect((await lint(train('policy: step step_size: 30 gamma: 0.1', 'epochs: 90'), 'nnspec', ID)).found).toEqual([]);
    expect((await lint(train('policy: multistep milestones: [30, 50, 65]', 'epochs: 74'), 'nnspec', ID)).found).toEqual([]);
    // Steps counted in iterations, run counted in epochs: unknown without the dataset size.
    expect((await lint(train('policy: step step_size: 1000 unit: iteration', 'epochs: 20'), 'nnspec', ID)).found).toEqual([]);
    expect((await lint(solver('base_lr: 0.01\nlr_policy: "step"\ngamma: 0.1\nstepsize: 10000\nmax_iter: 65000\ntest_iter: 10\ntest_interval: 500'), 'prototxt', ID)).found).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------

describe('training/no-validation', () => {
  const ID = 'training/no-validation';

  it('reports an nnspec train section without validation, at the word train', async () => {
    const text = nnspec('  solver { type: sgd lr: 0.01 }\n  epochs: 10');
    const { found, errors } = await lint(text, 'nnspec', ID);
    expect(errors).toEqual([]);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ severity: 'error', text: 'train', ...at(text, 'train {'), message: 'the train section has no validation: training runs without a measure on held-out data' });
  });

  it('reports a validation interval longer than the run, at the interval', async () => {
    const text = nnspec('  solver { type: sgd lr: 0.01 }\n  epochs: 10\n  validation { split: 0.1 interval: 20 }');
    const { found } = await lint(text, 'nnspec', ID);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ text: 'interval: 20', ...at(text, 'interval'), message: 'the validation interval (20 epochs) is longer than the whole run (10 epochs), so the model is never validated during training' });
  });

  it('reports a Caffe solver that never tests, at max_iter', async () => {
    const text = solver('base_lr: 0.01\nlr_policy: "fixed"\nmax_iter: 1000');
    const { found, errors } = await lint(text, 'prototxt', ID);
    expect(errors).toEqual([]);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ text: 'max_iter: 1000', ...at(text, 'max_iter'), message: 'the solver never tests the net (no test_iter or test_interval): training runs without a measure on held-out data' });
  });

  it('reports test_iter without test_interval, and a test_interval beyond max_iter (FCN style)', async () => {
    const noInterval = solver('base_lr: 0.01\nlr_policy: "fixed"\nmax_iter: 1000\ntest_iter: 10');
    const a = await lint(noInterval, 'prototxt', ID);
    expect(a.found).toHaveLength(1);
    expect(a.found[0]).toMatchObject({ text: 'test_iter: 10', ...at(noInterval, 'test_iter'), message: 'the solver gives test_iter but no test_interval, so Caffe never runs the test net' });
    const late = solver('test_iter: 736\ntest_interval: 999999999\nbase_lr: 0.01\nlr_policy: "fixed"\nmax_iter: 100000\ntest_initialization: false');
    const b = await lint(late, 'prototxt', ID);
    expect(b.found).toHaveLength(1);
    expect(b.found[0]).toMatchObject({ text: 'test_interval: 999999999', ...at(late, 'test_interval'), message: 'the validation interval (999999999 iterations) is longer than the whole run (100000 iterations), so the model is never validated during training' });
  });

  it('passes setups that validate, and files without a training setup', async () => {
    expect((await lint(nnspec('  solver { type: sgd lr: 0.01 }\n  epochs: 10\n  validation { split: 0.1 }'), 'nnspec', ID)).found).toEqual([]);
    expect((await lint(nnspec('  solver { type: sgd lr: 0.01 }\n  iterations: 10000\n  validation { split: 0.1 interval: 500 unit: iteration }'), 'nnspec', ID)).found).toEqual([]);
    expect((await lint(solver('base_lr: 0.01\nlr_policy: "fixed"\nmax_iter: 1000\ntest_iter: 10\ntest_interval: 100'), 'prototxt', ID)).found).toEqual([]);
    expect((await lint(nnspec(null), 'nnspec', ID)).found).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------

describe('training/early-stopping-without-validation', () => {
  const ID = 'training/early-stopping-without-validation';

  it('is an error in the recommended preset', async () => {
    const config = await loadConfig(null);
    expect(config.rules.get(ID)?.level).toBe('error');
  });

  it('reports early stopping without validation, at its metric', async () => {
    const text = nnspec('  solver { type: sgd lr: 0.01 }\n  epochs: 100\n  early_stopping { metric: val_loss patience: 5 }');
    const { found, errors } = await lint(text, 'nnspec', ID);
    expect(errors).toEqual([]);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      severity: 'error',
      text: 'metric: val_loss',
      ...at(text, 'metric'),
      message: "early stopping watches 'val_loss', but the training setup holds out no validation data, so there is no held-out metric to stop on",
    });
  });

  it('passes early stopping with a validation split, and a setup without early stopping', async () => {
    expect((await lint(nnspec('  solver { type: sgd lr: 0.01 }\n  epochs: 100\n  validation { split: 0.1 }\n  early_stopping { metric: val_loss patience: 5 }'), 'nnspec', ID)).found).toEqual([]);
    expect((await lint(nnspec('  solver { type: sgd lr: 0.01 }\n  epochs: 100'), 'nnspec', ID)).found).toEqual([]);
  });
});
