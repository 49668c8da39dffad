import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ArrayDataset } from '../../src/data/dataset.js';
import { DataError } from '../../src/data/errors.js';
import { DataPipeline } from '../../src/data/pipeline.js';
import { computeChannelStats, Normalizer, readMeanFile } from '../../src/data/preprocess.js';
import { SyntheticDataset } from '../../src/data/sources/synthetic.js';
import { tempDir, writeFile } from './write-fixtures.js';

const tmp = tempDir();
afterAll(tmp.cleanup);

/** A BlobProto written field by field: num 1, channels, height, width (varints), data as packed floats. */
function blobProto(c: number, h: number, w: number, values: number[]): Buffer {
  const floats = Buffer.alloc(4 * values.length);
  values.forEach((v, i) => floats.writeFloatLE(v, 4 * i));
  const varint = (n: number) => {
    const out = [];
    while (n > 127) {
      out.push((n & 127) | 128);
      n >>>= 7;
    }
    out.push(n);
    return out;
  };
  return Buffer.concat([Buffer.from([0x08, 1, 0x10, c, 0x18, h, 0x20, w, 0x2a, ...varint(floats.length)]), floats]);
}

const pre = (p: Partial<{ mean: number[] | null; mean_file: string | null; scale: number; std: number[] | null }>) => ({ mean: null, mean_file: null, scale: 1, std: null, ...p });

describe('normalisation', () => {
  it('computes (x − mean)·scale / std per channel', () => {
    const x = Float32Array.from([10, 20, 30, 40]);
    new Normalizer(2, pre({ mean: [5, 10], scale: 2, std: [5, 4] })).apply(x);
    expect(Array.from(x)).toEqual([((10 - 5) * 2) / 5, ((20 - 5) * 2) / 5, ((30 - 10) * 2) / 4, ((40 - 10) * 2) / 4]);
    const y = Float32Array.from([1, 2, 3]);
    new Normalizer(3, pre({ mean: [1], scale: 0.5 })).apply(y);
    expect(Array.from(y)).toEqual([0, 0.5, 1]);
    expect(() => new Normalizer(3, pre({ mean: [1, 2] }))).toThrow(/2 values but the input has 3 channels/);
  });

  it('subtracts a Caffe mean image, before Caffe\'s crop, then scales', async () => {
    const c = 1;
    const h = 4;
    const w = 4;
    const meanValues = Array.from({ length: 16 }, (_, i) => i);
    writeFile(join(tmp.dir, 'mean.binaryproto'), blobProto(c, h, w, meanValues));
    const mean = await readMeanFile(join(tmp.dir, 'mean.binaryproto'));
    expect(mean.shape).toEqual([1, 4, 4]);
    expect(Array.from(mean.data)).toEqual(meanValues);
    const image = Float32Array.from({ length: 16 }, (_, i) => 100 + 2 * i);
    const ds = new ArrayDataset([1, 4, 4], image, [0], 1);
    const p = await DataPipeline.create(ds, { transform: { preprocess: pre({ mean_file: 'mean.binaryproto', scale: 0.5 }), crop_size: 2, mirror: false }, baseDir: tmp.dir });
    expect(p.outputShape).toEqual([1, 2, 2]);
    // TEST phase: centre offset (4 − 2)/2 = 1; value (100 + 2i − i)·0.5 at i = 5, 6, 9, 10.
    const e = await p.prepare(0, 0, 'eval');
    expect(Array.from(e.image)).toEqual([5, 6, 9, 10].map((i) => (100 + i) * 0.5));
    // TRAIN phase: some window of the same mean-subtracted image.
    const t = await p.prepare(0, 3, 'train');
    const windows = [0, 1, 2].flatMap((top) => [0, 1, 2].map((left) => [0, 1].flatMap((y) => [0, 1].map((x) => (100 + (top + y) * 4 + left + x) * 0.5))));
    expect(windows.map((wd) => wd.join())).toContain(Array.from(t.image).join());
  });

  it('rejects a mean file that is not a blob or does not fit the data', async () => {
    writeFile(join(tmp.dir, 'junk.binaryproto'), Buffer.from([0xff, 0xff, 0xff]));
    await expect(readMeanFile(join(tmp.dir, 'junk.binaryproto'))).rejects.toThrow(DataError);
    writeFile(join(tmp.dir, 'm3.binaryproto'), blobProto(1, 3, 3, new Array(9).fill(1)));
    const ds = new ArrayDataset([1, 4, 4], new Float32Array(16), [0], 1);
    await expect(DataPipeline.create(ds, { preprocess: pre({ mean_file: join(tmp.dir, 'm3.binaryproto') }) })).rejects.toThrow(/mean image is 1×3×3 but the data is 1×4×4/);
    writeFile(join(tmp.dir, 'short.binaryproto'), blobProto(1, 4, 4, new Array(9).fill(1)));
    await expect(readMeanFile(join(tmp.dir, 'short.binaryproto'))).rejects.toThrow(/needs 16 values but it holds 9/);
  });
});

describe('channel statistics', () => {
  it('match a direct two-pass computation over all values', async () => {
    const ds = new SyntheticDataset({ shape: [3, 8, 8], numClasses: 4, size: 50, seed: 3 });
    const stats = await computeChannelStats(ds);
    const sums = [0, 0, 0];
    const all: number[][] = [[], [], []];
    for (let i = 0; i < ds.size; i++) {
      const { image } = await ds.get(i);
      for (let k = 0; k < 3; k++) for (let j = 0; j < 64; j++) all[k]!.push(image[k * 64 + j]!);
    }
    all.forEach((vs, k) => (sums[k] = vs.reduce((a, b) => a + b, 0)));
    for (let k = 0; k < 3; k++) {
      const mean = sums[k]! / all[k]!.length;
      const variance = all[k]!.reduce((a, v) => a + (v - mean) ** 2, 0) / all[k]!.length;
      expect(stats.mean[k]).toBeCloseTo(mean, 8);
      expect(stats.std[k]).toBeCloseTo(Math.sqrt(variance), 8);
    }
    expect(stats.count).toBe(50 * 64);
  });

  it('normalise the data to mean 0 and std 1 when the pipeline uses them', async () => {
    const ds = new SyntheticDataset({ shape: [1, 8, 8], numClasses: 2, size: 20, seed: 4 });
    const stats = await computeChannelStats(ds);
    const p = await DataPipeline.create(ds, { channelStats: stats, preprocess: pre({ mean: [3], std: [9] }) });
    const values: number[] = [];
    for (let i = 0; i < ds.size; i++) values.push(...(await p.prepare(i, 0, 'eval')).image);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const sd = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length);
    expect(mean).toBeCloseTo(0, 4);
    expect(sd).toBeCloseTo(1, 4);
  });
});
