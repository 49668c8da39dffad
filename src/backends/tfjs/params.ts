/**
 * The parameter store: one tfjs variable per IR parameter blob, in the IR's (PyTorch's) layout,
 * initialised from the blob's filler with a seed per blob, or loaded from IrWeights. Blobs that
 * share a Caffe `param { name }` are one variable.
 */
import type { DiagnosticBag } from '../../diagnostics/diagnostic.js';
import { isKnown, type Shape } from '../../ir/dims.js';
import type { Node } from '../../ir/graph.js';
import { opDefinition } from '../../ir/ops/index.js';
import type { IrWeights, WeightTensor } from '../../weights/ir-weights.js';
import { fill, seedFor } from './fillers.js';
import type { NodeInfo, Tf, Variable } from './types.js';

export interface StoredParam {
  node: string;
  name: string;
  variable: Variable;
  /** Updated by gradients (false for running statistics and frozen blobs). */
  trainable: boolean;
  lr_mult: number;
  decay_mult: number;
  /** The first owner of a shared blob; the others read its variable. */
  sharedWith?: { node: string; name: string };
}

export class ParamStore {
  readonly byNode = new Map<string, Map<string, StoredParam>>();

  constructor(private readonly tf: Tf) {}

  get(node: string, name: string): StoredParam | undefined {
    return this.byNode.get(node)?.get(name);
  }

  /** Every distinct variable once (shared blobs under their first owner). */
  *entries(): Iterable<StoredParam> {
    for (const params of this.byNode.values()) for (const p of params.values()) if (!p.sharedWith) yield p;
  }

  trainableVariables(): Variable[] {
    return [...this.entries()].filter((p) => p.trainable).map((p) => p.variable);
  }

  /**
   * Copies values in; a node or blob the weights lack keeps its value. Returns one problem per
   * blob whose shape differs (those are not copied).
   */
  load(weights: IrWeights): { node: string; message: string }[] {
    const problems: { node: string; message: string }[] = [];
    for (const [node, blobs] of weights) {
      for (const [name, w] of blobs) {
        const p = this.get(node, name);
        if (!p) continue;
        const want = p.variable.shape;
        if (want.length !== w.shape.length || want.some((d, i) => d !== w.shape[i])) {
          problems.push({ node, message: `'${node}' ${name}: the weights are [${w.shape.join(', ')}], the layer's blob is [${want.join(', ')}]` });
          continue;
        }
        this.tf.tidy(() => p.variable.assign(this.tf.tensor(w.data, want as number[], 'float32')));
      }
    }
    return problems;
  }

  /** The values as IrWeights (shared blobs appear under every owner, as bindCaffeWeights gives them). */
  toIrWeights(): IrWeights {
    const out: IrWeights = new Map();
    for (const [node, params] of this.byNode) {
      const blobs = new Map<string, WeightTensor>();
      for (const [name, p] of params) blobs.set(name, { shape: [...p.variable.shape], data: p.variable.dataSync() as Float32Array });
      out.set(node, blobs);
    }
    return out;
  }

  dispose(): void {
    for (const p of this.entries()) p.variable.dispose();
    this.byNode.clear();
  }
}

/** The node's parameter shapes from its analysed input shapes; a string when they are not all known. */
export function paramShapes(node: Node, info: NodeInfo): number[][] | string {
  if (info.inputs.some((s) => s === null)) return 'its input shapes are not known';
  let shapes: Shape[];
  try {
    shapes = opDefinition(node.op).paramShapes(node.attrs as never, info.inputs as Shape[]);
  } catch (e) {
    return `its parameter shapes cannot be computed (${(e as Error).message})`;
  }
  const unknown = shapes.findIndex((s) => !s.every(isKnown));
  if (unknown >= 0) return `the shape of its '${node.params[unknown]?.name}' blob is not known (${shapes[unknown]!.join('×')})`;
  return shapes as number[][];
}

/**
 * Creates the variables of `nodes`, each from its filler with a seed derived from `seed` and the
 * blob's node and name. Nodes whose shapes are unknown get an error and no variables.
 */
export function createParams(tf: Tf, nodes: readonly { node: Node; info: NodeInfo }[], seed: number, diagnostics: DiagnosticBag): ParamStore {
  const store = new ParamStore(tf);
  const shared = new Map<string, StoredParam>();
  // Once, at the first layer: the later ones follow from it (a data layer only the data sizes).
  const unknown: { node: Node; why: string }[] = [];
  for (const { node, info } of nodes) {
    if (node.params.length === 0) continue;
    const shapes = paramShapes(node, info);
    if (typeof shapes === 'string') {
      unknown.push({ node, why: shapes });
      continue;
    }
    const params = new Map<string, StoredParam>();
    const weightIndex = node.params.findIndex((p) => p.name === 'weight');
    node.params.forEach((blob, i) => {
      const shape = shapes[i]!;
      const owner = blob.share ? shared.get(blob.share.name) : undefined;
      if (owner) {
        params.set(blob.name, { ...owner, node: node.name, name: blob.name, sharedWith: { node: owner.node, name: owner.name } });
        return;
      }
      const init = fill(tf, blob.init, shape, seedFor(seed, `${node.name}/${blob.name}`), weightIndex >= 0 ? shapes[weightIndex] : undefined);
      const variable = tf.variable(init, blob.trainable);
      init.dispose();
      const p: StoredParam = { node: node.name, name: blob.name, variable, trainable: blob.trainable, lr_mult: blob.lr_mult, decay_mult: blob.decay_mult };
      params.set(blob.name, p);
      if (blob.share) shared.set(blob.share.name, p);
    });
    store.byNode.set(node.name, params);
  }
  if (unknown.length > 0) {
    const [{ node, why }] = unknown as [{ node: Node; why: string }];
    const more = unknown.length > 1 ? ` (and those of ${unknown.length - 1} later ${unknown.length === 2 ? 'layer' : 'layers'})` : '';
    diagnostics.error('lower/unknown-shape', `cannot create the parameters of layer '${node.name}'${more}: ${why}`, node.span, {
      hint: 'declare the input shape (an Input layer, input_shape, or --input-shape NAME=N,C,H,W)',
    });
  }
  return store;
}
