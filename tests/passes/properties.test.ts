/**
 * Property tests: random stacks of convolutions and poolings (per-axis kernel, stride, padding,
 * dilation and rounding), written as nnspec or as Caffe text. Every output size equals the
 * reference formula (reference.ts), a stack that runs out of input is an error at the layer
 * where it does, and every receptive field equals Distill's closed forms
 *   r0 = Σ_l (k_l − 1)·Π_{i<l} s_i + 1,  S = Π s_i,  P = Σ_l p_l·Π_{i<l} s_i.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { analyseText, caffeConvOut, caffePooled, layerLine, rfClosedForm, torchPooled } from './reference.js';

type Pair = [number, number];

interface ConvLayer {
  kind: 'conv';
  k: Pair;
  s: Pair;
  p: Pair;
  d: Pair;
}

interface PoolLayer {
  kind: 'pool';
  k: Pair;
  s: Pair;
  p: Pair;
  round: 'floor' | 'ceil' | 'caffe';
}

type Layer = ConvLayer | PoolLayer;

const pair = (a: fc.Arbitrary<number>) => fc.tuple(a, a) as fc.Arbitrary<Pair>;

const convLayer: fc.Arbitrary<ConvLayer> = fc
  .record({ k: pair(fc.integer({ min: 1, max: 7 })), s: pair(fc.integer({ min: 1, max: 3 })), d: pair(fc.integer({ min: 1, max: 3 })), pad: pair(fc.integer({ min: 0, max: 4 })) })
  .map(({ k, s, d, pad }) => ({ kind: 'conv' as const, k, s, d, p: pad }));

// Caffe CHECKs pad < kernel for pooling; PyTorch wants pad ≤ kernel / 2: stay inside both.
const poolLayer: fc.Arbitrary<PoolLayer> = fc
  .record({ k: pair(fc.integer({ min: 1, max: 5 })), s: pair(fc.integer({ min: 1, max: 4 })), pad: pair(fc.integer({ min: 0, max: 2 })), round: fc.constantFrom('floor' as const, 'ceil' as const, 'caffe' as const) })
  .map(({ k, s, pad, round }) => ({ kind: 'pool' as const, k, s, round, p: [Math.min(pad[0], Math.floor(k[0] / 2)), Math.min(pad[1], Math.floor(k[1] / 2))] as Pair }));

const stack = fc.record({
  size: pair(fc.integer({ min: 1, max: 80 })),
  layers: fc.array(fc.oneof(convLayer, poolLayer), { minLength: 1, maxLength: 6 }),
  caffe: fc.boolean(),
});

const list = (v: Pair) => `[${v[0]}, ${v[1]}]`;

function nnspecText(size: Pair, layers: Layer[]): string {
  const lines = ['nnspec: 1', `input { name: data shape: [N, 2, ${size[0]}, ${size[1]}] }`];
  layers.forEach((l, i) => {
    if (l.kind === 'conv') lines.push(`Conv { name: l${i} out: 2 kernel: ${list(l.k)} stride: ${list(l.s)} pad: ${list(l.p)} dilation: ${list(l.d)} }`);
    else lines.push(`MaxPool { name: l${i} kernel: ${list(l.k)} stride: ${list(l.s)} pad: ${list(l.p)} round: ${l.round} }`);
  });
  return `${lines.join('\n')}\n`;
}

/** Caffe only has CEIL (its own clip rule) and FLOOR; 'ceil' layers are written as CEIL and checked as Caffe's. */
function caffeText(size: Pair, layers: Layer[]): string {
  const lines = ['name: "t"', 'input: "data"', `input_shape { dim: 1 dim: 2 dim: ${size[0]} dim: ${size[1]} }`];
  layers.forEach((l, i) => {
    const bottom = i === 0 ? 'data' : `l${i - 1}`;
    const hw = `kernel_h: ${l.k[0]} kernel_w: ${l.k[1]} stride_h: ${l.s[0]} stride_w: ${l.s[1]} pad_h: ${l.p[0]} pad_w: ${l.p[1]}`;
    if (l.kind === 'conv') {
      lines.push(`layer { name: "l${i}" type: "Convolution" bottom: "${bottom}" top: "l${i}" convolution_param { num_output: 2 ${hw} dilation: ${l.d[0]} dilation: ${l.d[1]} } }`);
    } else {
      lines.push(`layer { name: "l${i}" type: "Pooling" bottom: "${bottom}" top: "l${i}" pooling_param { pool: MAX ${hw} round_mode: ${l.round === 'floor' ? 'FLOOR' : 'CEIL'} } }`);
    }
  });
  return `${lines.join('\n')}\n`;
}

/** The size of one axis after a layer by the reference formulas; null where the input runs out. */
function reference(l: Layer, size: number, axis: 0 | 1, caffe: boolean): number | null {
  const k = l.k[axis];
  const s = l.s[axis];
  const p = l.p[axis];
  if (l.kind === 'conv') {
    const extent = l.d[axis] * (k - 1) + 1;
    return size + 2 * p < extent ? null : caffeConvOut(size, k, s, p, l.d[axis]);
  }
  if (size + 2 * p < k) return null;
  if (l.round === 'floor') return torchPooled(size, k, p, p, s, false);
  if (l.round === 'caffe' || caffe) return caffePooled(size, k, s, p, 'CEIL', l.p[0] > 0 || l.p[1] > 0);
  return torchPooled(size, k, p, p, s, true);
}

/** The kernel extent a layer has on the receptive field (dilation folded in). */
const extentOf = (l: Layer, axis: 0 | 1) => (l.kind === 'conv' ? l.d[axis] * (l.k[axis] - 1) + 1 : l.k[axis]);

describe('random conv/pool stacks', () => {
  test.prop([stack], { numRuns: 300 })('sizes follow the frameworks’ formulas and fields the closed forms', async ({ size, layers, caffe }) => {
    const text = caffe ? caffeText(size, layers) : nnspecText(size, layers);
    const a = await analyseText(caffe ? 't.prototxt' : 't.nnspec', text);
    expect(a.codes).not.toContain('internal/analysis');
    let current: Pair = [...size];
    for (let i = 0; i < layers.length; i++) {
      const l = layers[i]!;
      const next = [reference(l, current[0], 0, caffe), reference(l, current[1], 1, caffe)];
      const row = a.node(`l${i}`);
      if (next[0] === null || next[1] === null) {
        // The input ran out here: one error, at this layer, and no shapes from here on.
        const errors = a.diagnostics.filter((d) => d.severity === 'error');
        expect(errors.map((d) => d.code)).toEqual(['shape/kernel-too-large']);
        const line = layerLine(text, `l${i}`);
        expect(errors[0]!.span.start).toBeGreaterThanOrEqual(line.start);
        expect(errors[0]!.span.end).toBeLessThanOrEqual(line.end);
        expect(row.outputs[0]!.shape).toBeNull();
        for (const later of a.rows.slice(a.rows.indexOf(row))) expect(later.outputs[0]!.shape).toBeNull();
        return;
      }
      current = next as Pair;
      expect(row.outputs[0]!.shape, `l${i}`).toEqual([caffe ? 1 : 'N', 2, current[0], current[1]]);

      const upTo = layers.slice(0, i + 1);
      const rf = row.outputs[0]!.rf!;
      for (const axis of [0, 1] as const) {
        const r = rfClosedForm(upTo.map((m) => ({ k: extentOf(m, axis), s: m.s[axis] })));
        const S = upTo.reduce((x, m) => x * m.s[axis], 1);
        let P = 0;
        let prod = 1;
        for (const m of upTo) {
          P += m.p[axis] * prod;
          prod *= m.s[axis];
        }
        expect([rf.size[axis], rf.stride[axis], rf.padding[axis]], `l${i} axis ${axis}`).toEqual([r, S, P]);
      }
    }
    expect(a.result.errorCount).toBe(0);
  });
});
