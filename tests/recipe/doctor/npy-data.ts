/**
 * Small datasets on disk for the doctor's tests, as x.npy (uint8 N×C×H×W) + y.npy (int32):
 * synthetic images with more pixel noise than `--data synthetic` has, and optionally a fraction
 * of labels replaced by random ones, so that a test can make a task a net overfits or underfits.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng, SyntheticDataset, type ImageShape } from '../../../src/data/index.js';

function npy(descr: string, shape: number[], data: Uint8Array | Int32Array): Buffer {
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  // Magic (6) + version (2) + length (2) + header, padded with spaces to a multiple of 64 and ended by a newline.
  const pad = 64 - ((10 + header.length + 1) % 64);
  header = `${header}${' '.repeat(pad % 64)}\n`;
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  return Buffer.concat([head, Buffer.from(header, 'latin1'), Buffer.from(data.buffer, data.byteOffset, data.byteLength)]);
}

export interface NoisyData {
  shape: ImageShape;
  numClasses: number;
  size: number;
  /** Pixel noise (0–255 units). */
  noise: number;
  /** Fraction of labels replaced by a uniformly random class. */
  labelNoise: number;
  seed: number;
}

export async function writeNoisyData(dir: string, o: NoisyData): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const source = new SyntheticDataset({ shape: o.shape, numClasses: o.numClasses, size: o.size, seed: o.seed, noise: o.noise });
  const per = o.shape[0] * o.shape[1] * o.shape[2];
  const x = new Uint8Array(o.size * per);
  const y = new Int32Array(o.size);
  const rng = new Rng(o.seed, 99);
  for (let i = 0; i < o.size; i++) {
    const { image, label } = await source.get(i);
    for (let j = 0; j < per; j++) x[i * per + j] = Math.round(image[j]!);
    y[i] = rng.uniform(0, 1) < o.labelNoise ? rng.int(o.numClasses) : label;
  }
  writeFileSync(join(dir, 'x.npy'), npy('|u1', [o.size, ...o.shape], x));
  writeFileSync(join(dir, 'y.npy'), npy('<i4', [o.size], y));
  return dir;
}
