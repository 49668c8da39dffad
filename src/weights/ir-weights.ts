/**
 * Trained values for an IR graph, keyed by node and parameter name, and the binding of a
 * .caffemodel's blobs to them by Caffe's own rules (Net::CopyTrainedLayersFrom, net.cpp):
 * - a caffemodel layer is copied into the net's layer of the same name; caffemodel layers the
 *   net lacks are ignored, net layers the caffemodel lacks keep their initial values (a warning
 *   lists them); when two caffemodel layers share a name, the later one wins;
 * - a layer must bring exactly as many blobs as the net layer has, in the net layer's order
 *   (each op's `params`), each of the net's shape (Blob::ShapeEquals: a deprecated 4-D shape is
 *   compared from the end, so a 1×1×M×K InnerProduct weight fits [M, K]);
 * - shared blobs (`param { name }`) are one blob: whichever sharer is copied last sets them all.
 *
 * The values are then made framework-neutral: Caffe BatchNorm keeps running *sums* and a scale
 * factor, so mean and variance are divided by it (batch_norm_layer.cpp: factor 0 reads as 0)
 * and the factor itself is dropped. Layouts need no change: IR parameter shapes are Caffe's,
 * which are PyTorch's too (Deconvolution [C_in, C_out/groups, k…], InnerProduct flattening C,H,W).
 */
import type { DiagnosticBag } from '../diagnostics/diagnostic.js';
import { isKnown } from '../ir/dims.js';
import type { Graph, Node } from '../ir/graph.js';
import { opDefinition } from '../ir/ops/index.js';
import type { NodeReport } from '../passes/analyze.js';
import type { CaffeBlob, CaffeModel } from './caffemodel.js';

export interface WeightTensor {
  shape: number[];
  /** Row-major. Shared parameters hold the same array; treat it as read-only. */
  data: Float32Array;
}

/** IR node name → IR parameter name → value. A node or parameter that is absent keeps its initialisation. */
export type IrWeights = Map<string, Map<string, WeightTensor>>;

const LIST_LIMIT = 12;

function listNames(names: string[]): string {
  const shown = names.slice(0, LIST_LIMIT).map((n) => `'${n}'`);
  return names.length > LIST_LIMIT ? `${shown.join(', ')} and ${names.length - LIST_LIMIT} more` : shown.join(', ');
}

const formatDims = (shape: readonly number[]) => `[${shape.join(', ')}]`;
const describeBlob = (blob: CaffeBlob) => (blob.legacy ? `${blob.shape.join('×')} (deprecated 4-D form)` : formatDims(blob.shape));
const count = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Blob::ShapeEquals: deprecated 4-D dims are compared with the target padded by leading 1s. */
export function caffeShapeEquals(target: readonly number[], blob: CaffeBlob): boolean {
  if (blob.legacy) {
    if (target.length > 4) return false;
    const padded = [...Array<number>(4 - target.length).fill(1), ...target];
    return padded.every((d, i) => d === blob.shape[i]);
  }
  return target.length === blob.shape.length && target.every((d, i) => d === blob.shape[i]);
}

/** The node's parameter shapes from its analysed input shapes; null where not all known. */
function expectedShapes(node: Node, reports: ReadonlyMap<Node, NodeReport> | undefined): (number[] | null)[] | null {
  const inputs = node.inputs.length === 0 ? [] : reports?.get(node)?.inputs.map((i) => i.shape);
  if (!inputs || inputs.some((s) => s === null)) return null;
  try {
    const shapes = opDefinition(node.op).paramShapes(node.attrs as never, inputs as NonNullable<(typeof inputs)[number]>[]);
    return shapes.map((s) => (s.every(isKnown) ? (s as number[]) : null));
  } catch {
    // The shape pass has already reported why these inputs do not fit the layer.
    return null;
  }
}

interface Copied {
  tensors: (WeightTensor | undefined)[];
  /** Position of the caffemodel layer that supplied them: later copies win for shared blobs. */
  order: number[];
}

/**
 * Binds `model`'s blobs to `graph`'s parameters. `reports` (from prepareBackendInput) gives the
 * shapes each blob is checked against; without a node's report its blobs are taken as stored,
 * with a warning. Problems are reported into `diagnostics` at the node's span; nodes with an
 * error get no values.
 */
export function bindCaffeWeights(graph: Graph, model: CaffeModel, diagnostics: DiagnosticBag, reports?: ReadonlyMap<Node, NodeReport>): IrWeights {
  const sources = new Map<string, number>();
  model.layers.forEach((layer, i) => sources.set(layer.name, i));

  const copied = new Map<Node, Copied>();
  const missing: Node[] = [];
  const unchecked = new Set<Node>();
  let matched = 0;
  for (const node of graph.nodes) {
    const index = sources.get(node.name);
    const source = index === undefined ? undefined : model.layers[index]!;
    if (source) matched++;
    if (node.op === 'opaque') {
      if (source && source.blobs.length > 0) {
        diagnostics.warning('weights/opaque-layer', `layer '${node.name}' is opaque to nnspec: its ${source.blobs.length} blob(s) in ${model.file} are not converted`, node.span);
      }
      continue;
    }
    if (!source) {
      if (node.params.length > 0) missing.push(node);
      continue;
    }
    if (source.blobs.length !== node.params.length) {
      const want = node.params.length === 0 ? 'none' : `${node.params.length} (${node.params.map((p) => p.name).join(', ')})`;
      diagnostics.error(
        'weights/blob-count',
        `layer '${node.name}' has ${source.blobs.length} blob(s) in ${model.file} but the net's layer takes ${want} (Caffe stops: "Incompatible number of blobs")`,
        node.span,
      );
      continue;
    }
    const expected = expectedShapes(node, reports);
    const tensors: WeightTensor[] = [];
    let ok = true;
    source.blobs.forEach((blob, j) => {
      const param = node.params[j]!;
      const want = expected?.[j] ?? null;
      const what = `layer '${node.name}' blob ${j} (${param.name})`;
      if (want && !caffeShapeEquals(want, blob)) {
        diagnostics.error('weights/shape-mismatch', `${what} is ${describeBlob(blob)} in ${model.file} but the net needs ${formatDims(want)}`, node.span, {
          hint: 'to train this layer from scratch instead, rename it in the net (Caffe copies blobs by layer name)',
        });
        ok = false;
        return;
      }
      if (!want) unchecked.add(node);
      const shape = want ?? blob.shape;
      if (count(shape) !== blob.data.length) {
        diagnostics.error('weights/blob-size', `${what} holds ${blob.data.length} values but its shape ${formatDims(shape)} needs ${count(shape)}`, node.span);
        ok = false;
        return;
      }
      tensors.push({ shape: [...shape], data: blob.data });
    });
    if (ok) copied.set(node, { tensors, order: tensors.map(() => index!) });
  }

  const filled = shareBlobs(graph, copied, diagnostics);
  const stillMissing = missing.filter((node) => {
    const c = filled.get(node);
    return !c || c.tensors.some((t) => !t);
  });
  if (stillMissing.length > 0) {
    const none = matched === 0 && model.layers.length > 0;
    diagnostics.warning(
      'weights/missing-layers',
      `${stillMissing.length} layer(s) with parameters are not in ${model.file} and keep their initial values: ${listNames(stillMissing.map((n) => n.name))}` +
        (none ? ` (no layer of the caffemodel has the name of a layer of this net: is it the right file?)` : ''),
      stillMissing[0]!.span,
    );
  }
  if (unchecked.size > 0) {
    const nodes = [...unchecked];
    diagnostics.warning(
      'weights/unchecked-shapes',
      `the input shapes of ${listNames(nodes.map((n) => n.name))} are not known, so their blobs are taken with the shapes stored in ${model.file} unchecked`,
      nodes[0]!.span,
      { hint: 'declare the input shapes (an Input layer, or --input-shape) to have every blob checked' },
    );
  }

  const weights: IrWeights = new Map();
  for (const node of graph.nodes) {
    const c = filled.get(node);
    if (!c) continue;
    const values = new Map<string, WeightTensor>();
    node.params.forEach((p, j) => {
      const t = c.tensors[j];
      if (t) values.set(p.name, t);
    });
    if (node.op === 'batchnorm' && node.attrs.running_update === 'caffe') applyBatchNormScale(node, values, diagnostics);
    if (values.size > 0) weights.set(node.name, values);
  }
  return weights;
}

/**
 * Shared blobs are one blob in Caffe (Net::ShareWeights), and CopyTrainedLayersFrom writes
 * through whichever sharer it copies: the sharer copied last sets the value of all of them.
 */
function shareBlobs(graph: Graph, copied: Map<Node, Copied>, diagnostics: DiagnosticBag): Map<Node, Copied> {
  const groups = new Map<string, { node: Node; j: number }[]>();
  for (const node of graph.nodes) {
    node.params.forEach((p, j) => {
      if (!p.share) return;
      let group = groups.get(p.share.name);
      if (!group) groups.set(p.share.name, (group = []));
      group.push({ node, j });
    });
  }
  const filled = new Map(copied);
  for (const [name, members] of groups) {
    if (members.length < 2) continue;
    let winner: { tensor: WeightTensor; order: number } | undefined;
    for (const { node, j } of members) {
      const c = copied.get(node);
      const t = c?.tensors[j];
      if (t && (!winner || c.order[j]! >= winner.order)) winner = { tensor: t, order: c.order[j]! };
    }
    if (!winner) continue;
    for (const { node, j } of members) {
      let c = filled.get(node);
      if (!c) filled.set(node, (c = { tensors: node.params.map(() => undefined), order: node.params.map(() => -1) }));
      else if (c === copied.get(node)) filled.set(node, (c = { tensors: [...c.tensors], order: [...c.order] }));
      const own = c.tensors[j]?.shape;
      // A sharer keeps its own shape (PERMISSIVE sharing only requires equal counts).
      const shape = own ?? winner.tensor.shape;
      if (count(shape) !== winner.tensor.data.length) {
        diagnostics.error('weights/shared-size', `layer '${node.name}' blob ${j} shares '${name}' but holds ${count(shape)} values where the shared blob has ${winner.tensor.data.length}`, node.span);
        continue;
      }
      c.tensors[j] = { shape: [...shape], data: winner.tensor.data };
      c.order[j] = winner.order;
    }
  }
  return filled;
}

/** Caffe BatchNorm: usable statistics are the stored sums times 1/factor (0 when the factor is 0). */
function applyBatchNormScale(node: Node, values: Map<string, WeightTensor>, diagnostics: DiagnosticBag): void {
  const factorBlob = values.get('scale_factor');
  if (!factorBlob) return;
  values.delete('scale_factor');
  const stored = factorBlob.data[0] ?? 0;
  if (factorBlob.data.length !== 1) {
    diagnostics.error('weights/shape-mismatch', `layer '${node.name}' scale factor blob has ${factorBlob.data.length} values, expected 1`, node.span);
    values.clear();
    return;
  }
  if (stored === 0) {
    diagnostics.warning(
      'weights/batchnorm-zero-factor',
      `layer '${node.name}' has a BatchNorm scale factor of 0 (its statistics were never accumulated): Caffe then uses mean 0 and variance 0`,
      node.span,
    );
  }
  // Computed in float like Caffe: scale = 1/factor rounded to float, then each product rounded.
  const scale = stored === 0 ? 0 : Math.fround(1 / stored);
  for (const name of ['running_mean', 'running_var']) {
    const t = values.get(name);
    if (!t) continue;
    const out = new Float32Array(t.data.length);
    for (let i = 0; i < out.length; i++) out[i] = t.data[i]! * scale;
    values.set(name, { shape: t.shape, data: out });
  }
}
