/**
 * The lecture's initialisation experiments (CS231n, "Training Neural Networks") on the shipped
 * 7-layer stacks, 500 wide instead of 4096: the directions of the effects, not their numbers.
 * The lecture's std 0.05 saturates tanh because 0.05 · sqrt(4096) ≈ 3.2 ≫ 1; at width 500 the
 * same pre-activation spread needs 0.14 (0.14 · sqrt(500) ≈ 3.1), while 0.05 · sqrt(500) ≈ 1.1
 * barely saturates at all.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runInitReport, type InitReportFlags } from '../../../src/cli/init-report.js';
import type { InitResult, LayerStats } from '../../../src/recipe/init-report/index.js';
import { ROOT } from '../../helpers.js';

async function report(path: string, flags: InitReportFlags): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runInitReport(path, flags, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const byInit = (json: { inits: InitResult[] }, init: string) => json.inits.find((r) => r.init === init)!;
const ofOp = (r: InitResult, op: string): LayerStats[] => r.layers.filter((l) => l.op === op);
const flagged = (r: InitResult, kind: string) => r.flags.find((f) => f.kind === kind);

describe('tanh stack (specs/lecture/tanh7.nnspec)', () => {
  let json: { inits: InitResult[] };
  beforeAll(async () => {
    const r = await report(join(ROOT, 'specs/lecture/tanh7.nnspec'), { init: 'gaussian:0.01,gaussian:0.05,gaussian:0.14,xavier', format: 'json', batch: 64 });
    expect(r.err).toMatch(/tfjs backend: \w+/);
    expect(r.code).toBe(0);
    json = JSON.parse(r.out);
  });

  it('gaussian 0.01: the std collapses layer over layer and the collapse is flagged early', () => {
    const r = byInit(json, 'gaussian:0.01');
    const tanh = ofOp(r, 'tanh');
    for (let i = 1; i < tanh.length; i++) expect(tanh[i]!.std).toBeLessThan(tanh[i - 1]!.std);
    expect(tanh[tanh.length - 1]!.std).toBeLessThan(1e-3 * tanh[0]!.std);
    const collapse = flagged(r, 'collapse');
    expect(collapse).toBeDefined();
    const at = r.layers.findIndex((l) => l.name === collapse!.layer);
    expect(at).toBeGreaterThan(0);
    expect(at).toBeLessThan(r.layers.findIndex((l) => l.name === 'fc6'));
    expect(flagged(r, 'saturation')).toBeUndefined();
    // Near-zero logits score every class alike: the loss is log(10).
    expect(r.loss).toBeCloseTo(Math.log(10), 2);
  });

  it('gaussian 0.01: the gradients shrink on the way back and are flagged', () => {
    const r = byInit(json, 'gaussian:0.01');
    const fc = ofOp(r, 'linear');
    expect(fc[0]!.grad_output_norm!).toBeLessThan(1e-2 * fc[fc.length - 1]!.grad_output_norm!);
    expect(flagged(r, 'vanishing_gradient')).toBeDefined();
  });

  it('std · sqrt(fan_in) ≫ 1 saturates tanh: 0.14 at width 500 is flagged from the first layer on, 0.05 is not', () => {
    const big = byInit(json, 'gaussian:0.14');
    expect(flagged(big, 'saturation')?.layer).toBe('tanh1');
    for (const t of ofOp(big, 'tanh')) expect(t.saturated!).toBeGreaterThan(0.1);
    const small = byInit(json, 'gaussian:0.05');
    expect(flagged(small, 'saturation')).toBeUndefined();
    expect(ofOp(small, 'tanh')[0]!.saturated!).toBeLessThan(ofOp(big, 'tanh')[0]!.saturated!);
  });

  it('Xavier suits tanh: the std stays within one order of magnitude and nothing is flagged', () => {
    const r = byInit(json, 'xavier');
    const tanh = ofOp(r, 'tanh');
    const ratio = tanh[tanh.length - 1]!.std / tanh[0]!.std;
    expect(ratio).toBeGreaterThan(0.1);
    expect(ratio).toBeLessThan(1.5);
    expect(r.flags).toEqual([]);
  });

  it('reports saturation for tanh only, and no dead units', () => {
    const r = byInit(json, 'xavier');
    for (const l of r.layers) {
      expect(l.saturated === null).toBe(l.op !== 'tanh');
      expect(l.dead).toBeNull();
      expect(l.grad_norm === null).toBe(l.op !== 'linear');
    }
  });
});

describe('ReLU stack (specs/lecture/relu7.nnspec)', () => {
  let json: { inits: InitResult[] };
  beforeAll(async () => {
    const r = await report(join(ROOT, 'specs/lecture/relu7.nnspec'), { init: 'xavier,kaiming', format: 'json', batch: 64 });
    expect(r.code).toBe(0);
    json = JSON.parse(r.out);
  });

  it('Kaiming suits ReLU: the std stays roughly where it started and nothing is flagged', () => {
    const r = byInit(json, 'kaiming');
    const relu = ofOp(r, 'relu');
    const ratio = relu[relu.length - 1]!.std / relu[0]!.std;
    expect(ratio).toBeGreaterThan(0.5);
    expect(ratio).toBeLessThan(2);
    expect(r.flags).toEqual([]);
  });

  it('Xavier halves the variance at every ReLU layer: the std shrinks layer over layer', () => {
    const r = byInit(json, 'xavier');
    const relu = ofOp(r, 'relu');
    for (let i = 1; i < relu.length; i++) expect(relu[i]!.std).toBeLessThan(relu[i - 1]!.std);
    // (1/√2)^6 ≈ 0.125 after six more layers.
    expect(relu[relu.length - 1]!.std).toBeLessThan(0.3 * relu[0]!.std);
  });

  it('reports dead ReLUs (few at a sane initialisation) and no saturation', () => {
    const relu = ofOp(byInit(json, 'kaiming'), 'relu');
    // On independent N(0, 1) inputs a unit silent for all 64 examples is a 2⁻⁶⁴ event; deeper
    // layers see correlated inputs (ReLU outputs share a positive mean), so some do go silent.
    expect(relu[0]!.dead!).toBeLessThan(0.01);
    for (const l of relu) {
      expect(l.dead).not.toBeNull();
      expect(l.dead!).toBeLessThan(0.25);
      expect(l.saturated).toBeNull();
      expect(l.min).toBeGreaterThanOrEqual(0);
    }
  });
});
