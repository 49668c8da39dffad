/**
 * The PyTorch backend: a compiled model as one readable Python file defining an nn.Module
 * that computes the same function, and its weights as that module's state_dict.
 */
import type { Backend } from '../backend.js';
import { emitPyTorchWith } from './emit.js';

export { emitPyTorchWith, type EmitOptions } from './emit.js';
export { pytorchStateDict, type IrBlob, type IrWeights, type StateDictEntry } from './state-dict.js';

export const emitPyTorch: Backend = (input) => emitPyTorchWith(input, {});
