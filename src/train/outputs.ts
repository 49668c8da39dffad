/**
 * What `nnspec train --out DIR` writes: metrics as CSV and JSON, the final weights and those of
 * the best epoch (by the watched validation metric) as safetensors in the PyTorch module's layout.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BackendInput } from '../backends/backend.js';
import type { LoweredModel } from '../backends/tfjs/index.js';
import { pytorchStateDict } from '../backends/pytorch/index.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { writeSafetensors } from '../weights/index.js';
import type { BestCheckpoint, EpochMetrics } from './loop.js';

const COLUMNS: (keyof EpochMetrics)[] = ['epoch', 'iteration', 'lr', 'train_loss', 'train_top1', 'val_loss', 'val_top1', 'val_top5', 'seconds', 'images_per_second'];

export function metricsCsv(history: readonly EpochMetrics[]): string {
  const rows = history.map((m) => COLUMNS.map((c) => (m[c] === null ? '' : String(m[c]))).join(','));
  return `${[COLUMNS.join(','), ...rows].join('\n')}\n`;
}

export interface RunInfo {
  spec: string;
  backend: string;
  seed: number;
  stopped: 'completed' | 'diverged' | 'early_stopping' | 'interrupted';
  message?: string;
}

/** Writes the metrics, the best epoch's weights, and the final weights unless training diverged (they would be Inf/NaN or close to it). Returns the file names. */
export function writeOutputs(dir: string, input: BackendInput, lowered: LoweredModel, history: readonly EpochMetrics[], info: RunInfo, best: BestCheckpoint | null): string[] {
  mkdirSync(dir, { recursive: true });
  const files = ['metrics.csv', 'metrics.json'];
  writeFileAtomic(join(dir, 'metrics.csv'), metricsCsv(history));
  writeFileAtomic(join(dir, 'metrics.json'), `${JSON.stringify({ ...info, epochs: history }, null, 2)}\n`);
  if (best) {
    files.push('best.safetensors');
    const meta = { format: 'pt', source: 'nnspec train', epoch: String(best.epoch), [best.metric]: String(best.value) };
    writeFileAtomic(join(dir, 'best.safetensors'), writeSafetensors(pytorchStateDict(input, best.weights), meta));
  }
  if (info.stopped === 'diverged') return files;
  files.push('weights.safetensors');
  const tensors = pytorchStateDict(input, lowered.params.toIrWeights());
  writeFileAtomic(join(dir, 'weights.safetensors'), writeSafetensors(tensors, { format: 'pt', source: 'nnspec train' }));
  return files;
}
