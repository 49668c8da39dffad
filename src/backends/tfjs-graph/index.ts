/**
 * The TensorFlow.js graph-model exporter: a compiled model and its weights as the model.json and
 * weight shards `tf.loadGraphModel` loads. Loads no tfjs.
 */
export { exportGraphModel, deployOutputs, SHARD_BYTES, type ExportOptions, type ExportResult, type GraphModelExport, type GraphModelJson, type WeightSpec } from './export.js';
export { graphModelArtifacts, saveGraphModel, writeGraphModel } from './write.js';
