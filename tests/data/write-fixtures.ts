/** Builds small dataset files in a temporary folder, byte by byte from the format specs (not with src/data). */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'nnspec-data-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** An IDX file of unsigned bytes. */
export function idxBytes(dims: number[], values: ArrayLike<number>): Buffer {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head[2] = 0x08;
  head[3] = dims.length;
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([head, Buffer.from(Uint8Array.from(values))]);
}

export function writeIdx(path: string, dims: number[], values: ArrayLike<number>, gzip = false): void {
  const bytes = idxBytes(dims, values);
  writeFileSync(path, gzip ? gzipSync(bytes) : bytes);
}

/** A .npy (version 1.0) file of `descr` ('<f4', '|u1', '<i8', …). */
export function npyBytes(descr: string, shape: number[], values: ArrayLike<number>): Buffer {
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const pre = Buffer.alloc(10);
  pre[0] = 0x93;
  pre.write('NUMPY', 1, 'latin1');
  pre[6] = 1;
  pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  const kind = descr.slice(1);
  const size = Number(kind.slice(1));
  const body = Buffer.alloc(values.length * size);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (kind === 'f4') body.writeFloatLE(v, 4 * i);
    else if (kind === 'f8') body.writeDoubleLE(v, 8 * i);
    else if (kind === 'u1') body.writeUInt8(v, i);
    else if (kind === 'i4') body.writeInt32LE(v, 4 * i);
    else if (kind === 'i8') body.writeBigInt64LE(BigInt(v), 8 * i);
    else throw new Error(`test helper: no writer for ${descr}`);
  }
  return Buffer.concat([pre, Buffer.from(header, 'latin1'), body]);
}

/** A PNG of w×h RGBA pixels given as [r, g, b, a] per pixel, row by row. */
export function pngBytes(w: number, h: number, rgba: ArrayLike<number>): Buffer {
  const png = new PNG({ width: w, height: h });
  png.data = Buffer.from(Uint8Array.from(rgba));
  return PNG.sync.write(png);
}

export function jpegBytes(w: number, h: number, rgba: ArrayLike<number>, quality = 100): Buffer {
  return jpeg.encode({ data: Buffer.from(Uint8Array.from(rgba)), width: w, height: h }, quality).data;
}

export function writeFile(path: string, bytes: Uint8Array): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, bytes);
}

/** Deterministic pseudo-random bytes for fixture contents. */
export function bytesFor(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = s & 0xff;
  }
  return out;
}
