/**
 * A worker thread that runs ExampleTransform on raw images sent by a TransformPool, so that
 * augmentation does not run on the training loop's thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { elementCount } from './dataset.js';
import { DataError } from './errors.js';
import { ExampleTransform, type TransformSpec } from './pipeline.js';
import type { TransformJob, TransformReply } from './worker-pool.js';

const transform = new ExampleTransform(workerData as TransformSpec);
const inPer = elementCount(transform.spec.meta.shape);
const outPer = elementCount(transform.outputShape);

parentPort!.on('message', (job: TransformJob) => {
  let reply: TransformReply;
  try {
    const out = new Float32Array(job.indices.length * outPer);
    for (let i = 0; i < job.indices.length; i++) {
      out.set(transform.apply(job.images.subarray(i * inPer, (i + 1) * inPer), job.indices[i]!, job.epoch, job.mode), i * outPer);
    }
    reply = { id: job.id, images: out };
    parentPort!.postMessage(reply, [out.buffer]);
  } catch (e) {
    reply = { id: job.id, error: (e as Error).message, dataError: e instanceof DataError };
    parentPort!.postMessage(reply);
  }
});
