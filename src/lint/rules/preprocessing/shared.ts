/**
 * The places a model states its input normalisation, read the same way for both dialects:
 * nnspec `input { mean std scale mean_file }`, and data layers' transform (Caffe
 * `transform_param { mean_value mean_file scale }`, nnspec `Data { mean mean_file scale }`).
 * Caffe `input:` declarations and Input layers say nothing about preprocessing (a deploy net
 * leaves it to the caller, e.g. pycaffe's Transformer), so they are not sites.
 */
import type { Node } from '../../../ir/graph.js';
import type { Preprocess } from '../../../ir/preprocess.js';
import { opDefinition } from '../../../ir/ops/index.js';
import type { LintContext } from '../../context.js';

export interface Site {
  node: Node;
  /** null: nothing written (no mean, std, scale or mean file). */
  preprocess: Preprocess | null;
  /** The channel count (axis 1 of the first output) when known. */
  channels: number | null;
  /** Whether the first output is a batch of images (N, C, H, W), or a data layer that reads images. */
  images: boolean;
  /** Field paths of mean, std and scale as the dialect writes them. */
  fields: { mean: string[][]; std: string[][]; scale: string[][]; any: string[][] };
}

/** Data layer kinds that read images and have a transform (HDF5Data, DummyData and MemoryData hand over arrays as they are). */
const IMAGE_READERS = new Set(['Data', 'ImageData', 'WindowData']);

export function sites(ctx: LintContext<unknown>): Site[] {
  const out: Site[] = [];
  const caffe = ctx.model.dialect === 'caffe';
  for (const node of ctx.nodes) {
    if (node.op === 'input') {
      if (caffe) continue;
      const shape = node.attrs.shapes[0] ?? [];
      const c = shape[1];
      out.push({
        node,
        preprocess: node.attrs.preprocess,
        channels: typeof c === 'number' ? c : null,
        images: shape.length === 4,
        fields: { mean: [['mean']], std: [['std']], scale: [['scale']], any: [['mean'], ['std'], ['scale'], ['mean_file']] },
      });
    } else if (node.op === 'data') {
      if (!IMAGE_READERS.has(node.attrs.source_type) && node.attrs.source_type !== 'MemoryData') continue;
      const shape = ctx.outputShape(node, 0);
      const c = shape?.[1];
      const fields = caffe
        ? { mean: [['transform_param', 'mean_value']], std: [], scale: [['transform_param', 'scale']], any: [['transform_param']] }
        : { mean: [['mean']], std: [], scale: [['scale']], any: [['mean'], ['scale'], ['mean_file']] };
      out.push({
        node,
        preprocess: node.attrs.transform?.preprocess ?? null,
        channels: typeof c === 'number' ? c : null,
        images: IMAGE_READERS.has(node.attrs.source_type) || shape?.length === 4,
        fields,
      });
    }
  }
  return out;
}

/** Whether a preprocess changes the values at all (a mean, a mean file, a std or a scale other than 1). */
export function normalises(p: Preprocess | null): boolean {
  return !!p && (p.mean !== null || p.mean_file !== null || p.std !== null || p.scale !== 1);
}

/**
 * The first convolution that reads the node's first output, directly or through layers that
 * keep values as they are placed (activations, reshapes, splits); null when none does.
 */
export function firstConvolution(ctx: LintContext<unknown>, node: Node): Node | null {
  const blob = node.outputs[0];
  if (blob === undefined) return null;
  const seen = new Set<Node>([node]);
  let frontier: Node[] = ctx.readers(node).filter((r) => r.inputs.some((b, i) => b === blob && ctx.writers(r)[i] === node));
  while (frontier.length > 0) {
    const next: Node[] = [];
    for (const r of frontier) {
      if (seen.has(r)) continue;
      seen.add(r);
      if (r.op === 'conv') return r;
      if (r.op === 'split' || r.op === 'flatten' || r.op === 'reshape' || opDefinition(r.op).category === 'activation') next.push(...ctx.readers(r));
    }
    frontier = next;
  }
  return null;
}

export function formatList(xs: readonly number[]): string {
  return `[${xs.map((x) => String(x)).join(', ')}]`;
}
