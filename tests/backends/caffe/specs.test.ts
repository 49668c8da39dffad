/**
 * Shipped specs → Caffe → IR. The emitted net must compute the same function: every blob of
 * the spec has the same analysed shape after reading the Caffe text back (symbolic batch
 * dimensions become 1), the parameter count is the same (plus Caffe BatchNorm's scale-factor
 * blob, one value per layer), and each node either comes back unchanged or a
 * `convert/rewritten` note names it.
 */
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { BackendInput } from '../../../src/backends/backend.js';
import type { Shape } from '../../../src/ir/dims.js';
import { ROOT, specFiles } from '../../helpers.js';
import { near } from '../../../src/backends/caffe/fillers.js';
import { comparableIr, emitFile, errorsOf, readBack } from './roundtrip.js';

function blobShapes(input: BackendInput): Map<string, Shape | null> {
  const out = new Map<string, Shape | null>();
  for (const node of input.model.graph.nodes) {
    const r = input.reports.get(node);
    node.outputs.forEach((name, i) => out.set(name, r?.outputs[i]?.shape ?? null));
  }
  return out;
}

function paramCount(input: BackendInput): { total: number; scaleFactors: number } {
  let total = 0;
  let scaleFactors = 0;
  for (const node of input.model.graph.nodes) {
    total += input.reports.get(node)?.cost?.params ?? 0;
    if (node.params.some((p) => p.name === 'scale_factor')) scaleFactors++;
  }
  return { total, scaleFactors };
}

/** Deep equality with numbers compared up to the rounding of a computed constant. */
function close(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') return near(a, b);
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => close(x, b[i]));
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => close((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return a === b;
}

describe('shipped specs → Caffe → IR', () => {
  for (const spec of specFiles()) {
    test(spec, async () => {
      const first = await emitFile(join(ROOT, spec));
      expect(first.input, 'the spec compiles').not.toBeNull();
      expect(errorsOf(first.diagnostics).map((d) => d.message)).toEqual([]);
      expect(first.text).not.toBeNull();
      const back = await readBack(first.text!);

      const before = blobShapes(first.input!);
      const after = blobShapes(back);
      for (const [blob, shape] of before) {
        expect(after.has(blob), `blob ${blob} is in the Caffe net`).toBe(true);
        expect(after.get(blob), `shape of ${blob}`).toEqual(shape?.map((d) => (typeof d === 'number' ? d : 1)) ?? null);
      }

      const p0 = paramCount(first.input!);
      const p1 = paramCount(back);
      expect(p1.total - p1.scaleFactors).toBe(p0.total - p0.scaleFactors);

      const rewritten = new Set(first.diagnostics.filter((d) => d.code === 'convert/rewritten').map((d) => /^layer '(.*)' \(/s.exec(d.message)?.[1]));
      const backNodes = new Map((comparableIr(back) as { nodes: { name: string }[] }).nodes.map((n) => [n.name, n]));
      for (const node of (comparableIr(first.input!) as { nodes: { name: string }[] }).nodes) {
        if (rewritten.has(node.name)) continue;
        expect(close(backNodes.get(node.name), node), `node ${node.name} comes back the same:\n${JSON.stringify(node)}\n${JSON.stringify(backNodes.get(node.name))}`).toBe(true);
      }
    });
  }
});
