/**
 * The data side of training: a Dataset yields single examples as CHW float images in raw
 * pixel units (0–255 for 8-bit sources) and an integer label. Batching, augmentation and
 * normalisation are layered on top (batcher.ts, pipeline.ts), so sources stay simple.
 */

export type ImageShape = [channels: number, height: number, width: number];

export interface Example {
  /** CHW, row-major; length C·H·W. Owned by the caller (sources never reuse it). */
  image: Float32Array;
  label: number;
}

export interface Dataset {
  readonly size: number;
  /** [C, H, W] of every example. */
  readonly shape: ImageShape;
  readonly numClasses: number;
  readonly classNames?: readonly string[];
  /** The largest raw pixel value (255 for 8-bit sources): what Invert, Solarize and clamping use. */
  readonly pixelMax: number;
  /** Reads example `index` (0 ≤ index < size); sources on disk read it on demand. */
  get(index: number): Promise<Example>;
  /** Releases open files. */
  close?(): Promise<void>;
}

export const elementCount = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

/** A view of some examples of another dataset, in the order of `indices`. */
export class SubsetDataset implements Dataset {
  readonly size: number;
  readonly shape: ImageShape;
  readonly numClasses: number;
  readonly classNames?: readonly string[];
  readonly pixelMax: number;

  constructor(
    readonly parent: Dataset,
    readonly indices: Int32Array,
  ) {
    this.size = indices.length;
    this.shape = parent.shape;
    this.numClasses = parent.numClasses;
    if (parent.classNames) this.classNames = parent.classNames;
    this.pixelMax = parent.pixelMax;
  }

  get(index: number): Promise<Example> {
    checkIndex(index, this.size);
    return this.parent.get(this.indices[index]!);
  }
}

/** Examples already in memory (tests, small NPY files). */
export class ArrayDataset implements Dataset {
  readonly size: number;
  readonly classNames?: readonly string[];
  constructor(
    readonly shape: ImageShape,
    private readonly images: Float32Array,
    private readonly labels: ArrayLike<number>,
    readonly numClasses: number,
    readonly pixelMax = 255,
    classNames?: readonly string[],
  ) {
    this.size = labels.length;
    if (classNames) this.classNames = classNames;
  }

  get(index: number): Promise<Example> {
    checkIndex(index, this.size);
    const n = elementCount(this.shape);
    return Promise.resolve({ image: this.images.slice(index * n, (index + 1) * n), label: this.labels[index]! });
  }
}

export function checkIndex(index: number, size: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= size) throw new RangeError(`example index ${index} is outside 0..${size - 1}`);
}
