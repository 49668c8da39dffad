/**
 * What the data pipeline takes from a compiled model: the first input's normalisation (an
 * `input` op's preprocess, or a Caffe data layer's transform_param with its crop and mirror),
 * the declared input shape when it is fixed, the spec's augmentations and seed.
 *
 * The IR gives the mean "in raw input units"; a spec's `pixel_max` says what those are. Without
 * it, specs follow one of two conventions, told apart here: a mean and/or std all within [0, 1]
 * with scale 1 and no mean file is torchvision's (inputs in [0, 1], inputMax 1); anything else
 * is Caffe's (inputs in 0–255, inputMax 255).
 */
import { dirname } from 'node:path';
import type { Model } from '../ir/graph.js';
import type { Preprocess } from '../ir/preprocess.js';
import type { ImageShape } from './dataset.js';
import type { PipelineOptions } from './pipeline.js';

export interface ModelData extends PipelineOptions {
  /** [C, H, W] of the first input when all three are numbers. */
  inputShape?: ImageShape;
}

/** `model` must be compiled with `keepNodes: true` (otherwise its graph holds no nodes). */
export function dataOptionsFromModel(model: Model): ModelData {
  const out: ModelData = { augmentation: model.train?.augmentation ?? [], baseDir: dirname(model.file) };
  if (model.train?.seed !== null && model.train?.seed !== undefined) out.seed = model.train.seed;
  for (const node of model.graph?.nodes ?? []) {
    if (node.op === 'input') {
      out.preprocess = node.attrs.preprocess;
      out.inputMax = pixelMax(node.attrs.preprocess);
      const s = node.attrs.shapes[0];
      if (s) setShape(out, s);
      break;
    }
    if (node.op === 'data') {
      out.transform = node.attrs.transform;
      out.inputMax = pixelMax(node.attrs.transform?.preprocess ?? null);
      const s = node.attrs.shapes[0];
      if (s) setShape(out, s);
      break;
    }
  }
  return out;
}

/** The spec's `pixel_max` when it gives one; otherwise 1 for torchvision-style unit-range statistics, else 255. */
function pixelMax(p: Preprocess | null): number {
  if (p?.pixel_max !== undefined) return p.pixel_max;
  return unitRange(p) ? 1 : 255;
}

function unitRange(p: Preprocess | null): boolean {
  if (!p || p.mean_file || p.scale !== 1) return false;
  const values = [...(p.mean ?? []), ...(p.std ?? [])];
  return values.length > 0 && values.every((v) => v >= 0 && v <= 1);
}

function setShape(out: ModelData, shape: readonly unknown[]): void {
  const chw = shape.slice(-3);
  if (shape.length >= 3 && chw.every((d) => typeof d === 'number' && d > 0)) out.inputShape = chw as ImageShape;
}
