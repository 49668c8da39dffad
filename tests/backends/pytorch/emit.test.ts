/**
 * The emitted file's structure, without running it: refusals name the layer and the
 * feature, chains become nn.Sequential, the deploy model leaves losses and labels out,
 * outputs come in declaration order, names collide deterministically, multipliers and the
 * weights loader are there.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../helpers.js';
import { emit } from './harness.js';

const input = (name: string, dims: number[]) => `layer { name: "${name}" type: "Input" top: "${name}" input_param { shape { ${dims.map((d) => `dim: ${d}`).join(' ')} } } }`;

describe('refusals', () => {
  it.each([
    ['a Python layer', `layer { name: "py" type: "Python" bottom: "data" top: "py" python_param { module: "m" layer: "L" } }`, /layer 'py'.*'Python'/],
    ['spatial pyramid pooling', `layer { name: "spp" type: "SPP" bottom: "data" top: "spp" spp_param { pyramid_height: 2 } }`, /layer 'spp'.*SPP/],
    [
      'stochastic pooling',
      `layer { name: "sp" type: "Pooling" bottom: "data" top: "sp" pooling_param { pool: STOCHASTIC kernel_size: 2 stride: 2 } }`,
      /layer 'sp'.*stochastic pooling/,
    ],
  ])('%s is a convert/unsupported error at the layer', async (_what, layer, message) => {
    const text = `name: "t"\n${input('data', [1, 3, 8, 8])}\n${layer}\n`;
    const e = await emit('refuse.prototxt', text);
    expect(e.code).toBeNull();
    const errors = e.diagnostics.filter((d) => d.severity === 'error');
    expect(errors.map((d) => d.code)).toEqual(['convert/unsupported']);
    expect(errors[0]!.message).toMatch(message);
    expect(errors[0]!.span.start).toBe(text.indexOf(layer));
  });

  it('unknown input shapes are one error with a hint, not one per layer', async () => {
    const text = `name: "t"\nlayer { name: "data" type: "Data" top: "data" top: "label" data_param { source: "x" batch_size: 4 } }\nlayer { name: "c1" type: "Convolution" bottom: "data" top: "c1" convolution_param { num_output: 2 kernel_size: 1 } }\nlayer { name: "c2" type: "Convolution" bottom: "c1" top: "c2" convolution_param { num_output: 2 kernel_size: 1 } }\n`;
    const e = await emit('unknown.prototxt', text);
    expect(e.code).toBeNull();
    const errors = e.diagnostics.filter((d) => d.code.startsWith('convert/'));
    expect(errors.length).toBe(1);
    expect(errors[0]!.message).toMatch(/layer 'c1'/);
  });
});

describe('structure', () => {
  it('chains under one scope become nn.Sequential, called once in forward', async () => {
    const e = await emit(join(ROOT, 'specs/torchvision/alexnet.nnspec'));
    expect(e.code).toMatch(/self\.features = nn\.Sequential\(\n\s+nn\.Conv2d\(3, 64, kernel_size=11, stride=4, padding=2\),/);
    expect(e.code).toMatch(/self\.classifier = nn\.Sequential\(/);
    expect(e.code).toMatch(/= self\.features\(x\)/);
    expect(e.code).toMatch(/= torch\.flatten\(\w+, 1, -1\)\n\s+\w+ = self\.classifier\(\w+\)/);
    expect(e.code).toMatch(/^class Alexnet\(nn\.Module\):$/m);
    expect(e.code).toMatch(/^Model = Alexnet$/m);
    expect(e.code).toMatch(/^INPUT_SHAPES = \{\n {4}"x": \(1, 3, 224, 224\),\n\}$/m);
  });

  it('a deploy model: data layers are arguments, labels and losses are left out', async () => {
    const text = `name: "t"
layer { name: "data" type: "DummyData" top: "data" top: "label" dummy_data_param { shape { dim: 2 dim: 3 dim: 4 dim: 4 } shape { dim: 2 } } }
layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip" inner_product_param { num_output: 5 } }
layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" top: "loss" }
layer { name: "acc" type: "Accuracy" bottom: "ip" bottom: "label" top: "acc" }
`;
    const e = await emit('deploy.prototxt', text);
    expect(e.code).toMatch(/def forward\(self, data\):/);
    expect(e.code).toMatch(/return ip\n/);
    const forward = e.code!.slice(e.code!.indexOf('def forward'), e.code!.indexOf('def param_groups'));
    expect(forward).not.toMatch(/label|loss|acc/);
    expect(e.code).not.toMatch(/self\.(loss|acc) =/);
    expect(e.code).toMatch(/^INPUT_SHAPES = \{\n {4}"data": \(2, 3, 4, 4\),\n\}$/m);
  });

  it('several outputs are returned as a tuple in declaration order', async () => {
    const text = `name: "t"\n${input('a', [1, 2, 3, 3])}\n${input('b', [1, 2, 3, 3])}
layer { name: "second" type: "ReLU" bottom: "b" top: "second" }
layer { name: "first" type: "Sigmoid" bottom: "a" top: "first" }
`;
    const e = await emit('outputs.prototxt', text);
    expect(e.code).toMatch(/def forward\(self, a, b\):/);
    expect(e.code).toMatch(/return second, first\n/);
  });

  it('sanitised names that collide get numbered in layer order', async () => {
    const text = `name: "t"\n${input('data', [1, 2, 3, 3])}
layer { name: "a/b" type: "Convolution" bottom: "data" top: "x1" convolution_param { num_output: 2 kernel_size: 1 } }
layer { name: "a_b" type: "Convolution" bottom: "x1" top: "x2" convolution_param { num_output: 2 kernel_size: 1 } }
layer { name: "a-b" type: "Convolution" bottom: "x2" top: "x3" convolution_param { num_output: 2 kernel_size: 1 } }
`;
    const e = await emit('collide.prototxt', text);
    expect([...e.code!.matchAll(/self\.(\w+) = nn\.Conv2d/g)].map((m) => m[1])).toEqual(['a_b', 'a_b_2', 'a_b_3']);
  });

  it('lr_mult/decay_mult become PARAM_MULTS for param_groups', async () => {
    const e = await emit(join(ROOT, 'specs/alexnet.nnspec'));
    expect(e.code).toMatch(/"fc8\.bias": \(2, 0\),/);
    expect(e.code).toMatch(/def param_groups\(self, base_lr, weight_decay\):/);
  });

  it('load_weights always; WEIGHTS_FILE and pretrained() only with a weights file', async () => {
    const spec = join(ROOT, 'specs/lenet.nnspec');
    const without = await emit(spec);
    expect(without.code).toMatch(/^def load_weights\(model, path\):$/m);
    expect(without.code).not.toMatch(/WEIGHTS_FILE|def pretrained/);
    const withWeights = await emit(spec, undefined, {}, 'lenet "weights".safetensors');
    expect(withWeights.code).toMatch(/^WEIGHTS_FILE = os\.path\.join\(os\.path\.dirname\(os\.path\.abspath\(__file__\)\), "lenet \\"weights\\"\.safetensors"\)$/m);
    expect(withWeights.code).toMatch(/^def pretrained\(\):$/m);
  });
});
