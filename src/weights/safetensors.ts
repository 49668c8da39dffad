/**
 * The safetensors format (huggingface/safetensors): an 8-byte little-endian header length N,
 * N bytes of JSON ({ key: { dtype, shape, data_offsets: [begin, end] }, "__metadata__": { … } },
 * padded with spaces so the data starts 8-byte aligned), then the tensors' bytes, contiguous,
 * little-endian, row-major. nnspec writes F32 only; it reads F32, F64, F16 and BF16 as float.
 *
 * Written files are canonical: tensors sorted by key (by UTF-8 bytes, as the reference
 * implementation sorts same-dtype tensors), metadata keys sorted, compact JSON; so equal
 * weights give byte-identical files.
 */

export interface NamedTensor {
  key: string;
  shape: number[];
  data: Float32Array;
}

export interface SafetensorsFile {
  /** In the order of their data in the file. */
  tensors: NamedTensor[];
  metadata: Record<string, string> | null;
}

export type SafetensorsResult = { file: SafetensorsFile } | { error: string };

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const UTF8 = new TextEncoder();
const METADATA = '__metadata__';
const SURROGATE_PAIR = /[\uD800-\uDBFF][\uDC00-\uDFFF]/g;
const LONE_SURROGATE = /[\uD800-\uDFFF]/;
/** The reference implementation refuses headers over 100 MB. */
const MAX_HEADER = 100_000_000;

function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Encodes tensors as a safetensors file. Throws on inconsistent input (a programming error). */
export function writeSafetensors(tensors: readonly NamedTensor[], metadata?: Record<string, string>): Uint8Array {
  const byKey = (a: { bytes: Buffer }, b: { bytes: Buffer }) => Buffer.compare(a.bytes, b.bytes);
  const sorted = tensors.map((t) => ({ t, bytes: Buffer.from(t.key, 'utf8') })).sort(byKey).map((e) => e.t);
  // Written entry by entry: a JS object would put integer-like keys ('0', '12') first.
  const members: string[] = [];
  const meta = Object.entries(metadata ?? {}).map(([k, v]) => ({ k, v, bytes: Buffer.from(k, 'utf8') }));
  if (meta.length > 0) {
    members.push(`${JSON.stringify(METADATA)}:{${meta.sort(byKey).map((m) => `${JSON.stringify(m.k)}:${JSON.stringify(m.v)}`).join(',')}}`);
  }
  let offset = 0;
  for (let i = 0; i < sorted.length; i++) {
    const t = sorted[i]!;
    if (t.key === METADATA) throw new Error(`a tensor cannot be named '${METADATA}'`);
    if (i > 0 && sorted[i - 1]!.key === t.key) throw new Error(`two tensors are named '${t.key}'`);
    if (LONE_SURROGATE.test(t.key.replace(SURROGATE_PAIR, ''))) throw new Error(`tensor key ${JSON.stringify(t.key)} is not valid Unicode`);
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new Error(`tensor '${t.key}' has an invalid shape [${t.shape.join(', ')}]`);
    if (elementCount(t.shape) !== t.data.length) throw new Error(`tensor '${t.key}' has ${t.data.length} values but shape [${t.shape.join(', ')}]`);
    const size = t.data.length * 4;
    members.push(`${JSON.stringify(t.key)}:${JSON.stringify({ dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + size] })}`);
    offset += size;
  }
  const json = UTF8.encode(`{${members.join(',')}}`);
  const padded = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + padded + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + padded);
  let at = 8 + padded;
  for (const t of sorted) {
    if (LITTLE_ENDIAN) out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    else for (let i = 0; i < t.data.length; i++) view.setFloat32(at + i * 4, t.data[i]!, true);
    at += t.data.byteLength;
  }
  return out;
}

const DTYPES: Record<string, { size: number; read: (view: DataView, at: number) => number }> = {
  F32: { size: 4, read: (v, at) => v.getFloat32(at, true) },
  F64: { size: 8, read: (v, at) => v.getFloat64(at, true) },
  F16: { size: 2, read: (v, at) => halfToFloat(v.getUint16(at, true)) },
  BF16: { size: 2, read: (v, at) => bfloat16ToFloat(v.getUint16(at, true)) },
};

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

const bf16 = new DataView(new ArrayBuffer(4));
function bfloat16ToFloat(b: number): number {
  bf16.setUint32(0, b << 16);
  return bf16.getFloat32(0);
}

/** Decodes a safetensors file; every problem is a one-line `error`. */
export function readSafetensors(bytes: Uint8Array): SafetensorsResult {
  const fail = (why: string): SafetensorsResult => ({ error: `not a readable safetensors file: ${why}` });
  if (bytes.length < 8) return fail(`it has ${bytes.length} bytes, fewer than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getBigUint64(0, true);
  if (n > BigInt(Math.min(MAX_HEADER, bytes.length - 8))) return fail(`the header length ${n} exceeds the file (${bytes.length} bytes) or 100 MB`);
  const headerEnd = 8 + Number(n);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, headerEnd)));
  } catch (e) {
    return fail(`the header is not UTF-8 JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) return fail('the header is not a JSON object');
  let metadata: Record<string, string> | null = null;
  const entries: { key: string; dtype: string; shape: number[]; begin: number; end: number }[] = [];
  for (const [key, value] of Object.entries(header as Record<string, unknown>)) {
    if (key === METADATA) {
      if (typeof value !== 'object' || value === null || Array.isArray(value) || Object.values(value).some((v) => typeof v !== 'string')) return fail(`${METADATA} must map strings to strings`);
      metadata = value as Record<string, string>;
      continue;
    }
    const info = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
    const offsets = info?.data_offsets;
    if (
      typeof info !== 'object' ||
      info === null ||
      typeof info.dtype !== 'string' ||
      !Array.isArray(info.shape) ||
      !info.shape.every((d) => Number.isSafeInteger(d) && d >= 0) ||
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((d) => Number.isSafeInteger(d) && d >= 0)
    ) {
      return fail(`tensor '${key}' needs a dtype, a shape of non-negative integers and two data_offsets`);
    }
    entries.push({ key, dtype: info.dtype, shape: info.shape as number[], begin: offsets[0] as number, end: offsets[1] as number });
  }
  // As the reference reader validates: the tensors tile the data exactly, in offset order.
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  const dataLength = bytes.length - headerEnd;
  let expected = 0;
  const tensors: NamedTensor[] = [];
  for (const e of entries) {
    const dtype = DTYPES[e.dtype];
    if (!dtype) return fail(`tensor '${e.key}' has dtype ${e.dtype}; only F32, F64, F16 and BF16 can be read as float`);
    if (e.begin !== expected || e.end < e.begin) return fail(`tensor '${e.key}' has data_offsets [${e.begin}, ${e.end}] where [${expected}, …] was expected (the data must be contiguous)`);
    const values = elementCount(e.shape);
    if (e.end - e.begin !== values * dtype.size) return fail(`tensor '${e.key}' of shape [${e.shape.join(', ')}] needs ${values * dtype.size} bytes, its data_offsets give ${e.end - e.begin}`);
    if (e.end > dataLength) return fail(`tensor '${e.key}' ends at byte ${e.end} of the data, which has ${dataLength}`);
    expected = e.end;
    const at = headerEnd + e.begin;
    let data: Float32Array;
    if (e.dtype === 'F32' && LITTLE_ENDIAN) {
      data = new Float32Array(values);
      new Uint8Array(data.buffer).set(bytes.subarray(at, at + values * 4));
    } else {
      data = new Float32Array(values);
      for (let i = 0; i < values; i++) data[i] = dtype.read(view, at + i * dtype.size);
    }
    tensors.push({ key: e.key, shape: e.shape, data });
  }
  if (expected !== dataLength) return fail(`the tensors cover ${expected} bytes of data but the file has ${dataLength}`);
  return { file: { tensors, metadata } };
}
