/**
 * Loads exported graph models into tfjs (no network: from memory, or from the written files
 * through a small IOHandler) and measures how far their outputs are from the tfjs lowering's.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadGraphModel, type GraphModel } from '@tensorflow/tfjs-converter';
import * as tf from '@tensorflow/tfjs-core';
import { graphModelArtifacts, type GraphModelExport, type GraphModelJson } from '../../../src/backends/tfjs-graph/index.js';

export async function loadFromMemory(model: GraphModelExport): Promise<GraphModel> {
  return loadGraphModel(tf.io.fromMemory(graphModelArtifacts(model) as unknown as tf.io.ModelArtifacts));
}

/** Reads model.json and the shards its manifest names, as a browser's fetch would. */
export function fileHandler(dir: string): tf.io.IOHandler {
  return {
    load: async () => {
      const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as GraphModelJson;
      const groups = json.weightsManifest;
      const buffers = groups.flatMap((g) => g.paths.map((p) => readFileSync(join(dir, p))));
      const data = Buffer.concat(buffers);
      return {
        modelTopology: json.modelTopology,
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy,
        signature: json.signature,
        weightSpecs: groups.flatMap((g) => g.weights),
        weightData: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength),
      } as unknown as tf.io.ModelArtifacts;
    },
  };
}

/** max |a − b| over max |b| (1 where b is all zeros): the error relative to the output's largest magnitude. */
export function relativeError(actual: tf.Tensor, expected: tf.Tensor): number {
  const a = actual.dataSync();
  const e = expected.dataSync();
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < e.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - e[i]!));
    scale = Math.max(scale, Math.abs(e[i]!));
  }
  return diff / (scale || 1);
}
