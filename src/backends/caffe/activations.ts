/**
 * Activations BVLC Caffe 1.0 has no layer for, written as compositions of its layers:
 * clip(0, m) as relu(x) − relu(x − m), SELU as a scaled ELU, swish as x·sigmoid(βx), GELU's
 * tanh form with Power, Eltwise and TanH, and maxout as MAX pooling over channels laid out
 * as rows. tests/backends/caffe/numerics.test.ts checks each against PyTorch.
 */
import type { ProtoObject } from './proto-text.js';
import type { Writer } from './writer-kit.js';

/** SELU's constants as PyTorch and the SELU paper give them. */
const SELU_ALPHA = 1.6732632423543772848170429916717;
const SELU_SCALE = 1.0507009873554804934193349852946;

export const clip: Writer<'clip'> = (ctx, node) => {
  const { min, max } = node.attrs;
  if (min !== 0 || !(max > 0)) {
    return ctx.refuse(`clip(${min}, ${max})`, 'only clip(0, max) (ReLU6 and kin) is lowered to Caffe 1.0 layers; the Clip layer exists only in Caffe master');
  }
  // clip(x, 0, m) = relu(x) − relu(x − m), with the same gradient (1 on (0, m)). In float32
  // x − (x − m) gives m back while x − m is representable: for m = 6, every |x| < 2^25.
  const x = node.inputs[0]!;
  const low = ctx.fresh(`${node.name}/relu`);
  const shifted = ctx.fresh(`${node.name}/minus_max`);
  const layers = [
    ctx.layer('ReLU', {}, { name: low, bottom: [x], top: [low] }),
    ctx.layer('Power', { power_param: { shift: -max } }, { name: shifted, bottom: [x], top: [shifted] }),
    ctx.layer('ReLU', {}, { name: ctx.fresh(`${node.name}/relu_excess`), bottom: [shifted], top: [shifted] }),
    ctx.layer('Eltwise', { eltwise_param: { coeff: [1, -1] } }),
  ];
  layers[3]!.bottom = [low, shifted];
  ctx.rewrote(`clip(0, ${max}) written as relu(x) − relu(x − ${max}) (ReLU, Power, ReLU, Eltwise SUM with coefficients 1, −1; Caffe 1.0 has no Clip layer)`);
  return layers;
};

export const selu: Writer<'selu'> = (ctx, node) => {
  const out = node.outputs[0]!;
  ctx.rewrote(`SELU written as ELU (alpha ${SELU_ALPHA}) followed by Power (scale ${SELU_SCALE})`);
  return [
    ctx.layer('ELU', { elu_param: { alpha: SELU_ALPHA } }),
    ctx.layer('Power', { power_param: { scale: SELU_SCALE } }, { name: ctx.fresh(`${node.name}/scale`), bottom: [out], top: [out] }),
  ];
};

export const swish: Writer<'swish'> = (ctx, node) => {
  const beta = node.attrs.beta;
  const x = node.inputs[0]!;
  const layers: ProtoObject[] = [];
  let gateInput = x;
  if (beta !== 1) {
    gateInput = ctx.fresh(`${node.name}/beta_x`);
    layers.push(ctx.layer('Power', { power_param: { scale: beta } }, { name: gateInput, bottom: [x], top: [gateInput] }));
  }
  const gate = ctx.fresh(`${node.name}/sigmoid`);
  layers.push(ctx.layer('Sigmoid', {}, { name: gate, bottom: [gateInput], top: [gate] }));
  layers.push(ctx.layer('Eltwise', { eltwise_param: { operation: 'PROD' } }, { bottom: [x, gate], top: node.outputs }));
  ctx.rewrote(`swish written as x · sigmoid(${beta === 1 ? '' : `${beta}·`}x) (${beta === 1 ? '' : 'Power, '}Sigmoid, Eltwise PROD; the Swish layer exists only in Caffe master)`);
  return layers;
};

/** GELU's tanh approximation, 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), in Caffe 1.0 layers. */
export const gelu: Writer<'gelu'> = (ctx, node) => {
  if (node.attrs.approximate === 'none') {
    return ctx.refuse('the exact GELU x·Φ(x)', "Caffe has no erf; with GELU { approximate: tanh } nnspec writes the tanh form exactly as Power, Eltwise and TanH layers");
  }
  const x = node.inputs[0]!;
  const c = Math.sqrt(2 / Math.PI);
  const cube = ctx.fresh(`${node.name}/cube`);
  const inner = ctx.fresh(`${node.name}/tanh`);
  ctx.rewrote('the tanh-approximated GELU written as Power (x³), Eltwise SUM (√(2/π)·(x + 0.044715·x³)), TanH, Power (0.5 + 0.5·t) and Eltwise PROD with x');
  return [
    ctx.layer('Power', { power_param: { power: 3 } }, { name: cube, bottom: [x], top: [cube] }),
    ctx.layer('Eltwise', { eltwise_param: { coeff: [c, c * 0.044715] } }, { name: ctx.fresh(`${node.name}/inner`), bottom: [x, cube], top: [inner] }),
    ctx.layer('TanH', {}, { name: inner, bottom: [inner], top: [inner] }),
    ctx.layer('Power', { power_param: { scale: 0.5, shift: 0.5 } }, { name: ctx.fresh(`${node.name}/half`), bottom: [inner], top: [inner] }),
    ctx.layer('Eltwise', { eltwise_param: { operation: 'PROD' } }, { bottom: [x, inner], top: node.outputs }),
  ];
};

/**
 * Maxout over groups of p consecutive channels is MAX pooling with a p×1 window once the
 * channels are laid out as rows: N×C×H×W → N×1×C×HW → N×1×(C/p)×HW → N×(C/p)×H×W.
 */
export const maxout: Writer<'maxout'> = (ctx, node) => {
  const p = node.attrs.pieces;
  const c = ctx.inputChannels();
  const spatial = ctx.inputSpatial();
  if (c === null || !spatial || spatial.length !== 2) return ctx.refuse(`maxout over groups of ${p} channels here`, 'it is lowered to Reshape, Pooling and Reshape layers only for an N×C×H×W input whose C, H and W are known');
  const rows = ctx.fresh(`${node.name}/rows`);
  const pooled = ctx.fresh(`${node.name}/pool`);
  ctx.rewrote(`maxout over groups of ${p} channels written as Reshape (channels as rows), MAX Pooling ${p}×1 with stride ${p}×1, and Reshape back`);
  return [
    ctx.layer('Reshape', { reshape_param: { shape: { dim: [0, 1, c, -1] } } }, { name: rows, bottom: node.inputs, top: [rows] }),
    ctx.layer('Pooling', { pooling_param: { kernel_h: p, kernel_w: 1, stride_h: p, stride_w: 1 } }, { name: pooled, bottom: [rows], top: [pooled] }),
    ctx.layer('Reshape', { reshape_param: { shape: { dim: [0, c / p, spatial[0]!, -1] } } }, { bottom: [pooled], top: node.outputs }),
  ];
};

