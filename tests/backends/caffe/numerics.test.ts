/**
 * The lowerings compute the same function, checked with PyTorch: each original node runs as
 * PyTorch's own operation, the Caffe layers written for it run with Caffe's semantics (in
 * lowering_numerics.py), on the same random input (float64, so only the formulas are tested).
 */
import { expect, test } from 'vitest';
import type { BackendInput } from '../../../src/backends/backend.js';
import { runTorchHelper } from '../../verify/torch.js';
import { comparableIr, emitFile, readBack } from './roundtrip.js';

const CASES: Record<string, { input: number[]; layer: string }> = {
  relu6: { input: [2, 4, 9, 9], layer: 'ReLU6 { name: t }' },
  selu: { input: [2, 4, 9, 9], layer: 'SELU { name: t }' },
  swish: { input: [2, 4, 9, 9], layer: 'Swish { name: t beta: 1.7 }' },
  gelu_tanh: { input: [2, 4, 9, 9], layer: 'GELU { name: t approximate: tanh }' },
  maxout: { input: [2, 6, 5, 7], layer: 'Maxout { name: t pieces: 3 }' },
  maxpool_floor_padded: { input: [2, 3, 16, 16], layer: 'MaxPool { name: t kernel: 3 stride: 2 pad: 1 round: floor }' },
  maxpool_floor: { input: [2, 3, 16, 15], layer: 'MaxPool { name: t kernel: 3 stride: 2 round: floor }' },
  maxpool_ceil: { input: [2, 3, 16, 16], layer: 'MaxPool { name: t kernel: 2 stride: 4 round: ceil }' },
  adaptive_avg_divisible: { input: [2, 3, 12, 8], layer: 'AvgPool { name: t output: [3, 2] }' },
  adaptive_avg_global: { input: [2, 3, 7, 5], layer: 'AvgPool { name: t output: 1 }' },
  conv_same_stride2: { input: [1, 3, 10, 10], layer: 'Conv { name: t out: 4 kernel: 3 stride: 2 pad_begin: 0 pad_end: 2 bias: false }' },
  conv_asym_stride1: { input: [1, 3, 9, 8], layer: 'Conv { name: t out: 2 kernel: [3, 5] pad_begin: [0, 1] pad_end: [2, 3] bias: false }' },
};

test('each lowering computes what PyTorch computes for the original operation', async ({ skip }) => {
  const cases = [];
  for (const [name, c] of Object.entries(CASES)) {
    const text = `nnspec: 1\nname: t\ninput { name: x shape: [${c.input.join(', ')}] }\n${c.layer}\n`;
    const e = await emitFile(`${name}.nnspec`, {}, text);
    expect(e.text, `${name} converts`).not.toBeNull();
    const back: BackendInput = await readBack(e.text!);
    const original = (comparableIr(e.input!) as { nodes: { name: string }[] }).nodes.find((n) => n.name === 't');
    cases.push({ name, input: c.input, original, caffe: (comparableIr(back) as { nodes: unknown[] }).nodes });
  }
  const r = await runTorchHelper<Record<string, { shape_ok: boolean; max_diff: number | null }>>('../backends/caffe/lowering_numerics.py', [], JSON.stringify({ cases }));
  if (!r.ok) return skip(r.reason);
  for (const name of Object.keys(CASES)) {
    expect(r.data[name]!.shape_ok, `${name}: output shape`).toBe(true);
    expect(r.data[name]!.max_diff, `${name}: largest difference`).toBeLessThan(1e-9);
  }
}, 120_000);
