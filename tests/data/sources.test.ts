import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CifarDataset } from '../../src/data/sources/cifar.js';
import { IdxDataset } from '../../src/data/sources/idx.js';
import { ImageFolderDataset } from '../../src/data/sources/image-folder.js';
import { NpyDataset } from '../../src/data/sources/npy.js';
import { openDataset } from '../../src/data/open.js';
import { DataError } from '../../src/data/errors.js';
import { bytesFor, idxBytes, jpegBytes, npyBytes, pngBytes, tempDir, writeFile, writeIdx } from './write-fixtures.js';

const tmp = tempDir();
afterAll(tmp.cleanup);
let n = 0;
const fresh = () => join(tmp.dir, `case${n++}`);

describe('MNIST IDX', () => {
  const images = bytesFor(3 * 4 * 5, 7);
  const labels = [3, 0, 9];
  for (const gzip of [false, true]) {
    it(`reads pixels and labels${gzip ? ' from gzip files' : ''}`, async () => {
      const dir = fresh();
      writeFile(join(dir, 'x'), new Uint8Array());
      writeIdx(join(dir, 'train-images-idx3-ubyte'), [3, 4, 5], images, gzip);
      writeIdx(join(dir, 'train-labels-idx1-ubyte'), [3], labels, gzip);
      const ds = await openDataset(dir, { shape: [1, 4, 5], numClasses: 10 });
      expect(ds).toBeInstanceOf(IdxDataset);
      expect(ds.shape).toEqual([1, 4, 5]);
      expect(ds.size).toBe(3);
      expect(ds.numClasses).toBe(10);
      for (let i = 0; i < 3; i++) {
        const e = await ds.get(i);
        expect(Array.from(e.image)).toEqual(Array.from(images.subarray(i * 20, (i + 1) * 20)));
        expect(e.label).toBe(labels[i]);
      }
      await ds.close?.();
    });
  }

  it('rejects a truncated image file, a wrong magic and mismatched counts', async () => {
    const dir = fresh();
    writeFile(join(dir, 'lab'), idxBytes([3], labels));
    writeFile(join(dir, 'short'), idxBytes([3, 4, 5], images).subarray(0, 50));
    await expect(IdxDataset.open(join(dir, 'short'), join(dir, 'lab'))).rejects.toThrow(/truncated/);
    writeFile(join(dir, 'magic'), Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]));
    await expect(IdxDataset.open(join(dir, 'magic'), join(dir, 'lab'))).rejects.toThrow(/not an IDX file/);
    writeFile(join(dir, 'two'), idxBytes([2, 4, 5], images.subarray(0, 40)));
    await expect(IdxDataset.open(join(dir, 'two'), join(dir, 'lab'))).rejects.toThrow(DataError);
  });
});

describe('CIFAR-10 binary batches', () => {
  const record = (label: number, seed: number) => Buffer.concat([Buffer.from([label]), Buffer.from(bytesFor(3072, seed))]);
  it('reads records across files in order, planes already CHW', async () => {
    const dir = fresh();
    writeFile(join(dir, 'data_batch_1.bin'), Buffer.concat([record(4, 1), record(9, 2)]));
    writeFile(join(dir, 'data_batch_2.bin'), record(0, 3));
    writeFile(join(dir, 'test_batch.bin'), record(7, 4));
    writeFileSync(join(dir, 'batches.meta.txt'), 'airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n');
    const ds = await openDataset(dir, { shape: [3, 32, 32], numClasses: 10 });
    expect(ds.size).toBe(3);
    expect(ds.classNames?.[4]).toBe('deer');
    const third = await ds.get(2);
    expect(third.label).toBe(0);
    expect(Array.from(third.image.subarray(0, 16))).toEqual(Array.from(bytesFor(3072, 3).subarray(0, 16)));
    // The blue plane starts 2048 values in.
    expect(third.image[2048]).toBe(bytesFor(3072, 3)[2048]);
    expect((await ds.get(1)).label).toBe(9);
    const test = await openDataset(dir, { shape: [3, 32, 32], numClasses: 10, split: 'test' });
    expect(test.size).toBe(1);
    expect((await test.get(0)).label).toBe(7);
    await ds.close?.();
    await test.close?.();
  });

  it('rejects a file that is not whole records and a label above 9', async () => {
    const dir = fresh();
    writeFile(join(dir, 'a.bin'), Buffer.concat([record(1, 1), Buffer.from([1, 2, 3])]));
    await expect(CifarDataset.open([join(dir, 'a.bin')])).rejects.toThrow(/whole number of 3073-byte records/);
    writeFile(join(dir, 'b.bin'), record(42, 1));
    const ds = await CifarDataset.open([join(dir, 'b.bin')]);
    await expect(ds.get(0)).rejects.toThrow(/label 42/);
    await ds.close();
  });
});

describe('NPY arrays', () => {
  it('reads float32 NCHW and uint8 NHWC with int64 labels', async () => {
    const dir = fresh();
    const x = Array.from({ length: 2 * 3 * 2 * 2 }, (_, i) => i * 0.5);
    writeFile(join(dir, 'x.npy'), npyBytes('<f4', [2, 3, 2, 2], x));
    writeFile(join(dir, 'y.npy'), npyBytes('<i8', [2], [1, 4]));
    const a = await NpyDataset.open(join(dir, 'x.npy'), join(dir, 'y.npy'));
    expect(a.shape).toEqual([3, 2, 2]);
    expect(a.numClasses).toBe(5);
    expect(Array.from((await a.get(1)).image)).toEqual(x.slice(12));
    expect((await a.get(1)).label).toBe(4);

    // NHWC: pixel (y, x) channel k is at ((y·W + x)·C + k).
    const nhwc = Array.from({ length: 2 * 2 * 2 * 3 }, (_, i) => i);
    writeFile(join(dir, 'xh.npy'), npyBytes('|u1', [2, 2, 2, 3], nhwc));
    writeFile(join(dir, 'yi.npy'), npyBytes('<i4', [2], [0, 1]));
    const b = await NpyDataset.open(join(dir, 'xh.npy'), join(dir, 'yi.npy'));
    expect(b.shape).toEqual([3, 2, 2]);
    const img = (await b.get(1)).image;
    for (let k = 0; k < 3; k++) for (let y = 0; y < 2; y++) for (let xx = 0; xx < 2; xx++) expect(img[(k * 2 + y) * 2 + xx]).toBe(nhwc[12 + (y * 2 + xx) * 3 + k]);
    await a.close();
    await b.close();
  });

  it('rejects bad magic, truncated data, Fortran order, float labels and count mismatches', async () => {
    const dir = fresh();
    writeFile(join(dir, 'y.npy'), npyBytes('<i8', [2], [0, 1]));
    writeFile(join(dir, 'bad.npy'), Buffer.from('not numpy at all'));
    await expect(NpyDataset.open(join(dir, 'bad.npy'), join(dir, 'y.npy'))).rejects.toThrow(/not a \.npy file/);
    writeFile(join(dir, 'short.npy'), npyBytes('<f4', [2, 1, 4, 4], new Array(32).fill(1)).subarray(0, 150));
    await expect(NpyDataset.open(join(dir, 'short.npy'), join(dir, 'y.npy'))).rejects.toThrow(/truncated/);
    const fortran = Buffer.from(npyBytes('<f4', [2, 1, 2, 2], new Array(8).fill(0)).toString('latin1').replace("'fortran_order': False", "'fortran_order': True "), 'latin1');
    writeFile(join(dir, 'f.npy'), fortran);
    await expect(NpyDataset.open(join(dir, 'f.npy'), join(dir, 'y.npy'))).rejects.toThrow(/Fortran order/);
    writeFile(join(dir, 'x.npy'), npyBytes('<f4', [3, 1, 2, 2], new Array(12).fill(0)));
    await expect(NpyDataset.open(join(dir, 'x.npy'), join(dir, 'y.npy'))).rejects.toThrow(/2 labels but/);
    writeFile(join(dir, 'yf.npy'), npyBytes('<f4', [3], [0, 1, 2]));
    await expect(NpyDataset.open(join(dir, 'x.npy'), join(dir, 'yf.npy'))).rejects.toThrow(/integers/);
  });
});

describe('image folders', () => {
  it('sorts classes, converts channels and resizes bilinearly', async () => {
    const dir = fresh();
    // 2×2 RGBA: red, green / blue, white (alpha varies and is dropped for RGB).
    const px = [255, 0, 0, 255, 0, 255, 0, 128, 0, 0, 255, 255, 255, 255, 255, 0];
    writeFile(join(dir, 'zebra', 'a.png'), pngBytes(2, 2, px));
    writeFile(join(dir, 'ant', 'b.png'), pngBytes(2, 2, px));
    writeFile(join(dir, 'ant', 'notes.txt'), Buffer.from('ignored'));
    const rgb = ImageFolderDataset.open(dir, [3, 2, 2]);
    expect(rgb.classNames).toEqual(['ant', 'zebra']);
    expect(rgb.size).toBe(2);
    const e = await rgb.get(1);
    expect(e.label).toBe(1);
    expect(Array.from(e.image)).toEqual([255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255]);
    const grey = await ImageFolderDataset.open(dir, [1, 2, 2]).get(0);
    expect(grey.image[0]).toBeCloseTo(0.299 * 255, 3);
    expect(grey.image[3]).toBeCloseTo(255, 3);
    // Upsampling 2×2 → 4×4 with half-pixel centres: output pixel 1 samples x = 0.25 between columns 0 and 1.
    const big = await ImageFolderDataset.open(dir, [3, 4, 4]).get(0);
    expect(big.image[0]).toBeCloseTo(255, 4);
    expect(big.image[1]).toBeCloseTo(255 * 0.75, 4);
    expect(big.image[2]).toBeCloseTo(255 * 0.25, 4);
    expect(big.image[3]).toBeCloseTo(0, 4);
    // Row 1, column 1: 0.75·(0.75·R00 + 0.25·R01) + 0.25·(0.75·R10 + 0.25·R11) for red = 255·(0.5625 + 0.0625).
    expect(big.image[5]).toBeCloseTo(255 * (0.5625 + 0.0625), 4);
  });

  it('reads JPEG (lossy: close to the source) and rejects what is not an image', async () => {
    const dir = fresh();
    const px = Array.from({ length: 8 * 8 }, () => [200, 100, 50, 255]).flat();
    writeFile(join(dir, 'c', 'x.jpg'), jpegBytes(8, 8, px));
    writeFile(join(dir, 'c', 'y.png'), Buffer.from('this is not a png'));
    const ds = ImageFolderDataset.open(dir, [3, 8, 8]);
    const e = await ds.get(0);
    expect(Math.abs(e.image[0]! - 200)).toBeLessThan(4);
    expect(Math.abs(e.image[64]! - 100)).toBeLessThan(4);
    expect(Math.abs(e.image[128]! - 50)).toBeLessThan(4);
    await expect(ds.get(1)).rejects.toThrow(DataError);
    await expect(ds.get(1)).rejects.toThrow(/neither a PNG nor a JPEG/);
    expect(() => ImageFolderDataset.open(join(dir, 'c'), [3, 8, 8])).toThrow(/no class subfolders/);
  });
});

describe('openDataset', () => {
  it('recognises NPY and image folders by their files, and a test split beside them', async () => {
    const dir = fresh();
    writeFile(join(dir, 'x.npy'), npyBytes('|u1', [2, 1, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8]));
    writeFile(join(dir, 'y.npy'), npyBytes('<i8', [2], [0, 1]));
    const npy = await openDataset(dir, { shape: [1, 2, 2], numClasses: 2 });
    expect(npy).toBeInstanceOf(NpyDataset);
    expect(Array.from((await npy.get(1)).image)).toEqual([5, 6, 7, 8]);
    await npy.close?.();
    const folder = fresh();
    writeFile(join(folder, 'train', 'a', '1.png'), pngBytes(1, 1, [10, 20, 30, 255]));
    writeFile(join(folder, 'test', 'a', '1.png'), pngBytes(1, 1, [40, 50, 60, 255]));
    writeFile(join(folder, 'test', 'b', '1.png'), pngBytes(1, 1, [70, 80, 90, 255]));
    const train = await openDataset(folder, { shape: [3, 1, 1], numClasses: 2 });
    const test = await openDataset(`folder:${folder}`, { shape: [3, 1, 1], numClasses: 2, split: 'test' });
    expect(train.size).toBe(1);
    expect(test.size).toBe(2);
    expect(Array.from((await test.get(1)).image)).toEqual([70, 80, 90]);
    const synth = await openDataset('synthetic:30', { shape: [2, 5, 5], numClasses: 3 });
    expect([synth.size, ...synth.shape, synth.numClasses]).toEqual([30, 2, 5, 5, 3]);
  });

  it('names what it expected when the folder is missing, and errors are DataErrors with no stack needed', async () => {
    await expect(openDataset(join(tmp.dir, 'nope'), { shape: [1, 4, 4], numClasses: 2 })).rejects.toThrow(/no such file or folder/);
    await expect(openDataset('synthetic:0', { shape: [1, 4, 4], numClasses: 2 })).rejects.toBeInstanceOf(DataError);
  });
});
