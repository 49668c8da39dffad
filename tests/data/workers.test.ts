/**
 * Augmentation in worker threads gives the same batches as on the main thread. Workers load the
 * compiled script, so this runs against dist/ (built by `npm test`; skipped, saying so, without it).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import type * as Data from '../../src/data/index.js';
import type { Augmentation } from '../../src/ir/train.js';
import { ROOT } from '../helpers.js';

const DIST = join(ROOT, 'dist/data/index.js');
const built = existsSync(join(ROOT, 'dist/data/transform-worker.js'));
const reason = 'dist/data is not built; run `npm run build` first';

describe('augmentation in worker threads', () => {
  it('yields the same batches as the main thread, mixup included', async (ctx) => {
    if (!built) return ctx.skip(reason);
    const data = (await import(pathToFileURL(DIST).href)) as typeof Data;
    const ds = new data.SyntheticDataset({ shape: [3, 20, 20], numClasses: 4, size: 50, seed: 5 });
    const augmentation: Augmentation[] = [
      { op: 'random_crop', size: [16], padding: 2 },
      { op: 'hflip', p: 0.5 },
      { op: 'color_jitter', brightness: 0.3, contrast: 0.3, saturation: 0.3, hue: 0.1 },
      { op: 'autoaugment', subpolicies: [[{ op: 'Rotate', p: 0.8, magnitude: 6 }, { op: 'Equalize', p: 0.5, magnitude: 0 }], [{ op: 'ShearX', p: 0.7, magnitude: 4 }]] },
      { op: 'mixup', alpha: 0.3 },
    ];
    const pipeline = await data.DataPipeline.create(ds, { augmentation, preprocess: { mean: [120], mean_file: null, scale: 1, std: [60] }, seed: 9 });
    const plain = new data.BatchLoader(pipeline, { batchSize: 16, seed: 2 });
    const threaded = new data.BatchLoader(pipeline, { batchSize: 16, seed: 2, workers: 2, prefetch: 2 });
    expect(threaded.usesWorkers).toBe(true);
    for (const epoch of [0, 1]) {
      const a: Data.Batch[] = [];
      const b: Data.Batch[] = [];
      for await (const x of plain.epoch(epoch)) a.push(x);
      for await (const x of threaded.epoch(epoch)) b.push(x);
      expect(b.length).toBe(a.length);
      a.forEach((x, i) => {
        expect(Array.from(b[i]!.indices)).toEqual(Array.from(x.indices));
        expect(Array.from(b[i]!.labels)).toEqual(Array.from(x.labels));
        expect(Array.from(b[i]!.soft!)).toEqual(Array.from(x.soft!));
        expect(Array.from(b[i]!.images)).toEqual(Array.from(x.images));
      });
    }
    await threaded.close();
  });
});
