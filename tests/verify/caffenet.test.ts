/**
 * BVLC's CaffeNet deploy net (the shared corpus' bvlc_reference_caffenet deploy.prototxt, and
 * its V1 and V0 versions where present) against the same net rebuilt by hand in PyTorch
 * (caffenet_shapes.py: grouped convolutions, ceil-mode max pooling, LRN, InnerProduct as
 * flatten + Linear). Every layer's output (top blob) shape and parameter count, and the total of
 * 60,965,224 parameters, must be PyTorch's. Skipped, with the reason, without the corpus or
 * without torch.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { compileFile } from '../../src/compile.js';
import type { NodeReport } from '../../src/passes/analyze.js';
import { CORPUS } from '../helpers.js';
import { announceSkip, formatShape, runTorchHelper } from './torch.js';

interface Truth {
  torch: string;
  params: number;
  input: number[];
  layers: Record<string, { shape: number[]; params: number }>;
}

const FILES = [
  'BVLC__caffe/bvlc_reference_caffenet__deploy.prototxt',
  'BVLC__caffe/V1_11a4c16__bvlc_reference_caffenet__deploy.prototxt',
  'BVLC__caffe/V0_2e33058__imagenet_deploy.prototxt',
].filter((f) => existsSync(join(CORPUS, f)));
const MAIN = 'BVLC__caffe/bvlc_reference_caffenet__deploy.prototxt';

const truth = FILES.includes(MAIN) ? await runTorchHelper<Truth>('caffenet_shapes.py') : ({ ok: false, reason: `${join(CORPUS, MAIN)} is absent` } as const);
if (!truth.ok) announceSkip('tests/verify/caffenet.test.ts', truth.reason);

describe.skipIf(!truth.ok)(truth.ok ? `CaffeNet against PyTorch ${truth.data.torch}` : `CaffeNet against PyTorch (skipped: ${truth.reason})`, () => {
  const t = truth.ok ? truth.data : (null as unknown as Truth);

  test('the PyTorch rebuild has CaffeNet’s 60,965,224 parameters', () => {
    expect(t.params).toBe(60_965_224);
    expect(t.layers.fc8?.shape).toEqual([10, 1000]);
  });

  for (const file of FILES) {
    test(`${file}: every layer's shape and parameters, and the total, are PyTorch's`, async () => {
      const rows: NodeReport[] = [];
      const result = await compileFile(join(CORPUS, file), { onReport: (r) => rows.push(r) });
      expect(result.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message)).toEqual([]);
      const mismatches: string[] = [];
      const byName = new Map(rows.map((r) => [r.node.name, r]));
      for (const [layer, want] of Object.entries(t.layers)) {
        const r = byName.get(layer);
        if (!r) {
          mismatches.push(`${layer}: no nnspec node`);
          continue;
        }
        const shape = r.outputs[0]?.shape;
        if (formatShape(shape) !== formatShape(want.shape)) mismatches.push(`${layer} (${r.node.op}): shape nnspec ${formatShape(shape)}, torch ${formatShape(want.shape)}`);
        if ((r.cost?.params ?? 0) !== want.params) mismatches.push(`${layer} (${r.node.op}): parameters nnspec ${r.cost?.params ?? 0}, torch ${want.params}`);
      }
      const input = rows.find((r) => r.node.op === 'input' || r.node.op === 'data');
      if (formatShape(input?.outputs[0]?.shape) !== formatShape(t.input)) mismatches.push(`input: nnspec ${formatShape(input?.outputs[0]?.shape)}, torch ${formatShape(t.input)}`);
      for (const r of rows) if (r !== input && !t.layers[r.node.name]) mismatches.push(`nnspec node ${r.node.name} (${r.node.op}) is not a CaffeNet layer`);
      const total = rows.reduce((a, r) => a + (r.cost?.params ?? 0), 0);
      const trainable = rows.reduce((a, r) => a + (r.cost?.trainableParams ?? 0), 0);
      if (total !== t.params) mismatches.push(`total parameters: nnspec ${total}, torch ${t.params}`);
      if (trainable !== t.params) mismatches.push(`trainable parameters: nnspec ${trainable}, torch ${t.params}`);
      expect(mismatches, mismatches.join('\n')).toEqual([]);
    });
  }
});
