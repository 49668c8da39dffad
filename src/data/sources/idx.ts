/**
 * MNIST's IDX files (http://yann.lecun.com/exdb/mnist/): a big-endian header — two zero bytes,
 * a type code, the number of dimensions, one uint32 per dimension — then the values. Images
 * are N×H×W (one channel) or N×C×H×W; labels are N values. Gzip files are inflated in memory;
 * uncompressed image files are read on demand.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { openBytes, type ByteSource } from '../byte-source.js';
import type { ChunkCacheOptions } from '../chunked-file.js';
import { checkIndex, type Dataset, type Example, type ImageShape } from '../dataset.js';
import { DataError } from '../errors.js';

const TYPES: Record<number, { name: string; bytes: number; get: (v: DataView, at: number) => number }> = {
  0x08: { name: 'uint8', bytes: 1, get: (v, at) => v.getUint8(at) },
  0x09: { name: 'int8', bytes: 1, get: (v, at) => v.getInt8(at) },
  0x0b: { name: 'int16', bytes: 2, get: (v, at) => v.getInt16(at, false) },
  0x0c: { name: 'int32', bytes: 4, get: (v, at) => v.getInt32(at, false) },
  0x0d: { name: 'float32', bytes: 4, get: (v, at) => v.getFloat32(at, false) },
  0x0e: { name: 'float64', bytes: 8, get: (v, at) => v.getFloat64(at, false) },
};

interface IdxHeader {
  type: (typeof TYPES)[number];
  dims: number[];
  dataOffset: number;
}

async function readHeader(src: ByteSource): Promise<IdxHeader> {
  if (src.byteLength < 4) throw new DataError('is not an IDX file (shorter than its 4-byte magic)', src.path);
  const magic = await src.read(0, 4);
  const type = TYPES[magic[2]!];
  if (magic[0] !== 0 || magic[1] !== 0 || !type) {
    throw new DataError(`is not an IDX file (magic bytes ${[...magic].map((b) => b.toString(16).padStart(2, '0')).join(' ')})`, src.path);
  }
  const ndims = magic[3]!;
  if (ndims === 0) throw new DataError('IDX header declares no dimensions', src.path);
  if (src.byteLength < 4 + 4 * ndims) throw new DataError('IDX header is truncated', src.path);
  const raw = await src.read(4, 4 * ndims);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const dims = Array.from({ length: ndims }, (_, i) => view.getUint32(4 * i, false));
  const dataOffset = 4 + 4 * ndims;
  const want = dims.reduce((a, b) => a * b, 1) * type.bytes;
  if (src.byteLength - dataOffset < want) {
    throw new DataError(`IDX data is truncated: the header promises ${dims.join('×')} ${type.name} values (${want} bytes) but ${src.byteLength - dataOffset} bytes follow`, src.path);
  }
  return { type, dims, dataOffset };
}

function decode(bytes: Uint8Array, type: IdxHeader['type'], out: Float32Array): void {
  if (type.bytes === 1 && type.name === 'uint8') {
    out.set(bytes);
    return;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < out.length; i++) out[i] = type.get(view, i * type.bytes);
}

export class IdxDataset implements Dataset {
  readonly size: number;
  readonly pixelMax = 255;
  private readonly exampleBytes: number;

  private constructor(
    private readonly images: ByteSource,
    private readonly header: IdxHeader,
    private readonly labels: Int32Array,
    readonly shape: ImageShape,
    readonly numClasses: number,
  ) {
    this.size = labels.length;
    this.exampleBytes = shape[0] * shape[1] * shape[2] * header.type.bytes;
  }

  static async open(imagesPath: string, labelsPath: string, options: { cache?: ChunkCacheOptions; numClasses?: number } = {}): Promise<IdxDataset> {
    const images = await openBytes(imagesPath, options.cache);
    try {
      const header = await readHeader(images);
      const d = header.dims;
      const shape: ImageShape | undefined = d.length === 3 ? [1, d[1]!, d[2]!] : d.length === 4 ? [d[1]!, d[2]!, d[3]!] : undefined;
      if (!shape) throw new DataError(`IDX images must have 3 (N×H×W) or 4 (N×C×H×W) dimensions, not ${d.length} (${d.join('×')})`, imagesPath);
      const labels = await readLabels(labelsPath);
      if (labels.length !== d[0]) throw new DataError(`holds ${labels.length} labels but ${imagesPath} holds ${d[0]} images`, labelsPath);
      let max = -1;
      for (const l of labels) max = Math.max(max, l);
      const numClasses = options.numClasses ?? max + 1;
      const bad = labels.findIndex((l) => l < 0 || l >= numClasses);
      if (bad >= 0) throw new DataError(`label ${labels[bad]} of example ${bad} is outside 0..${numClasses - 1}`, labelsPath);
      return new IdxDataset(images, header, labels, shape, numClasses);
    } catch (e) {
      await images.close();
      throw e;
    }
  }

  async get(index: number): Promise<Example> {
    checkIndex(index, this.size);
    const bytes = await this.images.read(this.header.dataOffset + index * this.exampleBytes, this.exampleBytes);
    const image = new Float32Array(this.exampleBytes / this.header.type.bytes);
    decode(bytes, this.header.type, image);
    return { image, label: this.labels[index]! };
  }

  close(): Promise<void> {
    return this.images.close();
  }
}

async function readLabels(path: string): Promise<Int32Array> {
  const src = await openBytes(path);
  try {
    const header = await readHeader(src);
    if (header.dims.length !== 1) throw new DataError(`IDX labels must be one-dimensional, not ${header.dims.join('×')}`, path);
    const n = header.dims[0]!;
    const out = new Float32Array(n);
    decode(await src.read(header.dataOffset, n * header.type.bytes), header.type, out);
    return Int32Array.from(out);
  } finally {
    await src.close();
  }
}

/** MNIST's file names in `dir`, gzipped or not: split 'train' (60k) or 'test' (t10k). */
export function mnistFiles(dir: string, split: 'train' | 'test'): { images: string; labels: string } {
  const prefix = split === 'train' ? 'train' : 't10k';
  const find = (base: string): string => {
    for (const name of [base, `${base}.gz`, base.replace(/-idx(\d)-/, '.idx$1-')]) if (existsSync(join(dir, name))) return join(dir, name);
    throw new DataError(`no ${base} (or ${base}.gz) in this folder`, dir);
  };
  return { images: find(`${prefix}-images-idx3-ubyte`), labels: find(`${prefix}-labels-idx1-ubyte`) };
}
