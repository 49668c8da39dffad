/**
 * A compiled model and its weights as a TensorFlow.js graph model: the model.json that
 * `tf.loadGraphModel` reads (format "graph-model", a GraphDef as JSON, a signature naming the
 * inputs and outputs after the net's blobs, a weights manifest) and the weight shards. The graph
 * is the inference forward pass of the tfjs lowering, op for op: inputs are fed and outputs come
 * back in the IR's NCHW layout, as in PyTorch; inside, 4-D values are held NHWC. Nothing loads
 * tfjs here: the graph is data.
 */
import { readFileSync } from 'node:fs';
import type { DiagnosticBag } from '../../diagnostics/diagnostic.js';
import { isKnown, UNKNOWN_DIM, type Shape } from '../../ir/dims.js';
import type { Node } from '../../ir/graph.js';
import { opDefinition } from '../../ir/ops/index.js';
import type { IrWeights, WeightTensor } from '../../weights/ir-weights.js';
import type { BackendInput } from '../backend.js';
import { modelInterface, needed } from '../tfjs/lower.js';
import type { Preprocess } from '../../ir/preprocess.js';
import { binary, perChannel, toIr, type Emit, type EmitContext, type NodeInfo } from './emit.js';
import { attr, GraphBuilder, type GraphNode, type Value } from './graph-def.js';
import { TRANSLATE } from './table.js';

export interface ExportOptions {
  /** Blobs the graph returns (default: the deploy outputs, as the tfjs lowering picks them). */
  outputs?: string[];
  /** The nnspec version named in generatedBy/convertedBy (default: package.json's). */
  version?: string;
  /** The largest weight shard in bytes (default 4 MiB, as tfjs-converter). */
  shardBytes?: number;
  /**
   * Put the inputs' preprocessing (mean, scale, std) into the graph, so that it takes raw input
   * (default false: like the tfjs lowering and the PyTorch module, it takes preprocessed input).
   */
  preprocess?: boolean;
}

export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
}

interface TensorInfo {
  name: string;
  dtype: 'DT_FLOAT';
  tensorShape: { dim: { size: string }[] };
}

export interface GraphModelJson {
  format: 'graph-model';
  generatedBy: string;
  convertedBy: string;
  signature: { inputs: Record<string, TensorInfo>; outputs: Record<string, TensorInfo> };
  modelTopology: { node: GraphNode[]; library: Record<string, never>; versions: Record<string, never> };
  weightsManifest: { paths: string[]; weights: WeightSpec[] }[];
}

export interface GraphModelExport {
  modelJson: GraphModelJson;
  /** Every weight's bytes, in manifest order (what the shards hold, joined). */
  weightData: Uint8Array;
  /** weightData cut into the files the manifest names. */
  shards: { path: string; data: Uint8Array }[];
}

export interface ExportResult {
  /** null when some layer cannot be expressed (the errors are in `diagnostics`). */
  model: GraphModelExport | null;
  diagnostics: DiagnosticBag;
}

export const SHARD_BYTES = 4 * 1024 * 1024;

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

const isSource = (n: Node) => n.op === 'input' || n.op === 'data';

/** The deploy model's outputs, as the lowering names them (the last value of each blob no kept layer reads). */
export function deployOutputs(nodes: readonly Node[]): string[] {
  return modelInterface(nodes).outputs;
}

const sameDims = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);
const tensorShape = (shape: readonly number[]) => ({ dim: shape.map((d) => ({ size: String(d) })) });

/** A problem found while emitting a layer: reported at the layer, and nothing is written. */
class ExportProblem extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** A symbolic batch size ("N", "N*3") evaluated with its symbols at 1: the graph keeps the axis free. */
const atOne = (d: string): number => d.split('*').reduce((p, part) => p * (Number.isInteger(Number(part)) && part !== '' ? Number(part) : 1), 1);

/**
 * Translates `input` with `weights` (IR layout, as ParamStore.toIrWeights or bindCaffeWeights give
 * them). Layers the graph format cannot express are `export/unsupported` errors naming them; then
 * (or on any other error) the result's model is null.
 */
export function exportGraphModel(input: BackendInput, weights: IrWeights, options: ExportOptions = {}): ExportResult {
  const { model, reports, diagnostics } = input;
  const nodes = model.graph.nodes;
  const outputs = options.outputs ?? deployOutputs(nodes);
  const fail = (): ExportResult => ({ model: null, diagnostics });
  if (outputs.length === 0) {
    diagnostics.error('export/no-outputs', 'the net has no output to export (every blob is read by a later layer or is a loss)', nodes[0]?.span ?? { start: 0, end: 0 });
    return fail();
  }
  const run = needed(nodes, outputs);
  // A batch axis left open in the spec (N) is free in the graph; every other axis must be known.
  let batchSymbol: string | null = null;
  const resolve = (shape: Shape | null | undefined): number[] | null => {
    if (!shape) return null;
    const out: number[] = [];
    for (let i = 0; i < shape.length; i++) {
      const d = shape[i]!;
      if (isKnown(d)) out.push(d as number);
      else if (i === 0 && d !== UNKNOWN_DIM) {
        batchSymbol ??= d;
        out.push(atOne(d));
      } else return null;
    }
    return out;
  };
  const emits = new Map<Node, { emit: Emit; info: NodeInfo }>();
  let failed = false;
  for (const node of nodes) {
    if (!run.has(node)) continue;
    const report = reports.get(node);
    const ins = (report?.inputs ?? []).map((i) => resolve(i.shape));
    const outs = (report?.outputs ?? []).map((o) => resolve(o.shape));
    if (!report || ins.some((s) => !s) || outs.some((s) => !s)) {
      diagnostics.error('export/unknown-shape', `cannot export layer '${node.name}': its shapes are not all known`, node.span, {
        hint: 'declare the input shape (an Input layer, input_shape, or --input-shape NAME=N,C,H,W)',
      });
      failed = true;
      continue;
    }
    const info: NodeInfo = { inputs: ins as number[][], outputs: outs as number[][] };
    if (isSource(node)) continue;
    const translated = (TRANSLATE[node.op] as (n: Node, i: NodeInfo) => ReturnType<(typeof TRANSLATE)['conv']>)(node, info);
    if (typeof translated === 'function') {
      emits.set(node, { emit: translated, info });
      if (!checkWeights(node, info, weights, diagnostics)) failed = true;
    } else {
      diagnostics.error('export/unsupported', `the TensorFlow.js graph export cannot express layer '${node.name}': ${translated.unsupported}`, node.span);
      failed = true;
    }
  }
  if (failed) return fail();

  const g = new GraphBuilder();
  const blobs = new Map<string, Value>();
  const read = new Set([...outputs, ...[...run].flatMap((n) => (isSource(n) ? [] : n.inputs))]);
  const placeholders: { blob: string; node: GraphNode; shape: number[]; source: Node }[] = [];
  for (const node of nodes) {
    if (!run.has(node) || !isSource(node)) continue;
    node.outputs.forEach((blob, i) => {
      if (!read.has(blob)) return;
      const shape = resolve(reports.get(node)!.outputs[i]!.shape)!;
      const name = g.op('', 'Placeholder', [], {}, blob);
      placeholders.push({ blob, node: g.nodes[g.nodes.length - 1]!, shape, source: node });
      blobs.set(blob, { ref: name, cl: false, shape });
    });
  }
  const outputNames = outputs.map((b) => g.reserve(b));
  if (options.preprocess) {
    for (const p of placeholders) {
      const source = p.source as Node & { op: 'input' | 'data' };
      const pre = source.op === 'input' ? source.attrs.preprocess : source.attrs.transform?.preprocess;
      if (!pre) continue;
      if (pre.mean_file !== null) {
        diagnostics.error('export/unsupported', `cannot put the preprocessing of '${p.blob}' into the graph: a mean file (${pre.mean_file}) is not read by the exporter`, source.span);
        return fail();
      }
      blobs.set(p.blob, preprocessed(emitContext(g, source, `${p.blob}/preprocess`), blobs.get(p.blob)!, pre));
    }
  }

  for (const node of nodes) {
    const entry = emits.get(node);
    if (!entry) continue;
    const ctx: EmitContext = {
      g,
      node,
      scope: node.name,
      // checkWeights has seen every blob a translation reads.
      param: (name) => {
        const w: WeightTensor | undefined = weights.get(node.name)?.get(name);
        if (!w) throw new ExportProblem('export/weights', `the weights have no '${name}' for it`);
        return w;
      },
      fixBatch: (why) => {
        if (batchSymbol !== null) throw new ExportProblem('export/unsupported', `${why} needs a fixed batch size, and the net's is ${batchSymbol}`);
        g.batchFixed = true;
      },
    };
    const args = node.inputs.map((b) => blobs.get(b));
    // After an earlier layer failed, the layers that read its outputs are not reached.
    if (!args.every((v): v is Value => v !== undefined)) continue;
    let results;
    try {
      results = entry.emit(args, ctx);
    } catch (e) {
      if (!(e instanceof ExportProblem)) throw e;
      diagnostics.error(e.code, `${e.code === 'export/unsupported' ? 'the TensorFlow.js graph export cannot express' : 'cannot export'} layer '${node.name}': ${e.message}`, node.span);
      failed = true;
      continue;
    }
    node.outputs.forEach((b, i) => {
      const r = results[i];
      if (r) blobs.set(b, { ...r, shape: entry.info.outputs[i]! });
    });
  }
  if (failed) return fail();

  const signature: GraphModelJson['signature'] = { inputs: {}, outputs: {} };
  const batchDim = (shape: number[]) => (g.batchFixed ? shape : [-1, ...shape.slice(1)]);
  for (const p of placeholders) {
    const shape = batchDim(p.shape);
    p.node.attr = { dtype: attr.float(), shape: attr.shape(shape) };
    signature.inputs[p.blob] = { name: `${p.node.name}:0`, dtype: 'DT_FLOAT', tensorShape: tensorShape(shape) };
  }
  outputs.forEach((b, i) => {
    const v = blobs.get(b)!;
    const ir = toIr(emitContext(g, nodes[0]!, b), v);
    const name = outputNames[i]!;
    g.nodes.push({ name, op: 'Identity', input: [ir.ref], attr: { T: attr.float() } });
    signature.outputs[b] = { name: `${name}:0`, dtype: 'DT_FLOAT', tensorShape: tensorShape(batchDim(v.shape)) };
  });

  const { weightData, specs } = packWeights(g);
  const shardBytes = options.shardBytes ?? SHARD_BYTES;
  const count = Math.max(1, Math.ceil(weightData.byteLength / shardBytes));
  const shards = Array.from({ length: count }, (_, i) => ({ path: `group1-shard${i + 1}of${count}.bin`, data: weightData.subarray(i * shardBytes, (i + 1) * shardBytes) }));
  const version = `nnspec ${options.version ?? packageVersion()}`;
  const modelJson: GraphModelJson = {
    format: 'graph-model',
    generatedBy: version,
    convertedBy: version,
    signature,
    // TensorFlow's GraphDef versions record the TF that built a graph; none did here.
    modelTopology: { node: g.nodes, library: {}, versions: {} },
    weightsManifest: [{ paths: shards.map((s) => s.path), weights: specs }],
  };
  return { model: { modelJson, weightData, shards }, diagnostics };
}

/** A context for nodes that are no layer's (input preprocessing, output transposes). */
function emitContext(g: GraphBuilder, node: Node, scope: string): EmitContext {
  return {
    g,
    node,
    scope,
    param: () => {
      throw new Error('no parameters here');
    },
    fixBatch: () => {},
  };
}

/** y = (x − mean) · scale / std per channel (src/ir/preprocess.ts), on the raw input. */
function preprocessed(ctx: EmitContext, x: Value, p: Preprocess): Value {
  const channels = (label: string, values: number[]) => (values.length === 1 ? ctx.g.scalar(values[0]!) : perChannel(ctx, x, label, Float32Array.from(values)));
  let ref = x.ref;
  if (p.mean && p.mean.some((m) => m !== 0)) ref = binary(ctx, 'Sub', ref, channels('mean', p.mean));
  if (p.scale !== 1) ref = binary(ctx, 'Mul', ref, ctx.g.scalar(p.scale));
  if (p.std && p.std.some((d) => d !== 1)) ref = binary(ctx, 'RealDiv', ref, channels('std', p.std));
  return { ...x, ref };
}

/**
 * Every blob the layer's translation reads is in the weights with the layer's shape (Caffe's
 * BatchNorm scale factor is not read: IrWeights hold the averages). All problems are reported.
 */
function checkWeights(node: Node, info: NodeInfo, weights: IrWeights, diagnostics: DiagnosticBag): boolean {
  const expected = paramShapes(node, info.inputs);
  let ok = true;
  node.params.forEach((p, i) => {
    if (p.name === 'scale_factor') return;
    const w = weights.get(node.name)?.get(p.name);
    const want = expected?.[i];
    let problem: string | null = null;
    if (!w) problem = `the weights have no '${p.name}' for it`;
    else if (want && !sameDims(want, w.shape)) problem = `its ${p.name} is [${w.shape.join(', ')}] in the weights, but the layer's blob is [${want.join(', ')}]`;
    else if (w.data.length !== w.shape.reduce((a, b) => a * b, 1)) problem = `its ${p.name} holds ${w.data.length} values for the shape [${w.shape.join(', ')}]`;
    if (problem) {
      diagnostics.error('export/weights', `cannot export layer '${node.name}': ${problem}`, node.span);
      ok = false;
    }
  });
  return ok;
}

function paramShapes(node: Node, inputs: number[][]): number[][] | null {
  try {
    const shapes = opDefinition(node.op).paramShapes(node.attrs as never, inputs);
    return shapes.every((s) => s.every(isKnown)) ? (shapes as number[][]) : null;
  } catch {
    return null;
  }
}

const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/** The constants' values, little-endian (tfjs's weight format), in node order. */
function packWeights(g: GraphBuilder): { weightData: Uint8Array; specs: WeightSpec[] } {
  const total = g.consts.reduce((n, c) => n + c.data.byteLength, 0);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const c of g.consts) {
    if (LITTLE_ENDIAN) {
      out.set(new Uint8Array(c.data.buffer, c.data.byteOffset, c.data.byteLength), at);
      at += c.data.byteLength;
      continue;
    }
    for (let i = 0; i < c.data.length; i++, at += 4) {
      if (c.dtype === 'int32') view.setInt32(at, c.data[i]!, true);
      else view.setFloat32(at, c.data[i]!, true);
    }
  }
  return { weightData: out, specs: g.consts.map((c) => ({ name: c.name, shape: c.shape, dtype: c.dtype })) };
}
