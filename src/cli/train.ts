/**
 * `nnspec train SPEC`: trains the net on TensorFlow.js as its `train` section (or a Caffe
 * solver's settings) says, with flags overriding the length, batch size, rate and seed. tfjs
 * and the data code are imported here only, so other commands never load them.
 */
import { formatStylish } from '../diagnostics/format.js';
import type { TrainConfig } from '../ir/train.js';
import type { Watch } from '../train/loop.js';
import { EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, UsageError } from './exit-codes.js';
import { isFsError } from './check.js';
import { describeFsError } from './inputs.js';
import { compileOptions, useColor, type NetFlags } from './options.js';

export interface TrainFlags extends NetFlags {
  data?: string;
  out?: string;
  epochs?: string | number;
  iterations?: string | number;
  batchSize?: string | number;
  lr?: string | number;
  seed?: string | number;
  valSplit?: string | number;
  backend?: string;
  threads?: string | number;
  color?: boolean;
}

export interface TrainIo {
  /** Progress and results (stdout by default). */
  out(line: string): void;
  /** Problems (stderr by default). */
  err(line: string): void;
}

const STDIO: TrainIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/** What training uses when the spec has no train section (a Caffe net without a solver). */
export const DEFAULT_TRAIN: TrainConfig = {
  solver: { type: 'sgd', base_lr: 0.01, momentum: 0.9, beta2: 0.999, eps: 1e-8, rms_decay: 0.99, momentum_convention: 'caffe' },
  regularization: { l2: 0, l1: 0 },
  lr_schedule: { policy: 'fixed', gamma: 0.1, power: 1, step_size: null, milestones: [], unit: 'iteration', min_lr: 0, warmup: null },
  epochs: null,
  iterations: null,
  batch_size: null,
  iter_size: 1,
  gradient_clip: null,
  loss: null,
  validation: null,
  early_stopping: null,
  augmentation: [],
  seed: null,
  extra: {},
};

function number(name: string, value: string | number | undefined, check: (n: number) => boolean, what: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!check(n)) throw new UsageError(`${name} expects ${what}, got '${value}'`);
  return n;
}
const positiveInt = (n: number) => Number.isInteger(n) && n >= 1;
const positive = (n: number) => Number.isFinite(n) && n > 0;

export async function runTrain(path: string, flags: TrainFlags, io: TrainIo = STDIO): Promise<number> {
  try {
    return await train(path, flags, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`nnspec: ${e.message}`);
      return EXIT_USAGE;
    }
    if (isFsError(e)) {
      io.err(`nnspec: ${(e as { path?: string }).path ?? path}: ${describeFsError(e)}`);
      return EXIT_USAGE;
    }
    const { isDataError } = await import('../data/index.js');
    if (isDataError(e)) {
      io.err(`nnspec: ${e.message}`);
      return EXIT_USAGE;
    }
    const { TrainSetupError } = await import('../train/session.js');
    if (e instanceof TrainSetupError) {
      io.err(`nnspec: ${e.message}`);
      return EXIT_USAGE;
    }
    const { BackendUnavailableError } = await import('../runtime/backend.js');
    if (e instanceof BackendUnavailableError) {
      io.err(`nnspec: ${e.message}`);
      return EXIT_USAGE;
    }
    throw e;
  }
}

async function train(path: string, flags: TrainFlags, io: TrainIo): Promise<number> {
  const epochs = number('--epochs', flags.epochs, positive, 'a positive number');
  const iterations = number('--iterations', flags.iterations, positiveInt, 'a whole number ≥ 1');
  const batchFlag = number('--batch-size', flags.batchSize, positiveInt, 'a whole number ≥ 1');
  const lrFlag = number('--lr', flags.lr, (n) => Number.isFinite(n) && n >= 0, 'a number ≥ 0');
  const seedFlag = number('--seed', flags.seed, Number.isSafeInteger, 'an integer');
  const valSplit = number('--val-split', flags.valSplit, (n) => n >= 0 && n < 1, 'a fraction in [0, 1)');
  const threads = number('--threads', flags.threads, positiveInt, 'a whole number ≥ 1');
  const { BACKENDS } = await import('../runtime/backend.js');
  if (flags.backend !== undefined && !(BACKENDS as readonly string[]).includes(flags.backend)) {
    throw new UsageError(`--backend expects one of ${BACKENDS.join(', ')}, got '${flags.backend}'`);
  }
  // A Caffe train_val net keeps its loss layers in the TRAIN phase.
  const options = compileOptions({ ...flags, phase: flags.phase ?? 'train' });
  const session = await import('../train/session.js');
  const { net, diagnostics } = await session.prepareNet(path, options);
  const report = () => {
    if (diagnostics.items.length > 0) io.err(formatStylish(diagnostics.items, { color: useColor(flags, process.stderr) }));
  };
  if (!net) {
    report();
    return EXIT_PROBLEMS;
  }
  const { input } = net;
  const base = input.model.train ?? DEFAULT_TRAIN;
  const config: TrainConfig = { ...base, solver: { ...base.solver, ...(lrFlag !== undefined ? { base_lr: lrFlag } : {}) } };
  if (config.iter_size !== 1) throw new UsageError(`iter_size ${config.iter_size} (gradient accumulation) is not supported by nnspec train yet`);
  const seed = seedFlag ?? config.seed ?? 0;
  const { WATCHABLE } = await import('../train/loop.js');
  const early = config.early_stopping;
  if (early && !(WATCHABLE as readonly string[]).includes(early.metric)) throw new UsageError(`early_stopping watches '${early.metric}', which nnspec train does not compute (it has ${WATCHABLE.join(', ')})`);

  const { selectBackend, describeBackend } = await import('../runtime/backend.js');
  const backend = await selectBackend({ ...(flags.backend ? { backend: flags.backend as 'wasm' } : {}), ...(threads ? { threads } : {}) });
  io.out(describeBackend(backend) + (backend.why ? ` — ${backend.why}` : ''));
  const { tf } = backend;
  const data = await import('../data/index.js');
  const numClasses = net.numClasses;
  const dataset = await data.openDataset(flags.data ?? 'synthetic', { shape: net.modelData.inputShape, numClasses, seed });
  if (dataset.numClasses > numClasses) throw new data.DataError(`the data has ${dataset.numClasses} classes but the net scores ${numClasses}`);
  const fraction = valSplit ?? config.validation?.split ?? 0.1;
  const split = fraction > 0 ? data.splitDataset(dataset, fraction, seed) : null;
  const batchSize = batchFlag ?? config.batch_size ?? 64;
  const length: { iterations: number } | { epochs: number } =
    iterations !== undefined ? { iterations: iterations }
    : epochs !== undefined ? { epochs }
    : config.iterations !== null ? { iterations: config.iterations }
    : { epochs: config.epochs ?? 1 };
  const trainSize = split?.train.size ?? dataset.size;
  const perEpoch = Math.ceil(trainSize / batchSize);
  const totalIters = 'iterations' in length ? length.iterations : Math.max(1, Math.ceil(length.epochs * perEpoch));
  const { wire } = await import('../train/loop.js');
  const { modelInterface } = await import('../backends/tfjs/index.js');
  const wiring = wire(input, modelInterface(input.model.graph.nodes)) as Exclude<ReturnType<typeof wire>, string>;
  io.out(
    `training ${input.model.graph.name || path}: ${split ? `${split.train.size} training / ${split.validation.size} validation` : `${dataset.size}`} examples, ` +
      `${numClasses} classes, loss: ${wiring.losses.length ? wiring.losses.map((l) => `'${l.blob}'`).join(' + ') : `softmax cross-entropy on '${wiring.logits}'`}, batch ${batchSize}, ${totalIters} iterations (${(totalIters / perEpoch).toFixed(2).replace(/\.?0+$/, '')} epochs), ${config.solver.type} lr ${config.solver.base_lr}, seed ${seed}`,
  );
  const watch: Watch | undefined = early
    ? { metric: early.metric as Watch['metric'], mode: early.mode === 'max' ? 'max' : 'min', min_delta: early.min_delta, patience: early.patience }
    : split
      ? { metric: 'val_loss', mode: 'min', min_delta: 0, patience: null }
      : undefined;
  // Ctrl-C ends training after the current update and still writes the outputs; a second one quits at once.
  let stopRequested = false;
  const onInterrupt = () => {
    if (stopRequested) process.exit(130);
    stopRequested = true;
    io.err('nnspec: interrupted; finishing the current update and writing the outputs (Ctrl-C again to quit at once)');
  };
  process.on('SIGINT', onInterrupt);
  let result: import('../train/session.js').TrainResult;
  try {
    result = await session.runTraining(
      {
        tf,
        net,
        config,
        train: split?.train ?? dataset,
        validation: split?.validation ?? null,
        batchSize,
        length: { iterations: totalIters },
        seed,
        onProgress: io.out,
        progressEvery: perEpoch > 100 ? 100 : 0,
        shouldStop: () => stopRequested,
        ...(watch ? { watch } : {}),
      },
      true,
    );
  } finally {
    process.off('SIGINT', onInterrupt);
  }
  report();
  const { stopped } = result;
  const lowered = result.lowered!;
  try {
    if (stopped === 'diverged') io.err(`nnspec: ${result.message}`);
    if (flags.out) {
      const { writeOutputs } = await import('../train/outputs.js');
      const files = writeOutputs(flags.out, input, lowered, result.history, { spec: path, backend: describeBackend(backend), seed, stopped, ...(stopped === 'diverged' && result.message ? { message: result.message } : {}) }, result.best);
      io.out(`wrote ${files.map((f) => `${flags.out}/${f}`).join(', ')}${stopped === 'diverged' ? ' (no final weights: training diverged)' : ''}`);
    }
    return (stopped === 'completed' || stopped === 'early_stopping') && diagnostics.errorCount === 0 ? EXIT_OK : EXIT_PROBLEMS;
  } finally {
    lowered.dispose();
  }
}

