/**
 * Weights in the IR's conventions (one map per node, keyed by IR parameter name) as the
 * emitted module's state_dict: keys follow the module tree, a fused Caffe Scale's weight and
 * bias become its BatchNorm's, transposed InnerProduct weights are turned round, and shapes
 * PyTorch holds differently are reshaped. Buffers the weights do not have
 * (num_batches_tracked) are not listed; BatchNorm fills them in when loading.
 */
import type { BackendInput } from '../backend.js';
import { DiagnosticBag } from '../../diagnostics/diagnostic.js';
import { planModel } from './plan.js';

export interface IrBlob {
  shape: number[];
  data: Float32Array;
}

/** IR node name → IR parameter name ('weight', 'bias', 'running_mean', …) → blob. */
export type IrWeights = Map<string, Map<string, IrBlob>>;

export interface StateDictEntry {
  key: string;
  shape: number[];
  data: Float32Array;
}

function transpose(blob: IrBlob): Float32Array {
  const [rows, cols] = blob.shape as [number, number];
  const out = new Float32Array(blob.data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = blob.data[r * cols + c]!;
  return out;
}

/** The state_dict of the module emitPyTorch writes for `input`, from IR weights; a weight the IR has but the map lacks is skipped. */
export function pytorchStateDict(input: BackendInput, weights: IrWeights): StateDictEntry[] {
  // Planning reports refusals; the caller saw them when emitting, so keep them out of its bag.
  const plan = planModel({
    ...input,
    diagnostics: new DiagnosticBag(input.source),
  });
  const out: StateDictEntry[] = [];
  for (const p of plan.params) {
    const blob = weights.get(p.owner.name)?.get(p.blob.name);
    if (!blob) continue;
    if (p.layout === 'transpose')
      out.push({
        key: p.key,
        shape: [blob.shape[1]!, blob.shape[0]!],
        data: transpose(blob),
      });
    else
      out.push({
        key: p.key,
        shape: p.torchShape ?? blob.shape,
        data: blob.data,
      });
  }
  return out;
}
