import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { readSafetensors, writeSafetensors, type NamedTensor } from '../../src/weights/index.js';

/** No lone surrogates: keys go to UTF-8 JSON, where they cannot be written. */
const wellFormed = (s: string) => !/[\uD800-\uDFFF]/.test(s.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, ''));
const bitsOf = (data: Float32Array) => Array.from(new Uint32Array(data.buffer, data.byteOffset, data.length));

/** A tensor of a random shape (up to 3 axes, zero-size included) with arbitrary float bits. */
const tensor = (key: string) =>
  fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }).chain((shape) => {
    const n = shape.reduce((a, b) => a * b, 1);
    return fc.array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: n, maxLength: n }).map((bits): NamedTensor => ({ key, shape, data: new Float32Array(Uint32Array.from(bits).buffer) }));
  });

const keys = fc.uniqueArray(
  fc.string({ unit: 'binary', maxLength: 12 }).filter((k) => k !== '__metadata__' && wellFormed(k)),
  { maxLength: 6 },
);

const tensors = keys.chain((ks) => fc.tuple(...ks.map(tensor)));
const metadata = fc.option(fc.dictionary(fc.string({ unit: 'binary', maxLength: 8 }).filter((k) => wellFormed(k)), fc.string({ maxLength: 8 }).filter((v) => wellFormed(v)), { maxKeys: 3 }), { nil: undefined });

describe('safetensors round trips', () => {
  test.prop([tensors, metadata], { numRuns: 300 })('read(write(t)) gives back every tensor bit for bit, and the metadata', (ts, meta) => {
    const bytes = writeSafetensors(ts, meta);
    const result = readSafetensors(bytes);
    if ('error' in result) throw new Error(result.error);
    expect(result.file.tensors.map((t) => t.key).sort()).toEqual(ts.map((t) => t.key).sort());
    for (const t of ts) {
      const back = result.file.tensors.find((x) => x.key === t.key)!;
      expect(back.shape).toEqual(t.shape);
      expect(bitsOf(back.data)).toEqual(bitsOf(t.data));
    }
    const hasMeta = meta !== undefined && Object.keys(meta).length > 0;
    expect(result.file.metadata).toEqual(hasMeta ? { ...meta } : null);
    // The data starts 8-byte aligned.
    expect(Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true)) % 8).toBe(0);
  });

  test.prop([tensors.chain((ts) => fc.tuple(fc.constant(ts), fc.shuffledSubarray(ts, { minLength: ts.length, maxLength: ts.length })))], { numRuns: 100 })(
    'the bytes do not depend on the order the tensors are given in',
    ([ts, shuffled]) => {
      expect(writeSafetensors(shuffled)).toEqual(writeSafetensors(ts));
    },
  );
});
