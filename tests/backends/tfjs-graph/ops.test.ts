/**
 * Layers the shipped nets do not use, in two small nets (a Caffe one with branches, an nnspec
 * chain): exported with every blob as an output, loaded by tf.loadGraphModel and run on random
 * input, each blob equals the tfjs lowering's inference forward pass within 1e-4 of its largest
 * magnitude, so a wrong layer shows at that layer; on both backends a Node user has (cpu, wasm).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { prepareBackendInput, type BackendInput } from '../../../src/backends/backend.js';
import { lowerToTfjs } from '../../../src/backends/tfjs/index.js';
import { exportGraphModel } from '../../../src/backends/tfjs-graph/index.js';
import { random, TF, useBackend } from '../tfjs/harness.js';
import { graphInput, layer } from '../tfjs/graph-kit.js';
import { randomiseConstants } from '../tfjs/nets.js';
import { loadFromMemory, relativeError } from './kit.js';

const CAFFE_NET = `
name: "branches"
input: "data"
input_shape { dim: 2 dim: 4 dim: 9 dim: 9 }
layer { name: "conv" type: "Convolution" bottom: "data" top: "conv" convolution_param { num_output: 6 kernel_size: 3 pad: 1 stride: 2 dilation: 2 } }
layer { name: "prelu" type: "PReLU" bottom: "conv" top: "prelu" }
layer { name: "bn" type: "BatchNorm" bottom: "prelu" top: "bn" }
layer { name: "scale" type: "Scale" bottom: "bn" top: "scale" scale_param { bias_term: true } }
layer { name: "elu" type: "ELU" bottom: "scale" top: "elu" elu_param { alpha: 0.5 } }
layer { name: "slice" type: "Slice" bottom: "elu" top: "s1" top: "s2" slice_param { axis: 1 slice_point: 2 } }
layer { name: "sig" type: "Sigmoid" bottom: "s1" top: "sig" }
layer { name: "tanh" type: "TanH" bottom: "s2" top: "tanh" }
layer { name: "cat" type: "Concat" bottom: "sig" bottom: "tanh" top: "cat" }
layer { name: "prod" type: "Eltwise" bottom: "cat" bottom: "elu" top: "prod" eltwise_param { operation: PROD } }
layer { name: "max" type: "Eltwise" bottom: "prod" bottom: "elu" top: "max" eltwise_param { operation: MAX } }
layer { name: "sum" type: "Eltwise" bottom: "max" bottom: "elu" bottom: "cat" top: "sum" eltwise_param { coeff: 0.5 coeff: -2 coeff: 1 } }
layer { name: "deconv" type: "Deconvolution" bottom: "sum" top: "deconv" convolution_param { num_output: 4 kernel_size: 4 stride: 2 pad: 1 group: 2 } }
layer { name: "crop" type: "Crop" bottom: "deconv" bottom: "conv" top: "crop" crop_param { axis: 2 offset: 1 } }
layer { name: "pool" type: "Pooling" bottom: "crop" top: "pool" pooling_param { pool: AVE kernel_size: 3 stride: 2 pad: 1 } }
layer { name: "lrn" type: "LRN" bottom: "pool" top: "lrn" lrn_param { local_size: 5 alpha: 0.1 beta: 0.75 k: 2 } }
layer { name: "softmax" type: "Softmax" bottom: "lrn" top: "softmax" }
layer { name: "reshape" type: "Reshape" bottom: "softmax" top: "reshape" reshape_param { shape { dim: 0 dim: -1 } } }
layer { name: "clip" type: "Clip" bottom: "reshape" top: "clip" clip_param { min: 0.02 max: 0.04 } }
layer { name: "mvn" type: "MVN" bottom: "lrn" top: "mvn" }
layer { name: "power" type: "Power" bottom: "mvn" top: "power" power_param { power: 2 scale: 0.5 shift: 1 } }
layer { name: "tile" type: "Tile" bottom: "power" top: "tile" tile_param { axis: 1 tiles: 2 } }
layer { name: "flat" type: "Flatten" bottom: "tile" top: "flat" }
layer { name: "ip" type: "InnerProduct" bottom: "flat" top: "ip" inner_product_param { num_output: 5 } }
layer { name: "abs" type: "AbsVal" bottom: "lrn" top: "abs" }
layer { name: "bnll" type: "BNLL" bottom: "abs" top: "bnll" }
layer { name: "log" type: "Log" bottom: "bnll" top: "log" log_param { base: 2 shift: 1 } }
layer { name: "exp" type: "Exp" bottom: "log" top: "exp" exp_param { scale: 0.5 } }
layer { name: "reduce" type: "Reduction" bottom: "exp" top: "reduce" reduction_param { operation: SUMSQ axis: 1 coeff: 0.1 } }
layer { name: "within" type: "LRN" bottom: "crop" top: "within" lrn_param { local_size: 3 alpha: 0.2 beta: 0.5 norm_region: WITHIN_CHANNEL } }
layer { name: "bias" type: "Bias" bottom: "within" top: "biased" }
layer { name: "ip2" type: "InnerProduct" bottom: "biased" top: "ip2" inner_product_param { num_output: 3 axis: 2 } }
layer { name: "scale2" type: "Scale" bottom: "crop" bottom: "reduce" top: "scaled2" scale_param { axis: 0 } }
`;

const NNSPEC_NET = `nnspec: 1
name: "Chain"
input { name: x shape: [N, 8, 7, 7] }
Conv { name: dw out: 8 kernel: 3 pad: 1 groups: 8 }
GELU { name: g1 }
Conv { name: grouped out: 12 kernel: 1 groups: 4 }
GELU { name: g2 approximate: tanh }
SELU { name: selu }
Swish { name: swish beta: 1.5 }
Maxout { name: maxout pieces: 2 }
LeakyReLU { name: leaky slope: 0.1 }
PReLU { name: prelu shared: true }
ReLU6 { name: relu6 }
ConvTranspose { name: up out: 4 kernel: 3 stride: 2 pad: 1 output_padding: 1 dilation: 2 }
Softplus { name: softplus }
AvgPool { name: adaptive output: 3 }
Dropout { name: drop drop_prob: 0.3 scale_train: false }
Flatten { name: flat }
Linear { name: fc out: 3 }
Softmax { name: prob }
`;

/** 1-D windows: no front end writes them, so the IR is built by hand (as the lowering's op tests do). */
const window1d = { stride: [2], dilation: [2], pad_begin: [2], pad_end: [1] };
const oneD = () =>
  graphInput({ x: [2, 4, 21] }, [
    layer({ op: 'conv', name: 'c1', inputs: ['x'], attrs: { num_output: 6, kernel: [3], ...window1d, groups: 2, bias: true, axis: 1 } }),
    layer({ op: 'conv_transpose', name: 'up', inputs: ['c1'], attrs: { num_output: 4, kernel: [3], stride: [2], dilation: [1], pad_begin: [1], pad_end: [1], output_padding: [1], groups: 2, bias: true, axis: 1 } }),
    layer({ op: 'pool', name: 'p1', inputs: ['up'], attrs: { mode: 'avg', kernel: [3], stride: [2], pad_begin: [1], pad_end: [1], rounding: 'caffe', count_include_pad: true } }),
  ]);

async function compare(path: string, text: string | (() => BackendInput)): Promise<Record<string, number>> {
  let input: BackendInput;
  if (typeof text === 'function') input = text();
  else {
    const prepared = await prepareBackendInput(path, {}, text);
    if (!prepared.input) throw new Error(prepared.diagnostics.items.map((d) => d.message).join('; '));
    input = prepared.input;
  }
  const lowered = lowerToTfjs(TF, input, { seed: 3 });
  if (!lowered) throw new Error(input.diagnostics.items.map((d) => d.message).join('; '));
  try {
    randomiseConstants(lowered, input);
    const blobs = [...new Set(input.model.graph.nodes.filter((n) => n.op !== 'input').flatMap((n) => n.outputs))];
    const { model } = exportGraphModel(input, lowered.params.toIrWeights(), { outputs: blobs });
    expect(model, input.diagnostics.items.map((d) => d.message).join('; ')).not.toBeNull();
    const graph = await loadFromMemory(model!);
    const feeds: Record<string, ReturnType<typeof random>> = {};
    for (const node of input.model.graph.nodes) if (node.op === 'input') feeds[node.outputs[0]!] = random(input.reports.get(node)!.outputs[0]!.shape!.map((d) => (typeof d === 'number' ? d : 2)), 11);
    const expected = lowered.forward(feeds, 'inference', { outputs: blobs });
    const result = graph.execute(feeds, blobs);
    const actual = Array.isArray(result) ? result : [result];
    const errors: Record<string, number> = {};
    blobs.forEach((blob, i) => {
      expect(actual[i]!.shape, blob).toEqual(expected[blob]!.shape);
      expect(expected[blob]!.dataSync().some((v) => v !== 0), `${blob} is all zeros`).toBe(true);
      errors[blob] = relativeError(actual[i]!, expected[blob]!);
    });
    graph.dispose();
    return errors;
  } finally {
    lowered.dispose();
  }
}

describe.each(['cpu', 'wasm'] as const)('layers beyond the shipped nets on the %s backend: the exported graph model = the tfjs lowering', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it('a Caffe net with branches (slice, eltwise, deconvolution, crop, LRN, MVN, reductions, two-input Scale, …)', async () => {
    const errors = await compare('branches.prototxt', CAFFE_NET);
    expect(Object.keys(errors)).toHaveLength(34);
    for (const [blob, e] of Object.entries(errors)) expect(e, blob).toBeLessThanOrEqual(1e-4);
  });

  it('an nnspec chain (GELU, SELU, Swish, Maxout, PReLU, ConvTranspose, adaptive pooling, …)', async () => {
    const errors = await compare('chain.nnspec', NNSPEC_NET);
    expect(Object.keys(errors)).toHaveLength(17);
    for (const [blob, e] of Object.entries(errors)) expect(e, blob).toBeLessThanOrEqual(1e-4);
  });

  it('1-D convolution, transposed convolution and pooling', async () => {
    const errors = await compare('1d', oneD);
    expect(Object.keys(errors)).toHaveLength(3);
    for (const [blob, e] of Object.entries(errors)) expect(e, blob).toBeLessThanOrEqual(1e-4);
  });
});
