/**
 * The emitted module's structure, worked out once and shared by the code emitter and the
 * state_dict mapping: which nodes take part in forward (a deploy model: losses, accuracy and
 * data labels are left out), blob versions (Caffe's in-place layers write one blob name many
 * times), the BatchNorm+Scale pairs folded into one BatchNorm, the inputs and outputs, and the
 * tree of modules whose dotted names become state_dict keys.
 */
import type { BackendInput } from '../backend.js';
import { ShapeError, type Shape } from '../../ir/dims.js';
import { TORCH_DEFAULT_BIAS, TORCH_DEFAULT_WEIGHT, type Filler } from '../../ir/filler.js';
import type { Node, ParamBlob } from '../../ir/graph.js';
import { opDefinition } from '../../ir/ops/index.js';
import { canonicalAxis } from '../../ir/dims.js';
import { moduleKey } from './python.js';
import { translate, type DefaultInit, type NodeContext, type ParamKey, type Translation } from './translate.js';

export interface Version {
  blob: string;
  producer: Item | null;
  consumers: Item[];
  /** Read by Silence: not an output. */
  silenced: boolean;
  /** Read by a layer left out of the deploy model (a loss, accuracy): an input only such layers read is a label. */
  readByLeftOut: boolean;
  dropped: boolean;
}

export interface Item {
  node: Node;
  ins: Version[];
  outs: Version[];
  tr: Translation;
  ctx: NodeContext;
  /** The Caffe Scale folded into this BatchNorm: its weight and bias are the BatchNorm's. */
  fusedScale?: Node;
  leaf?: Leaf;
}

export interface Leaf {
  kind: 'leaf';
  key: string;
  parent: Container;
  item: Item;
}

export interface Container {
  kind: 'container';
  /** 'dict' (nn.ModuleDict) until it is found to be a chain ('seq', nn.Sequential). */
  type: 'root' | 'dict' | 'seq';
  key: string;
  parent: Container | null;
  raw: string[];
  children: (Leaf | Container)[];
  byRaw: Map<string, Leaf | Container>;
  /** seq: its members in order. */
  members: Item[];
}

/** One parameter of the emitted module: where it lives and what it was in the IR. */
export interface PlannedParam {
  item: Item;
  /** The node whose IR parameter this is (the Scale for a fused BatchNorm's weight and bias). */
  owner: Node;
  blob: ParamBlob;
  irShape: number[] | null;
  key: string;
  layout?: ParamKey['layout'];
  torchShape: number[] | null;
  /** Another parameter this one is tied to (Caffe weight sharing). */
  sharedWith?: PlannedParam;
  default?: DefaultInit;
  /** Held as a buffer (running statistics), not an nn.Parameter. */
  buffer: boolean;
}

export interface Plan {
  items: Item[];
  inputs: Version[];
  outputs: Version[];
  root: Container;
  params: PlannedParam[];
}

function contextOf(node: Node, reports: BackendInput['reports']): { ctx: NodeContext; unknown: boolean } {
  const report = reports.get(node);
  const inputs = (report?.inputs ?? []).map((i) => i.shape);
  const outputs = (report?.outputs ?? []).map((o) => o.shape);
  const unknown = inputs.length !== node.inputs.length || inputs.some((s) => s === null);
  let paramShapes: Shape[] = [];
  if (!unknown && node.params.length > 0) {
    try {
      paramShapes = opDefinition(node.op).paramShapes(node.attrs as never, inputs as Shape[]);
    } catch (e) {
      if (!(e instanceof ShapeError)) throw e;
    }
  }
  return {
    ctx: {
      inputs: inputs.map((s) => s ?? []),
      outputs: outputs.map((s) => s ?? []),
      paramShapes,
      fusedAffine: false,
    },
    unknown,
  };
}

const isNumeric = (s: Shape | undefined): s is number[] => !!s && s.every((d) => typeof d === 'number');

/** Builds the plan, reporting what PyTorch cannot express into the input's diagnostics. */
export function planModel(input: BackendInput): Plan {
  const { model, reports, diagnostics } = input;
  const current = new Map<string, Version>();
  const items: Item[] = [];
  const inputs: Version[] = [];
  const dataOutputs: Version[] = [];
  const order: Version[] = [];
  const version = (blob: string, producer: Item | null, dropped = false): Version => {
    const v: Version = {
      blob,
      producer,
      consumers: [],
      silenced: false,
      readByLeftOut: false,
      dropped,
    };
    current.set(blob, v);
    order.push(v);
    return v;
  };
  let unknownSeen = false;
  for (const node of model.graph.nodes) {
    const ins = node.inputs.map((b) => current.get(b) ?? version(b, null));
    if (node.op === 'input' || node.op === 'data') {
      for (const b of node.outputs) (node.op === 'input' ? inputs : dataOutputs).push(version(b, null));
      continue;
    }
    const leftOut = node.op === 'loss' || node.op === 'accuracy' || node.op === 'silence' || ins.some((v) => v.dropped);
    if (leftOut) {
      for (const v of ins) {
        if (node.op === 'silence') v.silenced = true;
        v.readByLeftOut = true;
      }
      for (const b of node.outputs) version(b, null, true);
      continue;
    }
    const { ctx, unknown } = contextOf(node, reports);
    const item: Item = { node, ins, outs: [], ctx, tr: { kind: 'drop' } };
    if (unknown) {
      // Once, at the first layer: every later one follows from it.
      if (!unknownSeen) {
        diagnostics.error(
          'convert/unknown-shape',
          `PyTorch conversion needs every layer's input shapes, and those of layer '${node.name}' are not known (a data layer whose shape only the data tells?)`,
          node.span,
          {
            hint: 'declare the input shape (Caffe: an Input layer or input_shape; or --input-shape NAME=N,C,H,W)',
          },
        );
      }
      unknownSeen = true;
      item.tr = { kind: 'refuse', feature: '' };
    } else item.tr = translate(node, ctx);
    if (item.tr.kind === 'refuse' && item.tr.feature) {
      diagnostics.error('convert/unsupported', `PyTorch cannot express layer '${node.name}': ${item.tr.feature}`, node.span);
    }
    for (const v of ins) v.consumers.push(item);
    item.outs = node.outputs.map((b) => version(b, item));
    items.push(item);
  }
  fuseBatchNormScale(items, input);
  const caffeStats = items.filter((it) => it.node.op === 'batchnorm' && it.node.attrs.running_update === 'caffe' && it.node.attrs.statistics !== 'running');
  if (caffeStats.length > 0) {
    diagnostics.warning(
      'convert/inexact',
      `${caffeStats.length === 1 ? 'BatchNorm' : `${caffeStats.length} BatchNorm layers, the first`} '${caffeStats[0]!.node.name}' ${caffeStats.length === 1 ? 'keeps' : 'keep'} Caffe's bias-corrected running averages; nn.BatchNorm updates them as an exponential average with momentum 1 − moving_average_fraction, so they differ during the first training iterations (inference with stored statistics is identical)`,
      caffeStats[0]!.node.span,
    );
  }
  // Blobs that only losses and accuracy read are labels: not inputs of the deploy model.
  for (let i = inputs.length - 1; i >= 0; i--) if (inputs[i]!.consumers.length === 0 && inputs[i]!.readByLeftOut) inputs.splice(i, 1);
  for (const v of dataOutputs) if (v.consumers.length > 0) inputs.push(v);
  inputs.sort((a, b) => order.indexOf(a) - order.indexOf(b));
  const outputs = order.filter((v) => !v.dropped && v.consumers.length === 0 && !v.silenced && (v.producer ? items.includes(v.producer) : inputs.includes(v)));
  const root = buildTree(items, model.dialect === 'nnspec');
  const params = planParams(items, input);
  return { items, inputs, outputs, root, params };
}

/**
 * Caffe's BatchNorm has no affine part; the Scale after it (with a bias, over the channels) is
 * one when it alone reads the BatchNorm's output: the pair is one BatchNorm2d(affine=True).
 */
function fuseBatchNormScale(items: Item[], input: BackendInput): void {
  for (let i = 0; i < items.length; i++) {
    const bn = items[i]!;
    if (bn.node.op !== 'batchnorm' || bn.node.attrs.affine || bn.tr.kind !== 'module' || bn.outs.length !== 1) continue;
    const out = bn.outs[0]!;
    if (out.consumers.length !== 1 || out.silenced) continue;
    const sc = out.consumers[0]!;
    if (sc.node.op !== 'scale' || sc.node.inputs.length !== 1 || !sc.node.attrs.bias || sc.tr.kind !== 'module') continue;
    const rank = sc.ctx.inputs[0]!.length;
    const c = sc.ctx.inputs[0]![1];
    const w = sc.ctx.paramShapes[0];
    if (canonicalAxis(sc.node.attrs.axis, rank) !== 1 || !w || w.length !== 1 || w[0] !== c) continue;
    bn.ctx = { ...bn.ctx, fusedAffine: true };
    const fused: Item = {
      ...bn,
      outs: sc.outs,
      tr: translate(bn.node, { ...bn.ctx, fusedAffine: true }),
      fusedScale: sc.node,
    };
    for (const v of fused.ins) v.consumers = v.consumers.map((x) => (x === bn ? fused : x));
    for (const v of fused.outs) v.producer = fused;
    // At the Scale's place: the BatchNorm's input is still what it was there.
    items[items.indexOf(sc)] = fused;
    items.splice(i, 1);
    i--;
    input.diagnostics.note(
      'convert/fused',
      `BatchNorm '${bn.node.name}' and Scale '${sc.node.name}' become one nn.BatchNorm with affine=True (the Scale's weight and bias are its weight and bias)`,
      sc.node.span,
    );
  }
}

function newContainer(type: Container['type'], key: string, parent: Container | null, raw: string[]): Container {
  return {
    kind: 'container',
    type,
    key,
    parent,
    raw,
    children: [],
    byRaw: new Map(),
    members: [],
  };
}

function allocate(parent: Container, raw: string): string {
  const base = moduleKey(raw, parent.type === 'root');
  const taken = new Set(parent.children.map((c) => c.key));
  let key = base;
  for (let i = 2; taken.has(key); i++) key = `${base}_${i}`;
  return key;
}

/** Dotted nnspec names become nested modules; Caffe names are flat. */
function buildTree(items: Item[], dotted: boolean): Container {
  const root = newContainer('root', '', null, []);
  const containers: Container[] = [];
  const segmentsOf = (item: Item) => (dotted ? item.node.name.split('.') : [item.node.name]);
  for (const item of items) {
    if (item.tr.kind !== 'module') continue;
    const segs = segmentsOf(item);
    let at = root;
    for (const seg of segs.slice(0, -1)) {
      let next = at.byRaw.get(`c:${seg}`) as Container | undefined;
      if (!next) {
        next = newContainer('dict', allocate(at, seg), at, [...at.raw, seg]);
        at.byRaw.set(`c:${seg}`, next);
        at.children.push(next);
        containers.push(next);
      }
      at = next;
    }
    const leaf: Leaf = {
      kind: 'leaf',
      key: allocate(at, segs[segs.length - 1]!),
      parent: at,
      item,
    };
    at.children.push(leaf);
    item.leaf = leaf;
  }
  // Innermost first, so that a container knows whether its sub-containers are chains.
  const index = new Map(items.map((it, i) => [it, i]));
  for (const c of [...containers].reverse()) {
    const members = items.filter((it) => {
      const segs = segmentsOf(it);
      return segs.length > c.raw.length && c.raw.every((s, i) => segs[i] === s);
    });
    if (isChain(members, index) && c.children.every((ch) => ch.kind === 'leaf' || ch.type === 'seq')) {
      c.type = 'seq';
      c.members = members;
    }
  }
  return root;
}

/** A run of single-input modules, each reading only the previous one's output, with nothing else reading in between. */
function isChain(members: Item[], index: Map<Item, number>): boolean {
  if (members.length === 0) return false;
  return members.every((it, i) => {
    const tr = it.tr;
    if (tr.kind !== 'module' || tr.perInput || tr.post || (i > 0 && tr.pre)) return false;
    if (it.ins.length !== 1 || it.outs.length !== 1) return false;
    if (i === 0) return true;
    const prev = members[i - 1]!;
    return index.get(it) === index.get(prev)! + 1 && it.ins[0] === prev.outs[0] && prev.outs[0]!.consumers.length === 1 && !prev.outs[0]!.silenced;
  });
}

/** The state_dict key of a module (dotted container keys). */
export function modulePath(leaf: Leaf): string {
  const keys = [leaf.key];
  for (let c: Container | null = leaf.parent; c && c.type !== 'root'; c = c.parent) keys.unshift(c.key);
  return keys.join('.');
}

function planParams(items: Item[], input: BackendInput): PlannedParam[] {
  const out: PlannedParam[] = [];
  const shared = new Map<string, PlannedParam>();
  for (const item of items) {
    if (item.tr.kind !== 'module' || !item.leaf) continue;
    const tr = item.tr;
    const blobs: { owner: Node; blob: ParamBlob; shape: Shape | undefined }[] = item.node.params.map((blob, i) => ({
      owner: item.node,
      blob,
      shape: item.ctx.paramShapes[i],
    }));
    if (item.fusedScale) {
      const sc = item.fusedScale;
      const { ctx } = contextOf(sc, input.reports);
      sc.params.forEach((blob, i) => blobs.push({ owner: sc, blob, shape: ctx.paramShapes[i] }));
    }
    const prefix = modulePath(item.leaf);
    for (const { owner, blob, shape } of blobs) {
      const mapped = tr.keys?.[blob.name];
      if (mapped && mapped.key === '') continue;
      const irShape = isNumeric(shape) ? shape : null;
      const layout = mapped?.layout;
      const torchShape = mapped?.shape ?? (irShape && layout === 'transpose' ? [irShape[1]!, irShape[0]!] : irShape);
      const p: PlannedParam = {
        item,
        owner,
        blob,
        irShape,
        key: `${prefix}.${mapped?.key ?? blob.name}`,
        layout,
        torchShape,
        default: tr.defaults?.[blob.name],
        buffer: tr.buffers?.includes(blob.name) ?? false,
      };
      if (blob.share) {
        const first = shared.get(blob.share.name);
        if (first) {
          if (JSON.stringify(first.torchShape) !== JSON.stringify(torchShape) || first.layout !== layout) {
            input.diagnostics.error(
              'convert/unsupported',
              `PyTorch cannot express layer '${owner.name}': sharing parameter '${blob.share.name}' between blobs of different shapes or layouts`,
              owner.span,
            );
          }
          p.sharedWith = first;
        } else shared.set(blob.share.name, p);
      }
      out.push(p);
    }
  }
  return out;
}

/** Whether the module's own initialisation already is this filler. */
export function isDefaultInit(d: DefaultInit | undefined, filler: Filler): boolean {
  if (d === undefined) return false;
  const same = (a: Filler) => JSON.stringify(a) === JSON.stringify(filler);
  if (d === 'torch_weight') return same(TORCH_DEFAULT_WEIGHT);
  if (d === 'torch_bias') return same(TORCH_DEFAULT_BIAS);
  return filler.type === 'constant' && filler.value === d.constant;
}
