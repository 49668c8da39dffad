import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BatchLoader } from '../../src/data/batcher.js';
import { ArrayDataset, type Dataset } from '../../src/data/dataset.js';
import { DataPipeline } from '../../src/data/pipeline.js';
import { splitDataset } from '../../src/data/split.js';
import { NpyDataset } from '../../src/data/sources/npy.js';
import { SyntheticDataset } from '../../src/data/sources/synthetic.js';
import { npyBytes, tempDir, writeFile } from './write-fixtures.js';

const tmp = tempDir();
afterAll(tmp.cleanup);

/** Each example's image is filled with its own index, so batches show which examples they hold. */
function indexed(n: number, shape: [number, number, number] = [1, 2, 2]): ArrayDataset {
  const per = shape[0] * shape[1] * shape[2];
  const images = new Float32Array(n * per);
  for (let i = 0; i < n; i++) images.fill(i, i * per, (i + 1) * per);
  return new ArrayDataset(shape, images, Int32Array.from({ length: n }, (_, i) => i % 3), 3);
}

async function collect(loader: BatchLoader, epoch: number) {
  const batches = [];
  for await (const b of loader.epoch(epoch)) batches.push(b);
  return batches;
}

describe('batches', () => {
  it('hold every example exactly once per epoch, as NCHW with matching labels', async () => {
    const ds = indexed(23);
    const loader = new BatchLoader(await DataPipeline.create(ds), { batchSize: 5, seed: 1 });
    const batches = await collect(loader, 0);
    expect(batches.map((b) => b.labels.length)).toEqual([5, 5, 5, 5, 3]);
    expect(batches[0]!.shape).toEqual([5, 1, 2, 2]);
    const seen = batches.flatMap((b) => Array.from({ length: b.labels.length }, (_, i) => b.images[i * 4]!));
    expect([...seen].sort((a, b) => a - b)).toEqual(Array.from({ length: 23 }, (_, i) => i));
    for (const b of batches) for (let i = 0; i < b.labels.length; i++) expect(b.labels[i]).toBe(b.images[i * 4]! % 3);
    expect(seen).not.toEqual(Array.from({ length: 23 }, (_, i) => i));
  });

  it('are the same for the same seed and epoch, and differ across epochs and seeds', async () => {
    const ds = indexed(40);
    const order = async (seed: number, epoch: number) =>
      (await collect(new BatchLoader(await DataPipeline.create(ds), { batchSize: 8, seed, prefetch: 3 }), epoch)).flatMap((b) => Array.from(b.indices));
    expect(await order(7, 0)).toEqual(await order(7, 0));
    expect(await order(7, 1)).not.toEqual(await order(7, 0));
    expect(await order(8, 0)).not.toEqual(await order(7, 0));
  });

  it('keep order in eval mode and can drop a last partial batch', async () => {
    const ds = indexed(10);
    const evalBatches = await collect(new BatchLoader(await DataPipeline.create(ds), { batchSize: 4, mode: 'eval' }), 0);
    expect(evalBatches.flatMap((b) => Array.from(b.indices))).toEqual(Array.from({ length: 10 }, (_, i) => i));
    const dropped = new BatchLoader(await DataPipeline.create(ds), { batchSize: 4, dropLast: true });
    expect(dropped.batchesPerEpoch).toBe(2);
    expect((await collect(dropped, 0)).length).toBe(2);
  });

  it('from batch k on are the epoch\'s batches k… unchanged (augmentation and mixup included), without building the first k', async () => {
    const ds = new SyntheticDataset({ shape: [3, 12, 12], numClasses: 4, size: 50, seed: 2 });
    const augmentation = [{ op: 'hflip' as const, p: 0.5 }, { op: 'random_crop' as const, size: [10, 10], padding: 2 }, { op: 'mixup' as const, alpha: 0.4 }];
    const loader = new BatchLoader(await DataPipeline.create(ds, { augmentation, seed: 3 }), { batchSize: 8, seed: 5 });
    const whole = await collect(loader, 2);
    const rest = [];
    for await (const b of loader.epoch(2, 4)) rest.push(b);
    expect(rest).toEqual(whole.slice(4));
    const built: number[] = [];
    const prepare = loader.pipeline.prepare.bind(loader.pipeline);
    loader.pipeline.prepare = (i, ...more) => (built.push(i), prepare(i, ...more));
    for await (const b of loader.epoch(2, 6)) void b;
    expect(built.length).toBe(50 - 6 * 8);
    for await (const b of loader.epoch(2, 7)) throw new Error(`past the end, got ${b.labels.length} examples`);
    await expect(async () => {
      for await (const b of loader.epoch(2, 8)) void b;
    }).rejects.toThrow(RangeError);
  });

  it('give soft labels that sum to one under mixup', async () => {
    const ds = indexed(12);
    const loader = new BatchLoader(await DataPipeline.create(ds, { augmentation: [{ op: 'mixup', alpha: 0.4 }], seed: 3 }), { batchSize: 6 });
    for (const b of await collect(loader, 0)) {
      expect(b.soft).toBeDefined();
      for (let i = 0; i < 6; i++) {
        const row = Array.from(b.soft!.subarray(i * 3, i * 3 + 3));
        expect(row.reduce((x, y) => x + y, 0)).toBeCloseTo(1, 5);
        // The image is the same λ-mix as the labels: its value lies between the two source indices.
        expect(row[b.labels[i]!]).toBeGreaterThan(0);
      }
    }
  });
});

describe('prefetching', () => {
  it('reads the next batch while the caller still holds the current one', async () => {
    const inner = indexed(40);
    const asked: number[] = [];
    const spy: Dataset = { ...inner, shape: inner.shape, size: inner.size, numClasses: inner.numClasses, pixelMax: 255, get: (i) => (asked.push(i), inner.get(i)) };
    const loader = new BatchLoader(await DataPipeline.create(spy), { batchSize: 10, mode: 'eval', prefetch: 1 });
    const it = loader.epoch(0);
    const first = await it.next();
    expect(first.done).toBe(false);
    // Let pending reads settle without asking for the next batch.
    await new Promise((r) => setTimeout(r, 10));
    expect(asked).toContain(19);
    expect(asked).not.toContain(39);
    await it.return(undefined);
  });
});

describe('splits', () => {
  it('partition the data by fraction, deterministically per seed', () => {
    const ds = indexed(100);
    const a = splitDataset(ds, 0.2, 5);
    expect(a.validation.size).toBe(20);
    expect(a.train.size).toBe(80);
    const all = [...a.train.indices, ...a.validation.indices].sort((x, y) => x - y);
    expect(all).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(Array.from(splitDataset(ds, 0.2, 5).validation.indices)).toEqual(Array.from(a.validation.indices));
    expect(Array.from(splitDataset(ds, 0.2, 6).validation.indices)).not.toEqual(Array.from(a.validation.indices));
    expect(() => splitDataset(ds, 1.5)).toThrow(/between 0 and 1/);
    expect(() => splitDataset(indexed(3), 0.01)).toThrow(/no validation/);
  });
});

describe('streaming', () => {
  it('iterates an NPY file larger than its chunk cache, holding no more than the cache bound', async () => {
    const n = 600;
    const per = 3 * 16 * 16;
    const values = new Uint8Array(n * per);
    for (let i = 0; i < n; i++) values.fill(i % 251, i * per, (i + 1) * per);
    writeFile(join(tmp.dir, 'x.npy'), npyBytes('|u1', [n, 3, 16, 16], values));
    writeFile(join(tmp.dir, 'y.npy'), npyBytes('<i4', [n], Array.from({ length: n }, (_, i) => i % 10)));
    const cache = { chunkBytes: 16 * 1024, maxChunks: 4 };
    const ds = await NpyDataset.open(join(tmp.dir, 'x.npy'), join(tmp.dir, 'y.npy'), { cache });
    const loader = new BatchLoader(await DataPipeline.create(ds), { batchSize: 32, seed: 2 });
    let count = 0;
    for await (const b of loader.epoch(0)) {
      for (let i = 0; i < b.labels.length; i++) {
        const idx = b.indices[i]!;
        expect(b.images[i * per + per - 1]).toBe(idx % 251);
        expect(b.labels[i]).toBe(idx % 10);
      }
      count += b.labels.length;
    }
    expect(count).toBe(n);
    const file = (ds as unknown as { images: { peakCachedBytes: number; byteLength: number } }).images;
    expect(file.byteLength).toBeGreaterThan(5 * 16 * 1024 * 4);
    expect(file.peakCachedBytes).toBeLessThanOrEqual(16 * 1024 * 4);
    await ds.close();
  });
});

describe('synthetic data', () => {
  const opts = { shape: [3, 16, 16] as [number, number, number], numClasses: 10, size: 600, seed: 11 };

  it('is deterministic per seed and adapts to the requested shape and classes', async () => {
    const a = new SyntheticDataset(opts);
    const b = new SyntheticDataset(opts);
    const c = new SyntheticDataset({ ...opts, seed: 12 });
    expect(Array.from((await a.get(17)).image)).toEqual(Array.from((await b.get(17)).image));
    expect(Array.from((await a.get(17)).image)).not.toEqual(Array.from((await c.get(17)).image));
    const odd = new SyntheticDataset({ shape: [1, 28, 28], numClasses: 7, size: 14 });
    const e = await odd.get(13);
    expect(e.image.length).toBe(28 * 28);
    expect(e.label).toBeLessThan(7);
    expect(Math.min(...e.image)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...e.image)).toBeLessThanOrEqual(255);
  });

  it('is learnable: a nearest-class-mean classifier fitted on one part gets > 90% on another', async () => {
    const ds: Dataset = new SyntheticDataset(opts);
    const { train, validation } = splitDataset(ds, 0.3, 1);
    const per = 3 * 16 * 16;
    const means = Array.from({ length: 10 }, () => new Float64Array(per));
    const counts = new Array<number>(10).fill(0);
    for (let i = 0; i < train.size; i++) {
      const { image, label } = await train.get(i);
      for (let j = 0; j < per; j++) means[label]![j]! += image[j]!;
      counts[label]!++;
    }
    means.forEach((m, k) => m.forEach((v, j) => (m[j] = v / counts[k]!)));
    let right = 0;
    for (let i = 0; i < validation.size; i++) {
      const { image, label } = await validation.get(i);
      let best = -1;
      let bestD = Infinity;
      means.forEach((m, k) => {
        let d = 0;
        for (let j = 0; j < per; j++) d += (image[j]! - m[j]!) ** 2;
        if (d < bestD) [best, bestD] = [k, d];
      });
      if (best === label) right++;
    }
    expect(right / validation.size).toBeGreaterThan(0.9);
  });
});
