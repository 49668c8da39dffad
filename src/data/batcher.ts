/**
 * Batches for a training loop: NCHW Float32Array images with Int32Array labels (plus soft labels
 * under mixup), in a seeded shuffled order per epoch. While the caller works on batch k, batch
 * k+1 (up to `prefetch` batches) is already being read and augmented. File reads overlap the
 * training step; augmentation runs in `workers` worker threads when asked for (and when the
 * compiled worker script exists, i.e. from dist/), else on this thread whenever the training
 * loop awaits. Either way the batches are the same: randomness is keyed by example, not thread.
 */
import type { Mode } from './augment/augment.js';
import { mixupBatch } from './augment/mixup.js';
import { elementCount, type ImageShape } from './dataset.js';
import { DataError } from './errors.js';
import type { DataPipeline } from './pipeline.js';
import { Rng, STREAM } from './random.js';
import { TransformPool } from './worker-pool.js';

export interface Batch {
  /** N×C×H×W, row-major. */
  images: Float32Array;
  labels: Int32Array;
  /** N×numClasses mixed one-hot labels; present only under mixup in train mode. */
  soft?: Float32Array;
  shape: [number, ...ImageShape];
  /** Which dataset examples the batch holds, in order. */
  indices: Int32Array;
}

export interface BatchOptions {
  batchSize: number;
  /** 'train' shuffles, augments and applies mixup; 'eval' keeps order and only centre-crops. */
  mode?: Mode;
  /** Default: true in train mode. */
  shuffle?: boolean;
  /** Drop a last partial batch (default false). */
  dropLast?: boolean;
  seed?: number;
  /** Batches prepared ahead (default 1). */
  prefetch?: number;
  /** Worker threads for augmentation (default 0: this thread). */
  workers?: number;
}

export class BatchLoader {
  readonly batchesPerEpoch: number;
  private readonly mode: Mode;
  private readonly shuffle: boolean;
  private readonly seed: number;
  private readonly prefetch: number;
  private readonly pool: TransformPool | undefined;

  constructor(
    readonly pipeline: DataPipeline,
    readonly options: BatchOptions,
  ) {
    if (!Number.isInteger(options.batchSize) || options.batchSize < 1) throw new DataError(`the batch size must be a positive integer, not ${options.batchSize}`);
    this.mode = options.mode ?? 'train';
    this.shuffle = options.shuffle ?? this.mode === 'train';
    this.seed = options.seed ?? 0;
    this.prefetch = Math.max(0, options.prefetch ?? 1);
    const n = pipeline.dataset.size;
    this.batchesPerEpoch = options.dropLast ? Math.floor(n / options.batchSize) : Math.ceil(n / options.batchSize);
    if ((options.workers ?? 0) > 0 && TransformPool.available()) this.pool = new TransformPool(pipeline.transform.spec, options.workers!);
  }

  /** Whether augmentation runs in worker threads. */
  get usesWorkers(): boolean {
    return this.pool !== undefined;
  }

  /** Stops the worker threads (a no-op without them). */
  async close(): Promise<void> {
    await this.pool?.close();
  }

  /** The example order of an epoch. */
  order(epoch: number): Int32Array {
    const n = this.pipeline.dataset.size;
    return this.shuffle ? new Rng(this.seed, STREAM.shuffle, epoch).permutation(n) : Int32Array.from({ length: n }, (_, i) => i);
  }

  /** The batches of an epoch from batch `first` on (a resumed run skips those it consumed, without building them). */
  async *epoch(epoch = 0, first = 0): AsyncGenerator<Batch> {
    if (!Number.isInteger(first) || first < 0 || first > this.batchesPerEpoch) throw new RangeError(`epoch(${epoch}, ${first}): the first batch must be 0…${this.batchesPerEpoch}`);
    const order = this.order(epoch);
    const size = this.options.batchSize;
    const pending: Promise<Batch>[] = [];
    let next = first;
    const fill = () => {
      while (next < this.batchesPerEpoch && pending.length <= this.prefetch) {
        const b = next++;
        pending.push(this.build(order.subarray(b * size, Math.min(order.length, (b + 1) * size)), epoch, b));
        // A rejection is reported when the batch is awaited; do not let it count as unhandled meanwhile.
        pending[pending.length - 1]!.catch(() => undefined);
      }
    };
    fill();
    while (pending.length) {
      const batch = await pending.shift()!;
      fill();
      yield batch;
    }
  }

  private async build(indices: Int32Array, epoch: number, batchIndex: number): Promise<Batch> {
    const shape = this.pipeline.outputShape;
    const per = elementCount(shape);
    let images: Float32Array = new Float32Array(indices.length * per);
    const labels = new Int32Array(indices.length);
    if (this.pool) {
      const raw = await Promise.all(Array.from(indices, (i) => this.pipeline.dataset.get(i)));
      const inPer = elementCount(this.pipeline.dataset.shape);
      const packed = new Float32Array(indices.length * inPer);
      raw.forEach((e, i) => {
        packed.set(e.image, i * inPer);
        labels[i] = e.label;
      });
      images = await this.pool.run(packed, indices.slice(), epoch, this.mode);
    } else {
      const examples = await Promise.all(Array.from(indices, (i) => this.pipeline.prepare(i, epoch, this.mode)));
      examples.forEach((e, i) => {
        images.set(e.image, i * per);
        labels[i] = e.label;
      });
    }
    const batch: Batch = { images, labels, shape: [indices.length, ...shape], indices: indices.slice() };
    const alpha = this.pipeline.mixupAlpha;
    if (alpha !== undefined && this.mode === 'train') {
      const mixed = mixupBatch(images, labels, this.pipeline.dataset.numClasses, alpha, new Rng(this.seed, STREAM.batch, epoch, batchIndex));
      batch.images = mixed.images;
      batch.soft = mixed.soft;
    }
    return batch;
  }
}
