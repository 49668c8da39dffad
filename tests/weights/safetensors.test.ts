import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readSafetensors, writeSafetensors, type NamedTensor, type SafetensorsFile } from '../../src/weights/index.js';
import { announceSkip, runTorchHelper } from '../verify/torch.js';

function read(bytes: Uint8Array): SafetensorsFile {
  const result = readSafetensors(bytes);
  if ('error' in result) throw new Error(result.error);
  return result.file;
}

function errorOf(bytes: Uint8Array): string {
  const result = readSafetensors(bytes);
  if (!('error' in result)) throw new Error('expected an error');
  return result.error;
}

/** A file built by hand from a header text and data bytes, padded as the spec says. */
function handmade(header: string, data: Uint8Array, pad = true): Uint8Array {
  let json = new TextEncoder().encode(header);
  if (pad && json.length % 8 !== 0) json = new TextEncoder().encode(header + ' '.repeat(8 - (json.length % 8)));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

const bitsOf = (data: Float32Array) => Array.from(new Uint32Array(data.buffer, data.byteOffset, data.length));
const f32 = (...xs: number[]) => Float32Array.from(xs);

describe('writing safetensors', () => {
  it('writes the spec layout: length, compact JSON padded with spaces to 8 bytes, then the data', () => {
    const bytes = writeSafetensors([{ key: 'a', shape: [2], data: f32(1, -2) }], { format: 'pt' });
    const header = '{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
    const padded = header + ' '.repeat((8 - (header.length % 8)) % 8);
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    expect(Number(view.getBigUint64(0, true))).toBe(padded.length);
    expect(padded.length % 8).toBe(0);
    expect(new TextDecoder().decode(bytes.subarray(8, 8 + padded.length))).toBe(padded);
    expect(bytes.length).toBe(8 + padded.length + 8);
    // 1.0 and −2.0 as little-endian IEEE floats.
    expect(Array.from(bytes.subarray(8 + padded.length))).toEqual([0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0]);
  });

  it('orders tensors by the UTF-8 bytes of their keys, whatever the input order, integer-like keys included', () => {
    const tensors: NamedTensor[] = ['b', '10', 'a.weight', '2', 'Z', 'é', '\u{1F600}', '\uFFFD'].map((key, i) => ({ key, shape: [1], data: f32(i) }));
    const bytes = writeSafetensors(tensors);
    const file = read(bytes);
    expect(file.tensors.map((t) => t.key)).toEqual(['10', '2', 'Z', 'a.weight', 'b', 'é', '\uFFFD', '\u{1F600}']);
    expect(writeSafetensors([...tensors].reverse())).toEqual(bytes);
    expect(file.metadata).toBeNull();
  });

  it('refuses duplicate keys, a reserved key and data that does not fit the shape', () => {
    expect(() => writeSafetensors([{ key: 'x', shape: [1], data: f32(1) }, { key: 'x', shape: [1], data: f32(2) }])).toThrow(/two tensors are named 'x'/);
    expect(() => writeSafetensors([{ key: '__metadata__', shape: [1], data: f32(1) }])).toThrow(/cannot be named/);
    expect(() => writeSafetensors([{ key: 'x', shape: [2, 2], data: f32(1) }])).toThrow(/1 values but shape \[2, 2\]/);
    // A lone surrogate cannot be written as UTF-8: it would silently become U+FFFD.
    expect(() => writeSafetensors([{ key: 'a\uD800', shape: [1], data: f32(1) }])).toThrow(/not valid Unicode/);
  });
});

describe('reading safetensors', () => {
  it('round-trips shapes (scalar and empty too), metadata and exact bits (NaN payload, −0, subnormal)', () => {
    const nan = new Float32Array(new Uint32Array([0x7fc00123]).buffer);
    const tensors: NamedTensor[] = [
      { key: 'w', shape: [2, 3], data: f32(0.1, -0, Infinity, 1e-45, 3.4028234663852886e38, nan[0]!) },
      { key: 'scalar', shape: [], data: f32(7) },
      { key: 'empty', shape: [0, 4], data: f32() },
    ];
    const file = read(writeSafetensors(tensors, { format: 'pt', note: 'x"y\n' }));
    expect(file.metadata).toEqual({ format: 'pt', note: 'x"y\n' });
    for (const t of tensors) {
      const back = file.tensors.find((x) => x.key === t.key)!;
      expect(back.shape).toEqual(t.shape);
      expect(bitsOf(back.data)).toEqual(bitsOf(t.data));
    }
  });

  it('reads F64, F16 and BF16 tensors as float', () => {
    const data = new Uint8Array(8 + 8 + 4);
    const v = new DataView(data.buffer);
    v.setFloat64(0, 0.1, true);
    v.setUint16(8, 0x3c00, true); // 1
    v.setUint16(10, 0xc000, true); // −2
    v.setUint16(12, 0x7bff, true); // 65504, the largest half
    v.setUint16(14, 0x0001, true); // 2^−24, the smallest subnormal half
    v.setUint16(16, 0x3f80, true); // bfloat16 1
    v.setUint16(18, 0x4049, true); // bfloat16 3.140625
    const header = JSON.stringify({
      d: { dtype: 'F64', shape: [1], data_offsets: [0, 8] },
      h: { dtype: 'F16', shape: [4], data_offsets: [8, 16] },
      b: { dtype: 'BF16', shape: [2], data_offsets: [16, 20] },
    });
    const file = read(handmade(header, data));
    const by = (k: string) => Array.from(file.tensors.find((t) => t.key === k)!.data);
    expect(by('d')).toEqual([Math.fround(0.1)]);
    expect(by('h')).toEqual([1, -2, 65504, 2 ** -24]);
    expect(by('b')).toEqual([1, 3.140625]);
  });

  it('reports malformed files as one-line errors', () => {
    const one = (header: string, bytes = 4) => errorOf(handmade(header, new Uint8Array(bytes)));
    expect(errorOf(new Uint8Array(3))).toMatch(/fewer than the 8-byte header length/);
    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setBigUint64(0, 1n << 40n, true);
    expect(errorOf(huge)).toMatch(/header length \d+ exceeds the file/);
    expect(one('{"a": ')).toMatch(/not UTF-8 JSON/);
    expect(one('[1]')).toMatch(/not a JSON object/);
    expect(one('{"a":{"dtype":"F32","shape":[1]}}')).toMatch(/tensor 'a' needs a dtype, a shape .* two data_offsets/);
    expect(one('{"a":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}', 8)).toMatch(/dtype I64/);
    expect(one('{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', 8)).toMatch(/contiguous/);
    expect(one('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}')).toMatch(/needs 8 bytes/);
    expect(one('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', 12)).toMatch(/cover 4 bytes of data but the file has 12/);
    expect(one('{"__metadata__":{"a":1}}', 0)).toMatch(/must map strings to strings/);
  });
});

describe('safetensors files as Python and PyTorch read them', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nnspec-safetensors-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('gives torch.frombuffer (and the safetensors package, when installed) the exact tensors written', async () => {
    const nan = new Float32Array(new Uint32Array([0x7fc00123]).buffer)[0]!;
    const tensors: NamedTensor[] = [
      { key: 'layer1.0.conv1.weight', shape: [2, 1, 2, 2], data: f32(0.1, -0.2, 1e-45, -0, 3.4028234663852886e38, -Infinity, nan, 12345.678) },
      { key: 'layer1.0.bn1.running_mean', shape: [3], data: f32(1 / 3, 2 / 3, -1) },
      { key: 'fc.bias', shape: [], data: f32(42.5) },
      { key: 'empty', shape: [0], data: f32() },
      { key: 'naïve.ключ', shape: [1], data: f32(-7) },
    ];
    const path = join(dir, 'model.safetensors');
    writeFileSync(path, writeSafetensors(tensors, { format: 'pt', producer: 'nnspec' }));
    const result = await runTorchHelper<{
      header_length: number;
      header_text: string;
      keys: string[];
      metadata: Record<string, string> | null;
      tensors: Record<string, { shape: number[]; bits: number[]; begin: number; end: number }>;
      safetensors_package: boolean;
      package_tensors?: Record<string, { shape: number[]; bits: number[] }>;
    }>('../weights/read_safetensors.py', [path]);
    if (!result.ok) {
      announceSkip('weights/safetensors', result.reason);
      return;
    }
    const py = result.data;
    expect(py.header_length % 8).toBe(0);
    expect(py.header_text).toMatch(/^\{.*\} *$/);
    expect(py.keys).toEqual(['__metadata__', 'empty', 'fc.bias', 'layer1.0.bn1.running_mean', 'layer1.0.conv1.weight', 'naïve.ключ']);
    expect(py.metadata).toEqual({ format: 'pt', producer: 'nnspec' });
    for (const t of tensors) {
      expect(py.tensors[t.key]?.shape).toEqual(t.shape);
      expect(py.tensors[t.key]?.bits).toEqual(bitsOf(t.data));
      if (py.safetensors_package) expect(py.package_tensors?.[t.key]?.bits).toEqual(bitsOf(t.data));
    }
    // Data offsets are contiguous in key order and start 8-byte aligned in the file.
    const spans = py.keys.slice(1).map((k) => [py.tensors[k]!.begin, py.tensors[k]!.end]);
    spans.forEach(([begin], i) => expect(begin).toBe(i === 0 ? 0 : spans[i - 1]![1]));
  });
});
