/**
 * The network as drawn: boxes, edges between them and the scopes that enclose them, worked
 * out once and then written as DOT (and from it SVG and HTML).
 *
 * Two simplifications make a large net readable, as Netscope does:
 * - An in-place layer (its output blob is its input blob, Caffe's `ReLU { bottom: conv1
 *   top: conv1 }`) is folded into the box of the layer that wrote the blob, unless something
 *   read the blob in between: then the fold would hide that the reader saw the value before.
 * - With `collapse`, every top-level block instance (nnspec) or name scope (Caffe, `a/b`) is
 *   one box; the edges inside it go.
 */
import { formatShape, type Shape } from '../../ir/dims.js';
import type { Dialect, Node } from '../../ir/graph.js';
import type { OpCategory } from '../../ir/op.js';
import { opDefinition } from '../../ir/ops/index.js';
import type { BackendInput } from '../backend.js';
import { describeOp } from './op-labels.js';

export interface Box {
  /** The DOT node id and the SVG element id: `n0`, `n1`, … in the order of the net. */
  id: string;
  /** The name shown first: a layer's name, or a collapsed instance's scope. */
  title: string;
  /** The lines below the title. */
  lines: string[];
  /** Indexes in the graph's node list of the layers drawn in this box. */
  layers: number[];
  category: OpCategory | 'block';
  /** Enclosing scopes, outermost first (`['stage1', 'stage1.0']`). */
  scopes: string[];
}

export interface Edge {
  from: string;
  to: string;
  blob: string;
  shape: Shape | null;
}

export interface Diagram {
  name: string;
  boxes: Box[];
  edges: Edge[];
}

export interface DiagramOptions {
  collapse?: boolean;
}

/** nnspec scopes names as PyTorch does (`layer1.0.conv1`); Caffe nets by convention with `/`. */
export function scopeSeparator(dialect: Dialect): string {
  return dialect === 'nnspec' ? '.' : '/';
}

interface Writer {
  box: Box;
  shape: Shape | null;
  /** Whether a later layer has read the blob since it was written. */
  read: boolean;
}

export function buildDiagram(input: BackendInput, options: DiagramOptions = {}): Diagram {
  const { model, reports } = input;
  const nodes = model.graph.nodes;
  const sep = scopeSeparator(model.dialect);
  const collapseKeys = options.collapse ? instanceKeys(input) : null;
  const boxes: Box[] = [];
  const edges: Edge[] = [];
  const writers = new Map<string, Writer>();
  const collapsed = new Map<string, Box>();
  const edgeSeen = new Set<string>();

  const addEdge = (from: Box, to: Box, blob: string, shape: Shape | null) => {
    if (from === to) return;
    const key = `${from.id}\u0000${to.id}\u0000${blob}`;
    if (edgeSeen.has(key)) return;
    edgeSeen.add(key);
    edges.push({ from: from.id, to: to.id, blob, shape });
  };

  nodes.forEach((node, index) => {
    const outputs = reports.get(node)?.outputs ?? [];
    const writer = isInPlace(node) ? writers.get(node.inputs[0]!) : undefined;
    if (writer && !writer.read) {
      writer.box.layers.push(index);
      writer.box.lines.push(`+ ${describeOp(node)}`);
      writer.shape = outputs[0]?.shape ?? null;
      return;
    }
    const key = collapseKeys?.get(index);
    let box = key === undefined ? undefined : collapsed.get(key);
    if (!box) {
      box =
        key === undefined
          ? { id: `n${boxes.length}`, title: node.name, lines: [describeLayer(node)], layers: [], category: opDefinition(node.op).category, scopes: scopesOf(node.name, sep) }
          : { id: `n${boxes.length}`, title: key, lines: [], layers: [], category: 'block', scopes: scopesOf(key, sep) };
      boxes.push(box);
      if (key !== undefined) collapsed.set(key, box);
    }
    box.layers.push(index);
    for (const blob of node.inputs) {
      const from = writers.get(blob);
      if (!from) continue;
      from.read = true;
      addEdge(from.box, box, blob, from.shape);
    }
    node.outputs.forEach((blob, i) => writers.set(blob, { box, shape: outputs[i]?.shape ?? null, read: false }));
  });

  for (const box of collapsed.values()) {
    const kind = blockKind(input, nodes[box.layers[0]!]!);
    const n = box.layers.length;
    box.lines = [`${kind ? `${kind}, ` : ''}${n} layer${n === 1 ? '' : 's'}`];
  }
  return { name: model.graph.name, boxes, edges };
}

function isInPlace(node: Node): boolean {
  return node.inputs.length === 1 && node.outputs.length === 1 && node.outputs[0] === node.inputs[0];
}

/** Caffe's `input: "data"` is a layer named `input`: the box names the blobs it provides. */
function describeLayer(node: Node): string {
  const text = describeOp(node);
  if (node.inputs.length > 0 || (node.outputs.length === 1 && node.outputs[0] === node.name)) return text;
  return node.outputs.length > 0 ? `${text}: ${node.outputs.join(', ')}` : text;
}

/** The scopes enclosing a name: `a.b.c` → `['a', 'a.b']`. */
function scopesOf(name: string, sep: string): string[] {
  const parts = name.split(sep);
  const out: string[] = [];
  // `/x` or `a//b` names no scope where the component is empty.
  for (let i = 1; i < parts.length && parts[i - 1] !== ''; i++) out.push(parts.slice(0, i).join(sep));
  return out;
}

export function shapeText(shape: Shape | null): string {
  return shape ? formatShape(shape) : '?';
}

/** The block an nnspec layer was instantiated from (`BasicBlock`), read from the source. */
function blockKind(input: BackendInput, node: Node): string | null {
  const at = node.instantiated_at?.[0];
  if (!at) return null;
  const text = input.source.text.slice(at.start, at.end);
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(text) ? text : null;
}

/**
 * For each layer (by index) inside a top-level instance, that instance's name.
 *
 * nnspec: layers instantiated at the same place share their outermost instance, except that
 * a block written once with `repeat` makes several, numbered: their scopes differ in an index
 * right after the common part (`stage1.0.conv1`, `stage1.1.conv1`).
 * Caffe: the first component of names written `scope/layer`, where two layers or more share it
 * (in-place layers aside).
 */
function instanceKeys(input: BackendInput): Map<number, string> {
  const nodes = input.model.graph.nodes;
  const keys = new Map<number, string>();
  if (input.model.dialect === 'nnspec') {
    const groups = new Map<string, number[]>();
    nodes.forEach((node, i) => {
      const at = node.instantiated_at?.[0];
      if (!at) return;
      const k = `${at.start}:${at.end}`;
      const g = groups.get(k);
      if (g) g.push(i);
      else groups.set(k, [i]);
    });
    for (const members of groups.values()) {
      const scopes = members.map((i) => nodes[i]!.name.split('.').slice(0, -1));
      let common = scopes[0]!.length;
      for (const s of scopes) {
        let j = 0;
        while (j < common && j < s.length && s[j] === scopes[0]![j]) j++;
        common = j;
      }
      const next = new Set(scopes.map((s) => s[common]));
      const repeated = next.size > 1 && [...next].every((c) => c !== undefined && /^\d+$/.test(c));
      members.forEach((i, m) => {
        const parts = scopes[m]!.slice(0, repeated ? common + 1 : common);
        if (parts.length > 0) keys.set(i, parts.join('.'));
      });
    }
    return keys;
  }
  const count = new Map<string, number>();
  const heads = nodes.map((node) => {
    const slash = node.name.indexOf('/');
    return slash > 0 ? node.name.slice(0, slash) : null;
  });
  // In-place layers do not count: `conv1/7x7_s2` with its in-place `conv1/relu_7x7` is one box already.
  heads.forEach((h, i) => {
    if (h !== null && !isInPlace(nodes[i]!)) count.set(h, (count.get(h) ?? 0) + 1);
  });
  heads.forEach((h, i) => {
    if (h !== null && count.get(h)! > 1) keys.set(i, h);
  });
  return keys;
}
