/**
 * Model ensembles (the lecture's "train several models, average their predictions"): N runs of
 * the same net and settings from different seeds (initialisation, data order, dropout), each
 * member's softmax probabilities on the validation data averaged, and the accuracy of that
 * average set beside each member's own. Averaging probabilities (not labels) lets confident
 * members outvote unsure ones; the ensemble usually beats its average member by a point or two.
 */
import type { Tf } from '../backends/tfjs/index.js';
import type { Dataset } from '../data/index.js';
import type { TrainConfig } from '../ir/train.js';
import type { PreparedNet, StopReason } from '../train/session.js';

export interface EnsembleOptions {
  tf: Tf;
  net: PreparedNet;
  config: TrainConfig;
  train: Dataset;
  validation: Dataset;
  batchSize: number;
  length: { iterations: number } | { epochs: number };
  members: number;
  /** One seed per member (default: seed, seed + 1, …). */
  seeds?: number[];
  seed?: number;
  onProgress?: (line: string) => void;
  shouldStop?: () => boolean;
  /** Write ensemble.json into this folder. */
  out?: string;
}

export interface EnsembleMember {
  seed: number;
  stopped: StopReason;
  /** Top-1 accuracy of this member alone on the validation data (null: it diverged and is left out). */
  accuracy: number | null;
}

export interface EnsembleResult {
  members: EnsembleMember[];
  /** Top-1 accuracy of the averaged probabilities (null when no member finished). */
  ensemble_accuracy: number | null;
  mean_member_accuracy: number | null;
  best_member_accuracy: number | null;
  validation_size: number;
  /** The file written, when `out` was given. */
  file?: string;
}

/** Top-1 accuracy of class probabilities laid out [example][class]. */
export function accuracy(probabilities: Float32Array | Float64Array, labels: Int32Array, numClasses: number): number {
  let hits = 0;
  for (let i = 0; i < labels.length; i++) {
    let best = 0;
    for (let c = 1; c < numClasses; c++) if (probabilities[i * numClasses + c]! > probabilities[i * numClasses + best]!) best = c;
    if (best === labels[i]) hits++;
  }
  return labels.length ? hits / labels.length : 0;
}

export async function trainEnsemble(o: EnsembleOptions): Promise<EnsembleResult> {
  if (!Number.isInteger(o.members) || o.members < 1) throw new RangeError(`an ensemble needs at least one member, not ${o.members}`);
  const seeds = o.seeds ?? Array.from({ length: o.members }, (_, i) => (o.seed ?? 0) + i);
  if (seeds.length !== o.members) throw new RangeError(`${o.members} members need ${o.members} seeds, got ${seeds.length}`);
  const { runTraining, predictDataset } = await import('../train/session.js');
  const say = o.onProgress ?? (() => {});
  const members: EnsembleMember[] = [];
  let sum: Float64Array | null = null;
  let labels: Int32Array | null = null;
  let numClasses = o.net.numClasses;
  let counted = 0;
  for (const [i, seed] of seeds.entries()) {
    say(`ensemble member ${i + 1}/${o.members} (seed ${seed})`);
    const result = await runTraining({
      tf: o.tf,
      net: o.net,
      config: o.config,
      train: o.train,
      validation: o.validation,
      batchSize: o.batchSize,
      length: o.length,
      seed,
      onProgress: say,
      ...(o.shouldStop ? { shouldStop: o.shouldStop } : {}),
    });
    if (!result.weights || result.stopped === 'interrupted') {
      say(`  member ${i + 1}: ${result.stopped === 'interrupted' ? 'interrupted' : `diverged (${result.message}); left out of the ensemble`}`);
      members.push({ seed, stopped: result.stopped, accuracy: null });
      if (result.stopped === 'interrupted') break;
      continue;
    }
    const p = await predictDataset(o.tf, o.net, result.weights, o.validation, o.batchSize);
    numClasses = p.numClasses;
    labels ??= p.labels;
    sum ??= new Float64Array(p.probabilities.length);
    for (let k = 0; k < sum.length; k++) sum[k]! += p.probabilities[k]!;
    counted++;
    const acc = accuracy(p.probabilities, p.labels, numClasses);
    members.push({ seed, stopped: result.stopped, accuracy: acc });
    say(`  member ${i + 1}: validation top-1 ${(100 * acc).toFixed(1)}%`);
  }
  const accs = members.map((m) => m.accuracy).filter((a): a is number => a !== null);
  const ensemble = sum && labels && counted ? accuracy(sum, labels, numClasses) : null;
  const result: EnsembleResult = {
    members,
    ensemble_accuracy: ensemble,
    mean_member_accuracy: accs.length ? accs.reduce((a, b) => a + b, 0) / accs.length : null,
    best_member_accuracy: accs.length ? Math.max(...accs) : null,
    validation_size: o.validation.size,
  };
  if (ensemble !== null) say(`ensemble of ${counted}: validation top-1 ${(100 * ensemble).toFixed(1)}% (members: mean ${(100 * result.mean_member_accuracy!).toFixed(1)}%, best ${(100 * result.best_member_accuracy!).toFixed(1)}%)`);
  if (o.out) {
    const { mkdirSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { writeFileAtomic } = await import('../io/atomic-write.js');
    mkdirSync(o.out, { recursive: true });
    const file = join(o.out, 'ensemble.json');
    writeFileAtomic(file, `${JSON.stringify(result, null, 2)}\n`);
    result.file = file;
  }
  return result;
}
