/**
 * `nnspec eval SPEC --weights W --data SRC`: loss and top-1/top-5 accuracy of trained weights
 * over a whole dataset, computed exactly as `nnspec train` computes its validation metrics
 * (the same Trainer.evaluate, the model's own preprocessing, eval-mode data). Also home of
 * `openNet`, the part eval and predict share: compile, bind the weights, lower to tfjs.
 * tfjs and the data code are imported here only, so other commands never load them.
 */
import type { BackendInput } from '../backends/backend.js';
import type { LoweredModel, Tf } from '../backends/tfjs/index.js';
import type { ModelData } from '../data/index.js';
import { formatStylish } from '../diagnostics/format.js';
import type { WeightsFormat } from '../weights/load-weights.js';
import { EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, UsageError } from './exit-codes.js';
import { compileOptions, useColor, type NetFlags } from './options.js';
import { checkBackendFlag, guarded, startBackend, number, positiveInt, STDIO, type CommandIo } from './model-command.js';

export type { CommandIo };

/** What eval and predict both take: the weights and how to run the net. */
export interface RunNetFlags extends NetFlags {
  weights?: string;
  backend?: string;
  threads?: string | number;
  format?: string;
  color?: boolean;
}

export interface EvalFlags extends RunNetFlags {
  data?: string;
  split?: string;
  valSplit?: string | number;
  batchSize?: string | number;
  seed?: string | number;
}


/** A compiled net with its weights loaded, ready to run. */
export interface OpenedNet {
  input: BackendInput;
  tf: Tf;
  lowered: LoweredModel;
  /** `tfjs backend: wasm (2 threads, SIMD)`. */
  backendLine: string;
  backend: { name: string; threads: number };
  weightsFormat: WeightsFormat;
  /** How the net is fed and which blob holds its class scores (train's wiring). */
  wiring: Exclude<ReturnType<typeof import('../train/loop.js').wire>, string>;
  numClasses: number;
  /** The model's preprocessing, as training uses it, with the input [C, H, W] known. */
  modelData: ModelData & { inputShape: [number, number, number] };
}

/**
 * Compiles `path`, binds `--weights` to it and lowers it with them. Returns an exit code when it
 * cannot (diagnostics and messages already written to `io.err`). The caller disposes `lowered`.
 */
export async function openNet(path: string, flags: RunNetFlags, io: CommandIo, command: string): Promise<OpenedNet | number> {
  if (flags.format !== undefined && flags.format !== 'text' && flags.format !== 'json') throw new UsageError(`--format expects text or json, got '${flags.format}'`);
  const threads = number('--threads', flags.threads, positiveInt, 'a whole number ≥ 1');
  await checkBackendFlag(flags.backend);
  if (!flags.weights) throw new UsageError(`${command} needs the trained weights: --weights FILE (.safetensors from nnspec train --out, or a .caffemodel)`);

  const { prepareBackendInput } = await import('../backends/backend.js');
  const { input, diagnostics } = await prepareBackendInput(path, compileOptions(flags));
  const report = () => {
    if (diagnostics.items.length > 0) io.err(formatStylish(diagnostics.sorted(), { color: useColor(flags, process.stderr) }));
  };
  if (!input) {
    report();
    return EXIT_PROBLEMS;
  }
  const { loadWeights } = await import('../weights/load-weights.js');
  const loaded = loadWeights(flags.weights, input);
  if ('unreadable' in loaded) {
    report();
    io.err(`nnspec: ${loaded.unreadable}`);
    return EXIT_USAGE;
  }
  if ('mismatch' in loaded) {
    report();
    io.err(`nnspec: the weights in '${flags.weights}' do not fit '${path}' (${loaded.mismatch} error${loaded.mismatch === 1 ? '' : 's'})`);
    return EXIT_PROBLEMS;
  }

  const data = await import('../data/index.js');
  const modelData = data.dataOptionsFromModel(input.model);
  const { analysedInputShape, classCount } = await import('../train/session.js');
  modelData.inputShape ??= analysedInputShape(input);
  if (!modelData.inputShape) throw new UsageError(`the input shape of '${path}' is not fully known; give it with --input-shape NAME=N,C,H,W`);

  const { backend: selected, line: backendLine } = await startBackend(flags.backend, threads);
  const { tf } = selected;
  const { lowerToTfjs } = await import('../backends/tfjs/index.js');
  const { wire } = await import('../train/loop.js');
  const lowered = lowerToTfjs(tf, input, { weights: loaded.weights });
  if (!lowered || diagnostics.errorCount > 0) {
    report();
    lowered?.dispose();
    return EXIT_PROBLEMS;
  }
  report();
  const wiring = wire(input, lowered);
  const numClasses = typeof wiring === 'string' ? null : classCount(input, wiring.logits);
  if (typeof wiring === 'string' || numClasses === null) {
    lowered.dispose();
    throw new UsageError(typeof wiring === 'string' ? `cannot ${command} with '${path}': ${wiring}` : `cannot tell the number of classes from the shape of '${wiring.logits}'`);
  }
  return {
    input,
    tf,
    lowered,
    backendLine,
    backend: { name: selected.name, threads: selected.threads },
    weightsFormat: loaded.format,
    wiring,
    numClasses,
    modelData: modelData as OpenedNet['modelData'],
  };
}

export interface EvalResult {
  spec: string;
  weights: string;
  weights_format: WeightsFormat;
  data: string;
  split: 'train' | 'test';
  /** The validation fraction whose held-out part was evaluated (null: the whole split). */
  val_split: number | null;
  seed: number;
  examples: number;
  classes: number;
  /** What the loss is: the net's loss blobs, or softmax cross-entropy on its scores. */
  loss_on: string;
  loss: number;
  top1: number;
  /** null with 5 classes or fewer. */
  top5: number | null;
  backend: string;
  threads: number;
}

const pct = (x: number | null) => (x === null ? '–' : `${(100 * x).toFixed(2)}%`);

export async function runEval(path: string, flags: EvalFlags, io: CommandIo = STDIO): Promise<number> {
  return guarded(io, path, () => evaluate(path, flags, io));
}

async function evaluate(path: string, flags: EvalFlags, io: CommandIo): Promise<number> {
  if (!flags.data) throw new UsageError(`eval needs the data to evaluate on: --data SOURCE ('synthetic:N' or a dataset folder)`);
  if (flags.split !== undefined && flags.split !== 'train' && flags.split !== 'test') throw new UsageError(`--split expects train or test, got '${flags.split}'`);
  const batchSize = number('--batch-size', flags.batchSize, positiveInt, 'a whole number ≥ 1') ?? 64;
  const seedFlag = number('--seed', flags.seed, Number.isSafeInteger, 'an integer');
  const valSplit = number('--val-split', flags.valSplit, (n) => n > 0 && n < 1, 'a fraction in (0, 1)');
  const json = flags.format === 'json';

  const net = await openNet(path, flags, io, 'eval');
  if (typeof net === 'number') return net;
  const { tf, lowered, wiring, numClasses, modelData, input } = net;
  try {
    if (!json) io.out(net.backendLine);
    const data = await import('../data/index.js');
    const { Trainer } = await import('../train/loop.js');
    // As train: the flag, else the spec's seed; it picks the synthetic task and the validation split.
    const seed = seedFlag ?? input.model.train?.seed ?? 0;
    // Held-out data by default; the validation part of a training run lives in its training split.
    const split = (flags.split ?? (valSplit !== undefined ? 'train' : 'test')) as 'train' | 'test';
    let dataset;
    try {
      dataset = await data.openDataset(flags.data, { shape: modelData.inputShape, numClasses, split, seed });
    } catch (e) {
      // The default asked for a test split the source may not have; say how to use what it has.
      if (flags.split === undefined && split === 'test' && data.isDataError(e)) throw new data.DataError(`${e.message} (the test split is the default; --split train evaluates the training data)`);
      throw e;
    }
    if (dataset.numClasses > numClasses) throw new data.DataError(`the data has ${dataset.numClasses} classes but the net scores ${numClasses}`);
    const part = valSplit !== undefined ? data.splitDataset(dataset, valSplit, seed).validation : dataset;
    if (part.size === 0) throw new data.DataError('holds no examples', flags.data);
    const loader = new data.BatchLoader(await data.DataPipeline.create(part, { ...modelData, seed }), { batchSize, seed, mode: 'eval' });
    const lossOn = wiring.losses.length ? wiring.losses.map((l) => `'${l.blob}'`).join(' + ') : `softmax cross-entropy on '${wiring.logits}'`;
    if (!json) {
      const which = valSplit !== undefined ? `${split} split, the ${valSplit} validation part held out with seed ${seed}` : `${split} split`;
      io.out(`evaluating ${input.model.graph.name || path} with ${flags.weights} on ${flags.data} (${which}): ${part.size} examples, ${numClasses} classes, loss: ${lossOn}`);
    }
    let metrics;
    try {
      metrics = await new Trainer(tf, lowered, wiring).evaluate(loader, numClasses);
    } finally {
      await loader.close();
      await dataset.close?.();
    }
    const result: EvalResult = {
      spec: path,
      weights: flags.weights!,
      weights_format: net.weightsFormat,
      data: flags.data,
      split,
      val_split: valSplit ?? null,
      seed,
      examples: part.size,
      classes: numClasses,
      loss_on: lossOn,
      loss: metrics.loss,
      top1: metrics.top1,
      top5: metrics.top5,
      backend: net.backend.name,
      threads: net.backend.threads,
    };
    if (json) io.out(JSON.stringify(result, null, 2));
    else io.out(`loss ${result.loss.toFixed(4)}  top-1 ${pct(result.top1)}${result.top5 === null ? '' : `  top-5 ${pct(result.top5)}`}  (${result.examples} examples)`);
    return Number.isFinite(result.loss) ? EXIT_OK : EXIT_PROBLEMS;
  } finally {
    lowered.dispose();
  }
}
