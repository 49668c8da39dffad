/**
 * Ensembles: members trained from different seeds disagree on a noisy task, and the average of
 * their probabilities is at least as accurate as the average member.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TRAIN } from '../../src/cli/train.js';
import { SubsetDataset, SyntheticDataset } from '../../src/data/index.js';
import { accuracy, trainEnsemble, type EnsembleResult } from '../../src/recipe/ensemble.js';
import { selectBackend } from '../../src/runtime/backend.js';
import { prepareNet } from '../../src/train/session.js';

const SPEC = `nnspec: 1
name: small
input { name: data shape: [N, 1, 8, 8] scale: 0.00390625 }
Linear { name: fc1 out: 32 }
ReLU { }
Linear { name: fc2 out: 6 }
train { solver { lr: 0.05 momentum: 0.9 } loss: softmax_cross_entropy }
`;

describe('accuracy', () => {
  it('counts the examples whose highest probability is their label', () => {
    const p = Float32Array.from([0.7, 0.3, 0.2, 0.8, 0.6, 0.4]);
    expect(accuracy(p, Int32Array.from([0, 1, 1]), 2)).toBeCloseTo(2 / 3);
  });
});

describe('trainEnsemble', () => {
  let result: EnsembleResult;
  const out = mkdtempSync(join(tmpdir(), 'nnspec-ensemble-'));

  beforeAll(async () => {
    const { tf } = await selectBackend({ threads: 2 });
    const { net } = await prepareNet('small.nnspec', {}, SPEC);
    // Heavy pixel noise and a short run: members stay far from perfect and err on different examples.
    const all = new SyntheticDataset({ shape: [1, 8, 8], numClasses: 6, size: 600, seed: 1, noise: 90 });
    const train = new SubsetDataset(all, Int32Array.from({ length: 300 }, (_, i) => i));
    const validation = new SubsetDataset(all, Int32Array.from({ length: 300 }, (_, i) => 300 + i));
    result = await trainEnsemble({ tf, net: net!, config: DEFAULT_TRAIN, train, validation, batchSize: 32, length: { epochs: 3 }, members: 3, seed: 10, out });
  }, 120_000);

  it('trains one member per seed and reports each one alone', () => {
    expect(result.members.map((m) => m.seed)).toEqual([10, 11, 12]);
    for (const m of result.members) {
      expect(m.stopped).toBe('completed');
      expect(m.accuracy).toBeGreaterThan(1 / 6);
      expect(m.accuracy).toBeLessThan(1);
    }
    // Different seeds, different models.
    expect(new Set(result.members.map((m) => m.accuracy)).size).toBeGreaterThan(1);
  });

  it('is at least as accurate as its average member', () => {
    const mean = result.members.reduce((a, m) => a + m.accuracy!, 0) / 3;
    expect(result.mean_member_accuracy).toBeCloseTo(mean, 10);
    expect(result.ensemble_accuracy!).toBeGreaterThanOrEqual(mean);
  });

  it('writes its figures to ensemble.json', () => {
    const written = JSON.parse(readFileSync(join(out, 'ensemble.json'), 'utf8')) as EnsembleResult;
    expect(written.ensemble_accuracy).toBe(result.ensemble_accuracy);
    expect(written.members).toEqual(result.members);
    expect(written.validation_size).toBe(300);
  });
});
