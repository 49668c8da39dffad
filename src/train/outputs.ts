/**
 * What `nnspec train --out DIR` writes: metrics as CSV and JSON, the final weights and those of
 * the best validation point (by the watched metric) as safetensors in the PyTorch module's
 * layout, and the loss and accuracy curves as SVG. The resumable checkpoint beside them is
 * checkpoint.ts's.
 */
import { mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { BackendInput } from '../backends/backend.js';
import type { LoweredModel } from '../backends/tfjs/index.js';
import { pytorchStateDict } from '../backends/pytorch/index.js';
import { saveGraphModel } from '../backends/tfjs-graph/index.js';
import { DiagnosticBag } from '../diagnostics/diagnostic.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { writeSafetensors } from '../weights/index.js';
import type { Series } from '../report/charts.js';
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
    const meta = { format: 'pt', source: 'nnspec train', epoch: String(best.epoch), iteration: String(best.iteration), [best.metric]: String(best.value) };
    writeFileAtomic(join(dir, 'best.safetensors'), writeSafetensors(pytorchStateDict(input, best.weights), meta));
  }
  if (info.stopped === 'diverged') return files;
  files.push('weights.safetensors');
  const tensors = pytorchStateDict(input, lowered.params.toIrWeights());
  writeFileAtomic(join(dir, 'weights.safetensors'), writeSafetensors(tensors, { format: 'pt', source: 'nnspec train' }));
  // The trained model for TensorFlow.js users: a graph model (tf.loadGraphModel) in the spec's NCHW layout.
  // A layer the export cannot express costs that one output, not the run: its errors come back as warnings.
  const exportBag = new DiagnosticBag(input.diagnostics.source);
  const tfjs = saveGraphModel(join(dir, 'tfjs'), { ...input, diagnostics: exportBag }, lowered.params.toIrWeights(), { outputs: lowered.outputs });
  for (const d of exportBag.items) {
    input.diagnostics.add(d.code, d.severity === 'error' ? 'warning' : d.severity, d.severity === 'error' ? `no TensorFlow.js model written: ${d.message}` : d.message, d.span);
  }
  files.push(...tfjs.files.map((f) => relative(dir, f)));
  return files;
}

/** The points of a metric over the rows that have it, against the iteration. */
function curve(history: readonly EpochMetrics[], metric: keyof EpochMetrics, name: string): Series {
  return { name, points: history.flatMap((m) => (typeof m[metric] === 'number' && Number.isFinite(m[metric]) ? [{ x: m.iteration, y: m[metric] as number }] : [])) };
}

/** The loss and accuracy series (training, validation) of a run, against the iteration; series without points are left out. */
export function trainingCurves(history: readonly EpochMetrics[]): { loss: Series[]; accuracy: Series[] } {
  const keep = (s: Series[]) => s.filter((x) => x.points.length > 0);
  return {
    loss: keep([curve(history, 'train_loss', 'training loss'), curve(history, 'val_loss', 'validation loss')]),
    accuracy: keep([curve(history, 'train_top1', 'training top-1'), curve(history, 'val_top1', 'validation top-1'), curve(history, 'val_top5', 'validation top-5')]),
  };
}

/** One SVG with the loss chart above the accuracy chart (each drawn by lineChartSvg, nested by offset). */
export async function curvesSvg(history: readonly EpochMetrics[]): Promise<string> {
  const { lineChartSvg } = await import('../report/charts.js');
  const { loss, accuracy } = trainingCurves(history);
  const charts = [
    await lineChartSvg({ title: 'loss', x: { title: 'iteration' }, y: { title: 'loss' }, series: loss }),
    await lineChartSvg({ title: 'accuracy', x: { title: 'iteration' }, y: { title: 'accuracy', domain: [0, 1] }, series: accuracy }),
  ];
  let y = 0;
  let width = 0;
  const parts = charts.map((svg) => {
    const w = Number(/<svg[^>]*\swidth="([\d.]+)"/.exec(svg)?.[1] ?? 0);
    const h = Number(/<svg[^>]*\sheight="([\d.]+)"/.exec(svg)?.[1] ?? 0);
    const placed = svg.replace(/^<svg /, `<svg x="0" y="${y}" `);
    y += h;
    width = Math.max(width, w);
    return placed;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" version="1.1" width="${width}" height="${y}" viewBox="0 0 ${width} ${y}">${parts.join('')}</svg>\n`;
}

export async function writeCurves(dir: string, history: readonly EpochMetrics[]): Promise<string> {
  mkdirSync(dir, { recursive: true });
  writeFileAtomic(join(dir, 'curves.svg'), await curvesSvg(history));
  return 'curves.svg';
}
