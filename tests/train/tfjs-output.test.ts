/**
 * `nnspec train --out DIR` leaves a TensorFlow.js graph model in DIR/tfjs that computes what the
 * trained net computes: loaded from the written files with tf.loadGraphModel, it matches the
 * lowering given the run's weights.safetensors.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadGraphModel } from '@tensorflow/tfjs-converter';
import { describe, expect, it } from 'vitest';
import { prepareBackendInput } from '../../src/backends/backend.js';
import { lowerToTfjs } from '../../src/backends/tfjs/index.js';
import { runTrain } from '../../src/cli/train.js';
import { selectBackend } from '../../src/runtime/backend.js';
import { loadWeights } from '../../src/weights/load-weights.js';
import { fileHandler, relativeError } from '../backends/tfjs-graph/kit.js';
import { ROOT } from '../helpers.js';

describe('nnspec train --out: the TensorFlow.js model', () => {
  it('loads with tf.loadGraphModel and computes what the trained weights compute', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'nnspec-tfjs-out-')), 'run');
    const spec = join(ROOT, 'specs/lenet.nnspec');
    const lines: string[] = [];
    const code = await runTrain(spec, { out, data: 'synthetic:256', iterations: 6, batchSize: 32, seed: 3, threads: 2 }, { out: (l) => lines.push(l), err: (l) => lines.push(l) });
    expect(code, lines.join('\n')).toBe(0);
    const manifest = JSON.parse(readFileSync(join(out, 'tfjs/model.json'), 'utf8')) as { format: string };
    expect(manifest.format).toBe('graph-model');

    const { tf } = await selectBackend({ threads: 2 }); // the request runTrain made: one backend per process
    const { input } = await prepareBackendInput(spec, { keepNodes: true });
    const loaded = loadWeights(join(out, 'weights.safetensors'), input!);
    if (!('weights' in loaded)) throw new Error(`weights did not load: ${JSON.stringify(loaded)}`);
    const lowered = lowerToTfjs(tf, input!, { weights: loaded.weights })!;
    const model = await loadGraphModel(fileHandler(join(out, 'tfjs')));
    try {
      const x = tf.randomNormal([3, 1, 28, 28], 0, 1, 'float32', 11);
      const expected = lowered.forward({ [lowered.inputs[0]!]: x }, 'inference')[lowered.outputs[0]!]!;
      const actual = model.execute({ [lowered.inputs[0]!]: x }) as typeof x;
      expect(actual.shape).toEqual(expected.shape);
      expect(relativeError(actual, expected)).toBeLessThan(1e-4);
      // The trained weights, not the initial ones: a fresh lowering (seed 3) computes something else.
      const fresh = lowerToTfjs(tf, input!, { seed: 3 })!;
      expect(relativeError(actual, fresh.forward({ [lowered.inputs[0]!]: x }, 'inference')[lowered.outputs[0]!]!)).toBeGreaterThan(1e-3);
      fresh.dispose();
    } finally {
      lowered.dispose();
      model.dispose();
    }
  }, 120_000);
});
