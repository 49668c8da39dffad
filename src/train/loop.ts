/**
 * The training loop: batches from src/data, a forward pass of the lowered model, the loss (the
 * net's own loss layers when it has them, else softmax cross-entropy on its output), gradients
 * from tf.variableGrads, an Optimizer update at the scheduled rate, and per-epoch metrics on the
 * training batches and on the validation split.
 */
import type { BackendInput } from '../backends/backend.js';
import type { LoweredModel, Tf } from '../backends/tfjs/index.js';
import type { Tensor } from '../backends/tfjs/types.js';
import type { BatchLoader } from '../data/index.js';
import type { TrainConfig } from '../ir/train.js';
import type { IrWeights } from '../weights/ir-weights.js';
import { learningRate } from './lr-schedule.js';
import { Optimizer, type OptimizerState } from './optimizer.js';

export interface EpochMetrics {
  epoch: number;
  iteration: number;
  lr: number;
  train_loss: number;
  train_top1: number;
  val_loss: number | null;
  val_top1: number | null;
  val_top5: number | null;
  seconds: number;
  images_per_second: number;
}

/** One update's figures, as `onIteration` receives them. */
export interface IterationEvent {
  /** Updates done so far (1 after the first). */
  iteration: number;
  epoch: number;
  lr: number;
  /** This batch's loss and top-1 accuracy. */
  loss: number;
  top1: number;
  /** Examples in the update (iter_size batches). */
  batchSize: number;
  /** The update's place in its epoch (1-based) and the updates per epoch. */
  iterationInEpoch?: number;
  itersPerEpoch?: number;
}

/** Raised when the loss stops being a finite number; training ends with what it had. */
export class DivergenceError extends Error {
  constructor(
    readonly iteration: number,
    readonly loss: number,
  ) {
    super(`training diverged: the loss became ${loss} at iteration ${iteration + 1}; try a smaller learning rate`);
  }
}

/** The metrics early stopping and the best checkpoint can watch. */
export const WATCHABLE = ['val_loss', 'val_top1', 'val_top5', 'train_loss', 'train_top1'] as const;
export type Watched = (typeof WATCHABLE)[number];

export interface Watch {
  metric: Watched;
  mode: 'min' | 'max';
  min_delta: number;
  /** Epochs without improvement before training stops; null: never stop early. */
  patience: number | null;
}

export interface BestCheckpoint {
  epoch: number;
  /** Updates done at that validation point. */
  iteration: number;
  metric: Watched;
  value: number;
  /** A copy of the parameters after that epoch. */
  weights: IrWeights;
}

export interface LoopOptions {
  config: TrainConfig;
  /** Updates to run in all. */
  totalIters: number;
  train: BatchLoader;
  validation: BatchLoader | null;
  numClasses: number;
  onProgress?: (line: string) => void;
  /** Also report the running training loss every this many updates (0: only at epoch ends). */
  progressEvery?: number;
  /** What the best checkpoint (and early stopping, when it has a patience) is judged by. */
  watch?: Watch;
  /** Asked before each update; true ends training after the epoch's metrics so far (Ctrl-C). */
  shouldStop?: () => boolean;
  /** Called after each update; true ends training after the epoch's metrics so far (recorded as early stopping). */
  onIteration?: (event: IterationEvent) => boolean | void;
  /** When to validate (default: the config's validation section, else every epoch). */
  validationSchedule?: ValidationSchedule;
  /** Continue from a checkpoint instead of starting afresh (the parameters are loaded by the caller). */
  resume?: { state: LoopState; optimizer: OptimizerState; bestWeights: IrWeights | null };
  /** Called at each epoch end, validation point and interruption with what a checkpoint holds (the parameters are the model's now). */
  onCheckpoint?: (event: CheckpointEvent) => void;
}

/** A checkpoint that does not fit the run (another net or solver). */
export class ResumeError extends Error {}

/** Updates per epoch: iter_size batches each, the last one of an epoch possibly fewer. */
export function updatesPerEpoch(batchesPerEpoch: number, iterSize: number): number {
  return Math.ceil(batchesPerEpoch / Math.max(1, iterSize));
}

/** How the lowered model is fed and which blob holds the class scores. */
export interface Wiring {
  imageInput: string;
  labelInputs: string[];
  logits: string;
  /** The net's loss blobs and weights; empty: softmax cross-entropy on `logits`. */
  losses: { blob: string; weight: number }[];
}

export function wire(input: BackendInput, lowered: Pick<LoweredModel, 'inputs' | 'outputs' | 'losses'>): Wiring | string {
  if (lowered.inputs.length === 0) return 'the net has no input';
  const [imageInput, ...labelInputs] = lowered.inputs as [string, ...string[]];
  if (lowered.losses.length > 0) {
    const first = lowered.losses[0]!.blob;
    const node = input.model.graph.nodes.find((n) => n.op === 'loss' && n.outputs.includes(first));
    if (!node || node.inputs.length === 0) return `cannot tell which blob feeds the loss '${first}'`;
    return { imageInput, labelInputs, logits: node.inputs[0]!, losses: lowered.losses };
  }
  if (lowered.outputs.length !== 1) return `a net without a loss layer needs exactly one output to train with softmax cross-entropy; it has ${lowered.outputs.length} (${lowered.outputs.join(', ')})`;
  const output = lowered.outputs[0]!;
  // A Caffe deploy net ends in Softmax ('prob') where its train net had SoftmaxWithLoss: the
  // cross-entropy belongs on the scores before it (on probabilities it would barely move).
  const producer = [...input.model.graph.nodes].reverse().find((n) => n.outputs.includes(output));
  const axis = producer?.op === 'softmax' ? (producer.attrs as { axis: number }).axis : null;
  const logits = producer && axis === 1 && producer.inputs[0] && producer.inputs[0] !== output ? producer.inputs[0] : output;
  return { imageInput, labelInputs, logits, losses: [] };
}

function softmaxCrossEntropy(tf: Tf, logits: Tensor, target: Tensor): Tensor {
  return tf.neg(tf.mean(tf.sum(tf.mul(target, tf.logSoftmax(logits)), 1)));
}

/** Whether each label is among the k highest scores (ties counted against it, as Caffe's Accuracy does). */
function inTopK(tf: Tf, logits: Tensor, labels: Tensor, k: number): Tensor {
  const own = tf.sum(tf.mul(logits, tf.oneHot(labels, logits.shape[1]!)), 1, true);
  const higher = tf.sum(tf.cast(tf.greater(logits, own), 'int32'), 1);
  return tf.less(higher, k);
}

/** Where a run stands between two updates: everything besides the parameters and the optimizer's slots that resuming needs. */
export interface LoopState {
  /** Updates done. */
  iteration: number;
  /** The epoch in progress (0-based). */
  epoch: number;
  /** Batches of that epoch already consumed (by finished updates). */
  batchInEpoch: number;
  /** The metrics row in progress: training figures since the last row. */
  row: { lossSum: number; hits: number; seen: number; seconds: number; lr: number };
  history: EpochMetrics[];
  best: Omit<BestCheckpoint, 'weights'> | null;
  /** Validation points judged so far, and the index of the best one (early stopping counts them). */
  judged: number;
  bestJudged: number;
}

export type CheckpointReason = 'epoch' | 'validation' | 'interrupted' | 'end';

export interface CheckpointEvent {
  reason: CheckpointReason;
  state: LoopState;
  optimizer: OptimizerState;
  best: BestCheckpoint | null;
}

/** When validation runs: every `interval` epochs or iterations (Caffe's test_interval), on at most `batches` batches (test_iter). */
export interface ValidationSchedule {
  interval: number;
  unit: 'epoch' | 'iteration';
  batches: number | null;
}

export function validationSchedule(config: TrainConfig): ValidationSchedule {
  const v = config.validation;
  return { interval: v?.interval ?? 1, unit: v?.unit ?? 'epoch', batches: v?.iterations ?? null };
}

export class Trainer {
  /** One row per epoch end and per validation point between them; kept when training stops early (divergence). */
  readonly history: EpochMetrics[] = [];
  /** The validation point with the best watched metric so far, with its weights. */
  best: BestCheckpoint | null = null;
  /** Why training ended before its length (early stopping or an interruption). */
  stoppedEarly: string | null = null;
  interrupted = false;

  constructor(
    private readonly tf: Tf,
    private readonly lowered: LoweredModel,
    private readonly wiring: Wiring,
  ) {}

  async run(options: LoopOptions): Promise<EpochMetrics[]> {
    const { tf, lowered, wiring } = this;
    const { config, totalIters, train, validation, numClasses } = options;
    const params = [...lowered.params.entries()].filter((p) => p.trainable);
    const optimizer = new Optimizer(tf, config.solver, config.regularization, params, config.gradient_clip);
    const iterSize = Math.max(1, config.iter_size);
    const batchesPerEpoch = train.batchesPerEpoch;
    const itersPerEpoch = updatesPerEpoch(batchesPerEpoch, iterSize);
    const schedule = options.validationSchedule ?? validationSchedule(config);
    const history = this.history;
    const st: LoopState = options.resume
      ? structuredClone(options.resume.state)
      : { iteration: 0, epoch: 0, batchInEpoch: 0, row: { lossSum: 0, hits: 0, seen: 0, seconds: 0, lr: 0 }, history: [], best: null, judged: 0, bestJudged: -1 };
    history.push(...st.history);
    if (options.resume) {
      const why = optimizer.importState(options.resume.optimizer);
      if (why) {
        optimizer.dispose();
        throw new ResumeError(why);
      }
      if (st.best && options.resume.bestWeights) this.best = { ...st.best, weights: options.resume.bestWeights };
    }
    const snapshot = (reason: CheckpointReason) => {
      if (!options.onCheckpoint) return;
      const { best } = this;
      options.onCheckpoint({ reason, state: { ...structuredClone({ ...st, history: [] }), history: [...history], best: best ? { epoch: best.epoch, iteration: best.iteration, metric: best.metric, value: best.value } : null }, optimizer: optimizer.exportState(), best });
    };
    /** Closes the metrics row in progress (validating when asked); true when early stopping says to stop. */
    const closeRow = async (validate: boolean, judge: boolean): Promise<boolean> => {
      const r = st.row;
      const val = validate && validation ? await this.evaluate(validation, numClasses, schedule.batches ?? undefined) : null;
      const m: EpochMetrics = {
        epoch: st.epoch + 1,
        iteration: st.iteration,
        lr: r.lr,
        train_loss: r.seen ? r.lossSum / r.seen : NaN,
        train_top1: r.seen ? r.hits / r.seen : NaN,
        val_loss: val?.loss ?? null,
        val_top1: val?.top1 ?? null,
        val_top5: val?.top5 ?? null,
        seconds: r.seconds,
        images_per_second: r.seconds > 0 ? r.seen / r.seconds : 0,
      };
      history.push(m);
      st.row = { lossSum: 0, hits: 0, seen: 0, seconds: 0, lr: r.lr };
      options.onProgress?.(formatEpoch(m, totalIters));
      return judge && options.watch ? this.judge(m, options.watch, st, schedule) : false;
    };
    const dueAt = (iteration: number, epochEnd: boolean) =>
      schedule.unit === 'iteration' ? iteration % schedule.interval === 0 : epochEnd && (st.epoch + 1) % schedule.interval === 0;

    let stopNow = false;
    try {
      let firstEpoch = true;
      outer: for (; st.iteration < totalIters; st.epoch++) {
        const skip = firstEpoch ? st.batchInEpoch : 0;
        firstEpoch = false;
        st.batchInEpoch = skip;
        let segmentStart = performance.now();
        let b = skip;
        let acc: Record<string, Tensor> | null = null;
        let micro = 0;
        let microLoss = 0;
        let microHits = 0;
        let microSeen = 0;
        let lr = 0;
        // Resuming inside an epoch starts at its first unconsumed batch (a batch's randomness is keyed by epoch and position, so the rest is the same).
        for await (const batch of train.epoch(st.epoch, skip)) {
          b++;
          if (st.iteration >= totalIters) break;
          if (micro === 0) {
            // Let the event loop run (signals such as Ctrl-C arrive there): prefetched batches resolve as microtasks only.
            await new Promise((resolve) => setImmediate(resolve));
            if (options.shouldStop?.()) {
              this.interrupted = true;
              this.stoppedEarly = `interrupted at iteration ${st.iteration}`;
              break;
            }
            lr = learningRate(config.solver.base_lr, config.lr_schedule, { iteration: st.iteration, itersPerEpoch, totalIters });
          }
          const n = batch.shape[0];
          let step: { loss: number; hits: number; grads: Record<string, Tensor> | null } = { loss: NaN, hits: 0, grads: null };
          tf.tidy(() => {
            const feeds = this.feeds(batch.images, batch.shape, batch.labels);
            const labels = tf.tensor1d(batch.labels, 'int32');
            const target = batch.soft ? tf.tensor2d(batch.soft, [n, numClasses]) : tf.oneHot(labels, numClasses);
            let logits: Tensor | null = null;
            const { value, grads } = tf.variableGrads(() => {
              const wanted = [wiring.logits, ...wiring.losses.map((l) => l.blob)];
              const out = lowered.forward(feeds, 'train', { outputs: wanted });
              logits = tf.keep(tf.reshape(out[wiring.logits]!, [n, -1]));
              if (wiring.losses.length === 0 || batch.soft) return softmaxCrossEntropy(tf, logits, target) as ReturnType<Tf['scalar']>;
              return tf.addN(wiring.losses.map((l) => tf.mul(tf.sum(out[l.blob]!), l.weight))) as ReturnType<Tf['scalar']>;
            }, optimizer.variables());
            const lossValue = value.dataSync()[0]!;
            const hits = tf.sum(tf.cast(inTopK(tf, logits!, labels, 1), 'float32')).dataSync()[0]!;
            (logits as Tensor | null)?.dispose();
            if (!Number.isFinite(lossValue)) {
              step = { loss: lossValue, hits, grads: null };
              return;
            }
            // Caffe's iter_size: the gradients of iter_size batches are summed, then divided by iter_size before one update.
            const prev = acc;
            const sum: Record<string, Tensor> = prev ? Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, tf.add(prev[k]!, g)])) : grads;
            for (const g of Object.values(sum)) tf.keep(g);
            step = { loss: lossValue, hits, grads: sum };
          });
          if (acc && step.grads) for (const g of Object.values(acc)) g.dispose();
          if (!step.grads) {
            if (acc) for (const g of Object.values(acc)) g.dispose();
            throw new DivergenceError(st.iteration, step.loss);
          }
          acc = step.grads;
          micro++;
          microLoss += step.loss * n;
          microHits += step.hits;
          microSeen += n;
          const epochEnd = b === batchesPerEpoch;
          if (micro < iterSize && !epochEnd) continue;
          const grads: Record<string, Tensor> = acc;
          acc = null;
          tf.tidy(() => optimizer.step(micro === 1 ? grads : Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, tf.div(g, micro)])), lr));
          for (const g of Object.values(grads)) g.dispose();
          st.iteration++;
          st.batchInEpoch = b;
          const now = performance.now();
          st.row.seconds += (now - segmentStart) / 1000;
          segmentStart = now;
          st.row.lossSum += microLoss;
          st.row.hits += microHits;
          st.row.seen += microSeen;
          st.row.lr = lr;
          const event: IterationEvent = { iteration: st.iteration, epoch: st.epoch + 1, lr, loss: microLoss / microSeen, top1: microHits / microSeen, batchSize: microSeen, iterationInEpoch: Math.ceil(b / iterSize), itersPerEpoch };
          micro = 0;
          microLoss = 0;
          microHits = 0;
          microSeen = 0;
          const verdict = options.onIteration?.(event);
          if (verdict === true) {
            this.stoppedEarly = `stopped after iteration ${st.iteration}`;
            break;
          }
          if (options.progressEvery && st.iteration % options.progressEvery === 0 && st.iteration < totalIters) {
            options.onProgress?.(`  iter ${st.iteration}/${totalIters}  lr ${lr.toPrecision(3)}  loss ${(st.row.lossSum / st.row.seen).toFixed(4)} top-1 ${pct(st.row.hits / st.row.seen)}  ${(st.row.seen / st.row.seconds).toFixed(0)} img/s`);
          }
          // A validation point inside an epoch (Caffe's test_interval); one at the epoch's end is the epoch's row.
          if (!epochEnd && schedule.unit === 'iteration' && dueAt(st.iteration, false) && st.iteration < totalIters) {
            stopNow = await closeRow(true, true);
            segmentStart = performance.now();
            if (stopNow) break outer;
            snapshot('validation');
          }
        }
        if (acc) for (const g of Object.values(acc as Record<string, Tensor>)) g.dispose();
        st.row.seconds += (performance.now() - segmentStart) / 1000;
        if (this.interrupted || this.stoppedEarly) {
          // The checkpoint holds the state before this partial row, so a resumed run's rows are the uninterrupted run's.
          if (this.interrupted) snapshot('interrupted');
          if (st.row.seen > 0) await closeRow(validation !== null, false);
          if (this.interrupted) options.onProgress?.(this.stoppedEarly!);
          break;
        }
        if (st.row.seen === 0 && b === 0) break;
        const finished = st.batchInEpoch === batchesPerEpoch;
        // The run's end inside an epoch: a checkpoint from which a longer run continues as if never stopped.
        if (!finished && st.iteration >= totalIters) snapshot('end');
        if (finished || st.row.seen > 0) {
          const validate = dueAt(st.iteration, finished) || st.iteration >= totalIters;
          stopNow = await closeRow(validate, validate);
          if (stopNow) break;
        }
        if (finished) {
          st.epoch++;
          st.batchInEpoch = 0;
          snapshot('epoch');
          st.epoch--;
        }
      }
      if (stopNow) options.onProgress?.(this.stoppedEarly!);
    } finally {
      optimizer.dispose();
    }
    return history;
  }

  /** Keeps the best validation point's weights; true when early stopping says to stop. */
  private judge(m: EpochMetrics, watch: Watch, st: LoopState, schedule: ValidationSchedule): boolean {
    const value = m[watch.metric];
    if (value === null || Number.isNaN(value)) return false;
    st.judged++;
    const better = !this.best || (watch.mode === 'min' ? value < this.best.value - watch.min_delta : value > this.best.value + watch.min_delta);
    if (better) {
      const weights: IrWeights = new Map();
      for (const [node, blobs] of this.lowered.params.toIrWeights()) weights.set(node, new Map([...blobs].map(([k, b]) => [k, { shape: [...b.shape], data: b.data.slice() }])));
      this.best = { epoch: m.epoch, iteration: m.iteration, metric: watch.metric, value, weights };
      st.bestJudged = st.judged;
      return false;
    }
    if (watch.patience !== null && st.judged - st.bestJudged >= watch.patience) {
      const perEpoch = schedule.unit === 'epoch' && schedule.interval === 1;
      const what = perEpoch ? `epoch${watch.patience === 1 ? '' : 's'}` : `validation${watch.patience === 1 ? '' : 's'}`;
      const at = perEpoch ? `epoch ${this.best!.epoch}` : `iteration ${this.best!.iteration}`;
      this.stoppedEarly = `early stopping: ${watch.metric} has not improved for ${watch.patience} ${what} (best ${this.best!.value.toPrecision(4)} at ${at})`;
      return true;
    }
    return false;
  }

  /** Loss (softmax cross-entropy on the scores, or the net's loss) and top-1/top-5 accuracy over a whole loader. */
  async evaluate(loader: BatchLoader, numClasses: number, maxBatches?: number): Promise<{ loss: number; top1: number; top5: number | null }> {
    const { tf, lowered, wiring } = this;
    let lossSum = 0;
    let top1 = 0;
    let top5 = 0;
    let seen = 0;
    let batches = 0;
    for await (const batch of loader.epoch(0)) {
      if (maxBatches !== undefined && batches++ >= maxBatches) break;
      const n = batch.shape[0];
      const r = tf.tidy(() => {
        const feeds = this.feeds(batch.images, batch.shape, batch.labels);
        const wanted = [wiring.logits, ...wiring.losses.map((l) => l.blob)];
        const out = lowered.forward(feeds, 'inference', { outputs: wanted });
        const logits = tf.reshape(out[wiring.logits]!, [n, -1]);
        const labels = tf.tensor1d(batch.labels, 'int32');
        const loss = wiring.losses.length === 0
          ? softmaxCrossEntropy(tf, logits, tf.oneHot(labels, numClasses))
          : tf.addN(wiring.losses.map((l) => tf.mul(tf.sum(out[l.blob]!), l.weight)));
        return {
          loss: loss.dataSync()[0]!,
          top1: tf.sum(tf.cast(inTopK(tf, logits, labels, 1), 'float32')).dataSync()[0]!,
          top5: tf.sum(tf.cast(inTopK(tf, logits, labels, 5), 'float32')).dataSync()[0]!,
        };
      });
      lossSum += r.loss * n;
      top1 += r.top1;
      top5 += r.top5;
      seen += n;
    }
    return { loss: lossSum / seen, top1: top1 / seen, top5: numClasses > 5 ? top5 / seen : null };
  }

  private feeds(images: Float32Array, shape: readonly number[], labels: Int32Array): Record<string, Tensor> {
    const tf = this.tf;
    const out: Record<string, Tensor> = { [this.wiring.imageInput]: tf.tensor(images, [...shape], 'float32') };
    for (const name of this.wiring.labelInputs) out[name] = tf.tensor1d(Float32Array.from(labels), 'float32');
    return out;
  }
}

const pct = (x: number | null) => (x === null ? '–' : `${(100 * x).toFixed(1)}%`);

export function formatEpoch(m: EpochMetrics, totalIters: number): string {
  const val = m.val_loss === null ? '' : `  val loss ${m.val_loss.toFixed(4)} top-1 ${pct(m.val_top1)}${m.val_top5 === null ? '' : ` top-5 ${pct(m.val_top5)}`}`;
  return `epoch ${m.epoch}  iter ${m.iteration}/${totalIters}  lr ${m.lr.toPrecision(3)}  loss ${m.train_loss.toFixed(4)} top-1 ${pct(m.train_top1)}${val}  ${m.images_per_second.toFixed(0)} img/s`;
}
