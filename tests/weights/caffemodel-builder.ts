/**
 * Builds test .caffemodels: a NetParameter written as protobuf text (helpers below) is encoded
 * by `protoc --encode` against tests/fixtures/weights/caffe-weights.proto, a transcription of
 * BVLC caffe.proto's weight fields, so the bytes come from Google's encoder, not from nnspec.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../helpers.js';

const FIXTURES = join(ROOT, 'tests/fixtures/weights');

/** A deploy net with Convolution, BatchNorm, Scale, InnerProduct after a spatial blob and Deconvolution. */
export const TINY_NET = join(FIXTURES, 'tiny.prototxt');

const probe = spawnSync('protoc', ['--version'], { encoding: 'utf8' });
export const PROTOC_SKIP_REASON = probe.status === 0 ? null : 'protoc is not installed (apt-get install protobuf-compiler); caffemodel tests are skipped';

/** Encodes a text NetParameter; `unpacked` writes every repeated number with its own tag. */
export function encodeNet(text: string, { unpacked = false } = {}): Uint8Array {
  const [file, type] = unpacked ? ['caffe-weights-unpacked.proto', 'unpacked.NetParameter'] : ['caffe-weights.proto', 'caffe.NetParameter'];
  const run = spawnSync('protoc', [`--encode=${type}`, '-I', FIXTURES, join(FIXTURES, file)], { input: text, maxBuffer: 1 << 30 });
  if (run.status !== 0) throw new Error(`protoc failed: ${run.stderr.toString()}`);
  return new Uint8Array(run.stdout.buffer, run.stdout.byteOffset, run.stdout.byteLength);
}

/** Deterministic, irregular values (not representable exactly as float32 in general). */
export function values(n: number, seed = 1): number[] {
  return Array.from({ length: n }, (_, i) => Math.sin(seed * 1000 + i * 1.7) * (1 + (i % 7)) * 0.731);
}

export interface BlobOptions {
  /** Write the shape in the deprecated num/channels/height/width fields (shape must have ≤ 4 dims). */
  legacy?: [number, number, number, number];
  /** Store the values in double_data instead of data. */
  double?: boolean;
  /** Also write a diff (gradients), which readers must skip. */
  diff?: boolean;
  /** Omit the shape (used with `legacy`). */
  noShape?: boolean;
}

export function blob(shape: number[], data: readonly number[], options: BlobOptions = {}): string {
  const parts: string[] = [];
  if (!options.noShape && !options.legacy) parts.push(`shape { ${shape.map((d) => `dim: ${d}`).join(' ')} }`);
  if (options.legacy) {
    const [n, c, h, w] = options.legacy;
    parts.push(`num: ${n} channels: ${c} height: ${h} width: ${w}`);
  }
  const field = options.double ? 'double_data' : 'data';
  parts.push(data.map((v) => `${field}: ${v}`).join(' '));
  if (options.diff) parts.push(data.map((v) => `diff: ${-v}`).join(' '));
  return `blobs { ${parts.join(' ')} }`;
}

/** A V2 `layer { }` with blobs (and the bottom/top/param fields a real caffemodel also carries). */
export function layer(name: string, type: string, blobs: string[], extra = ''): string {
  return `layer { name: "${name}" type: "${type}" bottom: "x" top: "y" ${extra} ${blobs.join(' ')} }`;
}

/** `count` values for a blob of `shape`. */
export function filled(shape: number[], seed: number): number[] {
  return values(
    shape.reduce((a, b) => a * b, 1),
    seed,
  );
}

// ---- tiny.prototxt's weights ----

/** The values tinyCaffemodel() stores, by blob. */
export const TINY_VALUES = {
  convW: filled([4, 3, 3, 3], 1),
  convB: filled([4], 2),
  scaleW: filled([4], 3),
  scaleB: filled([4], 4),
  fcW: filled([5, 64], 5),
  fcB: filled([5], 6),
  deconvW: filled([4, 2, 2, 2], 7),
};

export const CONV1 = layer('conv1', 'Convolution', [blob([4, 3, 3, 3], TINY_VALUES.convW), blob([4], TINY_VALUES.convB)]);
/** Caffe BatchNorm blobs: running sums, and the scale factor they are divided by. */
export const bn1 = (factor: number) => layer('bn1', 'BatchNorm', [blob([4], [4, 8, -2, 1]), blob([4], [8, 2, 4, 0.5]), blob([1], [factor])]);
export const SCALE1 = layer('scale1', 'Scale', [blob([4], TINY_VALUES.scaleW), blob([4], TINY_VALUES.scaleB)]);
export const FC1 = layer('fc1', 'InnerProduct', [blob([5, 64], TINY_VALUES.fcW), blob([5], TINY_VALUES.fcB)]);
export const DECONV1 = layer('deconv1', 'Deconvolution', [blob([4, 2, 2, 2], TINY_VALUES.deconvW)]);
/** A caffemodel for tiny.prototxt (BatchNorm sums [4, 8, −2, 1] and [8, 2, 4, 0.5] over a factor of 4). */
export const ALL = [CONV1, bn1(4), SCALE1, layer('relu1', 'ReLU', []), FC1, DECONV1].join('\n');

/** The bytes of a complete caffemodel for tiny.prototxt, for tests of code that reads one from disk. */
export function tinyCaffemodel(): Uint8Array {
  return encodeNet(ALL);
}
