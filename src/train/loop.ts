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
import { Optimizer } from './optimizer.js';

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
  batchSize: number;
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

export class Trainer {
  /** One entry per finished epoch; kept when training stops early (divergence). */
  readonly history: EpochMetrics[] = [];
  /** The epoch with the best watched metric so far, with its weights. */
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
    const itersPerEpoch = train.batchesPerEpoch;
    const history = this.history;
    let iteration = 0;
    try {
      for (let epoch = 0; iteration < totalIters; epoch++) {
        const started = performance.now();
        let lossSum = 0;
        let seen = 0;
        let hits = 0;
        let lr = 0;
        for await (const batch of train.epoch(epoch)) {
          if (iteration >= totalIters) break;
          // Let the event loop run (signals such as Ctrl-C arrive there): prefetched batches resolve as microtasks only.
          await new Promise((resolve) => setImmediate(resolve));
          if (options.shouldStop?.()) {
            this.interrupted = true;
            this.stoppedEarly = `interrupted at iteration ${iteration}`;
            break;
          }
          lr = learningRate(config.solver.base_lr, config.lr_schedule, { iteration, itersPerEpoch, totalIters });
          const n = batch.shape[0];
          const { loss, top1 } = tf.tidy(() => {
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
            if (!Number.isFinite(lossValue)) throw new DivergenceError(iteration, lossValue);
            optimizer.step(grads, lr);
            const top1 = tf.sum(tf.cast(inTopK(tf, logits!, labels, 1), 'float32')).dataSync()[0]!;
            (logits as Tensor | null)?.dispose();
            return { loss: lossValue, top1 };
          });
          lossSum += loss * n;
          hits += top1;
          seen += n;
          iteration++;
          const verdict = options.onIteration?.({ iteration, epoch: epoch + 1, lr, loss, top1: top1 / n, batchSize: n });
          if (verdict === true) {
            this.stoppedEarly = `stopped after iteration ${iteration}`;
            break;
          }
          if (options.progressEvery && iteration % options.progressEvery === 0 && iteration < totalIters) {
            const rate = seen / ((performance.now() - started) / 1000);
            options.onProgress?.(`  iter ${iteration}/${totalIters}  lr ${lr.toPrecision(3)}  loss ${(lossSum / seen).toFixed(4)} top-1 ${pct(hits / seen)}  ${rate.toFixed(0)} img/s`);
          }
        }
        if (seen === 0) break;
        const trainSeconds = (performance.now() - started) / 1000;
        const val = validation ? await this.evaluate(validation, numClasses) : null;
        const m: EpochMetrics = {
          epoch: epoch + 1,
          iteration,
          lr,
          train_loss: lossSum / seen,
          train_top1: hits / seen,
          val_loss: val?.loss ?? null,
          val_top1: val?.top1 ?? null,
          val_top5: val?.top5 ?? null,
          seconds: (performance.now() - started) / 1000,
          images_per_second: seen / trainSeconds,
        };
        history.push(m);
        options.onProgress?.(formatEpoch(m, totalIters));
        if (this.stoppedEarly && !this.interrupted) break;
        if (this.interrupted) {
          options.onProgress?.(this.stoppedEarly!);
          break;
        }
        if (options.watch && this.judge(m, options.watch)) {
          options.onProgress?.(this.stoppedEarly!);
          break;
        }
      }
    } finally {
      optimizer.dispose();
    }
    return history;
  }

  /** Keeps the best epoch's weights; true when early stopping says to stop. */
  private judge(m: EpochMetrics, watch: Watch): boolean {
    const value = m[watch.metric];
    if (value === null) return false;
    const better = !this.best || (watch.mode === 'min' ? value < this.best.value - watch.min_delta : value > this.best.value + watch.min_delta);
    if (better) {
      const weights: IrWeights = new Map();
      for (const [node, blobs] of this.lowered.params.toIrWeights()) weights.set(node, new Map([...blobs].map(([k, b]) => [k, { shape: [...b.shape], data: b.data.slice() }])));
      this.best = { epoch: m.epoch, metric: watch.metric, value, weights };
      return false;
    }
    if (watch.patience !== null && m.epoch - this.best!.epoch >= watch.patience) {
      this.stoppedEarly = `early stopping: ${watch.metric} has not improved for ${watch.patience} epoch${watch.patience === 1 ? '' : 's'} (best ${this.best!.value.toPrecision(4)} at epoch ${this.best!.epoch})`;
      return true;
    }
    return false;
  }

  /** Loss (softmax cross-entropy on the scores, or the net's loss) and top-1/top-5 accuracy over a whole loader. */
  async evaluate(loader: BatchLoader, numClasses: number): Promise<{ loss: number; top1: number; top5: number | null }> {
    const { tf, lowered, wiring } = this;
    let lossSum = 0;
    let top1 = 0;
    let top5 = 0;
    let seen = 0;
    for await (const batch of loader.epoch(0)) {
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
