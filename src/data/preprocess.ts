/**
 * The IR's input normalisation, y = (x − mean)·scale / std per channel (src/ir/preprocess.ts),
 * a Caffe mean image read from a binaryproto, and per-channel statistics computed from the
 * training data in one streaming pass.
 */
import { readFile } from 'node:fs/promises';
import type { Preprocess } from '../ir/preprocess.js';
import { MESSAGES } from '../weights/caffemodel-schema.js';
import type { Dataset, ImageShape } from './dataset.js';
import { DataError } from './errors.js';

export interface MeanImage {
  shape: ImageShape;
  data: Float32Array;
}

/** A Caffe mean file: a serialised BlobProto of shape 1×C×H×W (or C×H×W). */
export async function readMeanFile(path: string): Promise<MeanImage> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new DataError(`cannot read the mean file: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, path);
  }
  let blob: { num?: number; channels?: number; height?: number; width?: number; data?: number[]; doubleData?: number[]; shape?: { dim?: (number | { toNumber(): number })[] } };
  try {
    blob = MESSAGES.BlobProto.toObject(MESSAGES.BlobProto.decode(bytes), { longs: Number }) as typeof blob;
  } catch (e) {
    throw new DataError(`is not a Caffe BlobProto (binaryproto): ${(e as Error).message}`, path);
  }
  const values = blob.doubleData?.length ? blob.doubleData : (blob.data ?? []);
  let dims = (blob.shape?.dim ?? []).map(Number);
  if (dims.length === 0) dims = [blob.num ?? 1, blob.channels ?? 0, blob.height ?? 0, blob.width ?? 0];
  while (dims.length > 3 && dims[0] === 1) dims = dims.slice(1);
  if (dims.length !== 3) throw new DataError(`the mean blob has shape ${dims.join('×')}; expected 1×C×H×W`, path);
  const count = dims[0]! * dims[1]! * dims[2]!;
  if (count === 0 || values.length !== count) throw new DataError(`the mean blob's shape ${dims.join('×')} needs ${count} values but it holds ${values.length}`, path);
  return { shape: dims as ImageShape, data: Float32Array.from(values) };
}

/** Applies y = (x − mean)·scale / std in place; `mean` and `std` are per channel (one value: all). */
export class Normalizer {
  private readonly offset: Float32Array;
  private readonly factor: Float32Array;

  constructor(
    readonly channels: number,
    pre: Pick<Preprocess, 'mean' | 'scale' | 'std'>,
  ) {
    const per = (v: number[] | null, what: string, fallback: number): Float32Array => {
      if (!v || v.length === 0) return new Float32Array(channels).fill(fallback);
      if (v.length === 1) return new Float32Array(channels).fill(v[0]!);
      if (v.length !== channels) throw new DataError(`the preprocessing ${what} has ${v.length} values but the input has ${channels} channels`);
      return Float32Array.from(v);
    };
    this.offset = per(pre.mean, 'mean', 0);
    const std = per(pre.std, 'std', 1);
    if (std.some((s) => s === 0)) throw new DataError('the preprocessing std has a zero');
    this.factor = std.map((s) => pre.scale / s);
  }

  /** Whether it changes anything (so the pipeline can skip it). */
  get identity(): boolean {
    return this.offset.every((m) => m === 0) && this.factor.every((f) => f === 1);
  }

  apply(image: Float32Array): Float32Array {
    const n = image.length / this.channels;
    for (let k = 0; k < this.channels; k++) {
      const m = this.offset[k]!;
      const f = this.factor[k]!;
      for (let i = k * n; i < (k + 1) * n; i++) image[i] = (image[i]! - m) * f;
    }
    return image;
  }
}

export interface ChannelStats {
  mean: number[];
  /** Population standard deviation (divides by the count), as torchvision's usual constants are. */
  std: number[];
  /** Values per channel that went in. */
  count: number;
}

/**
 * Per-channel mean and standard deviation over the first `limit` examples (all by default), one
 * example at a time: each example's own mean and sum of squared deviations are merged into the
 * running ones (Chan et al.'s parallel form of Welford's update), which stays accurate over
 * millions of values where a running sum of squares would not.
 */
export async function computeChannelStats(dataset: Dataset, limit = dataset.size): Promise<ChannelStats> {
  const [c, h, w] = dataset.shape;
  const n = h * w;
  const mean = new Float64Array(c);
  const m2 = new Float64Array(c);
  let count = 0;
  const examples = Math.min(limit, dataset.size);
  if (examples === 0) throw new DataError('cannot compute statistics of an empty dataset');
  for (let e = 0; e < examples; e++) {
    const { image } = await dataset.get(e);
    for (let k = 0; k < c; k++) {
      let s = 0;
      for (let i = k * n; i < (k + 1) * n; i++) s += image[i]!;
      const bm = s / n;
      let bm2 = 0;
      for (let i = k * n; i < (k + 1) * n; i++) bm2 += (image[i]! - bm) ** 2;
      const delta = bm - mean[k]!;
      const total = count + n;
      mean[k] = mean[k]! + (delta * n) / total;
      m2[k] = m2[k]! + bm2 + (delta * delta * count * n) / total;
    }
    count += n;
  }
  return { mean: Array.from(mean), std: Array.from(m2, (v) => Math.sqrt(v / count)), count };
}
