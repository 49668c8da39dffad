/**
 * The TensorFlow.js lowering: a compiled model as a forward function over tfjs tensors with a
 * seeded parameter store. The caller passes its `tf` namespace, so nothing here loads tfjs.
 */
export { lowerToTfjs, modelInterface, type ForwardOptions, type LossTerm, type LoweredModel, type LowerOptions } from './lower.js';
export { ParamStore, type StoredParam } from './params.js';
export { fill, fans, seedFor } from './fillers.js';
export type { Mode, Tf } from './types.js';
