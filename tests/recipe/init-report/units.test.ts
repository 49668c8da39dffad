/** The pieces of the init report that need no backend: --init parsing, the statistics and the flags. */
import { describe, expect, it } from 'vitest';
import { detectFlags, parseInitList, THRESHOLDS, type LayerLinks, type LayerStats } from '../../../src/recipe/init-report/index.js';
import { deadFraction, histogram, moments, saturatedFraction } from '../../../src/recipe/init-report/stats.js';

describe('--init', () => {
  it('keeps the spec’s fillers when absent', () => {
    expect(parseInitList(undefined)).toEqual([{ label: 'spec', filler: null }]);
  });

  it('gives the Caffe meaning of xavier and kaiming (fan_in)', () => {
    const [xavier, kaiming, msra] = parseInitList('xavier,kaiming,msra');
    expect(xavier!.filler).toEqual({ type: 'variance_scaling', distribution: 'uniform', mode: 'fan_in', scale: 1, fan_of: 'self' });
    expect(kaiming!.filler).toEqual({ type: 'variance_scaling', distribution: 'normal', mode: 'fan_in', scale: 2, fan_of: 'self' });
    expect(msra!.filler).toEqual(kaiming!.filler);
  });

  it('reads gaussian:STD and uniform:A / uniform:MIN:MAX', () => {
    const [g, u, v] = parseInitList('gaussian:0.01, uniform:0.5,uniform:-1:2');
    expect(g).toEqual({ label: 'gaussian:0.01', filler: { type: 'normal', mean: 0, std: 0.01, sparse: -1 } });
    expect(u!.filler).toEqual({ type: 'uniform', min: -0.5, max: 0.5 });
    expect(v!.filler).toEqual({ type: 'uniform', min: -1, max: 2 });
  });

  it.each([
    ['bogus', /unknown initialiser 'bogus'.*xavier.*gaussian:STD/],
    ['gaussian', /'gaussian' needs one standard deviation/],
    ['gaussian:abc', /needs a standard deviation \(a number ≥ 0\)/],
    ['gaussian:-0.1', /needs a standard deviation/],
    ['uniform:2:1', /MIN ≤ MAX/],
    ['xavier:3', /takes no argument/],
    ['xavier,,kaiming', /comma-separated list/],
    ['xavier,xavier', /twice/],
  ])('refuses %s with a one-line message', (text, message) => {
    expect(() => parseInitList(text)).toThrow(message);
  });
});

describe('layer statistics', () => {
  it('computes population moments and reports non-finite values', () => {
    const m = moments(Float32Array.from([1, 2, 3, 4]));
    expect(m.mean).toBe(2.5);
    expect(m.std).toBeCloseTo(Math.sqrt(1.25), 6);
    expect([m.min, m.max, m.nonFinite]).toEqual([1, 4, 0]);
    const bad = moments(Float32Array.from([1, NaN, 3]));
    expect(bad.nonFinite).toBe(1);
    expect(Number.isNaN(bad.std)).toBe(true);
  });

  it('counts saturation only for tanh and sigmoid', () => {
    const v = Float32Array.from([0.995, -0.999, 0.5, 0.005]);
    expect(saturatedFraction('tanh', v)).toBe(0.5);
    expect(saturatedFraction('sigmoid', v)).toBe(0.75);
    expect(saturatedFraction('relu', v)).toBeNull();
  });

  it('calls a unit dead when it is ≤ 0 for every example of the batch', () => {
    // Batch of 3, 4 units: unit 0 fires once, unit 1 never, unit 2 is 0 everywhere, unit 3 always.
    const v = Float32Array.from([0, -1, 0, 1, 0, -2, 0, 1, 5, -3, 0, 1]);
    expect(deadFraction(v, 3)).toBe(0.5);
  });

  it('bins every finite value once', () => {
    const values = Float32Array.from({ length: 1000 }, (_, i) => i / 999);
    const h = histogram(values, 0, 1, 10);
    expect(h.counts.reduce((a, b) => a + b, 0)).toBe(1000);
    expect(h.edges).toHaveLength(11);
    expect(h.counts.every((c) => c >= 99 && c <= 101)).toBe(true);
    const constant = histogram(Float32Array.from([2, 2]), 2, 2, 4);
    expect(constant.counts.reduce((a, b) => a + b, 0)).toBe(2);
  });
});

function layer(name: string, std: number, extra: Partial<LayerStats> = {}): LayerStats {
  return { name, op: 'linear', shape: [4, 4], mean: 0, std, min: -std, max: std, saturated: null, dead: null, grad_norm: 1, grad_output_norm: 1, histogram: { edges: [], counts: [] }, ...extra };
}
const chain = (n: number, inputStd: (number | null)[] = []): LayerLinks[] => Array.from({ length: n }, (_, i) => ({ inputStd: inputStd[i] ?? null, consumers: i + 1 < n ? [i + 1] : [] }));

describe('flags', () => {
  it('names the first layer whose std falls below the threshold × the first layer’s', () => {
    const layers = [layer('a', 1), layer('b', 0.1), layer('c', 0.5 * THRESHOLDS.collapseRatio), layer('d', 1e-6)];
    const flags = detectFlags(layers, chain(4));
    expect(flags).toEqual([expect.objectContaining({ kind: 'collapse', layer: 'c' })]);
  });

  it('names the first saturated layer and the first exploding one', () => {
    const layers = [layer('a', 1), layer('t', 0.9, { op: 'tanh', saturated: 0.05 }), layer('b', 30), layer('t2', 0.99, { op: 'tanh', saturated: 0.5 })];
    const flags = detectFlags(layers, chain(4, [1, 1, 0.9, 30]));
    expect(flags.find((f) => f.kind === 'saturation')?.layer).toBe('t2');
    expect(flags.find((f) => f.kind === 'explosion')?.layer).toBe('b');
  });

  it('reads vanishing gradients backward from the loss', () => {
    const layers = [layer('a', 1, { grad_output_norm: 1e-6 }), layer('b', 1, { grad_output_norm: 1e-3 }), layer('c', 1, { grad_output_norm: 0.5 }), layer('d', 1, { grad_output_norm: 1 })];
    expect(detectFlags(layers, chain(4)).map((f) => [f.kind, f.layer])).toEqual([['vanishing_gradient', 'b']]);
  });

  it('treats non-finite activations as an explosion and leaves softmax probabilities out of the scale checks', () => {
    expect(detectFlags([layer('a', 1), layer('b', NaN)], chain(2))[0]).toMatchObject({ kind: 'explosion', layer: 'b' });
    expect(detectFlags([layer('a', 5), layer('prob', 0.01, { op: 'softmax' })], chain(2))).toEqual([]);
  });

  it('does not call BatchNorm restoring the scale of a tiny input an explosion', () => {
    const layers = [layer('conv', 1e-3, { op: 'conv' }), layer('bn', 1, { op: 'batchnorm' })];
    expect(detectFlags(layers, chain(2, [1, 1e-3])).filter((f) => f.kind === 'explosion')).toEqual([]);
  });

  it('raises nothing for a net that keeps its scale', () => {
    expect(detectFlags([layer('a', 1), layer('b', 0.8), layer('c', 1.2)], chain(3, [1, 1, 0.8]))).toEqual([]);
  });
});
