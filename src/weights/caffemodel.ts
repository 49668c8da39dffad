/**
 * Reads the trained blobs of a binary .caffemodel (a serialised NetParameter) into typed
 * arrays. The walk follows the protobufjs schema in caffemodel-schema.ts with protobufjs's wire
 * reader rather than `Type.decode`: decoding would turn every weight into a JS number in an
 * array (twice the file's size, plus overhead) where a Float32Array view over the file's own
 * bytes costs nothing. Everything else in the file (layer settings, diffs) is skipped unread.
 *
 * Follows Caffe's reading rules (net.cpp, blob.cpp, upgrade_proto.cpp): V1 and V0 layers are
 * read as Caffe upgrades them; a blob's values come from `double_data` when it has any, else
 * from `data`; the deprecated num/channels/height/width fields, when any is present, give the
 * shape (missing ones are 0). Anything malformed is a one-line error, never an exception.
 */
import protobuf from 'protobufjs';
import { MESSAGES, V1_LAYER_TYPES } from './caffemodel-schema.js';

export interface CaffeBlob {
  /** As stored: the BlobShape dims, or [num, channels, height, width] when `legacy`. */
  shape: number[];
  /** The shape came from the deprecated 4-D fields, which Caffe matches from the end (see ir-weights.ts). */
  legacy: boolean;
  /**
   * The values, row-major. May be a view into the bytes given to readCaffeModel: treat as
   * read-only. Values stored as `double_data` are rounded to float, as Caffe's float nets do.
   */
  data: Float32Array;
}

export interface CaffeLayerWeights {
  name: string;
  /** The V2 type string ('Convolution'); V1 enum types are translated, '' when absent. */
  type: string;
  blobs: CaffeBlob[];
}

export interface CaffeModel {
  file: string;
  /** NetParameter.name ('' when absent). */
  name: string;
  /** Which layer format the file uses: V2 `layer`, V1 `layers`, or V0 layers wrapped in V1 ones. */
  format: 'caffe-v2' | 'caffe-v1' | 'caffe-v0';
  /** In file order; Caffe copies them in this order, so a later layer of the same name wins. */
  layers: CaffeLayerWeights[];
}

export type CaffeModelResult = { model: CaffeModel } | { error: string };

/** A problem with the file's bytes; turned into `{ error }` at the top. */
class FormatError extends Error {}

const UTF8 = new TextDecoder();
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const ids = (type: protobuf.Type): Record<string, number> => Object.fromEntries(Object.values(type.fields).map((f) => [f.name, f.id]));
const NET = ids(MESSAGES.NetParameter);
const LAYER = ids(MESSAGES.LayerParameter);
const V1 = ids(MESSAGES.V1LayerParameter);
const V0 = ids(MESSAGES.V0LayerParameter);
const BLOB = ids(MESSAGES.BlobProto);
const SHAPE = ids(MESSAGES.BlobShape);

const WIRE = { varint: 0, fixed64: 1, bytes: 2, fixed32: 5 } as const;
const WIRE_NAMES = ['varint', '64-bit', 'length-delimited', 'group start', 'group end', '32-bit', 'invalid (6)', 'invalid (7)'];

/** Wire-level reading within [pos, end) of one message, with errors that say where. */
class Cursor {
  constructor(
    readonly r: protobuf.Reader,
    readonly end: number,
    readonly where: string,
  ) {}

  /** Calls `fn` for each field; fields it does not take (returns false) are skipped. */
  fields(fn: (field: number, wire: number) => boolean): void {
    const r = this.r;
    while (r.pos < this.end) {
      const at = r.pos;
      const tag = r.uint32();
      const field = tag >>> 3;
      const wire = tag & 7;
      if (field === 0) throw new FormatError(`${this.where}: field number 0 at byte ${at}`);
      if (!fn(field, wire)) {
        if (wire === 6 || wire === 7 || wire === 4) throw new FormatError(`${this.where}: invalid wire type ${wire} at byte ${at}`);
        r.skipType(wire, 0, field);
      }
      if (r.pos > this.end) throw new FormatError(`${this.where}: the field at byte ${at} runs past the end of its message`);
    }
  }

  expect(field: number, wire: number, want: number, what: string): void {
    if (wire !== want) {
      throw new FormatError(`${this.where}: ${what} (field ${field}) has wire type ${WIRE_NAMES[wire]}, expected ${WIRE_NAMES[want]}`);
    }
  }

  /** The extent of a length-delimited field, checked against the message. */
  span(): { start: number; end: number } {
    const r = this.r;
    const length = r.uint32();
    const start = r.pos;
    const end = start + length;
    if (end > this.end) throw new FormatError(`${this.where}: a field of ${length} bytes at byte ${start} runs past the end of its message`);
    r.pos = end;
    return { start, end };
  }

  string(): string {
    const { start, end } = this.span();
    return UTF8.decode(this.r.buf.subarray(start, end));
  }

  sub(where: string): Cursor {
    const { start, end } = this.span();
    this.r.pos = start;
    return new Cursor(this.r, end, where);
  }

  done(): void {
    this.r.pos = this.end;
  }
}

/** Gathers a repeated float/double field, which may arrive packed, unpacked or in several pieces. */
class Values {
  private pieces: Float32Array[] = [];
  private loose: number[] = [];
  private count = 0;

  add(piece: Float32Array): void {
    this.flush();
    this.pieces.push(piece);
    this.count += piece.length;
  }

  push(value: number): void {
    this.loose.push(value);
    this.count++;
  }

  get length(): number {
    return this.count;
  }

  result(): Float32Array {
    this.flush();
    if (this.pieces.length === 1) return this.pieces[0]!;
    const out = new Float32Array(this.count);
    let at = 0;
    for (const p of this.pieces) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }

  private flush(): void {
    if (this.loose.length === 0) return;
    this.pieces.push(Float32Array.from(this.loose));
    this.loose = [];
  }
}

/** Packed floats: a view when the bytes are aligned (no copy), else one copy. */
function floatsAt(buf: Uint8Array, start: number, end: number): Float32Array {
  const n = (end - start) / 4;
  const offset = buf.byteOffset + start;
  if (LITTLE_ENDIAN && offset % 4 === 0) return new Float32Array(buf.buffer, offset, n);
  const out = new Float32Array(n);
  if (LITTLE_ENDIAN) {
    new Uint8Array(out.buffer).set(buf.subarray(start, end));
  } else {
    const view = new DataView(buf.buffer, offset, end - start);
    for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true);
  }
  return out;
}

function doublesAt(buf: Uint8Array, start: number, end: number): Float32Array {
  const n = (end - start) / 8;
  const view = new DataView(buf.buffer, buf.byteOffset + start, end - start);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = view.getFloat64(i * 8, true);
  return out;
}

function readFloats(c: Cursor, field: number, wire: number, into: Values, size: 4 | 8): void {
  const r = c.r;
  if (wire === WIRE.bytes) {
    const { start, end } = c.span();
    if ((end - start) % size !== 0) throw new FormatError(`${c.where}: packed ${size === 4 ? 'float' : 'double'} field ${field} has ${end - start} bytes, not a multiple of ${size}`);
    into.add(size === 4 ? floatsAt(r.buf, start, end) : doublesAt(r.buf, start, end));
    return;
  }
  c.expect(field, wire, size === 4 ? WIRE.fixed32 : WIRE.fixed64, size === 4 ? 'a float value' : 'a double value');
  if (r.pos + size > c.end) throw new FormatError(`${c.where}: a ${size === 4 ? 'float' : 'double'} value at byte ${r.pos} runs past the end of its message`);
  into.push(size === 4 ? r.float() : r.double());
}

function toDim(value: protobuf.Long | number, c: Cursor): number {
  // A negative int64 has high bits set, which puts it out of range below as well.
  const n = typeof value === 'number' ? value : value.high * 0x100000000 + (value.low >>> 0);
  if (!Number.isSafeInteger(n) || n < 0 || n > 0x7fffffff) throw new FormatError(`${c.where}: blob dimension ${String(value)} is out of range`);
  return n;
}

function readShape(c: Cursor): number[] {
  const dims: number[] = [];
  c.fields((field, wire) => {
    if (field !== SHAPE.dim) return false;
    if (wire === WIRE.bytes) {
      const sub = c.sub(c.where);
      while (c.r.pos < sub.end) dims.push(toDim(c.r.int64(), c));
      if (c.r.pos !== sub.end) throw new FormatError(`${c.where}: a packed dimension list runs past its end`);
    } else {
      c.expect(field, wire, WIRE.varint, 'a dimension');
      dims.push(toDim(c.r.int64(), c));
    }
    return true;
  });
  return dims;
}

function readBlob(c: Cursor): CaffeBlob {
  const floats = new Values();
  const doubles = new Values();
  let dims: number[] = [];
  const legacy: [number, number, number, number] = [0, 0, 0, 0];
  let hasLegacy = false;
  const legacyIndex = new Map([
    [BLOB.num!, 0],
    [BLOB.channels!, 1],
    [BLOB.height!, 2],
    [BLOB.width!, 3],
  ]);
  c.fields((field, wire) => {
    if (field === BLOB.data) readFloats(c, field, wire, floats, 4);
    else if (field === BLOB.double_data) readFloats(c, field, wire, doubles, 8);
    else if (field === BLOB.shape) {
      c.expect(field, wire, WIRE.bytes, 'the blob shape');
      const sub = c.sub(`${c.where} shape`);
      dims = readShape(sub);
      sub.done();
    } else if (legacyIndex.has(field)) {
      c.expect(field, wire, WIRE.varint, 'a legacy blob dimension');
      const v = c.r.int32();
      if (v < 0) throw new FormatError(`${c.where}: legacy blob dimension ${v} is negative`);
      legacy[legacyIndex.get(field)!] = v;
      hasLegacy = true;
    } else return false;
    return true;
  });
  return {
    shape: hasLegacy ? [...legacy] : dims,
    legacy: hasLegacy,
    // Blob::FromProto: double_data when present, otherwise data.
    data: doubles.length > 0 ? doubles.result() : floats.result(),
  };
}

interface RawLayer {
  name: string | undefined;
  type: string | undefined;
  blobs: CaffeBlob[];
}

function readLayer(c: Cursor, f: { name: number; type: number; blobs: number }, typeIsEnum: boolean, v0?: (c: Cursor) => RawLayer): RawLayer & { v0: boolean } {
  const layer: RawLayer & { v0: boolean } = { name: undefined, type: undefined, blobs: [], v0: false };
  let inner: RawLayer | undefined;
  c.fields((field, wire) => {
    if (field === f.name) {
      c.expect(field, wire, WIRE.bytes, 'the layer name');
      layer.name = c.string();
    } else if (field === f.type) {
      if (typeIsEnum) {
        c.expect(field, wire, WIRE.varint, 'the layer type');
        const t = c.r.int32();
        layer.type = V1_LAYER_TYPES.get(t) ?? `V1 layer type ${t}`;
      } else {
        c.expect(field, wire, WIRE.bytes, 'the layer type');
        layer.type = c.string();
      }
    } else if (field === f.blobs) {
      c.expect(field, wire, WIRE.bytes, 'a blob');
      const where = `${c.where}${layer.name !== undefined ? ` ('${layer.name}')` : ''} blob ${layer.blobs.length}`;
      const sub = c.sub(where);
      layer.blobs.push(readBlob(sub));
      sub.done();
    } else if (v0 && field === V1.layer) {
      c.expect(field, wire, WIRE.bytes, 'the V0 layer');
      const sub = c.sub(`${c.where} (V0 layer)`);
      inner = v0(sub);
      sub.done();
    } else return false;
    return true;
  });
  // UpgradeV0LayerParameter: a wrapped V0 layer supplies the name, type and blobs.
  if (inner) return { ...inner, v0: true };
  return layer;
}

function describe(bytes: Uint8Array): string | null {
  if (bytes.length >= 4 && bytes[0] === 0x89 && bytes[1] === 0x48 && bytes[2] === 0x44 && bytes[3] === 0x46) {
    return "it is an HDF5 file (Caffe's .caffemodel.h5 snapshot format); convert it to a binary .caffemodel first";
  }
  const head = bytes.subarray(0, 256);
  if (head.length > 0 && head.every((b) => (b >= 0x20 && b < 0x7f) || b === 0x09 || b === 0x0a || b === 0x0d)) {
    return 'it looks like text (a .prototxt?); --weights needs the binary .caffemodel';
  }
  return null;
}

/** Reads a binary .caffemodel. `file` names it in messages. */
export function readCaffeModel(bytes: Uint8Array, file: string): CaffeModelResult {
  const fail = (why: string): CaffeModelResult => ({ error: `${file}: not a readable Caffe model: ${why}` });
  if (bytes.length === 0) return fail('the file is empty');
  const reader = protobuf.Reader.create(bytes);
  let name = '';
  const v2: RawLayer[] = [];
  const v1: (RawLayer & { v0: boolean })[] = [];
  try {
    const net = new Cursor(reader, bytes.length, 'NetParameter');
    const v0Layer = (c: Cursor) => readLayer(c, { name: V0.name!, type: V0.type!, blobs: V0.blobs! }, false);
    net.fields((field, wire) => {
      if (field === NET.name) {
        net.expect(field, wire, WIRE.bytes, 'the net name');
        name = net.string();
      } else if (field === NET.layer) {
        net.expect(field, wire, WIRE.bytes, 'a layer');
        const c = net.sub(`layer ${v2.length}`);
        v2.push(readLayer(c, { name: LAYER.name!, type: LAYER.type!, blobs: LAYER.blobs! }, false));
        c.done();
      } else if (field === NET.layers) {
        net.expect(field, wire, WIRE.bytes, 'a V1 layer');
        const c = net.sub(`V1 layer ${v1.length}`);
        v1.push(readLayer(c, { name: V1.name!, type: V1.type!, blobs: V1.blobs! }, true, v0Layer));
        c.done();
      } else return false;
      return true;
    });
  } catch (e) {
    const known = describe(bytes);
    if (known) return fail(known);
    if (e instanceof FormatError) return fail(e.message);
    if (e instanceof RangeError) return fail(`the file ends in the middle of a field (truncated?): ${e.message}`);
    if (e instanceof Error) return fail(e.message);
    throw e;
  }
  if (v2.length > 0 && v1.length > 0) {
    // UpgradeV1Net refuses such a file.
    return fail("it has both V2 'layer' and V1 'layers' entries (Caffe refuses to upgrade an inconsistent NetParameter)");
  }
  if (v2.length === 0 && v1.length === 0) return fail(describe(bytes) ?? 'it holds no layers');
  const format = v2.length > 0 ? 'caffe-v2' : v1.some((l) => l.v0) ? 'caffe-v0' : 'caffe-v1';
  const layers = (v2.length > 0 ? v2 : v1).map((l) => ({ name: l.name ?? '', type: l.type ?? '', blobs: l.blobs }));
  return { model: { file, name, format, layers } };
}
