/**
 * Lowers a compiled model to a tfjs forward function: every node becomes a kernel from the op
 * table, the parameters a seeded store, and the graph a walk in node order over named blobs (a
 * Caffe in-place layer simply replaces its blob's value). Inputs and outputs are in the IR's
 * layout (NCHW); inside, 4-D blobs may be held channels-last.
 */
import type { BackendInput } from '../backend.js';
import type { Node } from '../../ir/graph.js';
import type { IrWeights } from '../../weights/ir-weights.js';
import { ir } from './layout.js';
import { createParams, type ParamStore } from './params.js';
import { LOWER } from './table.js';
import type { Kernel, Mode, NodeInfo, RunContext, Tensor, Tf, Value } from './types.js';

export interface LowerOptions {
  /** Seed of the initial parameter values and of the dropout masks (default 0). */
  seed?: number;
  /** Values to load over the initialisation (IR layout, as bindCaffeWeights gives); a blob of another shape is a lower/weights-shape error and keeps its initial value. */
  weights?: IrWeights;
  /** Random masks (dropout, DropConnect, stochastic depth) drawn by an earlier run of this model: a resumed run continues their sequence (default 0). */
  firstDraw?: number;
}

export interface ForwardOptions {
  /** Blobs to compute (default: the model's outputs); only the layers they need run. */
  outputs?: string[];
  /** false: no dropout or DropConnect in training either (to compare gradients with another framework). */
  dropout?: boolean;
}

export interface LossTerm {
  blob: string;
  weight: number;
}

export interface LoweredModel {
  /** Blobs the forward function takes: the outputs of input and data layers, in order. */
  inputs: string[];
  /** Blobs no kept layer reads (losses, accuracy and Silence left aside), like the PyTorch module's outputs. */
  outputs: string[];
  /** Loss outputs and their weights in the training objective. */
  losses: LossTerm[];
  params: ParamStore;
  forward(inputs: Record<string, Tensor>, mode: Mode, options?: ForwardOptions): Record<string, Tensor>;
  /** Random masks drawn so far, firstDraw included (what a checkpoint keeps to resume the sequence). */
  draws(): number;
  dispose(): void;
}

const isSource = (n: Node) => n.op === 'input' || n.op === 'data';
const isLeftOut = (n: Node) => n.op === 'loss' || n.op === 'accuracy' || n.op === 'silence';

/** The deploy model's outputs: the last value of each blob that no kept layer reads afterwards. */
function defaultOutputs(nodes: readonly Node[]): string[] {
  const latest = new Map<string, { read: boolean; silenced: boolean; order: number }>();
  let order = 0;
  for (const node of nodes) {
    for (const b of node.inputs) {
      const v = latest.get(b);
      if (!v) continue;
      if (node.op === 'silence') v.silenced = true;
      else if (!isLeftOut(node)) v.read = true;
    }
    if (isSource(node) || isLeftOut(node)) continue;
    for (const b of node.outputs) latest.set(b, { read: false, silenced: false, order: order++ });
  }
  return [...latest.entries()].filter(([, v]) => !v.read && !v.silenced).sort((a, b) => a[1].order - b[1].order).map(([b]) => b);
}

/** What the lowered model takes and gives, from the graph alone (nothing allocated): callers that only need names use this. */
export function modelInterface(nodes: readonly Node[]): Pick<LoweredModel, 'inputs' | 'outputs' | 'losses'> {
  const inputs = nodes.filter(isSource).flatMap((n) => n.outputs);
  const losses: LossTerm[] = [];
  for (const node of nodes) {
    node.outputs.forEach((b, i) => {
      const weight = node.loss_weight?.[i] ?? (node.op === 'loss' && i === 0 ? 1 : 0);
      if (weight !== 0) losses.push({ blob: b, weight });
    });
  }
  return { inputs, outputs: defaultOutputs(nodes), losses };
}

/** The nodes that `outputs` need, walking back from them (an in-place layer reads what it replaces). */
export function needed(nodes: readonly Node[], outputs: readonly string[]): Set<Node> {
  const want = new Set(outputs);
  const keep = new Set<Node>();
  for (let i = nodes.length - 1; i >= 0; i--) {
    const node = nodes[i]!;
    if (!node.outputs.some((b) => want.has(b))) continue;
    keep.add(node);
    for (const b of node.outputs) want.delete(b);
    for (const b of node.inputs) want.add(b);
  }
  return keep;
}

/**
 * Lowers `input` for `tf` (the tfjs namespace, its backend already chosen). Layers tfjs cannot
 * run are reported as `lower/unsupported` errors naming them, and then null is returned.
 */
export function lowerToTfjs(tf: Tf, input: BackendInput, options: LowerOptions = {}): LoweredModel | null {
  const { model, reports, diagnostics } = input;
  const nodes = model.graph.nodes;
  const kernels = new Map<Node, Kernel>();
  const infos: { node: Node; info: NodeInfo }[] = [];
  let failed = false;
  for (const node of nodes) {
    const report = reports.get(node);
    const info: NodeInfo = { inputs: (report?.inputs ?? []).map((i) => i.shape), outputs: (report?.outputs ?? []).map((o) => o.shape) };
    infos.push({ node, info });
    if (isSource(node)) continue;
    const lowered = (LOWER[node.op] as (n: Node, i: NodeInfo) => ReturnType<(typeof LOWER)['conv']>)(node, info);
    if (typeof lowered === 'function') kernels.set(node, lowered);
    else {
      diagnostics.error('lower/unsupported', `TensorFlow.js lowering cannot run layer '${node.name}': ${lowered.unsupported}`, node.span);
      failed = true;
    }
  }
  if (failed) return null;
  const errorsBefore = diagnostics.items.filter((d) => d.severity === 'error').length;
  const params = createParams(tf, infos, options.seed ?? 0, diagnostics);
  if (diagnostics.items.filter((d) => d.severity === 'error').length > errorsBefore) {
    params.dispose();
    return null;
  }
  if (options.weights) {
    for (const { node, message } of params.load(options.weights)) {
      diagnostics.error('lower/weights-shape', `the weights do not fit: ${message}`, nodes.find((n) => n.name === node)!.span);
    }
  }

  const { inputs, outputs, losses } = modelInterface(nodes);
  let draws = options.firstDraw ?? 0;
  const baseSeed = options.seed ?? 0;

  const forward = (given: Record<string, Tensor>, mode: Mode, forwardOptions: ForwardOptions = {}): Record<string, Tensor> => {
    const wanted = forwardOptions.outputs ?? outputs;
    const run = needed(nodes, wanted);
    return tf.tidy(() => {
      const blobs = new Map<string, Value>();
      for (const node of nodes) {
        if (!run.has(node)) continue;
        if (isSource(node)) {
          for (const b of node.outputs) {
            const t = given[b];
            if (!t) throw new Error(`the forward pass needs input '${b}' (layer '${node.name}')`);
            blobs.set(b, { t, cl: false });
          }
          continue;
        }
        const stored = params.byNode.get(node.name);
        const ctx: RunContext = {
          tf,
          mode,
          dropout: forwardOptions.dropout ?? true,
          param: (name) => {
            const p = stored?.get(name);
            if (!p) throw new Error(`layer '${node.name}' has no parameter '${name}'`);
            return p.variable;
          },
          assign: (name, value) => stored?.get(name)?.variable.assign(value),
          seed: () => baseSeed * 1_000_003 + draws++,
        };
        const args = node.inputs.map((b) => {
          const v = blobs.get(b);
          if (!v) throw new Error(`layer '${node.name}' reads blob '${b}', which nothing computed`);
          return v;
        });
        const results = kernels.get(node)!(args, ctx);
        node.outputs.forEach((b, i) => {
          const r = results[i];
          if (r) blobs.set(b, r);
        });
      }
      const out: Record<string, Tensor> = {};
      for (const b of wanted) {
        const v = blobs.get(b);
        if (!v) throw new Error(`blob '${b}' is not computed by the model`);
        out[b] = ir(tf, v);
      }
      return out;
    });
  };

  return { inputs, outputs, losses, params, forward, draws: () => draws, dispose: () => params.dispose() };
}
