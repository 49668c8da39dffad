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

  const { prepareBackendInput } = await import('../backends/backend.js');
  const { input, diagnostics } = await prepareBackendInput(path, options);
  const report = () => {
    if (diagnostics.items.length > 0) io.err(formatStylish(diagnostics.items, { color: useColor(flags, process.stderr) }));
  };
  if (!input) {
    report();
    return EXIT_PROBLEMS;
  }
  const base = input.model.train ?? DEFAULT_TRAIN;
  const config: TrainConfig = { ...base, solver: { ...base.solver, ...(lrFlag !== undefined ? { base_lr: lrFlag } : {}) } };
  if (config.iter_size !== 1) throw new UsageError(`iter_size ${config.iter_size} (gradient accumulation) is not supported by nnspec train yet`);
  const seed = seedFlag ?? config.seed ?? 0;
  const { WATCHABLE } = await import('../train/loop.js');
  const early = config.early_stopping;
  if (early && !(WATCHABLE as readonly string[]).includes(early.metric)) throw new UsageError(`early_stopping watches '${early.metric}', which nnspec train does not compute (it has ${WATCHABLE.join(', ')})`);

  const data = await import('../data/index.js');
  const modelData = data.dataOptionsFromModel(input.model);
  // A Caffe Data layer declares no shape; --input-shape reaches the analysed shapes only.
  modelData.inputShape ??= analysedInputShape(input);
  if (!modelData.inputShape) throw new UsageError(`the input shape of '${path}' is not fully known; give it with --input-shape NAME=N,C,H,W`);

  const { selectBackend, describeBackend } = await import('../runtime/backend.js');
  const backend = await selectBackend({ ...(flags.backend ? { backend: flags.backend as 'wasm' } : {}), ...(threads ? { threads } : {}) });
  io.out(describeBackend(backend) + (backend.why ? ` — ${backend.why}` : ''));
  const { tf } = backend;
  const { lowerToTfjs } = await import('../backends/tfjs/index.js');
  const { Trainer, DivergenceError, wire } = await import('../train/loop.js');
  const lowered = lowerToTfjs(tf, input, { seed });
  if (!lowered || diagnostics.errorCount > 0) {
    report();
    lowered?.dispose();
    return EXIT_PROBLEMS;
  }
  report();
  try {
    const wiring = wire(input, lowered);
    if (typeof wiring === 'string') throw new UsageError(`cannot train '${path}': ${wiring}`);
    const numClasses = classCount(input, wiring.logits);
    if (numClasses === null) throw new UsageError(`cannot tell the number of classes from the shape of '${wiring.logits}'`);

    const dataset = await data.openDataset(flags.data ?? 'synthetic', { shape: modelData.inputShape, numClasses, seed });
    if (dataset.numClasses > numClasses) throw new data.DataError(`the data has ${dataset.numClasses} classes but the net scores ${numClasses}`);
    const fraction = valSplit ?? config.validation?.split ?? 0.1;
    const split = fraction > 0 ? data.splitDataset(dataset, fraction, seed) : null;
    const pipeOptions = { ...modelData, seed };
    const batchSize = batchFlag ?? config.batch_size ?? 64;
    const trainLoader = new data.BatchLoader(await data.DataPipeline.create(split?.train ?? dataset, pipeOptions), { batchSize, seed, mode: 'train' });
    const valLoader = split ? new data.BatchLoader(await data.DataPipeline.create(split.validation, pipeOptions), { batchSize, seed, mode: 'eval' }) : null;
    const perEpoch = trainLoader.batchesPerEpoch;
    const totalIters =
      iterations ??
      (epochs !== undefined ? Math.ceil(epochs * perEpoch) : undefined) ??
      config.iterations ??
      (config.epochs !== null ? Math.ceil(config.epochs * perEpoch) : perEpoch);
    io.out(
      `training ${input.model.graph.name || path}: ${split ? `${split.train.size} training / ${split.validation.size} validation` : `${dataset.size}`} examples, ` +
        `${numClasses} classes, loss: ${wiring.losses.length ? wiring.losses.map((l) => `'${l.blob}'`).join(' + ') : `softmax cross-entropy on '${wiring.logits}'`}, batch ${batchSize}, ${totalIters} iterations (${(totalIters / perEpoch).toFixed(2).replace(/\.?0+$/, '')} epochs), ${config.solver.type} lr ${config.solver.base_lr}, seed ${seed}`,
    );
    const trainer = new Trainer(tf, lowered, wiring);
    const watch: Watch | undefined = early
      ? { metric: early.metric as Watch['metric'], mode: early.mode === 'max' ? 'max' : 'min', min_delta: early.min_delta, patience: early.patience }
      : split
        ? { metric: 'val_loss', mode: 'min', min_delta: 0, patience: null }
        : undefined;
    let stopped: 'completed' | 'diverged' | 'early_stopping' | 'interrupted' = 'completed';
    // Ctrl-C ends training after the current update and still writes the outputs; a second one quits at once.
    let stopRequested = false;
    const onInterrupt = () => {
      if (stopRequested) process.exit(130);
      stopRequested = true;
      io.err('nnspec: interrupted; finishing the current update and writing the outputs (Ctrl-C again to quit at once)');
    };
    process.on('SIGINT', onInterrupt);
    let message: string | undefined;
    try {
      await trainer.run({ config, totalIters, train: trainLoader, validation: valLoader, numClasses, onProgress: io.out, progressEvery: perEpoch > 100 ? 100 : 0, shouldStop: () => stopRequested, ...(watch ? { watch } : {}) });
      if (trainer.stoppedEarly) stopped = trainer.interrupted ? 'interrupted' : 'early_stopping';
    } catch (e) {
      if (!(e instanceof DivergenceError)) throw e;
      stopped = 'diverged';
      message = e.message;
      io.err(`nnspec: ${e.message}`);
    } finally {
      process.off('SIGINT', onInterrupt);
      await trainLoader.close();
      await valLoader?.close();
    }
    if (flags.out) {
      const { writeOutputs } = await import('../train/outputs.js');
      const files = writeOutputs(flags.out, input, lowered, trainer.history, { spec: path, backend: describeBackend(backend), seed, stopped, ...(message ? { message } : {}) }, trainer.best);
      io.out(`wrote ${files.map((f) => `${flags.out}/${f}`).join(', ')}${stopped === 'diverged' ? ' (no final weights: training diverged)' : ''}`);
    }
    return (stopped === 'completed' || stopped === 'early_stopping') && diagnostics.errorCount === 0 ? EXIT_OK : EXIT_PROBLEMS;
  } finally {
    lowered.dispose();
  }
}

/** [C, H, W] of the first input as analysed, when all three are known. */
function analysedInputShape(input: import('../backends/backend.js').BackendInput): [number, number, number] | undefined {
  const source = input.model.graph.nodes.find((n) => n.op === 'input' || n.op === 'data');
  const shape = source ? input.reports.get(source)?.outputs[0]?.shape : undefined;
  const chw = shape?.slice(1);
  return chw && chw.length === 3 && chw.every((d) => typeof d === 'number') ? (chw as [number, number, number]) : undefined;
}

/** The size of axis 1 of `blob` as analysed (its last producer's output). */
function classCount(input: import('../backends/backend.js').BackendInput, blob: string): number | null {
  const nodes = input.model.graph.nodes;
  for (let i = nodes.length - 1; i >= 0; i--) {
    const node = nodes[i]!;
    const at = node.outputs.indexOf(blob);
    if (at < 0) continue;
    const shape = input.reports.get(node)?.outputs[at]?.shape;
    const c = shape?.[1];
    return typeof c === 'number' ? c : null;
  }
  return null;
}
