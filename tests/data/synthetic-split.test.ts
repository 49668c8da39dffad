import { describe, expect, it } from 'vitest';
import { openDataset } from '../../src/data/index.js';

/** Per-class mean images of the first `n` examples. */
async function classMeans(ds: Awaited<ReturnType<typeof openDataset>>, n: number): Promise<Float64Array[]> {
  const size = ds.shape.reduce((a, b) => a * b, 1);
  const sums = Array.from({ length: ds.numClasses }, () => new Float64Array(size));
  const counts = new Array<number>(ds.numClasses).fill(0);
  for (let i = 0; i < n; i++) {
    const { image, label } = await ds.get(i);
    counts[label]!++;
    for (let j = 0; j < size; j++) sums[label]![j]! += image[j]!;
  }
  return sums.map((s, k) => s.map((v) => v / counts[k]!));
}

const distance = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let d = 0;
  for (let i = 0; i < a.length; i++) d += (a[i]! - b[i]!) ** 2;
  return d;
};

describe('synthetic data: the test split', () => {
  it('holds other examples of the same task (a classifier fitted on train scores well on test)', async () => {
    const options = { shape: [3, 16, 16] as [number, number, number], numClasses: 5, seed: 3, size: 200 };
    const train = await openDataset('synthetic', options);
    const test = await openDataset('synthetic', { ...options, split: 'test' });
    const first = [await train.get(0), await test.get(0)];
    expect(first[0]!.label).toBe(first[1]!.label);
    expect(distance(first[0]!.image, first[1]!.image)).toBeGreaterThan(0);
    const means = await classMeans(train, 200);
    let hits = 0;
    for (let i = 0; i < 100; i++) {
      const { image, label } = await test.get(i);
      const d = means.map((m) => distance(image, m));
      if (d.indexOf(Math.min(...d)) === label) hits++;
    }
    expect(hits).toBeGreaterThanOrEqual(90);
  });
});
