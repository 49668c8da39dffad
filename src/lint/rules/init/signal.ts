/**
 * How large the values in a net are at initialisation, estimated by propagating each blob's
 * mean m and variance v (over units and examples) forward from the input, as the variance
 * analyses of Glorot & Bengio (2010) and He et al. (2015) do, with biases and nonlinearities
 * treated as mean-field theory does (Poole et al. 2016):
 *
 * - a weight layer with E[w²] = s² summing D products: m' = bias mean,
 *   v' = D · s² · E[x²] + bias variance (E[x²] = m² + v of its input);
 * - a nonlinearity f: m' = E f(Y), v' = E f(Y)² − m'² for Y ~ N(m, v) (closed form for ReLU);
 * - BatchNorm resets to its affine initial values (γ², β), LRN divides by (k + α·E[x²])^β,
 *   inverted dropout raises E[x²] by 1/(1 − p) while training, sums add variances, pooling and
 *   reshaping keep both, and anything else (a layer whose weights are unknown: constant,
 *   bilinear, opaque) ends the estimate on that path.
 *
 * Independence and Gaussian pre-activations are assumptions; the estimate is an order of
 * magnitude, which is what vanishing or saturating signals are about.
 */
import type { Filler } from '../../../ir/filler.js';
import type { Node } from '../../../ir/graph.js';
import type { Preprocess } from '../../../ir/preprocess.js';
import type { LintContext } from '../../context.js';
import { biasOf, fans, isWeightLayer, shapesOf, weightGeometry, weightOwner, type ShapeView } from './flow.js';

export interface Stat {
  m: number;
  v: number;
  /** Weight layers on the longest path from the input. */
  depth: number;
}

export interface WeightStep {
  /** Products summed into each output. */
  summed: number;
  /** E[w²] of the weight filler. */
  w2: number;
  /** E[x²] of the input. */
  inputQ: number;
  /** The output's variance. */
  v: number;
}

export interface Signal {
  /** Per node, the estimate of each output (null: unknown). */
  outputs: Map<Node, (Stat | null)[]>;
  /** Per node, the estimate of each input. */
  inputs: Map<Node, (Stat | null)[]>;
  /** Weight layers: the terms of their variance. */
  steps: Map<Node, WeightStep>;
  /** What the input's scale was taken to be, in words. */
  inputWords: Map<Node, string>;
  shapes: ShapeView;
}

/** ImageNet's per-channel pixel standard deviation and mean, as fractions of the 0–255 range (torchvision's normalisation constants). */
const PIXEL_STD = 0.226;
const PIXEL_MEAN = 0.449;

/**
 * The input's mean and standard deviation after its preprocessing. Images stored as 8-bit
 * pixels (a mean file, or mean values above 1) have a spread of about 0.226 × 255 ≈ 58 per
 * channel around a mean of about 0.45 × 255; means at most 1 say the pixels are in [0, 1]
 * (a spec's `pixel_max` says it outright).
 * Without any preprocessing the data is taken to be normalised already (mean 0, std 1).
 */
export function inputEstimate(pre: Preprocess | null | undefined, override: number | null): { m: number; std: number; words: string } {
  if (override !== null) return { m: 0, std: override, words: `an input standard deviation of ${override} (option inputStd)` };
  if (!pre) return { m: 0, std: 1, words: 'a normalised input (mean 0, standard deviation 1)' };
  const mean = pre.mean;
  const stdDiv = pre.std && pre.std.length > 0 ? pre.std.reduce((a, b) => a + b, 0) / pre.std.length : 1;
  const pixels = pre.pixel_max !== undefined ? pre.pixel_max > 1 : pre.mean_file !== null || (mean !== null && mean.some((x) => x > 1)) || (mean === null && pre.scale < 0.1);
  const centred = pre.mean_file !== null || (mean !== null && mean.length > 0);
  if (!pixels && !centred && pre.scale === 1 && stdDiv === 1) return { m: 0, std: 1, words: 'a normalised input (mean 0, standard deviation 1)' };
  const unit = pre.pixel_max ?? (pixels ? 255 : 1);
  const std = (PIXEL_STD * unit * pre.scale) / stdDiv;
  const m = centred ? 0 : (PIXEL_MEAN * unit * pre.scale) / stdDiv;
  const range = pre.pixel_max !== undefined && pre.pixel_max !== 1 && pre.pixel_max !== 255 ? `values in [0, ${pre.pixel_max}]` : pixels ? '8-bit pixels' : 'values in [0, 1]';
  return { m, std, words: `image ${range}${centred ? ' with the mean subtracted' : ''}${pre.scale !== 1 ? `, scaled by ${pre.scale}` : ''}${stdDiv !== 1 ? `, divided by ${stdDiv.toPrecision(3)}` : ''} (standard deviation about ${std.toPrecision(2)})` };
}

/** E[w²] of a filler for a weight of this shape (null: not a random filler nnspec can size). */
export function fillerSecondMoment(f: Filler, weightShape: readonly number[]): number | null {
  const fan = fans(weightShape);
  switch (f.type) {
    case 'normal': {
      // Caffe's sparse Gaussian keeps each weight with probability sparse / shape[0].
      const keep = f.sparse >= 0 && weightShape.length > 0 ? Math.min(1, f.sparse / weightShape[0]!) : 1;
      return (f.std * f.std + f.mean * f.mean) * keep;
    }
    case 'uniform':
      return (f.max - f.min) ** 2 / 12 + ((f.max + f.min) / 2) ** 2;
    case 'variance_scaling': {
      if (!fan) return null;
      const n = f.mode === 'fan_in' ? fan.fanIn : f.mode === 'fan_out' ? fan.fanOut : (fan.fanIn + fan.fanOut) / 2;
      return n > 0 ? f.scale / n : null;
    }
    case 'orthogonal':
      return fan ? (f.gain * f.gain) / Math.max(fan.fanIn, weightShape[0]!) : null;
    default:
      return null;
  }
}

/** Mean and variance of a bias filler (fan_of 'weight' sizes PyTorch's default bias by the weight's fan-in). */
function biasMoments(f: Filler, weightShape: readonly number[]): { m: number; v: number } {
  switch (f.type) {
    case 'constant':
      return { m: f.value, v: 0 };
    case 'normal':
      return { m: f.mean, v: f.std * f.std };
    case 'uniform':
      return { m: (f.min + f.max) / 2, v: (f.max - f.min) ** 2 / 12 };
    case 'variance_scaling': {
      const fan = fans(weightShape);
      const n = fan ? (f.mode === 'fan_out' ? fan.fanOut : f.mode === 'fan_avg' ? (fan.fanIn + fan.fanOut) / 2 : fan.fanIn) : 0;
      return { m: 0, v: n > 0 ? f.scale / n : 0 };
    }
    default:
      return { m: 0, v: 0 };
  }
}

// ---------------------------------------------------------------------------------------------
// Gaussian expectations.

const SQRT2 = Math.SQRT2;

/** The standard normal CDF (Abramowitz & Stegun 7.1.26, error below 1.5e-7). */
export function normalCdf(x: number): number {
  const z = Math.abs(x) / SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-z * z);
  return x >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

export function normalPdf(x: number): number {
  return Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
}

/** Points and weights of N(0, 1) on a grid over ±8 (trapezoid rule, weights summing to 1). */
const GRID = (() => {
  const z: number[] = [];
  const w: number[] = [];
  let total = 0;
  for (let i = -320; i <= 320; i++) {
    const x = i / 40;
    z.push(x);
    w.push(normalPdf(x));
    total += normalPdf(x);
  }
  return { z, w: w.map((x) => x / total) };
})();

/** E f(Y) and E f(Y)² for Y ~ N(m, v). */
export function expectation(f: (x: number) => number, m: number, v: number): { mean: number; q: number } {
  const s = Math.sqrt(Math.max(v, 0));
  if (s === 0) {
    const y = f(m);
    return { mean: y, q: y * y };
  }
  let mean = 0;
  let q = 0;
  for (let i = 0; i < GRID.z.length; i++) {
    const y = f(m + s * GRID.z[i]!);
    mean += GRID.w[i]! * y;
    q += GRID.w[i]! * y * y;
  }
  return { mean, q };
}

/** Leaky ReLU (slope a below 0) of N(m, v), in closed form. */
export function reluMoments(m: number, v: number, a: number): { mean: number; q: number } {
  const s = Math.sqrt(Math.max(v, 0));
  if (s === 0) {
    const y = m > 0 ? m : a * m;
    return { mean: y, q: y * y };
  }
  const t = m / s;
  const P = normalCdf(t);
  const Q = 1 - P;
  const p = normalPdf(t);
  const q2 = m * m + v;
  const posMean = m * P + s * p;
  const negMean = m * Q - s * p;
  const posQ = q2 * P + m * s * p;
  const negQ = q2 * Q - m * s * p;
  return { mean: posMean + a * negMean, q: Math.max(posQ + a * a * negQ, 0) };
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const SELU_L = 1.0507009873554805;
const SELU_A = 1.6732632423543772;

/** The nonlinearity as a function (null: not one nnspec estimates). */
export function activationFunction(node: Node): ((x: number) => number) | null {
  switch (node.op) {
    case 'clip':
      return (x) => Math.min(Math.max(x, node.attrs.min), node.attrs.max);
    case 'elu':
      return (x) => (x > 0 ? x : node.attrs.alpha * Math.expm1(x));
    case 'selu':
      return (x) => SELU_L * (x > 0 ? x : SELU_A * Math.expm1(x));
    case 'gelu':
      return (x) => x * normalCdf(x);
    case 'sigmoid':
      return sigmoid;
    case 'tanh':
      return Math.tanh;
    case 'swish':
      return (x) => x * sigmoid(node.attrs.beta * x);
    case 'absval':
      return Math.abs;
    case 'bnll':
      return (x) => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)));
    default:
      return null;
  }
}

/** The PReLU slope it starts with (Caffe and nnspec: 0.25 unless its filler says otherwise). */
function preluSlope(node: Node): number {
  const init = node.params[0]?.init;
  return init?.type === 'constant' ? init.value : 0.25;
}

// ---------------------------------------------------------------------------------------------

const signals = new WeakMap<object, Map<string, Signal>>();

/** The estimate for this net (shared by the rules that read it, per input option). */
export function signalOf(ctx: LintContext<unknown>, inputStd: number | null): Signal {
  let byOption = signals.get(ctx.lint);
  if (!byOption) signals.set(ctx.lint, (byOption = new Map()));
  const key = String(inputStd);
  const cached = byOption.get(key);
  if (cached) return cached;
  const signal = propagate(ctx, inputStd);
  byOption.set(key, signal);
  return signal;
}

function propagate(ctx: LintContext<unknown>, inputStd: number | null): Signal {
  const shapes = shapesOf(ctx);
  const out: Signal = { outputs: new Map(), inputs: new Map(), steps: new Map(), inputWords: new Map(), shapes };
  const statOf = (node: Node, i: number): Stat | null => {
    const writer = ctx.writers(node)[i];
    if (!writer) return null;
    const k = writer.outputs.indexOf(node.inputs[i]!);
    return out.outputs.get(writer)?.[k < 0 ? 0 : k] ?? null;
  };
  for (const node of ctx.nodes) {
    const ins = node.inputs.map((_, i) => statOf(node, i));
    out.inputs.set(node, ins);
    let outs: (Stat | null)[] = node.outputs.map(() => null);
    try {
      outs = step(ctx, node, ins, shapes, out, inputStd);
    } catch {
      // An odd node (unexpected attributes) ends the estimate on its paths.
    }
    out.outputs.set(node, outs.map((s) => (s && Number.isFinite(s.m) && Number.isFinite(s.v) ? s : null)));
  }
  return out;
}

function step(ctx: LintContext<unknown>, node: Node, ins: (Stat | null)[], shapes: ShapeView, out: Signal, inputStd: number | null): (Stat | null)[] {
  const none = node.outputs.map(() => null);
  const same = (s: Stat | null) => node.outputs.map(() => s);
  const x = ins[0] ?? null;
  const q = x ? x.m * x.m + x.v : 0;
  switch (node.op) {
    case 'input':
    case 'data': {
      const pre = node.op === 'input' ? node.attrs.preprocess : node.attrs.transform?.preprocess;
      const e = inputEstimate(pre, inputStd);
      out.inputWords.set(node, e.words);
      // Only the first output is the data; the others are labels.
      return node.outputs.map((_, i) => (i === 0 ? { m: e.m, v: e.std * e.std, depth: 0 } : null));
    }
    case 'conv':
    case 'conv_transpose':
    case 'linear': {
      if (!isWeightLayer(node)) return none;
      const w = weightOwner(ctx, node)?.blob;
      const geometry = weightGeometry(shapes, node);
      if (!w || !geometry) return none;
      const w2 = fillerSecondMoment(w.init, geometry.weightShape);
      if (w2 === null) return none;
      const b = biasOf(node);
      const bias = b ? biasMoments(b.init, geometry.weightShape) : { m: 0, v: 0 };
      return ins.map((s) => {
        if (!s) return null;
        const qi = s.m * s.m + s.v;
        const v = geometry.summed * w2 * qi + bias.v;
        out.steps.set(node, { summed: geometry.summed, w2, inputQ: qi, v });
        return { m: bias.m, v, depth: s.depth + 1 };
      });
    }
    case 'relu':
    case 'prelu': {
      if (!x) return none;
      const r = reluMoments(x.m, x.v, node.op === 'relu' ? node.attrs.negative_slope : preluSlope(node));
      return same({ m: r.mean, v: Math.max(r.q - r.mean * r.mean, 0), depth: x.depth });
    }
    case 'batchnorm': {
      if (!x) return same({ m: 0, v: 1, depth: 0 });
      const gamma = node.attrs.affine ? node.params.find((p) => p.name === 'weight')?.init : undefined;
      const beta = node.attrs.affine ? node.params.find((p) => p.name === 'bias')?.init : undefined;
      const g = gamma?.type === 'constant' ? gamma.value : 1;
      const b0 = beta?.type === 'constant' ? beta.value : 0;
      return same({ m: b0, v: g * g, depth: x.depth });
    }
    case 'mvn':
      return x ? same({ m: 0, v: node.attrs.normalize_variance ? 1 : x.v, depth: x.depth }) : none;
    case 'scale': {
      if (!x || node.inputs.length !== 1) return none;
      const w = node.params.find((p) => p.name === 'weight')?.init;
      const b = node.params.find((p) => p.name === 'bias')?.init;
      if (w?.type !== 'constant' || (b && b.type !== 'constant')) return none;
      const c = w.value;
      const b0 = b?.type === 'constant' ? b.value : 0;
      return same({ m: c * x.m + b0, v: c * c * x.v, depth: x.depth });
    }
    case 'bias': {
      if (!x || node.inputs.length !== 1) return none;
      const b = node.params[0]?.init;
      if (b?.type !== 'constant') return none;
      return same({ m: x.m + b.value, v: x.v, depth: x.depth });
    }
    case 'lrn': {
      if (!x) return none;
      const k = node.attrs.region === 'within_channel' ? 1 : node.attrs.k;
      const f = (k + node.attrs.alpha * q) ** -node.attrs.beta;
      return Number.isFinite(f) ? same({ m: x.m * f, v: x.v * f * f, depth: x.depth }) : none;
    }
    case 'dropout': {
      if (!x) return none;
      const p = node.attrs.drop_prob;
      if (p >= 1) return none;
      if (!node.attrs.scale_train) return same({ ...x, m: x.m * (1 - p), v: Math.max(q * (1 - p) - (x.m * (1 - p)) ** 2, 0) });
      return same({ ...x, v: Math.max(q / (1 - p) - x.m * x.m, 0) });
    }
    case 'pool':
    case 'global_pool':
    case 'adaptive_pool':
    case 'spp':
    case 'flatten':
    case 'reshape':
    case 'split':
    case 'crop':
    case 'slice':
    case 'tile':
    case 'batch_reindex':
    case 'filter':
      return same(x);
    case 'concat': {
      if (ins.some((s) => !s)) return none;
      const weights = node.inputs.map((_, i) => {
        const shape = shapes.inputShape(node, i);
        const axis = shape ? (node.attrs.axis < 0 ? shape.length + node.attrs.axis : node.attrs.axis) : -1;
        const d = shape?.[axis];
        return typeof d === 'number' ? d : 1;
      });
      const total = weights.reduce((a, b) => a + b, 0);
      let m = 0;
      let qq = 0;
      ins.forEach((s, i) => {
        m += (weights[i]! / total) * s!.m;
        qq += (weights[i]! / total) * (s!.m * s!.m + s!.v);
      });
      return same({ m, v: Math.max(qq - m * m, 0), depth: Math.max(...ins.map((s) => s!.depth)) });
    }
    case 'eltwise': {
      if (ins.some((s) => !s)) return none;
      const depth = Math.max(...ins.map((s) => s!.depth));
      if (node.attrs.operation === 'sum') {
        const c = (i: number) => node.attrs.coeff[i] ?? 1;
        return same({ m: ins.reduce((a, s, i) => a + c(i) * s!.m, 0), v: ins.reduce((a, s, i) => a + c(i) * c(i) * s!.v, 0), depth });
      }
      if (node.attrs.operation === 'prod') {
        const m = ins.reduce((a, s) => a * s!.m, 1);
        const qq = ins.reduce((a, s) => a * (s!.m * s!.m + s!.v), 1);
        return same({ m, v: Math.max(qq - m * m, 0), depth });
      }
      const biggest = ins.reduce((a, s) => (s!.m * s!.m + s!.v > a!.m * a!.m + a!.v ? s : a), ins[0]!);
      return same({ ...biggest!, depth });
    }
    default: {
      const f = activationFunction(node);
      if (!f || !x) return none;
      const e = expectation(f, x.m, x.v);
      return same({ m: e.mean, v: Math.max(e.q - e.mean * e.mean, 0), depth: x.depth });
    }
  }
}
