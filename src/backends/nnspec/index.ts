/**
 * The nnspec printer: any IR as idiomatic nnspec (`nnspec convert X --to nnspec`). Chains are
 * written without blob names, defaults are left out, numbers are the shortest text that reads
 * back as the same double, and nnspec-scoped names come back as nested `seq`s. What nnspec
 * cannot say (a Caffe feature with no nnspec spelling) is a `convert/unsupported` error at the
 * layer, naming it; an exact rewrite is a `convert/rewrite` note.
 */
import { basename } from 'node:path';
import type { Backend, BackendInput } from '../backend.js';
import type { Node } from '../../ir/graph.js';
import { GraphWriter, type LayerText } from './graph.js';
import { extractDefaults } from './defaults.js';
import { printLayer } from './layers.js';
import { comment, dim, Msg, name, num, str, Unsupported, writeField } from './text.js';
import { searchSection } from './search.js';
import { trainSection } from './train.js';

function inputSections(node: Node & { op: 'input' }, lines: string[], input: BackendInput): void {
  const a = node.attrs;
  if (node.outputs.length !== 1 || node.name !== node.outputs[0]) {
    lines.push(comment('', `Caffe: the input layer '${node.name}'`));
    input.diagnostics.note('convert/rewrite', `the input layer '${node.name}' becomes ${node.outputs.map((o) => `input { name: ${o} }`).join(', ')} (nnspec names an input after its blob)`, node.span);
  }
  node.outputs.forEach((blob, i) => {
    const shape = a.shapes[i];
    if (!shape || shape.length === 0) throw new Unsupported(`the input '${blob}' without a declared shape`);
    const m = new Msg([['name', name(blob)], ['shape', shape.map(dim)]]);
    const p = a.preprocess;
    if (p) {
      if (!p.mean && !p.std && !p.mean_file && p.scale === 1 && p.pixel_max === undefined) throw new Unsupported('an input normalisation that changes nothing');
      m.add('mean', p.mean ? p.mean.map(num) : undefined)
        .add('std', p.std ? p.std.map(num) : undefined)
        .add('scale', p.scale === 1 ? undefined : num(p.scale))
        .add('mean_file', p.mean_file === null ? undefined : str(p.mean_file))
        .add('pixel_max', p.pixel_max === undefined ? undefined : num(p.pixel_max));
    }
    writeField(lines, '', 'input', m);
  });
}

function layerText(node: Node, input: BackendInput): LayerText | null {
  try {
    if (node.propagate_down) throw new Unsupported('propagate_down (nnspec lets gradients reach every input)');
    const entry = printLayer(node);
    const comments: string[] = [];
    if (node.op === 'batchnorm' && node.attrs.running_update === 'caffe') {
      comments.push(`Caffe: use_global_stats, moving_average_fraction ${num(1 - node.attrs.momentum)}; mean and variance come from the trained weights (here and below)`);
      input.diagnostics.note('convert/rewrite', `BatchNorm '${node.name}' uses frozen statistics, so Caffe's running sums, their scale factor and their zero start are dropped: with the trained statistics loaded, nnspec's BatchNorm { statistics: running } computes the same`, node.span);
    }
    if (node.op === 'data') {
      const open = node.attrs.shapes.indexOf(null);
      const lost = open < 0 ? [] : node.outputs.filter((_, i) => i > open && node.attrs.shapes[i] !== null);
      if (lost.length) {
        comments.push(`Caffe: the shape of ${lost.join(', ')} follows from the data too`);
        input.diagnostics.note('convert/rewrite', `Data layer '${node.name}': nnspec states output shapes in order, so the shapes after '${node.outputs[open]}' (whose shape only the data tells) are left to the data`, node.span);
      }
    }
    return { entry, comments };
  } catch (e) {
    if (!(e instanceof Unsupported)) throw e;
    input.diagnostics.error('convert/unsupported', `layer '${node.name}' (${node.op}): nnspec cannot express ${e.message}`, node.span);
    return null;
  }
}

function writeGraph(nodes: Node[], texts: Map<Node, LayerText | null>, inputs: string[], nested: boolean): GraphWriter {
  const w = new GraphWriter(inputs, nested);
  for (const n of nodes) w.write(n, texts.get(n) ?? null);
  w.finish();
  return w;
}

export const emitNnspec: Backend = (input) => {
  const { model, diagnostics } = input;
  const graph = model.graph;
  const errors = diagnostics.items.filter((d) => d.severity === 'error').length;
  const lines: string[] = [];
  if (model.dialect === 'caffe') {
    lines.push(comment('', `Converted from Caffe (${basename(model.file)}${graph.phase ? `, phase ${graph.phase.toUpperCase()}` : ''}) by nnspec.`));
  }
  lines.push('nnspec: 1');
  if (graph.name) lines.push(`name: ${name(graph.name)}`);
  const inputNodes = graph.nodes.filter((n): n is Node & { op: 'input' } => n.op === 'input');
  const layers = graph.nodes.filter((n) => n.op !== 'input');
  if (inputNodes.length) lines.push('');
  for (const n of inputNodes) {
    try {
      inputSections(n, lines, input);
    } catch (e) {
      if (!(e instanceof Unsupported)) throw e;
      diagnostics.error('convert/unsupported', `input '${n.name}': nnspec cannot express ${e.message}`, n.span);
    }
  }
  const texts = new Map(layers.map((n) => [n, layerText(n, input)]));
  const defaults = extractDefaults([...texts.values()].filter((t): t is LayerText => t !== null).map((t) => t.entry));
  if (defaults) {
    lines.push('');
    writeField(lines, '', 'defaults', defaults);
  }
  const blobs = inputNodes.flatMap((n) => n.outputs);
  // Dots are scopes only in nnspec; in a Caffe name they are just characters.
  let body: GraphWriter | null = null;
  if (model.dialect === 'nnspec') {
    try {
      body = writeGraph(layers, texts, blobs, true);
    } catch (e) {
      if (!(e instanceof Unsupported)) throw e;
    }
  }
  body ??= writeGraph(layers, texts, blobs, false);
  for (const p of body.problems) diagnostics.error('convert/unsupported', `layer '${p.node.name}' (${p.node.op}): nnspec cannot express ${p.feature}`, p.node.span);
  if (body.lines.length) lines.push('', ...body.lines);
  if (model.train) {
    try {
      const { msg, dropped } = trainSection(model.train);
      lines.push('');
      if (dropped.length) {
        lines.push('# Caffe solver settings nnspec does not use:', ...dropped.map((d) => comment('', `  ${d}`)));
        diagnostics.note('convert/dropped', `the Caffe solver settings ${Object.keys(model.train.extra).join(', ')} only matter to Caffe and are kept as comments`, { start: 0, end: 0 });
      }
      writeField(lines, '', 'train', msg);
    } catch (e) {
      if (!(e instanceof Unsupported)) throw e;
      diagnostics.error('convert/unsupported', `the training setup: nnspec cannot express ${e.message}`, { start: 0, end: 0 });
    }
  }
  if (model.search) {
    lines.push('');
    writeField(lines, '', 'search', searchSection(model.search));
  }
  const failed = diagnostics.items.filter((d) => d.severity === 'error').length > errors;
  return failed ? null : `${lines.join('\n')}\n`;
};
