/**
 * The exported graph model on disk, as tfjs-converter lays it out: `model.json` beside
 * `group1-shardNofM.bin`. Every file goes through writeFileAtomic, shards first and model.json
 * last, so a reader never finds a model.json whose shards are missing or half written; shards
 * an earlier export left that the new model.json does not name are removed after it.
 */
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../io/atomic-write.js';
import type { BackendInput } from '../backend.js';
import type { IrWeights } from '../../weights/ir-weights.js';
import { exportGraphModel, type ExportOptions, type ExportResult, type GraphModelExport } from './export.js';

const SHARD_NAME = /^group1-shard\d+of\d+\.bin$/;

/** Writes `model` into `dir` (created if missing); returns the paths written, model.json last. */
export function writeGraphModel(dir: string, model: GraphModelExport): string[] {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  for (const shard of model.shards) {
    const path = join(dir, shard.path);
    writeFileAtomic(path, shard.data);
    written.push(path);
  }
  const path = join(dir, 'model.json');
  writeFileAtomic(path, `${JSON.stringify(model.modelJson)}\n`);
  written.push(path);
  // Shards of an earlier export into the same folder that the new model.json no longer names.
  const current = new Set(model.shards.map((s) => s.path));
  for (const name of readdirSync(dir)) if (SHARD_NAME.test(name) && !current.has(name)) rmSync(join(dir, name), { force: true });
  return written;
}

/** Exports and, when every layer could be expressed, writes; on errors nothing is written. */
export function saveGraphModel(dir: string, input: BackendInput, weights: IrWeights, options: ExportOptions = {}): ExportResult & { files: string[] } {
  const result = exportGraphModel(input, weights, options);
  return { ...result, files: result.model ? writeGraphModel(dir, result.model) : [] };
}

/** The export as tfjs ModelArtifacts, for `tf.io.fromMemory` (no files involved). */
export function graphModelArtifacts(model: GraphModelExport) {
  const { modelJson } = model;
  const data = model.weightData;
  return {
    modelTopology: modelJson.modelTopology,
    format: modelJson.format,
    generatedBy: modelJson.generatedBy,
    convertedBy: modelJson.convertedBy,
    signature: modelJson.signature,
    weightSpecs: modelJson.weightsManifest.flatMap((g) => g.weights),
    // The export owns its buffer whole; a view of part of one is copied out.
    weightData: (data.byteOffset === 0 && data.byteLength === data.buffer.byteLength ? data.buffer : data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)) as ArrayBuffer,
  };
}
