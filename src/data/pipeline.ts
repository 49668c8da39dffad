/**
 * What turns a Dataset into training input: Caffe's crop/mirror and mean image, the spec's
 * augmentations (train mode only), then y = (x − mean)·scale / std. Every random choice for an
 * example comes from a stream keyed by (seed, epoch, example index), so the result does not
 * depend on batch order or on how far prefetching runs ahead.
 */
import { isAbsolute, resolve } from 'node:path';
import type { Preprocess, Transform } from '../ir/preprocess.js';
import type { Augmentation } from '../ir/train.js';
import { applyAugmentation, augmentedShape, caffeCropMirror, type Mode } from './augment/augment.js';
import { elementCount, type Dataset, type Example, type ImageShape } from './dataset.js';
import { DataError } from './errors.js';
import type { Image } from './image-ops.js';
import { Normalizer, readMeanFile, type ChannelStats, type MeanImage } from './preprocess.js';
import { Rng, STREAM } from './random.js';

export interface PipelineOptions {
  /** The spec's `train.augmentation`, in order. */
  augmentation?: readonly Augmentation[];
  /** The input op's preprocess (nnspec specs). */
  preprocess?: Preprocess | null;
  /** A Caffe data layer's transform_param: its preprocess, crop_size and mirror (used instead of `preprocess`). */
  transform?: Transform | null;
  /** Per-channel mean and std computed from the training data; replace the spec's mean and std. */
  channelStats?: ChannelStats;
  /**
   * The largest raw input value the model's preprocessing expects: 255 for Caffe-style specs
   * (mean 104, scale 1/256), 1 for torchvision-style ones (mean 0.485, std 0.229). Pixels are
   * rescaled from the dataset's pixelMax to it after augmentation. Default: the dataset's pixelMax.
   */
  inputMax?: number;
  /** Where a relative mean_file is looked up (the spec's folder). */
  baseDir?: string;
  seed?: number;
}

const SQ = (s: ImageShape) => s.join('×');

/** What a transform needs to know of its dataset. */
export interface DatasetMeta {
  shape: ImageShape;
  pixelMax: number;
  numClasses: number;
}

/** Everything an ExampleTransform is built from, as plain data (it crosses to worker threads). */
export interface TransformSpec {
  meta: DatasetMeta;
  options: Omit<PipelineOptions, 'baseDir'>;
  meanImage?: MeanImage;
  meanBeforeCrop: boolean;
}

/** The per-example work: crop/mirror, mean image, augmentations, rescaling, normalisation. */
export class ExampleTransform {
  /** [C, H, W] of what `apply` returns. */
  readonly outputShape: ImageShape;
  readonly mixupAlpha: number | undefined;
  private readonly augs: readonly Augmentation[];
  private readonly normalizer: Normalizer | undefined;
  private readonly cropSize: number;
  private readonly mirror: boolean;
  private readonly seed: number;
  private readonly inputScale: number;
  private readonly meanImage: MeanImage | undefined;

  constructor(readonly spec: TransformSpec) {
    const { meta, options, meanImage } = spec;
    this.meanImage = meanImage;
    this.seed = options.seed ?? 0;
    this.inputScale = (options.inputMax ?? meta.pixelMax) / meta.pixelMax;
    this.augs = (options.augmentation ?? []).filter((a) => a.op !== 'mixup');
    const mix = (options.augmentation ?? []).find((a) => a.op === 'mixup');
    this.mixupAlpha = mix?.op === 'mixup' ? mix.alpha : undefined;
    this.cropSize = options.transform?.crop_size ?? 0;
    this.mirror = options.transform?.mirror ?? false;
    const [c, h, w] = meta.shape;
    if (this.cropSize > Math.min(h, w)) throw new DataError(`crop_size ${this.cropSize} is larger than the ${h}×${w} images`);
    const cropped: ImageShape = this.cropSize > 0 ? [c, this.cropSize, this.cropSize] : [c, h, w];
    this.outputShape = augmentedShape(cropped, this.augs);
    const pre = options.transform?.preprocess ?? options.preprocess ?? null;
    const base = { mean: meanImage ? null : (pre?.mean ?? null), scale: pre?.scale ?? 1, std: pre?.std ?? null };
    if (options.channelStats) Object.assign(base, { mean: options.channelStats.mean, std: options.channelStats.std });
    const norm = new Normalizer(c, base);
    if (!norm.identity) this.normalizer = norm;
  }

  /** Transforms example `index`'s raw image (which it may overwrite) for `mode` in `epoch`. */
  apply(image: Float32Array, index: number, epoch: number, mode: Mode): Float32Array {
    const [c, h, w] = this.spec.meta.shape;
    let img: Image = { data: image, c, h, w };
    const mean = this.meanImage;
    if (mean && this.spec.meanBeforeCrop) subtract(img.data, mean.data);
    const rng = new Rng(this.seed, STREAM.augment, epoch, index);
    if (this.cropSize > 0 || this.mirror) img = caffeCropMirror(img, this.cropSize, this.mirror, mode, rng);
    for (const a of this.augs) img = applyAugmentation(img, a, mode, rng, this.spec.meta.pixelMax);
    if (this.inputScale !== 1) for (let i = 0; i < img.data.length; i++) img.data[i] = img.data[i]! * this.inputScale;
    if (mean && !this.spec.meanBeforeCrop) subtract(img.data, mean.data);
    if (img.data.length !== elementCount(this.outputShape)) throw new Error(`internal: augmented image has ${img.data.length} values, expected ${SQ(this.outputShape)}`);
    this.normalizer?.apply(img.data);
    return img.data;
  }
}

export class DataPipeline {
  readonly transform: ExampleTransform;

  private constructor(
    readonly dataset: Dataset,
    spec: TransformSpec,
  ) {
    this.transform = new ExampleTransform(spec);
  }

  /** [C, H, W] of what `prepare` returns. */
  get outputShape(): ImageShape {
    return this.transform.outputShape;
  }

  get mixupAlpha(): number | undefined {
    return this.transform.mixupAlpha;
  }

  static async create(dataset: Dataset, options: PipelineOptions = {}): Promise<DataPipeline> {
    const meta: DatasetMeta = { shape: dataset.shape, pixelMax: dataset.pixelMax, numClasses: dataset.numClasses };
    const { baseDir, ...rest } = options;
    const pre = options.transform?.preprocess ?? options.preprocess ?? null;
    if (pre?.mean_file && !options.channelStats) {
      const path = isAbsolute(pre.mean_file) || !baseDir ? pre.mean_file : resolve(baseDir, pre.mean_file);
      const meanImage = await readMeanFile(path);
      const cropped = new ExampleTransform({ meta, options: rest, meanBeforeCrop: true }).outputShape;
      if (SQ(meanImage.shape) === SQ(dataset.shape)) return new DataPipeline(dataset, { meta, options: rest, meanImage, meanBeforeCrop: true });
      if (SQ(meanImage.shape) === SQ(cropped)) return new DataPipeline(dataset, { meta, options: rest, meanImage, meanBeforeCrop: false });
      throw new DataError(`the mean image is ${SQ(meanImage.shape)} but the data is ${SQ(dataset.shape)} (${SQ(cropped)} after cropping)`, path);
    }
    return new DataPipeline(dataset, { meta, options: rest, meanBeforeCrop: true });
  }

  /** Example `index` of the dataset, transformed for `mode` in `epoch`. */
  async prepare(index: number, epoch: number, mode: Mode): Promise<Example> {
    const { image, label } = await this.dataset.get(index);
    return { image: this.transform.apply(image, index, epoch, mode), label };
  }
}

function subtract(x: Float32Array, mean: Float32Array): void {
  for (let i = 0; i < x.length; i++) x[i] = x[i]! - mean[i]!;
}
