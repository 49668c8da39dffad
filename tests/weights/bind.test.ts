import { describe, expect, it } from 'vitest';
import { prepareBackendInput, type BackendInput } from '../../src/backends/backend.js';
import { bindCaffeWeights, readCaffeModel, type CaffeModel, type IrWeights } from '../../src/weights/index.js';
import { ALL, blob, bn1, CONV1, encodeNet, FC1, filled, layer, PROTOC_SKIP_REASON, SCALE1, TINY_NET as TINY, TINY_VALUES as V } from './caffemodel-builder.js';

const describeProtoc = PROTOC_SKIP_REASON ? describe.skip : describe;
if (PROTOC_SKIP_REASON) console.warn(`[weights/bind] skipped: ${PROTOC_SKIP_REASON}`);

async function prepare(path: string, text?: string): Promise<BackendInput> {
  const prepared = await prepareBackendInput(path, {}, text);
  if (!prepared.input) throw new Error(prepared.diagnostics.items.map((d) => d.message).join('\n'));
  return prepared.input;
}

function model(text: string): CaffeModel {
  const result = readCaffeModel(encodeNet(text), 'tiny.caffemodel');
  if ('error' in result) throw new Error(result.error);
  return result.model;
}

async function bind(caffemodelText: string, net = TINY, netText?: string) {
  const input = await prepare(net, netText);
  const before = input.diagnostics.items.length;
  const weights = bindCaffeWeights(input.model.graph, model(caffemodelText), input.diagnostics, input.reports);
  const diagnostics = input.diagnostics.items.slice(before);
  return { weights, diagnostics, codes: diagnostics.map((d) => d.code) };
}

const get = (w: IrWeights, node: string, param: string) => {
  const t = w.get(node)?.get(param);
  if (!t) throw new Error(`no ${node}.${param}`);
  return { shape: t.shape, data: Array.from(t.data) };
};

const asFloat = (xs: readonly number[]) => Array.from(Float32Array.from(xs));

describeProtoc('binding caffemodel blobs to the IR', () => {
  it('copies every layer by name into its parameters, in Caffe blob order, with the IR shapes', async () => {
    const { weights, diagnostics } = await bind(ALL);
    expect(diagnostics).toEqual([]);
    expect([...weights.keys()]).toEqual(['conv1', 'bn1', 'scale1', 'fc1', 'deconv1']);
    expect(get(weights, 'conv1', 'weight')).toEqual({ shape: [4, 3, 3, 3], data: asFloat(V.convW) });
    expect(get(weights, 'conv1', 'bias')).toEqual({ shape: [4], data: asFloat(V.convB) });
    expect(get(weights, 'scale1', 'weight')).toEqual({ shape: [4], data: asFloat(V.scaleW) });
    expect(get(weights, 'scale1', 'bias')).toEqual({ shape: [4], data: asFloat(V.scaleB) });
    // InnerProduct after a 4×4×4 blob: K = 64 in Caffe's (and PyTorch's) C,H,W flatten order.
    expect(get(weights, 'fc1', 'weight')).toEqual({ shape: [5, 64], data: asFloat(V.fcW) });
    expect(get(weights, 'deconv1', 'weight')).toEqual({ shape: [4, 2, 2, 2], data: asFloat(V.deconvW) });
  });

  it('divides BatchNorm mean and variance by the scale factor and drops the factor', async () => {
    const { weights } = await bind(ALL);
    expect([...weights.get('bn1')!.keys()]).toEqual(['running_mean', 'running_var']);
    // Sums [4, 8, −2, 1] and [8, 2, 4, 0.5] over a factor of 4.
    expect(get(weights, 'bn1', 'running_mean')).toEqual({ shape: [4], data: [1, 2, -0.5, 0.25] });
    expect(get(weights, 'bn1', 'running_var')).toEqual({ shape: [4], data: [2, 0.5, 1, 0.125] });
  });

  it('rounds like Caffe (float 1/factor, float products) for a factor that is not a power of 2', async () => {
    const { weights } = await bind([CONV1, bn1(999.0004)].join('\n'));
    const factor = Math.fround(999.0004);
    const scale = Math.fround(1 / factor);
    expect(get(weights, 'bn1', 'running_mean').data).toEqual([4, 8, -2, 1].map((s) => Math.fround(s * scale)));
  });

  it('reads a scale factor of 0 as Caffe does (statistics 0) and warns', async () => {
    const { weights, diagnostics } = await bind([CONV1, bn1(0)].join('\n'));
    // −2·0 is −0 in Caffe's caffe_cpu_scale too.
    expect(get(weights, 'bn1', 'running_mean').data).toEqual([0, 0, -0, 0]);
    expect(get(weights, 'bn1', 'running_var').data).toEqual([0, 0, 0, 0]);
    const zero = diagnostics.find((d) => d.code === 'weights/batchnorm-zero-factor');
    expect(zero?.severity).toBe('warning');
    expect(zero?.message).toContain("'bn1'");
  });

  it('reports a blob of the wrong shape as an error naming the layer and the blob, and binds nothing for it', async () => {
    const wrong = layer('conv1', 'Convolution', [blob([4, 3, 5, 5], filled([4, 3, 5, 5], 1)), blob([4], V.convB)]);
    const { weights, diagnostics } = await bind([wrong, FC1].join('\n'));
    const error = diagnostics.find((d) => d.code === 'weights/shape-mismatch')!;
    expect(error.severity).toBe('error');
    expect(error.message).toBe("layer 'conv1' blob 0 (weight) is [4, 3, 5, 5] in tiny.caffemodel but the net needs [4, 3, 3, 3]");
    expect(error.source.text.slice(error.span.start, error.span.end)).toContain('name: "conv1"');
    expect(weights.has('conv1')).toBe(false);
    expect(weights.has('fc1')).toBe(true);
  });

  it('reports a blob count that differs from the layer (Caffe: "Incompatible number of blobs")', async () => {
    const { diagnostics } = await bind(layer('conv1', 'Convolution', [blob([4, 3, 3, 3], V.convW)]));
    const error = diagnostics.find((d) => d.code === 'weights/blob-count')!;
    expect(error.severity).toBe('error');
    expect(error.message).toContain("layer 'conv1' has 1 blob(s) in tiny.caffemodel but the net's layer takes 2 (weight, bias)");
  });

  it('reports a blob whose values do not fill its shape', async () => {
    const short = layer('fc1', 'InnerProduct', [blob([5, 64], V.fcW.slice(1)), blob([5], V.fcB)]);
    const { diagnostics } = await bind(short);
    expect(diagnostics.find((d) => d.code === 'weights/blob-size')?.message).toBe("layer 'fc1' blob 0 (weight) holds 319 values but its shape [5, 64] needs 320");
  });

  it('warns once about layers the caffemodel lacks, and ignores caffemodel layers the net lacks', async () => {
    const extra = layer('conv_not_in_net', 'Convolution', [blob([1], [1])]);
    const { weights, diagnostics } = await bind([CONV1, extra, SCALE1].join('\n'));
    expect(diagnostics.map((d) => [d.code, d.severity])).toEqual([['weights/missing-layers', 'warning']]);
    expect(diagnostics[0]!.message).toBe("3 layer(s) with parameters are not in tiny.caffemodel and keep their initial values: 'bn1', 'fc1', 'deconv1'");
    expect([...weights.keys()]).toEqual(['conv1', 'scale1']);
  });

  it('says when no layer matches at all', async () => {
    const { diagnostics } = await bind(layer('other', 'Convolution', [blob([1], [1])]));
    expect(diagnostics[0]!.message).toMatch(/keep their initial values: 'conv1', 'bn1', 'scale1', 'fc1', 'deconv1' \(no layer of the caffemodel has the name of a layer of this net/);
  });

  it('accepts deprecated 4-D InnerProduct blobs (1×1×M×K, 1×1×1×M) as Caffe does, and nothing looser', async () => {
    const legacy = layer('fc1', 'InnerProduct', [blob([5, 64], V.fcW, { legacy: [1, 1, 5, 64] }), blob([5], V.fcB, { legacy: [1, 1, 1, 5] })]);
    const { weights, diagnostics } = await bind(legacy);
    expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(get(weights, 'fc1', 'weight')).toEqual({ shape: [5, 64], data: asFloat(V.fcW) });
    expect(get(weights, 'fc1', 'bias')).toEqual({ shape: [5], data: asFloat(V.fcB) });
    // Same count, other layout: Blob::ShapeEquals refuses it, and so do we.
    const loose = layer('fc1', 'InnerProduct', [blob([5, 64], V.fcW, { legacy: [5, 64, 1, 1] }), blob([5], V.fcB)]);
    const refused = await bind(loose);
    expect(refused.diagnostics.find((d) => d.code === 'weights/shape-mismatch')?.message).toBe(
      "layer 'fc1' blob 0 (weight) is 5×64×1×1 (deprecated 4-D form) in tiny.caffemodel but the net needs [5, 64]",
    );
  });

  it('binds a V1 caffemodel to a V2 net', async () => {
    const v1 = `layers { name: "conv1" type: CONVOLUTION ${blob([4, 3, 3, 3], V.convW)} ${blob([4], V.convB)} }`;
    const { weights } = await bind(v1);
    expect(get(weights, 'conv1', 'weight').data).toEqual(asFloat(V.convW));
  });

  it('lets the later of two caffemodel layers with one name win, as CopyTrainedLayersFrom does', async () => {
    const other = filled([4], 9);
    const again = layer('conv1', 'Convolution', [blob([4, 3, 3, 3], V.convW), blob([4], other)]);
    const { weights } = await bind([CONV1, again].join('\n'));
    expect(get(weights, 'conv1', 'bias').data).toEqual(asFloat(other));
  });

  it('takes blobs as stored, with a warning, when the analysis is not given', async () => {
    const input = await prepare(TINY);
    const weights = bindCaffeWeights(input.model.graph, model(FC1), input.diagnostics);
    expect(get(weights, 'fc1', 'weight').shape).toEqual([5, 64]);
    expect(input.diagnostics.items.some((d) => d.code === 'weights/unchecked-shapes' && d.message.includes("'fc1'"))).toBe(true);
  });
});

const TRAIN_NET = `name: "train"
layer { name: "data" type: "Data" top: "data" top: "label" data_param { source: "db" batch_size: 2 } }
layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1" convolution_param { num_output: 4 kernel_size: 3 } }
layer { name: "custom" type: "Python" bottom: "conv1" top: "out" python_param { module: "m" layer: "L" } }
`;

describeProtoc('nets nnspec cannot see fully', () => {
  it('takes blobs as stored where input shapes come only from the data, and skips opaque layers with a warning', async () => {
    const text = [layer('conv1', 'Convolution', [blob([4, 3, 3, 3], V.convW), blob([4], V.convB)]), layer('custom', 'Python', [blob([2], [1, 2])])].join('\n');
    const { weights, diagnostics } = await bind(text, 'train.prototxt', TRAIN_NET);
    expect(get(weights, 'conv1', 'weight')).toEqual({ shape: [4, 3, 3, 3], data: asFloat(V.convW) });
    expect(weights.has('custom')).toBe(false);
    expect(diagnostics.map((d) => [d.code, d.severity])).toEqual([
      ['weights/opaque-layer', 'warning'],
      ['weights/unchecked-shapes', 'warning'],
    ]);
    expect(diagnostics[0]!.message).toContain("layer 'custom' is opaque to nnspec: its 1 blob(s)");
    expect(diagnostics[1]!.message).toContain("'conv1'");
  });
});

const SHARED_NET = `name: "siamese"
input: "a" input_shape { dim: 1 dim: 6 }
input: "b" input_shape { dim: 1 dim: 6 }
layer { name: "ip_a" type: "InnerProduct" bottom: "a" top: "fa" param { name: "w" } param { name: "bias" } inner_product_param { num_output: 2 } }
layer { name: "ip_b" type: "InnerProduct" bottom: "b" top: "fb" param { name: "w" } param { name: "bias" } inner_product_param { num_output: 2 } }
`;

describeProtoc('shared parameters', () => {
  const ipA = (seed: number) => layer('ip_a', 'InnerProduct', [blob([2, 6], filled([2, 6], seed)), blob([2], filled([2], seed + 1))]);
  const ipB = (seed: number) => layer('ip_b', 'InnerProduct', [blob([2, 6], filled([2, 6], seed)), blob([2], filled([2], seed + 1))]);

  it('gives every sharer the owner’s values when only the owner is stored', async () => {
    const { weights, diagnostics } = await bind(ipA(1), 'siamese.prototxt', SHARED_NET);
    expect(diagnostics).toEqual([]);
    expect(get(weights, 'ip_b', 'weight')).toEqual({ shape: [2, 6], data: asFloat(filled([2, 6], 1)) });
    expect(get(weights, 'ip_b', 'bias').data).toEqual(asFloat(filled([2], 2)));
  });

  it('lets the sharer copied last set the shared blob for all of them', async () => {
    const { weights } = await bind([ipB(5), ipA(1)].join('\n'), 'siamese.prototxt', SHARED_NET);
    expect(get(weights, 'ip_a', 'weight').data).toEqual(asFloat(filled([2, 6], 1)));
    expect(get(weights, 'ip_b', 'weight').data).toEqual(asFloat(filled([2, 6], 1)));
    const reversed = await bind([ipA(1), ipB(5)].join('\n'), 'siamese.prototxt', SHARED_NET);
    expect(get(reversed.weights, 'ip_a', 'weight').data).toEqual(asFloat(filled([2, 6], 5)));
  });
});
