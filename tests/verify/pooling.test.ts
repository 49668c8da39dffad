/**
 * Pooled output sizes: nnspec against PyTorch's MaxPool2d/AvgPool2d (run, not a formula: see
 * pooling_sizes.py), and against a transcription of Caffe's pooling_layer.cpp.
 *
 * - `round: floor` must equal PyTorch ceil_mode=False and `round: ceil` PyTorch ceil_mode=True,
 *   for max and average pooling, on named edge cases (pad > 0, kernel < stride, clipped last
 *   windows, the sizes torchvision models meet) and on a generated grid with pad ≤ kernel/2
 *   (PyTorch refuses more).
 * - `round: caffe` must equal Caffe's rule, in nnspec and in Caffe prototxt files (whose
 *   default rounding it is), including where Caffe and PyTorch ceil_mode differ: no padding and
 *   a last window that starts outside the input (5, k1, s3, p0: Caffe 3, PyTorch 2).
 * Expected values come from PyTorch or from the Caffe transcription below, never from nnspec.
 * The PyTorch comparisons are skipped, with the reason, when /usr/bin/python3 has no torch.
 */
import { describe, expect, test } from 'vitest';
import { compileText } from '../../src/compile.js';
import type { NodeReport } from '../../src/passes/analyze.js';
import { announceSkip, formatShape, runTorchHelper } from './torch.js';

interface Case {
  in: number;
  k: number;
  s: number;
  p: number;
}
type Size = number | string;
interface TorchRow {
  max_floor: Size;
  max_ceil: Size;
  avg_floor: Size;
  avg_ceil: Size;
}

/**
 * Caffe 1.0's PoolingLayer<Dtype>::Reshape (src/caffe/layers/pooling_layer.cpp), transcribed:
 *
 *   pooled_height_ = static_cast<int>(ceil(static_cast<float>(
 *       height_ + 2 * pad_h_ - kernel_h_) / stride_h_)) + 1;
 *   pooled_width_ = … the same with width_, pad_w_, kernel_w_, stride_w_ …
 *   if (pad_h_ || pad_w_) {
 *     // If we have padding, ensure that the last pooling starts strictly
 *     // inside the image (instead of at the padding); otherwise clip the last.
 *     if ((pooled_height_ - 1) * stride_h_ >= height_ + pad_h_) --pooled_height_;
 *     if ((pooled_width_ - 1) * stride_w_ >= width_ + pad_w_) --pooled_width_;
 *     CHECK_LT((pooled_height_ - 1) * stride_h_, height_ + pad_h_);
 *     CHECK_LT((pooled_width_ - 1) * stride_w_, width_ + pad_w_);
 *   }
 *
 * LayerSetUp also CHECKs pad_h_ < kernel_h_ and pad_w_ < kernel_w_ when padded. Note the
 * clipping test is per layer (pad_h_ || pad_w_), not per axis.
 */
function caffePooled(height: number, width: number, kernel: [number, number], stride: [number, number], pad: [number, number]): [number, number] {
  const [kh, kw] = kernel;
  const [sh, sw] = stride;
  const [ph, pw] = pad;
  if (ph || pw) {
    if (!(ph < kh) || !(pw < kw)) throw new Error('Caffe CHECK_LT(pad, kernel) fails');
  }
  // static_cast<float>(int) / int: a float division, then ceil.
  let pooledHeight = Math.trunc(Math.ceil(Math.fround(Math.fround(height + 2 * ph - kh) / sh))) + 1;
  let pooledWidth = Math.trunc(Math.ceil(Math.fround(Math.fround(width + 2 * pw - kw) / sw))) + 1;
  if (ph || pw) {
    if ((pooledHeight - 1) * sh >= height + ph) --pooledHeight;
    if ((pooledWidth - 1) * sw >= width + pw) --pooledWidth;
    if (!((pooledHeight - 1) * sh < height + ph) || !((pooledWidth - 1) * sw < width + pw)) throw new Error('Caffe CHECK_LT fails');
  }
  return [pooledHeight, pooledWidth];
}

const caffeSquare = (c: Case) => caffePooled(c.in, c.in, [c.k, c.k], [c.s, c.s], [c.p, c.p])[0];

/** Named edge cases: clipped last windows, kernel < stride, and the sizes torchvision meets. */
const NAMED: Case[] = [
  { in: 5, k: 2, s: 2, p: 1 },
  { in: 5, k: 1, s: 3, p: 0 },
  { in: 112, k: 3, s: 2, p: 1 }, // ResNet maxpool
  { in: 224, k: 3, s: 2, p: 0 },
  { in: 129, k: 2, s: 2, p: 0 },
  { in: 64, k: 3, s: 2, p: 1 },
  { in: 112, k: 3, s: 2, p: 0 }, // GoogLeNet maxpool1 (ceil)
  { in: 56, k: 3, s: 2, p: 0 },
  { in: 28, k: 3, s: 2, p: 0 },
  { in: 14, k: 2, s: 2, p: 0 }, // GoogLeNet maxpool4
  { in: 111, k: 3, s: 2, p: 0 }, // SqueezeNet 1.1
  { in: 55, k: 3, s: 2, p: 0 }, // AlexNet / CaffeNet pool1
  { in: 27, k: 3, s: 2, p: 0 },
  { in: 13, k: 3, s: 2, p: 0 },
  { in: 4, k: 2, s: 4, p: 0 },
  { in: 7, k: 3, s: 3, p: 1 },
  { in: 10, k: 4, s: 3, p: 2 },
  { in: 1, k: 1, s: 2, p: 0 },
  { in: 2, k: 3, s: 2, p: 1 },
];

/** Generated: every input 1…12, kernel 1…5, stride 1…5, pad 0…⌊kernel/2⌋ whose padded input holds the kernel. */
const GRID: Case[] = [];
for (let size = 1; size <= 12; size++)
  for (let k = 1; k <= 5; k++)
    for (let s = 1; s <= 5; s++)
      for (let p = 0; p <= Math.floor(k / 2); p++) if (size + 2 * p >= k) GRID.push({ in: size, k, s, p });

const key = (c: Case) => `in${c.in}_k${c.k}_s${c.s}_p${c.p}`;
const unique = (cases: Case[]) => [...new Map(cases.map((c) => [key(c), c])).values()];

const TORCH_CASES: Case[] = unique([...NAMED, ...GRID]);
/** Caffe allows any pad < kernel; the grid widens accordingly for the Caffe checks. */
const WIDER: Case[] = [];
for (let size = 1; size <= 12; size++)
  for (let k = 2; k <= 5; k++)
    for (let s = 1; s <= 5; s++)
      for (let p = Math.floor(k / 2) + 1; p < k; p++) if (size + 2 * p >= k) WIDER.push({ in: size, k, s, p });
const CAFFE_CASES: Case[] = unique([...TORCH_CASES, ...WIDER]);

const label = (c: Case) => `in ${c.in}, k${c.k}, s${c.s}, p${c.p}`;
type Rounding = 'floor' | 'ceil' | 'caffe';
type Layer = 'MaxPool' | 'AvgPool';

/**
 * nnspec's pooled size for every case, layer type and rounding: one spec per input size, with
 * one pooling layer per (case, layer, rounding), each reading the input. Each value is the
 * height nnspec reports (the width must agree), or 'error: …' when nnspec reports an error.
 */
async function nnspecSizes(cases: Case[], layers: Layer[], roundings: Rounding[]): Promise<Map<string, Size>> {
  const out = new Map<string, Size>();
  const bySize = new Map<number, Case[]>();
  for (const c of cases) bySize.set(c.in, [...(bySize.get(c.in) ?? []), c]);
  for (const [size, group] of bySize) {
    const lines = ['nnspec: 1', `name: pool_in${size}`, `input { name: x shape: [1, 1, ${size}, ${size}] }`];
    for (const c of group) {
      for (const layer of layers)
        for (const round of roundings) lines.push(`${layer} { name: ${layer}_${key(c)}_${round} bottom: x kernel: ${c.k} stride: ${c.s} pad: ${c.p} round: ${round} }`);
    }
    const rows: NodeReport[] = [];
    const result = await compileText(`pool_in${size}.nnspec`, lines.join('\n') + '\n', { onReport: (r) => rows.push(r) });
    const errorsAt = (start: number) => result.diagnostics.filter((d) => d.severity === 'error' && d.span.start >= start);
    for (const r of rows) {
      if (r.node.op === 'input') continue;
      const shape = r.outputs[0]?.shape;
      if (shape && shape[2] !== shape[3]) throw new Error(`${r.node.name}: non-square ${formatShape(shape)}`);
      const errors = errorsAt(r.node.span.start).filter((d) => d.span.end <= r.node.span.end);
      out.set(r.node.name, errors.length ? `error: ${errors[0]!.message}` : (shape?.[2] ?? 'error: no shape'));
    }
    const other = result.diagnostics.filter((d) => d.severity === 'error' && !rows.some((r) => d.span.start >= r.node.span.start && d.span.end <= r.node.span.end));
    if (other.length) throw new Error(`pool_in${size}.nnspec: ${other.map((d) => d.message).join('; ')}`);
  }
  return out;
}

const truth = await runTorchHelper<{ torch: string; results: TorchRow[] }>('pooling_sizes.py', [], JSON.stringify(TORCH_CASES));
if (!truth.ok) announceSkip('tests/verify/pooling.test.ts', truth.reason);
const torchRows = new Map<string, TorchRow>();
if (truth.ok) TORCH_CASES.forEach((c, i) => torchRows.set(key(c), truth.data.results[i]!));

describe.skipIf(!truth.ok)(
  truth.ok ? `pooled sizes against PyTorch ${truth.data.torch} (${TORCH_CASES.length} cases, measured in ${truth.seconds.toFixed(1)} s)` : `pooled sizes against PyTorch (skipped: ${truth.reason})`,
  () => {
    test('PyTorch accepts every case (pad ≤ kernel/2, padded input ≥ kernel)', () => {
      const refused = TORCH_CASES.flatMap((c) => Object.entries(torchRows.get(key(c))!).filter(([, v]) => typeof v !== 'number').map(([m, v]) => `${label(c)} ${m}: ${v}`));
      expect(refused).toEqual([]);
    });

    for (const layer of ['MaxPool', 'AvgPool'] as const) {
      test(`${layer}: round floor = ceil_mode=False and round ceil = ceil_mode=True, everywhere`, async () => {
        const nn = await nnspecSizes(TORCH_CASES, [layer], ['floor', 'ceil']);
        const prefix = layer === 'MaxPool' ? 'max' : 'avg';
        const mismatches: string[] = [];
        for (const c of TORCH_CASES) {
          const row = torchRows.get(key(c))!;
          for (const round of ['floor', 'ceil'] as const) {
            const want = row[`${prefix}_${round}`];
            const got = nn.get(`${layer}_${key(c)}_${round}`);
            if (got !== want) mismatches.push(`${label(c)}: ${layer} round ${round}: nnspec ${got}, torch ${prefix === 'max' ? 'MaxPool2d' : 'AvgPool2d'}(ceil_mode=${round === 'ceil' ? 'True' : 'False'}) ${want}`);
          }
        }
        expect(mismatches, `${mismatches.length} mismatches of ${TORCH_CASES.length * 2}:\n${mismatches.join('\n')}`).toEqual([]);
      });
    }

    test('named cases, PyTorch values (documenting the edge cases)', () => {
      const pick = (c: Case) => {
        const row = torchRows.get(key(c))!;
        return [row.max_floor, row.max_ceil];
      };
      expect(pick({ in: 5, k: 2, s: 2, p: 1 })).toEqual([3, 3]);
      expect(pick({ in: 5, k: 1, s: 3, p: 0 })).toEqual([2, 2]);
      expect(pick({ in: 112, k: 3, s: 2, p: 1 })).toEqual([56, 57]);
      expect(pick({ in: 224, k: 3, s: 2, p: 0 })).toEqual([111, 112]);
      expect(pick({ in: 129, k: 2, s: 2, p: 0 })).toEqual([64, 65]);
      expect(pick({ in: 64, k: 3, s: 2, p: 1 })).toEqual([32, 33]);
    });

    test('Caffe differs from PyTorch ceil_mode only without padding, where a last window starts outside the input', () => {
      const differ: string[] = [];
      for (const c of TORCH_CASES) {
        const caffe = caffeSquare(c);
        const torch = torchRows.get(key(c))!.max_ceil as number;
        if (caffe === torch) continue;
        differ.push(label(c));
        expect(c.p, `${label(c)}: Caffe ${caffe}, torch ${torch}`).toBe(0);
        expect(caffe, label(c)).toBe(torch + 1);
        // Caffe's extra last window starts at (caffe − 1)·stride, at or past the input's end.
        expect((caffe - 1) * c.s, label(c)).toBeGreaterThanOrEqual(c.in);
      }
      expect(differ).toContain('in 5, k1, s3, p0');
      expect(differ).toContain('in 4, k2, s4, p0');
      expect(caffeSquare({ in: 5, k: 1, s: 3, p: 0 })).toBe(3);
      expect(torchRows.get(key({ in: 5, k: 1, s: 3, p: 0 }))!.max_ceil).toBe(2);
    });
  },
);

describe("Caffe's rounding (pooling_layer.cpp transcribed)", () => {
  test('the transcription on known nets: CaffeNet 55→27→13→6, GoogLeNet 112→56 and 56→28 with pad 0, 5·k1·s3 → 3', () => {
    expect([55, 27, 13].map((n) => caffePooled(n, n, [3, 3], [2, 2], [0, 0])[0])).toEqual([27, 13, 6]);
    expect(caffePooled(112, 112, [3, 3], [2, 2], [0, 0])).toEqual([56, 56]);
    expect(caffePooled(5, 5, [1, 1], [3, 3], [0, 0])).toEqual([3, 3]);
    expect(caffePooled(5, 5, [2, 2], [2, 2], [1, 1])).toEqual([3, 3]);
  });

  test('nnspec round: caffe = Caffe, max and average, pad < kernel', async () => {
    const nn = await nnspecSizes(CAFFE_CASES, ['MaxPool', 'AvgPool'], ['caffe']);
    const mismatches: string[] = [];
    for (const c of CAFFE_CASES) {
      const want = caffeSquare(c);
      for (const layer of ['MaxPool', 'AvgPool']) {
        const got = nn.get(`${layer}_${key(c)}_caffe`);
        if (got !== want) mismatches.push(`${label(c)}: ${layer} round caffe: nnspec ${got}, Caffe ${want}`);
      }
    }
    expect(mismatches, `${mismatches.length} mismatches of ${CAFFE_CASES.length * 2}:\n${mismatches.join('\n')}`).toEqual([]);
  });

  test('Caffe prototxt pooling (default rounding) = Caffe', async () => {
    const mismatches: string[] = [];
    const bySize = new Map<number, Case[]>();
    for (const c of CAFFE_CASES) bySize.set(c.in, [...(bySize.get(c.in) ?? []), c]);
    for (const [size, group] of bySize) {
      const layers = group.map(
        (c) => `layer { name: "${key(c)}" type: "Pooling" bottom: "data" top: "${key(c)}" pooling_param { pool: MAX kernel_size: ${c.k} stride: ${c.s} pad: ${c.p} } }`,
      );
      const text = [`name: "pool_in${size}"`, `layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 1 dim: ${size} dim: ${size} } } }`, ...layers].join('\n') + '\n';
      const rows: NodeReport[] = [];
      const result = await compileText(`pool_in${size}.prototxt`, text, { onReport: (r) => rows.push(r) });
      const errors = result.diagnostics.filter((d) => d.severity === 'error');
      if (errors.length) mismatches.push(`pool_in${size}.prototxt: ${errors.map((d) => d.message).join('; ')}`);
      const got = new Map(rows.map((r) => [r.node.name, r.outputs[0]?.shape ?? null]));
      for (const c of group) {
        const want = caffeSquare(c);
        const shape = got.get(key(c));
        if (!shape || shape[2] !== want || shape[3] !== want) mismatches.push(`${label(c)}: Caffe Pooling: nnspec ${formatShape(shape)}, Caffe ${want}×${want}`);
      }
    }
    expect(mismatches, mismatches.join('\n')).toEqual([]);
  });

  test('Caffe clips every axis once any axis is padded (pad_h 0, pad_w 1)', async () => {
    // Height: ceil((4 − 2)/4) + 1 = 2, then clipped (the layer is padded) since 1·4 ≥ 4 + 0 → 1.
    // Width: ceil((4 + 2 − 2)/4) + 1 = 2, kept since 1·4 < 4 + 1.
    const want = caffePooled(4, 4, [2, 2], [4, 4], [0, 1]);
    expect(want).toEqual([1, 2]);
    expect(caffePooled(4, 4, [2, 2], [4, 4], [0, 0])).toEqual([2, 2]);

    const spec = 'nnspec: 1\nname: t\ninput { name: x shape: [1, 1, 4, 4] }\nMaxPool { name: pool kernel: 2 stride: 4 pad: [0, 1] round: caffe }\n';
    const rows: NodeReport[] = [];
    const a = await compileText('t.nnspec', spec, { onReport: (r) => rows.push(r) });
    expect(a.errorCount).toBe(0);
    expect(rows.find((r) => r.node.name === 'pool')?.outputs[0]?.shape).toEqual([1, 1, ...want]);

    const proto =
      'name: "t"\nlayer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 1 dim: 4 dim: 4 } } }\n' +
      'layer { name: "pool" type: "Pooling" bottom: "data" top: "pool" pooling_param { pool: MAX kernel_size: 2 stride: 4 pad_h: 0 pad_w: 1 } }\n';
    const caffeRows: NodeReport[] = [];
    const b = await compileText('t.prototxt', proto, { onReport: (r) => caffeRows.push(r) });
    expect(b.errorCount).toBe(0);
    expect(caffeRows.find((r) => r.node.name === 'pool')?.outputs[0]?.shape).toEqual([1, 1, ...want]);
  });
});
