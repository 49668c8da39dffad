/**
 * One training run as a function: a compiled net, a tfjs instance, the settings and the data in;
 * the metrics, the best checkpoint and the final weights out. `nnspec train` is one call of it;
 * the recipe commands (doctor, search, ensembles) make many, so everything a run needs is an
 * argument and nothing is read from the command line or the environment here.
 */
import type { BackendInput } from '../backends/backend.js';
import type { LoweredModel, Tf } from '../backends/tfjs/index.js';
import type { Dataset, ImageShape, ModelData } from '../data/index.js';
import type { DiagnosticBag } from '../diagnostics/diagnostic.js';
import type { TrainConfig } from '../ir/train.js';
import type { IrWeights } from '../weights/ir-weights.js';
import type { Checkpoint, RunSettings } from './checkpoint.js';
import type { BestCheckpoint, CheckpointReason, EpochMetrics, IterationEvent, Watch } from './loop.js';

/** A compiled net ready to be lowered any number of times. */
export interface PreparedNet {
  path: string;
  input: BackendInput;
  /** The compiler's, and each lowering's, findings. */
  diagnostics: DiagnosticBag;
  /** Preprocessing and augmentation the net's input or data layer asks for. */
  modelData: ModelData & { inputShape: ImageShape };
  /** Number of classes the net scores (axis 1 of the blob the loss reads). */
  numClasses: number;
}

/** Why a run could not start; the message is for the user (exit code 2 in the CLI). */
export class TrainSetupError extends Error {}

export type StopReason = 'completed' | 'diverged' | 'early_stopping' | 'interrupted';

export interface TrainRun {
  tf: Tf;
  net: PreparedNet;
  config: TrainConfig;
  train: Dataset;
  validation: Dataset | null;
  batchSize: number;
  /** Length of the run: iterations, or epochs (fractions allowed) of `train`. */
  length: { iterations: number } | { epochs: number };
  seed: number;
  /** Start from these values instead of the initialisation (IR layout). */
  weights?: IrWeights;
  /** What the best checkpoint (and early stopping, when it has a patience) is judged by. */
  watch?: Watch;
  onProgress?: (line: string) => void;
  /** Running-loss lines every this many updates (0: epoch ends only). */
  progressEvery?: number;
  /** Called after every update; returning true ends the run (recorded as early stopping). */
  onIteration?: (event: IterationEvent) => boolean | void;
  /** Polled before each update; true ends the run as interrupted (Ctrl-C). */
  shouldStop?: () => boolean;
  /** Worker threads for augmentation (default 0). */
  workers?: number;
  /** Continue from this checkpoint (its parameters, optimizer slots, position and history); a checkpoint of another net is a TrainSetupError. */
  resume?: Checkpoint;
  /** Write a checkpoint into `dir/checkpoint/` at each epoch end, validation point and interruption. */
  checkpoint?: { dir: string; settings: RunSettings };
  /** Called after each checkpoint is written. */
  onCheckpoint?: (reason: CheckpointReason) => void;
}

export interface TrainResult {
  history: EpochMetrics[];
  best: BestCheckpoint | null;
  stopped: StopReason;
  /** Why it stopped early, or the divergence message. */
  message: string | null;
  totalIters: number;
  itersPerEpoch: number;
  /** Parameters at the end (null when training diverged: they would be Inf/NaN or close to it). */
  weights: IrWeights | null;
  /** The trained model, when `keep` asked for it; the caller disposes it. */
  lowered: LoweredModel | null;
}

/** Compiles a spec (or Caffe prototxt) for training: TRAIN phase, nodes kept, input shape and class count known. */
export async function prepareNet(path: string, options: import('../compile.js').CompileOptions, text?: string): Promise<{ net: PreparedNet | null; diagnostics: DiagnosticBag }> {
  const { prepareBackendInput } = await import('../backends/backend.js');
  const { input, diagnostics } = await prepareBackendInput(path, options, text);
  if (!input) return { net: null, diagnostics };
  const { dataOptionsFromModel } = await import('../data/index.js');
  const modelData = dataOptionsFromModel(input.model);
  // A Caffe Data layer declares no shape; --input-shape reaches the analysed shapes only.
  modelData.inputShape ??= analysedInputShape(input);
  if (!modelData.inputShape) throw new TrainSetupError(`the input shape of '${path}' is not fully known; give it with --input-shape NAME=N,C,H,W`);
  const { modelInterface } = await import('../backends/tfjs/index.js');
  const { wire } = await import('./loop.js');
  const wiring = wire(input, modelInterface(input.model.graph.nodes));
  if (typeof wiring === 'string') throw new TrainSetupError(`cannot train '${path}': ${wiring}`);
  const numClasses = classCount(input, wiring.logits);
  if (numClasses === null) throw new TrainSetupError(`cannot tell the number of classes from the shape of '${wiring.logits}'`);
  return { net: { path, input, diagnostics, modelData: modelData as PreparedNet['modelData'], numClasses }, diagnostics };
}

/** Lowers the net with `seed`'s initialisation (and `weights` over it); a lowering error is a TrainSetupError carrying the diagnostics' summary. */
export async function lowerNet(tf: Tf, net: PreparedNet, seed: number, weights?: IrWeights, firstDraw = 0): Promise<LoweredModel> {
  const { lowerToTfjs } = await import('../backends/tfjs/index.js');
  const before = net.diagnostics.errorCount;
  const lowered = lowerToTfjs(tf, net.input, { seed, firstDraw, ...(weights ? { weights } : {}) });
  if (!lowered || net.diagnostics.errorCount > before) {
    lowered?.dispose();
    const first = net.diagnostics.items.find((d) => d.severity === 'error');
    throw new TrainSetupError(`'${net.path}' cannot run on TensorFlow.js${first ? `: ${first.message}` : ''}`);
  }
  return lowered;
}

/** Trains once. Lowers a fresh model (seeded), feeds it `train`, and returns what happened; keeps the model only when `keep` is true. */
export async function runTraining(run: TrainRun, keep = false): Promise<TrainResult> {
  const { tf, net, config, seed } = run;
  const data = await import('../data/index.js');
  const { Trainer, DivergenceError, ResumeError, wire, updatesPerEpoch } = await import('./loop.js');
  const lowered = await lowerNet(tf, net, seed, run.resume ? undefined : run.weights, run.resume?.draws ?? 0);
  if (run.resume) {
    const { checkpointMismatch } = await import('./checkpoint.js');
    const why = checkpointMismatch(run.resume, lowered.params.toIrWeights());
    if (why) {
      lowered.dispose();
      throw new TrainSetupError(why);
    }
    lowered.params.load(run.resume.weights);
  }
  let kept = false;
  const pipeOptions = { ...net.modelData, seed };
  const trainLoader = new data.BatchLoader(await data.DataPipeline.create(run.train, pipeOptions), { batchSize: run.batchSize, seed, mode: 'train', ...(run.workers ? { workers: run.workers } : {}) });
  const valLoader = run.validation ? new data.BatchLoader(await data.DataPipeline.create(run.validation, pipeOptions), { batchSize: run.batchSize, seed, mode: 'eval' }) : null;
  try {
    const wiring = wire(net.input, lowered);
    if (typeof wiring === 'string') throw new TrainSetupError(`cannot train '${net.path}': ${wiring}`);
    const itersPerEpoch = updatesPerEpoch(trainLoader.batchesPerEpoch, config.iter_size);
    const totalIters = 'iterations' in run.length ? run.length.iterations : Math.max(1, Math.ceil(run.length.epochs * itersPerEpoch));
    const trainer = new Trainer(tf, lowered, wiring);
    const checkpointModule = run.checkpoint ? await import('./checkpoint.js') : null;
    let stopped: StopReason = 'completed';
    let message: string | null = null;
    try {
      await trainer.run({
        config,
        totalIters,
        train: trainLoader,
        validation: valLoader,
        numClasses: net.numClasses,
        ...(run.onProgress ? { onProgress: run.onProgress } : {}),
        ...(run.progressEvery !== undefined ? { progressEvery: run.progressEvery } : {}),
        ...(run.onIteration ? { onIteration: run.onIteration } : {}),
        ...(run.shouldStop ? { shouldStop: run.shouldStop } : {}),
        ...(run.watch ? { watch: run.watch } : {}),
        ...(run.resume ? { resume: { state: run.resume.state, optimizer: run.resume.optimizer, bestWeights: run.resume.bestWeights } } : {}),
        ...(run.checkpoint
          ? {
              onCheckpoint: (event) => {
                const { writeCheckpoint } = checkpointModule!;
                const weights = lowered.params.toIrWeights();
                // An update can overflow the parameters before the loss shows it: such a state is no checkpoint, the previous one stays.
                for (const blobs of weights.values()) for (const b of blobs.values()) if (!b.data.every(Number.isFinite)) return;
                writeCheckpoint(run.checkpoint!.dir, {
                  settings: { ...run.checkpoint!.settings, totalIters },
                  state: event.state,
                  draws: lowered.draws(),
                  weights,
                  optimizer: event.optimizer,
                  best: event.best ? { weights: event.best.weights, iteration: event.best.iteration } : null,
                });
                run.onCheckpoint?.(event.reason);
              },
            }
          : {}),
      });
      if (trainer.stoppedEarly) {
        stopped = trainer.interrupted ? 'interrupted' : 'early_stopping';
        message = trainer.stoppedEarly;
      }
    } catch (e) {
      if (e instanceof ResumeError) throw new TrainSetupError(`cannot resume: ${e.message}`);
      if (!(e instanceof DivergenceError)) throw e;
      stopped = 'diverged';
      message = e.message;
    }
    const weights = stopped === 'diverged' ? null : lowered.params.toIrWeights();
    kept = keep;
    return { history: trainer.history, best: trainer.best, stopped, message, totalIters, itersPerEpoch, weights, lowered: keep ? lowered : null };
  } finally {
    await trainLoader.close();
    await valLoader?.close();
    if (!kept) lowered.dispose();
  }
}

/** Class scores (softmax probabilities) of every example of `dataset`, in order, with its labels: what ensembles average. */
export async function predictDataset(tf: Tf, net: PreparedNet, weights: IrWeights, dataset: Dataset, batchSize: number): Promise<{ probabilities: Float32Array; labels: Int32Array; numClasses: number }> {
  const data = await import('../data/index.js');
  const { wire } = await import('./loop.js');
  const lowered = await lowerNet(tf, net, 0, weights);
  const loader = new data.BatchLoader(await data.DataPipeline.create(dataset, { ...net.modelData, seed: 0 }), { batchSize, mode: 'eval' });
  const c = net.numClasses;
  const probabilities = new Float32Array(dataset.size * c);
  const labels = new Int32Array(dataset.size);
  try {
    const wiring = wire(net.input, lowered);
    if (typeof wiring === 'string') throw new TrainSetupError(`cannot run '${net.path}': ${wiring}`);
    let at = 0;
    for await (const batch of loader.epoch(0)) {
      const n = batch.shape[0];
      const p = tf.tidy(() => {
        const feeds: Record<string, import('../backends/tfjs/types.js').Tensor> = { [wiring.imageInput]: tf.tensor(batch.images, [...batch.shape], 'float32') };
        for (const name of wiring.labelInputs) feeds[name] = tf.tensor1d(Float32Array.from(batch.labels), 'float32');
        const out = lowered.forward(feeds, 'inference', { outputs: [wiring.logits] });
        return tf.softmax(tf.reshape(out[wiring.logits]!, [n, -1])).dataSync() as Float32Array;
      });
      probabilities.set(p, at * c);
      labels.set(batch.labels, at);
      at += n;
    }
  } finally {
    await loader.close();
    lowered.dispose();
  }
  return { probabilities, labels, numClasses: c };
}

/** [C, H, W] of the first input as analysed, when all three are known. */
export function analysedInputShape(input: BackendInput): ImageShape | undefined {
  const source = input.model.graph.nodes.find((n) => n.op === 'input' || n.op === 'data');
  const shape = source ? input.reports.get(source)?.outputs[0]?.shape : undefined;
  const chw = shape?.slice(1);
  return chw && chw.length === 3 && chw.every((d) => typeof d === 'number') ? (chw as ImageShape) : undefined;
}

/** The size of axis 1 of `blob` as analysed (its last producer's output). */
export function classCount(input: BackendInput, blob: string): number | null {
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
