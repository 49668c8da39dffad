/**
 * CIFAR-10's binary batches (https://www.cs.toronto.edu/~kriz/cifar.html): each record is one
 * label byte then 3072 bytes of 32×32 red, green and blue planes (already CHW). Records are read
 * on demand from the files.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openBytes, type ByteSource } from '../byte-source.js';
import type { ChunkCacheOptions } from '../chunked-file.js';
import { checkIndex, type Dataset, type Example, type ImageShape } from '../dataset.js';
import { DataError } from '../errors.js';

const PIXELS = 3 * 32 * 32;
const RECORD = 1 + PIXELS;

export class CifarDataset implements Dataset {
  readonly shape: ImageShape = [3, 32, 32];
  readonly numClasses = 10;
  readonly pixelMax = 255;
  readonly size: number;
  readonly classNames?: readonly string[];

  private constructor(
    private readonly files: ByteSource[],
    /** First example index of each file, plus the total at the end. */
    private readonly starts: number[],
    classNames: string[] | undefined,
  ) {
    this.size = starts[starts.length - 1]!;
    if (classNames) this.classNames = classNames;
  }

  static async open(paths: string[], options: { cache?: ChunkCacheOptions; classNames?: string[] } = {}): Promise<CifarDataset> {
    if (paths.length === 0) throw new DataError('no CIFAR-10 batch files given');
    const files: ByteSource[] = [];
    const starts = [0];
    try {
      for (const path of paths) {
        const f = await openBytes(path, options.cache);
        files.push(f);
        if (f.byteLength === 0 || f.byteLength % RECORD !== 0) {
          throw new DataError(`is not a CIFAR-10 binary batch: ${f.byteLength} bytes is not a whole number of ${RECORD}-byte records (1 label + 3072 pixels)`, path);
        }
        starts.push(starts[starts.length - 1]! + f.byteLength / RECORD);
      }
    } catch (e) {
      await Promise.all(files.map((f) => f.close()));
      throw e;
    }
    return new CifarDataset(files, starts, options.classNames);
  }

  async get(index: number): Promise<Example> {
    checkIndex(index, this.size);
    let f = 0;
    while (index >= this.starts[f + 1]!) f++;
    const file = this.files[f]!;
    const record = await file.read((index - this.starts[f]!) * RECORD, RECORD);
    const label = record[0]!;
    if (label >= this.numClasses) throw new DataError(`record ${index - this.starts[f]!} has label ${label}; CIFAR-10 labels are 0..9 (is this CIFAR-100, with two label bytes?)`, file.path);
    return { image: Float32Array.from(record.subarray(1)), label };
  }

  async close(): Promise<void> {
    await Promise.all(this.files.map((f) => f.close()));
  }
}

/** The batch files of a CIFAR-10 folder: data_batch_1..5.bin for 'train', test_batch.bin for 'test'. */
export function cifarFiles(dir: string, split: 'train' | 'test'): { files: string[]; classNames?: string[] } {
  const names = split === 'train' ? [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`) : ['test_batch.bin'];
  const files = names.map((n) => join(dir, n)).filter((p) => existsSync(p));
  if (files.length === 0) throw new DataError(`no ${names.join(', ')} in this folder`, dir);
  const meta = join(dir, 'batches.meta.txt');
  if (!existsSync(meta)) return { files };
  const classNames = readFileSync(meta, 'utf8').split(/\r?\n/).map((s) => s.trim()).filter(Boolean);
  return classNames.length === 10 ? { files, classNames } : { files };
}
