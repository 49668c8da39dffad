/**
 * mixup (Zhang et al. 2018) on a batch: one λ ~ Beta(α, α) per batch, each example mixed with
 * the example at a random permutation of the batch, x = λ·x + (1 − λ)·x[perm], and the labels
 * become the same mix of one-hot vectors. Normalisation is affine, so mixing normalised images
 * equals normalising mixed ones.
 */
import type { Rng } from '../random.js';

export function mixupBatch(images: Float32Array, labels: Int32Array, numClasses: number, alpha: number, rng: Rng): { images: Float32Array; soft: Float32Array; lambda: number } {
  const n = labels.length;
  const per = images.length / n;
  const lambda = rng.beta(alpha, alpha);
  const perm = rng.permutation(n);
  const out = new Float32Array(images.length);
  const soft = new Float32Array(n * numClasses);
  for (let i = 0; i < n; i++) {
    const j = perm[i]!;
    for (let e = 0; e < per; e++) out[i * per + e] = lambda * images[i * per + e]! + (1 - lambda) * images[j * per + e]!;
    soft[i * numClasses + labels[i]!]! += lambda;
    soft[i * numClasses + labels[j]!]! += 1 - lambda;
  }
  return { images: out, soft, lambda };
}
