/**
 * `nnspec train SPEC`: trains the net on TensorFlow.js as its `train` section (or a Caffe
 * solver's settings) says, with flags overriding the length, batch size, rate and seed. tfjs
 * and the data code are imported here only, so other commands never load them.
 */
import { resolve as resolvePath } from 'node:path';
import { formatStylish } from '../diagnostics/format.js';
import type { TrainConfig } from '../ir/train.js';
import type { Watch } from '../train/loop.js';
import { EXIT_OK, EXIT_PROBLEMS, UsageError } from './exit-codes.js';
import { useColor, type NetFlags } from './options.js';
import { checkBackendFlag, guarded, prepareTrainingNet, openNetData, startBackend, number, positive, positiveInt, STDIO, type CommandIo } from './model-command.js';

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
  /** Continue the run whose --out folder (with its checkpoint/) this is. */
  resume?: string;
  ensemble?: string | number;
  /** A Caffe solver.prototxt whose settings replace the spec's train section. */
  solver?: string;
  /** Worker threads for augmentation. */
  workers?: string | number;
  /** Draw the terminal chart of the curves at the end even when stdout is not a terminal. */
  chart?: boolean;
}

export interface TrainIo extends CommandIo {
  /** Where the progress bar goes when it is a terminal (stderr by default); absent or not a TTY: plain lines. */
  progress?: import('../train/progress.js').ProgressStream;
  /** Whether `out` is a terminal (draws the end-of-run chart); default false. */
  tty?: boolean;
}

const TRAIN_STDIO: TrainIo = { ...STDIO, progress: process.stderr, tty: process.stdout.isTTY === true };


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


export async function runTrain(path: string, flags: TrainFlags, io: TrainIo = TRAIN_STDIO): Promise<number> {
  return guarded(io, path, () => train(path, flags, io));
}

async function train(path: string, flags: TrainFlags, io: TrainIo): Promise<number> {
  const epochs = number('--epochs', flags.epochs, positive, 'a positive number');
  const iterations = number('--iterations', flags.iterations, positiveInt, 'a whole number ≥ 1');
  let batchFlag = number('--batch-size', flags.batchSize, positiveInt, 'a whole number ≥ 1');
  const lrFlag = number('--lr', flags.lr, (n) => Number.isFinite(n) && n >= 0, 'a number ≥ 0');
  let seedFlag = number('--seed', flags.seed, Number.isSafeInteger, 'an integer');
  let valSplit = number('--val-split', flags.valSplit, (n) => n >= 0 && n < 1, 'a fraction in [0, 1)');
  const threads = number('--threads', flags.threads, positiveInt, 'a whole number ≥ 1');
  const workersFlag = number('--workers', flags.workers, (n) => Number.isInteger(n) && n >= 0, 'a whole number ≥ 0');
  await checkBackendFlag(flags.backend);
  // Resuming continues the run as it was: its data, seed, batch size and split come from the checkpoint.
  const checkpoints = flags.resume !== undefined ? await import('../train/checkpoint.js') : null;
  const resume = checkpoints ? checkpoints.readCheckpoint(flags.resume!) : null;
  // A data folder is remembered absolute, so that a run resumes from anywhere.
  let dataFlag = flags.data === undefined || /^synthetic(:|$)/.test(flags.data) ? flags.data : resolvePath(flags.data);
  if (resume) {
    const saved = resume.settings;
    const clash = (flag: string, given: unknown, had: unknown) => {
      if (given !== undefined && given !== had) throw new UsageError(`--resume continues the run with its own settings: ${flag} ${String(given)} differs from the checkpoint's ${String(had)}`);
    };
    clash('--data', dataFlag, saved.data);
    clash('--seed', seedFlag, saved.seed);
    clash('--batch-size', batchFlag, saved.batchSize);
    clash('--val-split', valSplit, saved.valSplit);
    dataFlag = saved.data;
    seedFlag = saved.seed;
    batchFlag = saved.batchSize;
    valSplit = saved.valSplit;
  }
  const outDir = flags.out ?? flags.resume;
  const { net, diagnostics, report } = await prepareTrainingNet(path, flags, io);
  const session = await import('../train/session.js');
  if (!net) {
    report();
    return EXIT_PROBLEMS;
  }
  const { input } = net;
  let base = input.model.train ?? DEFAULT_TRAIN;
  if (flags.solver !== undefined) {
    const solver = await solverConfig(flags.solver, io, flags);
    if (!solver) return EXIT_PROBLEMS;
    base = solver;
  }
  const config: TrainConfig = { ...base, solver: { ...base.solver, ...(lrFlag !== undefined ? { base_lr: lrFlag } : {}) } };
  const seed = seedFlag ?? config.seed ?? 0;
  const iterSize = Math.max(1, config.iter_size);
  const { WATCHABLE } = await import('../train/loop.js');
  const early = config.early_stopping;
  if (early && !(WATCHABLE as readonly string[]).includes(early.metric)) throw new UsageError(`early_stopping watches '${early.metric}', which nnspec train does not compute (it has ${WATCHABLE.join(', ')})`);
  if (resume && resume.settings.iterSize !== iterSize) throw new UsageError(`--resume continues the run with its own settings: iter_size ${iterSize} differs from the checkpoint's ${resume.settings.iterSize}`);

  const { backend, label: backendLabel, line: backendLine } = await startBackend(flags.backend, threads);
  io.out(backendLine);
  const { tf } = backend;
  const data = await import('../data/index.js');
  const numClasses = net.numClasses;
  const dataSource = dataFlag ?? 'synthetic';
  const dataset = await openNetData(dataSource, net, seed);
  const fraction = valSplit ?? config.validation?.split ?? 0.1;
  const split = fraction > 0 ? data.splitDataset(dataset, fraction, seed) : null;
  const batchSize = batchFlag ?? config.batch_size ?? 64;
  const length: { iterations: number } | { epochs: number } =
    iterations !== undefined ? { iterations: iterations }
    : epochs !== undefined ? { epochs }
    : resume ? { iterations: resume.settings.totalIters }
    : config.iterations !== null ? { iterations: config.iterations }
    : { epochs: config.epochs ?? 1 };
  const trainSize = split?.train.size ?? dataset.size;
  const { updatesPerEpoch } = await import('../train/loop.js');
  const perEpoch = updatesPerEpoch(Math.ceil(trainSize / batchSize), iterSize);
  const totalIters = 'iterations' in length ? length.iterations : Math.max(1, Math.ceil(length.epochs * perEpoch));
  if (resume && resume.state.iteration >= totalIters) {
    throw new UsageError(`the checkpoint in ${flags.resume} has done ${resume.state.iteration} of ${totalIters} iterations; give --epochs or --iterations to train longer`);
  }
  const { wire } = await import('../train/loop.js');
  const { modelInterface } = await import('../backends/tfjs/index.js');
  const wiring = wire(input, modelInterface(input.model.graph.nodes)) as Exclude<ReturnType<typeof wire>, string>;
  const { availableParallelism } = await import('node:os');
  const workers = workersFlag ?? (net.modelData.augmentation && net.modelData.augmentation.length > 0 && availableParallelism() > 1 ? 1 : 0);
  io.out(
    `training ${input.model.graph.name || path}: ${split ? `${split.train.size} training / ${split.validation.size} validation` : `${dataset.size}`} examples, ` +
      `${numClasses} classes, loss: ${wiring.losses.length ? wiring.losses.map((l) => `'${l.blob}'`).join(' + ') : `softmax cross-entropy on '${wiring.logits}'`}, batch ${batchSize}${iterSize > 1 ? ` × iter_size ${iterSize}` : ''}, ${totalIters} iterations (${(totalIters / perEpoch).toFixed(2).replace(/\.?0+$/, '')} epochs), ${config.solver.type} lr ${config.solver.base_lr}, seed ${seed}${workers > 0 ? `, ${workers} augmentation worker${workers === 1 ? '' : 's'}` : ''}`,
  );
  if (resume) io.out(`resuming from ${flags.resume} at iteration ${resume.state.iteration} (epoch ${resume.state.epoch + 1}, batch ${resume.state.batchInEpoch})`);
  if (flags.ensemble !== undefined) {
    const members = number('--ensemble', flags.ensemble, (n) => Number.isInteger(n) && n >= 2, 'a whole number ≥ 2')!;
    if (resume) throw new UsageError('--ensemble trains its members from the start: it cannot --resume a run');
    if (!split) throw new UsageError('--ensemble compares the members with their ensemble on validation data: give --val-split above 0');
    const { trainEnsemble } = await import('../recipe/ensemble.js');
    const ensemble = await trainEnsemble({ tf, net, config, train: split.train, validation: split.validation, batchSize, length: { iterations: totalIters }, members, seed, onProgress: io.out, ...(flags.out ? { out: flags.out } : {}) });
    report();
    if (ensemble.file) io.out(`wrote ${ensemble.file}`);
    return ensemble.ensemble_accuracy !== null && ensemble.members.every((m) => m.accuracy !== null) && diagnostics.errorCount === 0 ? EXIT_OK : EXIT_PROBLEMS;
  }
  const watch: Watch | undefined = early
    ? { metric: early.metric as Watch['metric'], mode: early.mode === 'max' ? 'max' : 'min', min_delta: early.min_delta, patience: early.patience }
    : split
      ? { metric: 'val_loss', mode: 'min', min_delta: 0, patience: null }
      : undefined;
  const { progressReporter } = await import('../train/progress.js');
  const progress = progressReporter(io.out, io.progress, perEpoch > 100 ? 100 : 0);
  // Ctrl-C ends training after the current update and still writes the outputs; a second one quits at once.
  let stopRequested = false;
  const onInterrupt = () => {
    if (stopRequested) process.exit(130);
    stopRequested = true;
    progress.stop();
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
        onProgress: progress.onProgress,
        onIteration: (e) => progress.onIteration(e),
        progressEvery: progress.progressEvery,
        shouldStop: () => stopRequested,
        workers,
        ...(watch ? { watch } : {}),
        ...(resume ? { resume } : {}),
        ...(outDir
          ? { checkpoint: { dir: outDir, settings: { spec: path, data: dataSource, seed, batchSize, iterSize, valSplit: fraction, totalIters, solver: config.solver.type } } }
          : {}),
      },
      true,
    );
  } finally {
    progress.stop();
    process.off('SIGINT', onInterrupt);
  }
  report();
  const { stopped } = result;
  const lowered = result.lowered!;
  try {
    if (stopped === 'diverged') {
      // No checkpoint is written on divergence: the one there (if any) is the last good state.
      const { existsSync } = await import('node:fs');
      const kept = outDir !== undefined && existsSync(`${outDir}/checkpoint/state.json`);
      io.err(`nnspec: ${result.message}${kept ? `; the checkpoint in ${outDir}/checkpoint is the last one before it` : ''}`);
    }
    if (io.tty || flags.chart) {
      const { trainingCurves } = await import('../train/outputs.js');
      const { terminalChart } = await import('../report/charts.js');
      const { loss, accuracy } = trainingCurves(result.history);
      const color = useColor(flags, process.stdout);
      for (const [title, series] of [['loss', loss], ['accuracy', accuracy]] as const) {
        // A series of one point (validation only at the end) draws as a flat line that says nothing.
        const chart = terminalChart(series.filter((s) => s.points.length > 1), { title: `${title} against iteration`, color });
        if (chart) io.out(chart);
      }
    }
    if (outDir) {
      const { writeOutputs, writeCurves } = await import('../train/outputs.js');
      const reported = diagnostics.items.length;
      const files = writeOutputs(outDir, input, lowered, result.history, { spec: path, backend: backendLabel, seed, stopped, ...(stopped === 'diverged' && result.message ? { message: result.message } : {}) }, result.best);
      if (result.history.length > 0) files.push(await writeCurves(outDir, result.history));
      const late = diagnostics.items.slice(reported);
      if (late.length > 0) io.err(formatStylish(late, { color: useColor(flags, process.stderr) }));
      io.out(`wrote ${files.map((f) => `${outDir}/${f}`).join(', ')}${stopped === 'diverged' ? ' (no final weights: training diverged)' : ''}; resume with --resume ${outDir}`);
    }
    return (stopped === 'completed' || stopped === 'early_stopping') && diagnostics.errorCount === 0 ? EXIT_OK : EXIT_PROBLEMS;
  } finally {
    lowered.dispose();
  }
}

/** The train settings of a Caffe solver file; null (after printing its problems) when it has errors. Its net is not used: the SPEC argument is the net. */
async function solverConfig(file: string, io: TrainIo, flags: TrainFlags): Promise<TrainConfig | null> {
  const { compileFile } = await import('../compile.js');
  const result = await compileFile(file, { dialect: 'caffe', analyze: false });
  // The spec is the net here, so a solver that names none is complete.
  const problems = result.diagnostics.filter((d) => d.code !== 'caffe/solver-net');
  if (problems.some((d) => d.severity === 'error')) {
    io.err(formatStylish(problems, { color: useColor(flags, process.stderr) }));
    return null;
  }
  const train = result.model.train;
  if (result.model.format !== 'caffe-solver' || !train) throw new UsageError(`--solver ${file} is not a Caffe solver (no SolverParameter fields such as base_lr or max_iter)`);
  const extra = train.extra as Record<string, unknown>;
  const named = ['net', 'train_net'].map((k) => extra[k]).find((v) => typeof v === 'string');
  if (named !== undefined || result.model.graph) {
    io.err(`note: the net ${named !== undefined ? `'${String(named)}' ` : ''}named in ${file} is ignored: the spec given is trained with its settings`);
  }
  return train;
}
