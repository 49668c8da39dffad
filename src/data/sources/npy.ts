/**
 * NumPy .npy arrays (format versions 1–3, https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html):
 * images x.npy as N×C×H×W or N×H×W×C (uint8 or float32/float64; N×H×W is one channel) and
 * labels y.npy as N integers. Images are read on demand; the labels are loaded.
 * Float images are taken as they are: say `pixelMax` (default 255) when they are in [0, 1].
 */
import { openBytes, type ByteSource } from '../byte-source.js';
import type { ChunkCacheOptions } from '../chunked-file.js';
import { checkIndex, type Dataset, type Example, type ImageShape } from '../dataset.js';
import { DataError } from '../errors.js';

export interface NpyHeader {
  /** numpy dtype string, e.g. '<f4', '|u1'. */
  descr: string;
  fortranOrder: boolean;
  shape: number[];
  dataOffset: number;
}

type Reader = { bytes: number; get: (v: DataView, at: number) => number };
const DTYPES: Record<string, Reader> = {
  u1: { bytes: 1, get: (v, at) => v.getUint8(at) },
  i1: { bytes: 1, get: (v, at) => v.getInt8(at) },
  u2: { bytes: 2, get: (v, at) => v.getUint16(at, true) },
  i2: { bytes: 2, get: (v, at) => v.getInt16(at, true) },
  u4: { bytes: 4, get: (v, at) => v.getUint32(at, true) },
  i4: { bytes: 4, get: (v, at) => v.getInt32(at, true) },
  i8: { bytes: 8, get: (v, at) => Number(v.getBigInt64(at, true)) },
  u8: { bytes: 8, get: (v, at) => Number(v.getBigUint64(at, true)) },
  f4: { bytes: 4, get: (v, at) => v.getFloat32(at, true) },
  f8: { bytes: 8, get: (v, at) => v.getFloat64(at, true) },
};

function dtypeOf(descr: string, path: string): Reader {
  const m = /^([<>|=])([uif]\d)$/.exec(descr);
  const reader = m ? DTYPES[m[2]!] : undefined;
  if (!m || !reader) throw new DataError(`unsupported dtype '${descr}' (expected one of u1 i1 u2 i2 u4 i4 u8 i8 f4 f8)`, path);
  if (m[1] === '>' && reader.bytes > 1) throw new DataError(`big-endian dtype '${descr}' is not supported; save it little-endian (astype('<${m[2]}'))`, path);
  return reader;
}

export async function readNpyHeader(src: ByteSource): Promise<NpyHeader> {
  const path = src.path;
  if (src.byteLength < 10) throw new DataError('is not a .npy file (too short)', path);
  const pre = await src.read(0, 12 > src.byteLength ? 10 : 12);
  const magic = String.fromCharCode(...pre.subarray(1, 6));
  if (pre[0] !== 0x93 || magic !== 'NUMPY') throw new DataError('is not a .npy file (no \\x93NUMPY magic)', path);
  const major = pre[6]!;
  const view = new DataView(pre.buffer, pre.byteOffset, pre.byteLength);
  let headerLen: number;
  let start: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (pre.length < 12) throw new DataError('.npy header is truncated', path);
    headerLen = view.getUint32(8, true);
    start = 12;
  } else throw new DataError(`.npy format version ${major} is not supported (1–3 are)`, path);
  if (start + headerLen > src.byteLength) throw new DataError('.npy header is truncated', path);
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(await src.read(start, headerLen));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) throw new DataError(`.npy header is not a valid dict: ${text.trim()}`, path);
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      const n = Number(s.replace(/L$/, ''));
      if (!Number.isInteger(n) || n < 0) throw new DataError(`.npy shape (${shapeText}) is not a tuple of sizes`, path);
      return n;
    });
  return { descr, fortranOrder: fortran === 'True', shape, dataOffset: start + headerLen };
}

function checkData(src: ByteSource, h: NpyHeader, reader: Reader): void {
  const want = h.shape.reduce((a, b) => a * b, 1) * reader.bytes;
  if (src.byteLength - h.dataOffset < want) {
    throw new DataError(`.npy data is truncated: shape (${h.shape.join(', ')}) of '${h.descr}' needs ${want} bytes but ${src.byteLength - h.dataOffset} follow the header`, src.path);
  }
}

export type NpyLayout = 'nchw' | 'nhwc' | 'auto';

export interface NpyOptions {
  /** How x.npy's axes are ordered; 'auto' (default) takes a last axis of 1, 3 or 4 as channels unless axis 1 is too. */
  layout?: NpyLayout;
  numClasses?: number;
  /** The largest raw value of the images (default 255; say 1 for float data in [0, 1]). */
  pixelMax?: number;
  cache?: ChunkCacheOptions;
}

export class NpyDataset implements Dataset {
  readonly size: number;
  readonly pixelMax: number;
  private readonly reader: Reader;
  private readonly exampleValues: number;

  private constructor(
    private readonly images: ByteSource,
    private readonly header: NpyHeader,
    private readonly layout: 'nchw' | 'nhwc',
    private readonly labels: Int32Array,
    readonly shape: ImageShape,
    readonly numClasses: number,
    pixelMax: number,
  ) {
    this.size = labels.length;
    this.reader = dtypeOf(header.descr, images.path);
    this.exampleValues = shape[0] * shape[1] * shape[2];
    this.pixelMax = pixelMax;
  }

  static async open(xPath: string, yPath: string, options: NpyOptions = {}): Promise<NpyDataset> {
    const x = await openBytes(xPath, options.cache);
    try {
      const h = await readNpyHeader(x);
      const reader = dtypeOf(h.descr, xPath);
      if (h.fortranOrder) throw new DataError('is stored in Fortran order; save it C-contiguous (np.ascontiguousarray)', xPath);
      checkData(x, h, reader);
      const s = h.shape;
      let layout: 'nchw' | 'nhwc';
      let shape: ImageShape;
      if (s.length === 3) {
        layout = 'nchw';
        shape = [1, s[1]!, s[2]!];
      } else if (s.length === 4) {
        const channelsLast = [1, 3, 4].includes(s[3]!) && ![1, 3, 4].includes(s[1]!);
        layout = options.layout === 'nhwc' || (options.layout !== 'nchw' && channelsLast) ? 'nhwc' : 'nchw';
        shape = layout === 'nhwc' ? [s[3]!, s[1]!, s[2]!] : [s[1]!, s[2]!, s[3]!];
      } else throw new DataError(`images must be N×C×H×W, N×H×W×C or N×H×W, not shape (${s.join(', ')})`, xPath);
      const labels = await readNpyLabels(yPath);
      if (labels.length !== s[0]) throw new DataError(`holds ${labels.length} labels but ${xPath} holds ${s[0]} images`, yPath);
      let max = -1;
      for (const l of labels) max = Math.max(max, l);
      const numClasses = options.numClasses ?? max + 1;
      const bad = labels.findIndex((l) => l < 0 || l >= numClasses);
      if (bad >= 0) throw new DataError(`label ${labels[bad]} of example ${bad} is outside 0..${numClasses - 1}`, yPath);
      return new NpyDataset(x, h, layout, labels, shape, numClasses, options.pixelMax ?? 255);
    } catch (e) {
      await x.close();
      throw e;
    }
  }

  async get(index: number): Promise<Example> {
    checkIndex(index, this.size);
    const n = this.exampleValues;
    const bytes = await this.images.read(this.header.dataOffset + index * n * this.reader.bytes, n * this.reader.bytes);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const image = new Float32Array(n);
    const [c, h, w] = this.shape;
    const get = this.reader.get;
    const size = this.reader.bytes;
    if (this.layout === 'nchw') for (let i = 0; i < n; i++) image[i] = get(view, i * size);
    else for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) image[(k * h + y) * w + x] = get(view, ((y * w + x) * c + k) * size);
    return { image, label: this.labels[index]! };
  }

  close(): Promise<void> {
    return this.images.close();
  }
}

async function readNpyLabels(path: string): Promise<Int32Array> {
  const src = await openBytes(path);
  try {
    const h = await readNpyHeader(src);
    const reader = dtypeOf(h.descr, path);
    if (h.shape.length !== 1 && !(h.shape.length === 2 && h.shape[1] === 1)) throw new DataError(`labels must be a vector of N integers, not shape (${h.shape.join(', ')})`, path);
    if (h.descr.includes('f')) throw new DataError(`labels must be integers, not '${h.descr}'`, path);
    checkData(src, h, reader);
    const n = h.shape[0]!;
    const bytes = await src.read(h.dataOffset, n * reader.bytes);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return Int32Array.from({ length: n }, (_, i) => reader.get(view, i * reader.bytes));
  } finally {
    await src.close();
  }
}
