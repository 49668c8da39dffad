/**
 * Pooled sizes where the frameworks disagree: Caffe's ceil with its clip rule (only when the
 * layer is padded), PyTorch's ceil_mode (clip always) and floor. Expected values come from the
 * transcriptions of pooling_layer.cpp and ATen's Pool.h in reference.ts, and from the worked
 * examples in the Caffe semantics notes (§3).
 */
import { describe, expect, it } from 'vitest';
import { analyseText, caffeNet, caffePooled, torchPooled } from './reference.js';

interface Case {
  label: string;
  size: number;
  k: number;
  s: number;
  p: number;
  /** The worked example's figures: Caffe (CEIL + clip), PyTorch ceil_mode=True, floor. */
  caffe: number;
  torchCeil: number;
  floor: number;
}

const CASES: Case[] = [
  { label: 'pad 1 with the clip firing', size: 5, k: 2, s: 2, p: 1, caffe: 3, torchCeil: 3, floor: 3 },
  { label: 'kernel below stride, no pad', size: 5, k: 1, s: 3, p: 0, caffe: 3, torchCeil: 2, floor: 2 },
  { label: 'ResNet pool1', size: 112, k: 3, s: 2, p: 1, caffe: 57, torchCeil: 57, floor: 56 },
  { label: '64, 3, 2, 1', size: 64, k: 3, s: 2, p: 1, caffe: 33, torchCeil: 33, floor: 32 },
  { label: '129, 2, 2, 0', size: 129, k: 2, s: 2, p: 0, caffe: 65, torchCeil: 65, floor: 64 },
  { label: 'GoogLeNet-style 224, 3, 2, 0', size: 224, k: 3, s: 2, p: 0, caffe: 112, torchCeil: 112, floor: 111 },
];

const caffePool = (c: Case, extra = '') =>
  caffeNet([1, 1, c.size, c.size], `layer { name: "p" type: "Pooling" bottom: "data" top: "p" pooling_param { pool: MAX kernel_size: ${c.k} stride: ${c.s} pad: ${c.p} ${extra} } }`);

const nnspecPool = (c: Case, round: string) => `nnspec: 1
input { name: data shape: [1, 1, ${c.size}, ${c.size}] }
MaxPool { name: p kernel: ${c.k} stride: ${c.s} pad: ${c.p} round: ${round} }
`;

describe('the reference transcriptions agree with the worked examples', () => {
  it.each(CASES)('$label', (c) => {
    expect(caffePooled(c.size, c.k, c.s, c.p, 'CEIL')).toBe(c.caffe);
    expect(torchPooled(c.size, c.k, c.p, c.p, c.s, true)).toBe(c.torchCeil);
    expect(torchPooled(c.size, c.k, c.p, c.p, c.s, false)).toBe(c.floor);
    expect(caffePooled(c.size, c.k, c.s, c.p, 'FLOOR')).toBe(c.floor);
  });
});

describe('Caffe Pooling layers', () => {
  it.each(CASES)('$label: default round_mode (CEIL with the clip rule)', async (c) => {
    const a = await analyseText('t.prototxt', caffePool(c));
    expect(a.result.errorCount).toBe(0);
    const out = caffePooled(c.size, c.k, c.s, c.p, 'CEIL');
    expect(a.blob('p')).toEqual([1, 1, out, out]);
    expect(out).toBe(c.caffe);
  });

  it.each(CASES)('$label: round_mode FLOOR', async (c) => {
    const a = await analyseText('t.prototxt', caffePool(c, 'round_mode: FLOOR'));
    const out = caffePooled(c.size, c.k, c.s, c.p, 'FLOOR');
    expect(a.blob('p')).toEqual([1, 1, out, out]);
  });

  it('the clip looks at both axes: pad_h alone clips the width too (pad_h_ || pad_w_)', async () => {
    // Height: 5, k 2, s 2, pad 1. Width: 5, k 1, s 3, pad 0, which alone would not be clipped.
    const a = await analyseText(
      't.prototxt',
      caffeNet([1, 1, 5, 5], 'layer { name: "p" type: "Pooling" bottom: "data" top: "p" pooling_param { pool: MAX kernel_h: 2 kernel_w: 1 stride_h: 2 stride_w: 3 pad_h: 1 pad_w: 0 } }'),
    );
    const h = caffePooled(5, 2, 2, 1, 'CEIL', true);
    const w = caffePooled(5, 1, 3, 0, 'CEIL', true);
    expect([h, w]).toEqual([3, 2]);
    expect(w).not.toBe(caffePooled(5, 1, 3, 0, 'CEIL', false));
    expect(a.blob('p')).toEqual([1, 1, h, w]);
  });

  it('global pooling is 1×1 whatever the input', async () => {
    const a = await analyseText('t.prototxt', caffeNet([2, 8, 13, 7], 'layer { name: "p" type: "Pooling" bottom: "data" top: "p" pooling_param { pool: AVE global_pooling: true } }'));
    expect(a.blob('p')).toEqual([2, 8, 1, 1]);
  });
});

describe('nnspec pooling: round: caffe | ceil | floor', () => {
  it.each(CASES)('$label', async (c) => {
    const caffe = await analyseText('t.nnspec', nnspecPool(c, 'caffe'));
    const ceil = await analyseText('t.nnspec', nnspecPool(c, 'ceil'));
    const floor = await analyseText('t.nnspec', nnspecPool(c, 'floor'));
    for (const a of [caffe, ceil, floor]) expect(a.result.errorCount).toBe(0);
    const expected = {
      caffe: caffePooled(c.size, c.k, c.s, c.p, 'CEIL'),
      ceil: torchPooled(c.size, c.k, c.p, c.p, c.s, true),
      floor: torchPooled(c.size, c.k, c.p, c.p, c.s, false),
    };
    expect(caffe.blob('p')!.slice(2)).toEqual([expected.caffe, expected.caffe]);
    expect(ceil.blob('p')!.slice(2)).toEqual([expected.ceil, expected.ceil]);
    expect(floor.blob('p')!.slice(2)).toEqual([expected.floor, expected.floor]);
    expect([expected.caffe, expected.ceil, expected.floor]).toEqual([c.caffe, c.torchCeil, c.floor]);
  });

  it('asymmetric padding: PyTorch clips against in + pad_l only', async () => {
    // 6, k 3, s 2, pads (0, 2), ceil: floor((6 + 2 − 3 + 1)/2) + 1 = 4, and (4 − 1)·2 ≥ 6 + 0 drops one.
    const a = await analyseText(
      't.nnspec',
      `nnspec: 1
input { name: data shape: [1, 1, 6, 6] }
MaxPool { name: p kernel: 3 stride: 2 pad_begin: 0 pad_end: 2 round: ceil }
`,
    );
    const out = torchPooled(6, 3, 0, 2, 2, true);
    expect(out).toBe(3);
    expect(a.blob('p')).toEqual([1, 1, out, out]);
  });

  it('a Caffe ResNet pool1 and the torchvision one differ by one row and column', async () => {
    const text = (round: string) => `nnspec: 1
input { name: data shape: [1, 64, 112, 112] }
MaxPool { name: p kernel: 3 stride: 2 pad: 1 round: ${round} }
`;
    expect((await analyseText('t.nnspec', text('caffe'))).blob('p')).toEqual([1, 64, 57, 57]);
    expect((await analyseText('t.nnspec', text('floor'))).blob('p')).toEqual([1, 64, 56, 56]);
  });
});
