/**
 * `--weights FILE` for commands that run a net (eval, predict): a safetensors file in the
 * emitted PyTorch module's state_dict layout (what `nnspec train --out` and `nnspec convert
 * --weights` write) or a Caffe .caffemodel, turned into IrWeights for the compiled net.
 *
 * The safetensors side is the inverse of pytorchStateDict: the same PyTorch plan says which
 * state_dict key holds which (node, blob), and which were transposed or reshaped. A file that
 * does not fit the net (a tensor missing, one too many, a shape that differs) is reported as
 * diagnostics at the layer, naming the key and both shapes; a file that cannot be read at all
 * is a one-line `unreadable` message.
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import type { BackendInput } from '../backends/backend.js';
import { planModel } from '../backends/pytorch/plan.js';
import { DiagnosticBag } from '../diagnostics/diagnostic.js';
import type { Node } from '../ir/graph.js';
import { readCaffeModel } from './caffemodel.js';
import { bindCaffeWeights, type IrWeights, type WeightTensor } from './ir-weights.js';
import { readSafetensors, type NamedTensor } from './safetensors.js';

export type WeightsFormat = 'safetensors' | 'caffemodel';

export type LoadedWeights =
  | { weights: IrWeights; format: WeightsFormat }
  /** The file fits nothing: missing, not a weights file, corrupt. One line, no location. */
  | { unreadable: string }
  /** The file was read but does not fit the net; the diagnostics say where. */
  | { mismatch: number };

const dims = (shape: readonly number[]) => `[${shape.join(', ')}]`;
const count = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);
/** Diagnostics that belong to no layer (a tensor the net has no place for) point at the file's start. */
const FILE_START = { start: 0, end: 0 };
const LIST_LIMIT = 8;

/**
 * Buffers PyTorch's own modules add to a state_dict that carry nothing the IR keeps; a
 * state_dict saved from the emitted module in PyTorch has them.
 */
const TORCH_ONLY = /(^|\.)num_batches_tracked$/;

/**
 * Blobs neither format carries because inference does not read them: Caffe BatchNorm's scale
 * factor (bindCaffeWeights divides the stored sums by it; the PyTorch plan drops it).
 */
const NOT_CARRIED = new Set(['scale_factor']);

function sniff(path: string, bytes: Uint8Array): WeightsFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.safetensors') return 'safetensors';
  if (ext === '.caffemodel') return 'caffemodel';
  // A safetensors header is JSON right after its 8-byte length; a NetParameter never starts with '{' there.
  return bytes.length > 8 && bytes[8] === 0x7b ? 'safetensors' : 'caffemodel';
}

/** Reads `path` and binds it to `input`'s net; mismatches go into `input.diagnostics`. */
export function loadWeights(path: string, input: BackendInput): LoadedWeights {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'is a folder, not a weights file' : (err.code ?? err.message);
    return { unreadable: `cannot read weights '${path}': ${why}` };
  }
  const format = sniff(path, bytes);
  const errorsBefore = input.diagnostics.errorCount;
  let weights: IrWeights | null;
  if (format === 'safetensors') {
    const read = readSafetensors(bytes);
    if ('error' in read) return { unreadable: `${path}: ${read.error}` };
    weights = irWeightsFromStateDict(input, read.file.tensors, path);
  } else {
    const read = readCaffeModel(bytes, path);
    if ('error' in read) return { unreadable: read.error };
    weights = bindCaffeWeights(input.model.graph, read.model, input.diagnostics, input.reports);
    if (input.diagnostics.errorCount === errorsBefore) reportMissing(input, weights, path);
  }
  const errors = input.diagnostics.errorCount - errorsBefore;
  if (errors > 0 || !weights) return { mismatch: Math.max(errors, 1) };
  return { weights, format };
}

/**
 * The state_dict of the emitted PyTorch module as IrWeights: the inverse of pytorchStateDict.
 * Returns null when a tensor is missing, unexpected or of another shape (reported into
 * `input.diagnostics`, naming the key and both shapes).
 */
export function irWeightsFromStateDict(input: BackendInput, tensors: readonly NamedTensor[], file = 'the weights file'): IrWeights | null {
  const plan = planModel({ ...input, diagnostics: new DiagnosticBag(input.source) });
  const byKey = new Map(tensors.map((t) => [t.key, t]));
  const planned = new Set(plan.params.map((p) => p.key));
  const weights: IrWeights = new Map();
  const diagnostics = input.diagnostics;
  let ok = true;
  const missing: { key: string; node: Node; shape: number[] | null }[] = [];
  for (const p of plan.params) {
    // A tied blob may be saved under its first owner only (PyTorch shares the tensor).
    const t = byKey.get(p.key) ?? (p.sharedWith ? byKey.get(p.sharedWith.key) : undefined);
    if (!t) {
      missing.push({ key: p.key, node: p.owner, shape: p.torchShape });
      continue;
    }
    const want = p.torchShape;
    if (want && !sameShape(want, t.shape)) {
      diagnostics.error('weights/shape-mismatch', `tensor '${p.key}' is ${dims(t.shape)} in ${file} but layer '${p.owner.name}' needs ${dims(want)} (its ${p.blob.name})`, p.owner.span);
      ok = false;
      continue;
    }
    const irShape = p.irShape ?? (p.layout === 'transpose' ? [t.shape[1]!, t.shape[0]!] : t.shape);
    if (count(irShape) !== t.data.length) {
      diagnostics.error('weights/shape-mismatch', `tensor '${p.key}' holds ${t.data.length} values but layer '${p.owner.name}' needs ${dims(irShape)} for its ${p.blob.name}`, p.owner.span);
      ok = false;
      continue;
    }
    const value: WeightTensor = { shape: [...irShape], data: p.layout === 'transpose' ? transpose(t.data, t.shape[0]!, t.shape[1]!) : t.data };
    let blobs = weights.get(p.owner.name);
    if (!blobs) weights.set(p.owner.name, (blobs = new Map()));
    blobs.set(p.blob.name, value);
  }
  if (missing.length > 0) {
    ok = false;
    const shown = missing.slice(0, LIST_LIMIT).map((m) => `'${m.key}'${m.shape ? ` ${dims(m.shape)}` : ''} (layer '${m.node.name}')`);
    const more = missing.length > LIST_LIMIT ? ` and ${missing.length - LIST_LIMIT} more` : '';
    diagnostics.error('weights/missing-tensor', `${file} lacks ${missing.length} tensor(s) the net needs: ${shown.join(', ')}${more}`, missing[0]!.node.span, {
      hint: 'is it the weights of another net? `nnspec train --out` and `nnspec convert --weights` write this layout',
    });
  }
  const extra = tensors.filter((t) => !planned.has(t.key) && !TORCH_ONLY.test(t.key));
  if (extra.length > 0) {
    ok = false;
    const shown = extra.slice(0, LIST_LIMIT).map((t) => `'${t.key}' ${dims(t.shape)}`);
    const more = extra.length > LIST_LIMIT ? ` and ${extra.length - LIST_LIMIT} more` : '';
    const near = nearestKey(extra[0]!.key, [...planned]);
    diagnostics.error('weights/unexpected-tensor', `${file} has ${extra.length} tensor(s) the net has no place for: ${shown.join(', ')}${more}`, FILE_START, near ? { hint: `the net's nearest key is '${near}'` } : undefined);
  }
  return ok ? weights : null;
}

/** A caffemodel that leaves layers out is fine for fine-tuning, but evaluating them at their random start is not. */
function reportMissing(input: BackendInput, weights: IrWeights, file: string): void {
  const lacking: string[] = [];
  let first: Node | undefined;
  for (const node of input.model.graph.nodes) {
    if (node.op === 'opaque') continue;
    const names = node.params.filter((p) => !NOT_CARRIED.has(p.name) && !weights.get(node.name)?.has(p.name)).map((p) => p.name);
    if (names.length === 0) continue;
    first ??= node;
    lacking.push(`'${node.name}' (${names.join(', ')})`);
  }
  if (!first) return;
  const more = lacking.length > LIST_LIMIT ? ` and ${lacking.length - LIST_LIMIT} more` : '';
  input.diagnostics.error('weights/missing-values', `${file} has no values for ${lacking.length} layer(s), which would run with their random initial values: ${lacking.slice(0, LIST_LIMIT).join(', ')}${more}`, first.span, {
    hint: 'Caffe copies blobs by layer name: are the layer names those the weights were trained with?',
  });
}

function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c]!;
  return out;
}

/** The planned key sharing the longest dotted suffix with `key` (a renamed prefix is the usual cause). */
function nearestKey(key: string, keys: readonly string[]): string | undefined {
  const parts = key.split('.');
  let best: { key: string; score: number } | undefined;
  for (const k of keys) {
    const other = k.split('.');
    let score = 0;
    while (score < parts.length && score < other.length && parts[parts.length - 1 - score] === other[other.length - 1 - score]) score++;
    if (score >= 2 && (!best || score > best.score)) best = { key: k, score };
  }
  return best?.key;
}
