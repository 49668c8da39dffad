/**
 * The preprocessing rules: each on Caffe and nnspec snippets that must pass and that must
 * fail, checking the rule id, the message, the severity and where it points.
 */
import { describe, expect, it } from 'vitest';
import { at, lintRule as lint } from './rule-kit.js';

const nnspecNet = (input: string, first = 'Conv { name: conv1 out: 4 kernel: 3 }') => `nnspec: 1
input { ${input} }
${first}
`;

/** A Caffe ImageData layer (colour unless told) with the given transform_param body (null: none), into a convolution. */
const caffeNet = (transform: string | null, imageParam = '', type = 'ImageData') => `name: "n"
layer {
  name: "data"
  type: "${type}"
  top: "data"
  top: "label"
  ${type === 'ImageData' ? `image_data_param { source: "list.txt" batch_size: 4 new_height: 32 new_width: 32 ${imageParam}}` : type === 'HDF5Data' ? 'hdf5_data_param { source: "list.txt" batch_size: 4 }' : 'data_param { source: "db" batch_size: 4 backend: LMDB }'}
  ${transform === null ? '' : `transform_param { ${transform} }`}
}
layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1" convolution_param { num_output: 4 kernel_size: 3 } }
layer { name: "loss" type: "SoftmaxWithLoss" bottom: "conv1" bottom: "label" top: "loss" }
`;

// ---------------------------------------------------------------------------------------------

describe('preprocessing/missing-normalization', () => {
  const ID = 'preprocessing/missing-normalization';
  const MESSAGE_TAIL = 'with no mean, std or scale: 8-bit images arrive as 0–255, about 100 times the unit scale the initialisation assumes';

  it('reports an nnspec image input with no normalisation, at the input', async () => {
    const text = nnspecNet('name: data shape: [N, 3, 32, 32]');
    const { found, errors } = await lint(text, 'nnspec', ID);
    expect(errors).toEqual([]);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ severity: 'error', ...at(text, 'input {'), message: `input 'data' reaches convolution 'conv1' ${MESSAGE_TAIL}` });
  });

  it('follows activations to the convolution', async () => {
    const text = `nnspec: 1
input { name: data shape: [N, 1, 28, 28] }
ReLU { name: r }
Conv { name: conv1 out: 4 kernel: 3 }
`;
    const { found } = await lint(text, 'nnspec', ID);
    expect(found.map((f) => f.message)).toEqual([`input 'data' reaches convolution 'conv1' ${MESSAGE_TAIL}`]);
  });

  it('passes nnspec inputs with a mean, a std or a scale, and inputs that are not images into a convolution', async () => {
    for (const input of ['name: data shape: [N, 1, 28, 28] scale: 0.00390625', 'name: data shape: [N, 3, 32, 32] mean: [104, 117, 123]', 'name: data shape: [N, 3, 32, 32] std: [58]']) {
      expect((await lint(nnspecNet(input), 'nnspec', ID)).found).toEqual([]);
    }
    expect((await lint(nnspecNet('name: data shape: [N, 100]', 'Linear { name: fc out: 10 }'), 'nnspec', ID)).found).toEqual([]);
    expect((await lint(nnspecNet('name: data shape: [N, 3, 4, 4]', 'Linear { name: fc out: 10 }'), 'nnspec', ID)).found).toEqual([]);
  });

  it('reports a Caffe ImageData layer without transform_param, at the layer', async () => {
    const text = caffeNet(null);
    const { found, errors } = await lint(text, 'prototxt', ID);
    expect(errors).toEqual([]);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ ...at(text, 'layer {'), message: `'data' (ImageData) reaches convolution 'conv1' ${MESSAGE_TAIL}` });
    expect(found[0]!.hint).toContain('transform_param');
  });

  it('reports a Caffe transform_param that only mirrors, at the transform_param', async () => {
    const text = caffeNet('mirror: true', '', 'Data');
    const { found } = await lint(text, 'prototxt', ID);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ text: 'transform_param { mirror: true }', ...at(text, 'transform_param'), message: `'data' (Data) reaches convolution 'conv1' ${MESSAGE_TAIL}` });
  });

  it('passes Caffe data layers with a mean or scale, HDF5 data, and deploy inputs (preprocessed by the caller)', async () => {
    expect((await lint(caffeNet('scale: 0.00390625'), 'prototxt', ID)).found).toEqual([]);
    expect((await lint(caffeNet('mean_file: "mean.binaryproto"'), 'prototxt', ID)).found).toEqual([]);
    expect((await lint(caffeNet('mean_value: 104 mean_value: 117 mean_value: 123'), 'prototxt', ID)).found).toEqual([]);
    expect((await lint(caffeNet(null, '', 'HDF5Data'), 'prototxt', ID)).found).toEqual([]);
    const deploy = `name: "n"
input: "data"
input_shape { dim: 1 dim: 3 dim: 32 dim: 32 }
layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1" convolution_param { num_output: 4 kernel_size: 3 } }
`;
    expect((await lint(deploy, 'prototxt', ID)).found).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------

describe('preprocessing/channel-count-mismatch', () => {
  const ID = 'preprocessing/channel-count-mismatch';

  it('reports an RGB mean and std on a one-channel nnspec input, each at its field', async () => {
    const mean = [0.485, 0.456, 0.406];
    const std = [0.229, 0.224, 0.225];
    const text = nnspecNet(`name: data shape: [N, 1, 28, 28] mean: [${mean.join(', ')}] std: [${std.join(', ')}]`);
    const { found, errors } = await lint(text, 'nnspec', ID);
    expect(errors).toEqual([]);
    expect(found).toHaveLength(2);
    expect(found[0]).toMatchObject({
      severity: 'error',
      text: `mean: [${mean.join(', ')}]`,
      ...at(text, 'mean:'),
      message: `'data' has 1 channel but its mean [${mean.join(', ')}] gives ${mean.length} values; normalisation needs one value or one per channel`,
    });
    expect(found[1]).toMatchObject({ text: `std: [${std.join(', ')}]`, ...at(text, 'std:'), message: `'data' has 1 channel but its std [${std.join(', ')}] gives ${std.length} values; normalisation needs one value or one per channel` });
  });

  it('passes one value for all channels and one per channel', async () => {
    expect((await lint(nnspecNet('name: data shape: [N, 3, 32, 32] mean: [0.5] std: [0.25]'), 'nnspec', ID)).found).toEqual([]);
    expect((await lint(nnspecNet('name: data shape: [N, 3, 32, 32] mean: [0.485, 0.456, 0.406] std: [0.229, 0.224, 0.225]'), 'nnspec', ID)).found).toEqual([]);
  });

  it('reports three mean_values on a grey-scale Caffe ImageData layer, at the first mean_value', async () => {
    const text = caffeNet('mean_value: 104 mean_value: 117 mean_value: 123', 'is_color: false ');
    const { found, errors } = await lint(text, 'prototxt', ID);
    expect(errors).toEqual([]);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ text: 'mean_value: 104', ...at(text, 'mean_value'), message: "'data' has 1 channel but its mean [104, 117, 123] gives 3 values; normalisation needs one value or one per channel" });
  });

  it('passes when the channel count is unknown (a Data layer reads it from the database) or matches', async () => {
    expect((await lint(caffeNet('mean_value: 104 mean_value: 117', '', 'Data'), 'prototxt', ID)).found).toEqual([]);
    expect((await lint(caffeNet('mean_value: 104 mean_value: 117 mean_value: 123'), 'prototxt', ID)).found).toEqual([]);
    expect((await lint(caffeNet('mean_value: 128', 'is_color: false '), 'prototxt', ID)).found).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------

describe('preprocessing/normalization-units', () => {
  const ID = 'preprocessing/normalization-units';

  it('reports a pixel-unit mean with a [0, 1]-unit std (nnspec), at the std', async () => {
    const text = nnspecNet('name: data shape: [N, 3, 32, 32] mean: [104, 117, 123] std: [0.229, 0.224, 0.225]');
    const { found, errors } = await lint(text, 'nnspec', ID);
    expect(errors).toEqual([]);
    expect(found).toHaveLength(1);
    // The largest spread divided by is 0.229 pixel levels; a typical image spread is about 58.
    expect(found[0]).toMatchObject({
      severity: 'error',
      text: 'std: [0.229, 0.224, 0.225]',
      ...at(text, 'std:'),
      message: `'data' subtracts mean [104, 117, 123], in 0–255 pixel units, but divides by std [0.229, 0.224, 0.225] = 0.229 pixel levels, a spread for [0, 1] values; for images spread over about 58 levels the inputs come out about ${Math.round(58 / 0.229)} times too large`,
    });
  });

  it('reports a [0, 1]-unit mean subtracted before a 1/255 scale (nnspec), at the mean', async () => {
    const text = nnspecNet('name: data shape: [N, 3, 32, 32] mean: [0.485, 0.456, 0.406] scale: 0.00392156862745098');
    const { found } = await lint(text, 'nnspec', ID);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      text: 'mean: [0.485, 0.456, 0.406]',
      ...at(text, 'mean:'),
      message: `'data' subtracts mean [0.485, 0.456, 0.406], in [0, 1] units, but divides by 1 / scale 0.00392156862745098 = ${Number((1 / 0.00392156862745098).toPrecision(3))}, a spread in 0–255 pixel units; the inputs are not centred`,
    });
  });

  it('reports the same mistake in a Caffe transform_param (Caffe subtracts the mean before scaling)', async () => {
    const text = caffeNet('mean_value: 0.485 mean_value: 0.456 mean_value: 0.406 scale: 0.00390625');
    const { found, errors } = await lint(text, 'prototxt', ID);
    expect(errors).toEqual([]);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ text: 'mean_value: 0.485', ...at(text, 'mean_value'), message: expect.stringContaining(`divides by 1 / scale 0.00390625 = ${1 / 0.00390625}, a spread in 0–255 pixel units`) });
  });

  it('passes consistent statistics in either unit', async () => {
    for (const input of [
      'mean: [0.485, 0.456, 0.406] std: [0.229, 0.224, 0.225]', // torchvision, inputs in [0, 1]
      'mean: [104, 117, 123]', // Caffe, pixel units
      'mean: [123.675, 116.28, 103.53] std: [58.395, 57.12, 57.375]', // the same in pixel units
      'mean: [127.5, 127.5, 127.5] scale: 0.0078431373', // MobileNet: (x − 127.5) / 127.5
      'mean: [127.5] scale: 0.00392156862745098 std: [0.229]', // 58.4 pixel levels
      'mean: [0] std: [0.5]',
    ]) {
      expect((await lint(nnspecNet(`name: data shape: [N, 3, 32, 32] ${input}`), 'nnspec', ID)).found, input).toEqual([]);
    }
    expect((await lint(caffeNet('mean_value: 104 mean_value: 117 mean_value: 123 scale: 0.017'), 'prototxt', ID)).found).toEqual([]);
  });
});
