/**
 * Trained weights: reading Caffe's binary .caffemodel, binding its blobs to an IR graph with
 * Caffe's conventions made neutral, and the safetensors files nnspec writes them to.
 */
export { readCaffeModel, type CaffeBlob, type CaffeLayerWeights, type CaffeModel, type CaffeModelResult } from './caffemodel.js';
export { bindCaffeWeights, caffeShapeEquals, type IrWeights, type WeightTensor } from './ir-weights.js';
export { readSafetensors, writeSafetensors, type NamedTensor, type SafetensorsFile, type SafetensorsResult } from './safetensors.js';
