/**
 * What the init and activation rules share: which layers carry a weight, where their output
 * goes (through layers that keep the values' scale and position, to the first nonlinearity),
 * whether a net is trained at all, how a filler reads in words, and the shapes of a net whose
 * data layer hides them (a Caffe Data layer with a crop size).
 */
import { DiagnosticBag } from '../../../diagnostics/diagnostic.js';
import { isKnown, type Shape } from '../../../ir/dims.js';
import type { Filler } from '../../../ir/filler.js';
import type { Node, ParamBlob } from '../../../ir/graph.js';
import { Analyzer } from '../../../passes/analyze.js';
import type { LintContext } from '../../context.js';

/** Layers whose weight is a learned matrix mixing many inputs into each output. */
export type WeightNode = Extract<Node, { op: 'conv' | 'conv_transpose' | 'linear' }>;

export function isWeightLayer(node: Node): node is WeightNode {
  return node.op === 'conv' || node.op === 'conv_transpose' || node.op === 'linear';
}

export function weightOf(node: Node): ParamBlob | undefined {
  return node.params.find((p) => p.name === 'weight');
}

const owners = new WeakMap<object, Map<string, { node: Node; blob: ParamBlob }>>();

/**
 * The layer whose filler initialises a weight: the layer itself, or, for a blob shared by name
 * (Caffe `param { name }`), the first layer that holds that name (Caffe fills the owner's blob
 * and the others point at it; their own fillers are never used).
 */
export function weightOwner(ctx: LintContext<unknown>, node: Node): { node: Node; blob: ParamBlob } | undefined {
  const blob = weightOf(node);
  if (!blob?.share) return blob ? { node, blob } : undefined;
  let byName = owners.get(ctx.lint);
  if (!byName) {
    byName = new Map();
    for (const n of ctx.nodes) {
      for (const p of n.params) if (p.share && !byName.has(p.share.name)) byName.set(p.share.name, { node: n, blob: p });
    }
    owners.set(ctx.lint, byName);
  }
  return byName.get(blob.share.name) ?? { node, blob };
}

export function biasOf(node: Node): ParamBlob | undefined {
  return node.params.find((p) => p.name === 'bias');
}

export function isSaturating(node: Node): boolean {
  return node.op === 'sigmoid' || node.op === 'tanh';
}

/** Ops that normalise the scale of what they read (the scale of what came before stops mattering). */
export function isNormalizer(node: Node): boolean {
  return node.op === 'batchnorm' || (node.op === 'mvn' && node.attrs.normalize_variance);
}

/**
 * Ops a value passes through on its way to the next nonlinearity without being mixed with
 * other positions or rescaled in a data-dependent way: learned affine maps (Scale, Bias),
 * dropout, pooling, reshaping, copying, cropping, concatenation and sums.
 */
const PASS_THROUGH = new Set<string>(['scale', 'bias', 'dropout', 'pool', 'global_pool', 'adaptive_pool', 'spp', 'flatten', 'reshape', 'split', 'crop', 'slice', 'tile', 'concat', 'batch_reindex', 'filter', 'lrn']);

export function isPassThrough(node: Node): boolean {
  return PASS_THROUGH.has(node.op) || (node.op === 'eltwise' && node.attrs.operation === 'sum');
}

export function isActivation(node: Node): boolean {
  return ['relu', 'prelu', 'clip', 'elu', 'selu', 'gelu', 'sigmoid', 'tanh', 'swish', 'maxout', 'absval', 'bnll', 'threshold'].includes(node.op);
}

export interface Following {
  /** The first nonlinearities met on each path (deduplicated). */
  activations: Node[];
  /** A normalisation sits between the layer and one of them. */
  normalizedBefore: boolean;
  /** Some path reaches a loss or a network output without meeting a nonlinearity or another weight layer. */
  reachesOutput: boolean;
  /** Some path reaches another weight layer without a nonlinearity in between. */
  reachesWeightLayer: boolean;
}

/**
 * Walks what `node` writes forward through pass-through layers (and normalisations, noted)
 * to the first nonlinearity on every path.
 */
export function following(ctx: LintContext<unknown>, node: Node): Following {
  const out: Following = { activations: [], normalizedBefore: false, reachesOutput: false, reachesWeightLayer: false };
  const seen = new Set<Node>([node]);
  let frontier: Node[] = [node];
  for (let steps = 0; frontier.length > 0 && steps < 64; steps++) {
    const next: Node[] = [];
    for (const n of frontier) {
      const readers = ctx.readers(n);
      if (readers.length === 0) out.reachesOutput = true;
      for (const r of readers) {
        if (seen.has(r)) continue;
        seen.add(r);
        if (isActivation(r)) {
          if (!out.activations.includes(r)) out.activations.push(r);
        } else if (r.op === 'loss' || (r.loss_weight?.some((w) => w !== 0) ?? false)) {
          out.reachesOutput = true;
        } else if (isNormalizer(r)) {
          out.normalizedBefore = true;
          next.push(r);
        } else if (isPassThrough(r) || r.op === 'softmax') {
          next.push(r);
        } else if (isWeightLayer(r)) {
          out.reachesWeightLayer = true;
        }
        // Anything else (accuracy, silence, opaque, recurrent…) ends the walk on that path.
      }
    }
    frontier = next;
  }
  return out;
}

/** Whether a normalisation comes right after `act` (through pass-through layers), before any weight layer. */
export function normalizedAfter(ctx: LintContext<unknown>, act: Node): boolean {
  const seen = new Set<Node>([act]);
  let frontier: Node[] = [act];
  for (let steps = 0; frontier.length > 0 && steps < 64; steps++) {
    const next: Node[] = [];
    for (const n of frontier) {
      for (const r of ctx.readers(n)) {
        if (seen.has(r)) continue;
        seen.add(r);
        if (isNormalizer(r)) return true;
        if (isPassThrough(r)) next.push(r);
      }
    }
    frontier = next;
  }
  return false;
}

/**
 * Whether initialisation matters for this net: it is trained (a loss layer, a loss weight, a
 * train section or solver). A Caffe deploy net has none of these: its weights come from a
 * .caffemodel, and its layers have no fillers at all. An nnspec file states its initialisers
 * (the default is PyTorch's), so its init is read whenever it is written.
 */
export function isTrained(ctx: LintContext<unknown>): boolean {
  if (ctx.model.dialect === 'nnspec') return true;
  if (ctx.model.train) return true;
  return ctx.nodes.some((n) => n.op === 'loss' || (n.loss_weight?.some((w) => w !== 0) ?? false));
}

/** Where a layer's weight filler is written (Caffe V1/V2, V0, nnspec). */
export const WEIGHT_INIT_FIELDS: string[][] = [
  ['convolution_param', 'weight_filler'],
  ['inner_product_param', 'weight_filler'],
  ['layer', 'weight_filler'],
  ['weight', 'init'],
  ['init'],
];

/** Whether the layer's text writes a weight filler (false: Caffe's default constant 0, or an nnspec default). */
export function weightFillerWritten(ctx: LintContext<unknown>, node: Node): boolean {
  const span = ctx.fieldSpan(node, ...WEIGHT_INIT_FIELDS);
  return span.start !== node.span.start || span.end !== node.span.end;
}

/** Number formatting for messages: 3 significant digits, exponent form for small and large values. */
export function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a < 1e-2 || a >= 1e5) {
    const [m, e] = x.toExponential(1).split('e');
    return `${m}e${Number(e)}`;
  }
  return String(Number(x.toPrecision(3)));
}

/** A filler in the words people use for it. */
export function describeFiller(f: Filler): string {
  switch (f.type) {
    case 'constant':
      return `constant ${f.value}`;
    case 'uniform':
      return `uniform [${f.min}, ${f.max}]`;
    case 'normal':
      return `gaussian std ${f.std}${f.mean !== 0 ? ` mean ${f.mean}` : ''}${f.sparse >= 0 ? ` sparse ${f.sparse}` : ''}`;
    case 'variance_scaling': {
      const fan = f.mode === 'fan_avg' ? '((fan_in + fan_out)/2)' : f.mode;
      const s = f.scale;
      const near = (x: number) => Math.abs(s - x) < 1e-9;
      if (near(1 / 3) && f.mode === 'fan_in' && f.distribution === 'uniform') return "PyTorch's default (variance 1/(3·fan_in))";
      const variance = near(1) ? `variance 1/${fan}` : `variance ${fmt(s)}/${fan}`;
      if (near(2)) return `He/MSRA (${variance})`;
      if (near(1)) return `${f.mode === 'fan_avg' ? 'Glorot/Xavier' : f.mode === 'fan_in' ? 'Xavier/LeCun' : 'Xavier'} (${variance})`;
      return `variance scaling (${variance})`;
    }
    case 'orthogonal':
      return `orthogonal (gain ${f.gain})`;
    case 'bilinear':
      return 'bilinear';
    case 'positive_unitball':
      return 'positive unit ball';
  }
}

/** The count a weight's fans are taken from (Caffe and PyTorch: count/shape[0], count/shape[1]). */
export function fans(weightShape: readonly number[]): { fanIn: number; fanOut: number } | null {
  if (weightShape.length < 2) return null;
  const count = weightShape.reduce((a, b) => a * b, 1);
  return { fanIn: count / weightShape[0]!, fanOut: count / weightShape[1]! };
}

// ---------------------------------------------------------------------------------------------
// Shapes: the analysis pass's, or (when a Caffe Data layer hides them) the shapes that follow
// from the crop size it states, with 3 colour channels unless its mean says otherwise.

export interface ShapeView {
  inputShape(node: Node, i?: number): Shape | null;
  /** The context, for what the dataflow says where shapes are unknown. */
  ctx?: LintContext<unknown>;
  /** What was assumed to know the shapes (null: nothing, they are the analysis's). */
  assumed: string | null;
}

const shapeViews = new WeakMap<object, ShapeView>();

export function shapesOf(ctx: LintContext<unknown>): ShapeView {
  const cached = shapeViews.get(ctx.lint);
  if (cached) return cached;
  let view: ShapeView = { inputShape: (node, i = 0) => ctx.inputShape(node, i), assumed: null, ctx };
  const hidden = ctx.nodes.some((n) => isWeightLayer(n) && !ctx.inputShape(n, 0));
  if (hidden) {
    const given = new Map<string, Shape>();
    const words: string[] = [];
    for (const n of ctx.nodes) {
      if (n.op !== 'data' || ctx.outputShape(n, 0)) continue;
      const t = n.attrs.transform;
      const blob = n.outputs[0];
      if (!t || t.crop_size <= 0 || blob === undefined || given.has(blob)) continue;
      const mean = t.preprocess.mean;
      const channels = mean && mean.length > 1 ? mean.length : 3;
      given.set(blob, ['N', channels, t.crop_size, t.crop_size]);
      words.push(`'${blob}' as ${channels}×${t.crop_size}×${t.crop_size} (its crop size${mean && mean.length > 1 ? ' and mean' : ', 3 colour channels'})`);
    }
    if (given.size > 0) {
      const inputs = new Map<Node, (Shape | null)[]>();
      try {
        const analyzer = new Analyzer(new DiagnosticBag(ctx.source), { inputShapes: given, onReport: (r) => inputs.set(r.node, r.inputs.map((x) => x.shape)) });
        for (const n of ctx.nodes) analyzer.add(n);
        view = { ctx, inputShape: (node, i = 0) => ctx.inputShape(node, i) ?? inputs.get(node)?.[i] ?? null, assumed: `reading ${words.join(', ')}` };
      } catch {
        // Keep the analysis's shapes.
      }
    }
  }
  shapeViews.set(ctx.lint, view);
  return view;
}

/** Ops whose output has the channels of their (first) input. */
const KEEPS_CHANNELS = new Set<string>([
  'relu', 'prelu', 'clip', 'elu', 'selu', 'gelu', 'sigmoid', 'tanh', 'swish', 'absval', 'bnll', 'power', 'exp', 'log', 'threshold',
  'batchnorm', 'lrn', 'mvn', 'scale', 'bias', 'dropout', 'pool', 'global_pool', 'adaptive_pool', 'crop', 'split', 'eltwise', 'softmax',
]);

/** Ops whose output is one value per channel (a vector per example), so a following fully connected layer reads C inputs. */
const VECTOR_OUT = new Set<string>(['linear', 'global_pool']);

/**
 * What the dataflow says about a blob when its shape is unknown: its channel count (axis 1),
 * and whether it is a vector per example. A Caffe Data layer's channels are taken from its
 * per-channel mean (3 for a mean file: colour images).
 */
type Upstream = { channels: number; vector: boolean } | null;
const upstreamMemo = new WeakMap<object, Map<Node, Map<number, Upstream>>>();

function upstream(ctx: LintContext<unknown>, node: Node, input: number, depth = 0): Upstream {
  const writer = ctx.writers(node)[input];
  if (!writer || depth > 256) return null;
  const out = Math.max(0, writer.outputs.indexOf(node.inputs[input]!));
  let memo = upstreamMemo.get(ctx.lint);
  if (!memo) upstreamMemo.set(ctx.lint, (memo = new Map()));
  let byOut = memo.get(writer);
  if (!byOut) memo.set(writer, (byOut = new Map()));
  if (byOut.has(out)) return byOut.get(out)!;
  const result = writerChannels(ctx, writer, out, depth);
  byOut.set(out, result);
  return result;
}

function writerChannels(ctx: LintContext<unknown>, writer: Node, out: number, depth: number): Upstream {
  const shape = ctx.outputShape(writer, out);
  if (shape) {
    const c = shape[1];
    return typeof c === 'number' ? { channels: c, vector: shape.length === 2 || shape.slice(2).every((d) => d === 1) } : null;
  }
  switch (writer.op) {
    case 'conv':
    case 'conv_transpose':
      return { channels: writer.attrs.num_output, vector: false };
    case 'linear':
      return writer.attrs.axis === 1 ? { channels: writer.attrs.num_output, vector: true } : null;
    case 'data': {
      if (out !== 0) return null;
      const pre = writer.attrs.transform?.preprocess;
      const mean = pre?.mean;
      if (mean && mean.length > 1) return { channels: mean.length, vector: false };
      return pre?.mean_file ? { channels: 3, vector: false } : null;
    }
    case 'concat': {
      if (writer.attrs.axis !== 1) return null;
      let channels = 0;
      for (let i = 0; i < writer.inputs.length; i++) {
        const u = upstream(ctx, writer, i, depth + 1);
        if (!u) return null;
        channels += u.channels;
      }
      return { channels, vector: false };
    }
    case 'flatten': {
      const u = upstream(ctx, writer, 0, depth + 1);
      return u && u.vector ? u : null;
    }
    default: {
      if (!KEEPS_CHANNELS.has(writer.op)) return null;
      const u = upstream(ctx, writer, 0, depth + 1);
      return u ? { channels: u.channels, vector: u.vector || VECTOR_OUT.has(writer.op) } : null;
    }
  }
}

/** The input channels of a weight layer and the number of products summed into each output. */
export function weightGeometry(view: ShapeView, node: WeightNode): { weightShape: number[]; summed: number } | null {
  const input = view.inputShape(node, 0) ?? fallbackShape(view, node);
  if (!input) return null;
  switch (node.op) {
    case 'conv': {
      const c = input[node.attrs.axis];
      if (c === undefined || !isKnown(c)) return null;
      const k = node.attrs.kernel.reduce((a, b) => a * b, 1);
      const cin = c / node.attrs.groups;
      return { weightShape: [node.attrs.num_output, cin, ...node.attrs.kernel], summed: cin * k };
    }
    case 'conv_transpose': {
      const c = input[node.attrs.axis];
      if (c === undefined || !isKnown(c)) return null;
      const k = node.attrs.kernel.reduce((a, b) => a * b, 1);
      const s = node.attrs.stride.reduce((a, b) => a * b, 1);
      return { weightShape: [c, node.attrs.num_output / node.attrs.groups, ...node.attrs.kernel], summed: ((c / node.attrs.groups) * k) / s };
    }
    case 'linear': {
      const axis = node.attrs.axis < 0 ? input.length + node.attrs.axis : node.attrs.axis;
      if (axis < 0 || axis > input.length) return null;
      let k = 1;
      for (const d of input.slice(axis)) {
        if (!isKnown(d)) return null;
        k *= d;
      }
      return { weightShape: node.attrs.transpose ? [k, node.attrs.num_output] : [node.attrs.num_output, k], summed: k };
    }
  }
}

/** A stand-in input shape from the dataflow: [N, C] for a vector, [N, C, ?, ?] otherwise (enough for a convolution's fan-in). */
function fallbackShape(view: ShapeView, node: WeightNode): Shape | null {
  if (!view.ctx) return null;
  const u = upstream(view.ctx, node, 0);
  if (!u) return null;
  if (u.vector) return ['N', u.channels];
  return node.op === 'linear' ? null : ['N', u.channels, '?', '?'];
}
