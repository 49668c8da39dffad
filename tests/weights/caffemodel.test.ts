import fc from 'fast-check';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { MESSAGES } from '../../src/weights/caffemodel-schema.js';
import { readCaffeModel, type CaffeModel } from '../../src/weights/index.js';
import { blob, encodeNet, filled, layer, PROTOC_SKIP_REASON } from './caffemodel-builder.js';

const describeProtoc = PROTOC_SKIP_REASON ? describe.skip : describe;
if (PROTOC_SKIP_REASON) console.warn(`[weights/caffemodel] skipped: ${PROTOC_SKIP_REASON}`);

function read(bytes: Uint8Array, file = 'test.caffemodel'): CaffeModel {
  const result = readCaffeModel(bytes, file);
  if ('error' in result) throw new Error(result.error);
  return result.model;
}

function errorOf(bytes: Uint8Array): string {
  const result = readCaffeModel(bytes, 'bad.caffemodel');
  if (!('error' in result)) throw new Error('expected an error');
  return result.error;
}

const asFloat = (xs: readonly number[]) => Array.from(Float32Array.from(xs));

const CONV_W = filled([2, 3, 2, 2], 1);
const CONV_B = filled([2], 2);
const IP_W = filled([3, 8], 3);
const TEXT = [
  'name: "tiny"',
  layer('data', 'Input', []),
  layer('conv1', 'Convolution', [blob([2, 3, 2, 2], CONV_W, { diff: true }), blob([2], CONV_B)], 'convolution_param { num_output: 2 }'),
  layer('relu1', 'ReLU', []),
  layer('fc1', 'InnerProduct', [blob([3, 8], IP_W)]),
].join('\n');

describeProtoc('reading .caffemodel files', () => {
  it('reads V2 layers with names, types, shapes and float values in file order', () => {
    const model = read(encodeNet(TEXT));
    expect(model.name).toBe('tiny');
    expect(model.format).toBe('caffe-v2');
    expect(model.layers.map((l) => [l.name, l.type, l.blobs.length])).toEqual([
      ['data', 'Input', 0],
      ['conv1', 'Convolution', 2],
      ['relu1', 'ReLU', 0],
      ['fc1', 'InnerProduct', 1],
    ]);
    const [w, b] = model.layers[1]!.blobs;
    expect(w!.shape).toEqual([2, 3, 2, 2]);
    expect(w!.legacy).toBe(false);
    // The diff written beside the data is not mistaken for it.
    expect(Array.from(w!.data)).toEqual(asFloat(CONV_W));
    expect(Array.from(b!.data)).toEqual(asFloat(CONV_B));
    expect(Array.from(model.layers[3]!.blobs[0]!.data)).toEqual(asFloat(IP_W));
  });

  it("agrees with protobufjs's own decoder driven by the same schema", () => {
    const bytes = encodeNet(TEXT);
    const decoded = MESSAGES.NetParameter.toObject(MESSAGES.NetParameter.decode(bytes), { longs: Number, arrays: true }) as {
      name: string;
      layer: { name: string; type: string; blobs: { shape?: { dim: number[] }; data: number[] }[] }[];
    };
    const model = read(bytes);
    expect(model.layers.map((l) => ({ name: l.name, type: l.type, blobs: l.blobs.map((b) => ({ shape: b.shape, data: Array.from(b.data) })) }))).toEqual(
      decoded.layer.map((l) => ({ name: l.name, type: l.type, blobs: l.blobs.map((b) => ({ shape: b.shape?.dim ?? [], data: b.data })) })),
    );
  });

  it('reads unpacked repeated numbers (one tag per value) exactly like packed ones', () => {
    const packed = encodeNet(TEXT);
    const unpacked = encodeNet(TEXT.replace(/ bottom: "x" top: "y"| convolution_param \{ num_output: 2 \}/g, ''), { unpacked: true });
    expect(unpacked.length).toBeGreaterThan(packed.length);
    const a = read(packed);
    const b = read(unpacked);
    expect(b.layers.map((l) => l.blobs.map((x) => ({ shape: x.shape, data: Array.from(x.data) })))).toEqual(
      a.layers.map((l) => l.blobs.map((x) => ({ shape: x.shape, data: Array.from(x.data) }))),
    );
  });

  it('takes double_data (rounded to float) and prefers it over data, as Blob::FromProto does', () => {
    const precise = [0.1, 1 / 3, 1e-40, 123456789.123];
    const text = `layer { name: "s" type: "Scale" ${blob([4], precise, { double: true })} blobs { shape { dim: 2 } data: 5 data: 6 double_data: 7.25 double_data: 8.5 } }`;
    const [a, b] = read(encodeNet(text)).layers[0]!.blobs;
    expect(Array.from(a!.data)).toEqual(precise.map(Math.fround));
    expect(Array.from(b!.data)).toEqual([7.25, 8.5]);
  });

  it('reads the deprecated 4-D num/channels/height/width shape, with missing dims as 0', () => {
    const text = `layer { name: "fc" type: "InnerProduct" ${blob([3, 8], IP_W, { legacy: [1, 1, 3, 8] })} blobs { height: 2 data: 1 data: 2 } }`;
    const [w, odd] = read(encodeNet(text)).layers[0]!.blobs;
    expect(w!.legacy).toBe(true);
    expect(w!.shape).toEqual([1, 1, 3, 8]);
    expect(odd!.shape).toEqual([0, 0, 2, 0]);
  });

  it('reads V1 layers (enum types) and V0 layers wrapped in them', () => {
    const v1 = `name: "old" layers { name: "conv1" type: CONVOLUTION blobs_lr: 1 ${blob([2, 3, 2, 2], CONV_W)} ${blob([2], CONV_B)} } layers { name: "r" type: RELU }`;
    const m1 = read(encodeNet(v1));
    expect(m1.format).toBe('caffe-v1');
    expect(m1.layers.map((l) => [l.name, l.type])).toEqual([
      ['conv1', 'Convolution'],
      ['r', 'ReLU'],
    ]);
    expect(Array.from(m1.layers[0]!.blobs[0]!.data)).toEqual(asFloat(CONV_W));
    const v0 = `layers { bottom: "data" top: "conv1" layer { name: "conv1" type: "conv" num_output: 2 blobs { num: 1 channels: 1 height: 1 width: 2 data: 3 data: 4 } } }`;
    const m0 = read(encodeNet(v0));
    expect(m0.format).toBe('caffe-v0');
    expect(m0.layers[0]!.name).toBe('conv1');
    expect(m0.layers[0]!.blobs[0]!.shape).toEqual([1, 1, 1, 2]);
    expect(Array.from(m0.layers[0]!.blobs[0]!.data)).toEqual([3, 4]);
  });

  it('gives the same values wherever the bytes sit in memory (aligned views, unaligned copies)', () => {
    const bytes = encodeNet(TEXT);
    const reference = read(bytes).layers[1]!.blobs[0]!.data;
    for (let shift = 0; shift < 4; shift++) {
      const host = new Uint8Array(bytes.length + 8);
      host.set(bytes, shift);
      const data = read(host.subarray(shift, shift + bytes.length)).layers[1]!.blobs[0]!.data;
      expect(Array.from(data)).toEqual(Array.from(reference));
    }
  });

  it('refuses a file with both V2 layer and V1 layers, like UpgradeV1Net', () => {
    expect(errorOf(encodeNet('layer { name: "a" } layers { name: "b" }'))).toMatch(/both V2 'layer' and V1 'layers'/);
  });

  it('turns every truncation of a valid file into a one-line error, never an exception', () => {
    const bytes = encodeNet(TEXT);
    for (let n = 0; n < bytes.length; n++) {
      const result = readCaffeModel(bytes.subarray(0, n), 'cut.caffemodel');
      // A cut exactly between two layers leaves a valid, shorter model.
      if ('model' in result) continue;
      expect(result.error).toMatch(/^cut\.caffemodel: not a readable Caffe model: /);
      expect(result.error).not.toContain('\n');
    }
    expect(errorOf(bytes.subarray(0, bytes.length - 3))).toMatch(/runs past the end|truncated/);
  });
});

describe('malformed .caffemodel files', () => {
  const w = () => protobuf.Writer.create();

  it('reports an empty file, a text file and an HDF5 file for what they are', () => {
    expect(errorOf(new Uint8Array())).toMatch(/empty/);
    expect(errorOf(new TextEncoder().encode('name: "net"\nlayer {\n  name: "conv1"\n  type: "Convolution"\n}\n'))).toMatch(/looks like text/);
    expect(errorOf(Uint8Array.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0]))).toMatch(/HDF5/);
  });

  it('reports a known field with the wrong wire type', () => {
    // layer (100) as a varint instead of a message.
    expect(errorOf(w().uint32((100 << 3) | 0).uint32(1).finish())).toMatch(/a layer \(field 100\) has wire type varint, expected length-delimited/);
    // data (5) inside a blob as a 64-bit value.
    const blobBytes = w().uint32((5 << 3) | 1).fixed64(1).finish();
    const layerBytes = w().uint32((1 << 3) | 2).string('x').uint32((7 << 3) | 2).bytes(blobBytes).finish();
    expect(errorOf(w().uint32((100 << 3) | 2).bytes(layerBytes).finish())).toMatch(/layer 0 \('x'\) blob 0: a float value \(field 5\) has wire type 64-bit/);
  });

  it('reports invalid wire types, field number 0 and packed floats of a bad length', () => {
    expect(errorOf(Uint8Array.from([(3 << 3) | 7, 0]))).toMatch(/invalid wire type 7/);
    expect(errorOf(Uint8Array.from([0x02, 0x00]))).toMatch(/field number 0/);
    const blobBytes = w().uint32((5 << 3) | 2).bytes(Uint8Array.from([1, 2, 3, 4, 5, 6])).finish();
    const layerBytes = w().uint32((7 << 3) | 2).bytes(blobBytes).finish();
    expect(errorOf(w().uint32((100 << 3) | 2).bytes(layerBytes).finish())).toMatch(/6 bytes, not a multiple of 4/);
  });

  it('reports a message whose declared length runs past the file', () => {
    // Tag 0xa2 0x06 is field 100 (layer), length-delimited; it claims 50 bytes, 1 follows.
    expect(errorOf(Uint8Array.from([0xa2, 0x06, 50, 0x0a]))).toMatch(/runs past the end/);
  });

  it('reports negative or oversized dimensions', () => {
    const shape = w().uint32((1 << 3) | 0).int64(-3).finish();
    const blobBytes = w().uint32((7 << 3) | 2).bytes(shape).finish();
    const layerBytes = w().uint32((7 << 3) | 2).bytes(blobBytes).finish();
    expect(errorOf(w().uint32((100 << 3) | 2).bytes(layerBytes).finish())).toMatch(/dimension .* out of range/);
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const result = readCaffeModel(bytes, 'random.caffemodel');
        return 'model' in result || (typeof result.error === 'string' && !result.error.includes('\n'));
      }),
      { numRuns: 3000 },
    );
  });

  it('reads a large model quickly and without copying aligned blob data', () => {
    // 16 MiB of weights in one blob, written the way Caffe writes them (packed floats).
    const n = 4 * 1024 * 1024;
    const weights = new Float32Array(n);
    for (let i = 0; i < n; i += 4099) weights[i] = i;
    const shape = w().uint32((1 << 3) | 2).fork().uint32(2048).uint32(2048).ldelim().finish();
    const raw = new Uint8Array(weights.buffer);
    const blobBytes = w().uint32((7 << 3) | 2).bytes(shape).uint32((5 << 3) | 2).bytes(raw).finish();
    const build = (name: string) => {
      const layerBytes = w().uint32((1 << 3) | 2).string(name).uint32((7 << 3) | 2).bytes(blobBytes).finish();
      return w().uint32((100 << 3) | 2).bytes(layerBytes).finish();
    };
    // The weights are the file's last bytes; a name of the right length puts them 4-byte aligned.
    const names = ['fc6', 'fc6a', 'fc6ab', 'fc6abc'];
    const files = names.map(build);
    const aligned = files.findIndex((f) => (f.byteOffset + f.length - raw.length) % 4 === 0);
    expect(aligned).toBeGreaterThanOrEqual(0);
    const file = files[aligned]!;
    const started = performance.now();
    const model = read(file);
    const elapsed = performance.now() - started;
    const data = model.layers[0]!.blobs[0]!.data;
    expect(model.layers[0]!.name).toBe(names[aligned]);
    expect(model.layers[0]!.blobs[0]!.shape).toEqual([2048, 2048]);
    expect(data.length).toBe(n);
    expect(data[4099 * 1000]).toBe(4099 * 1000);
    expect(data[1]).toBe(0);
    expect(data.buffer).toBe(file.buffer);
    const unaligned = read(files[(aligned + 1) % 4]!).layers[0]!.blobs[0]!.data;
    expect(unaligned.buffer).not.toBe(files[(aligned + 1) % 4]!.buffer);
    expect(unaligned[4099 * 1000]).toBe(4099 * 1000);
    expect(elapsed).toBeLessThan(2000);
  });
});
