/**
 * Worker threads that augment batches (transform-worker.ts). The files are read on the main
 * thread (asynchronous I/O costs it little); the arithmetic of augmentation and normalisation
 * moves off it. Workers hold the event loop open only while they have work, so a pool that is
 * never closed does not keep the process alive.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Mode } from './augment/augment.js';
import { DataError } from './errors.js';
import type { TransformSpec } from './pipeline.js';

export interface TransformJob {
  id: number;
  /** Raw images, one after another. */
  images: Float32Array;
  indices: Int32Array;
  epoch: number;
  mode: Mode;
}

export type TransformReply = { id: number; images: Float32Array } | { id: number; error: string; dataError: boolean };

const SCRIPT = new URL('./transform-worker.js', import.meta.url);

interface Slot {
  worker: Worker;
  pending: Map<number, { resolve: (x: Float32Array) => void; reject: (e: Error) => void }>;
}

export class TransformPool {
  private readonly slots: Slot[];
  private nextId = 0;

  /** Whether the compiled worker script exists (it does in dist/, not when running the .ts sources). */
  static available(): boolean {
    return existsSync(fileURLToPath(SCRIPT));
  }

  constructor(spec: TransformSpec, size: number) {
    this.slots = Array.from({ length: Math.max(1, size) }, () => {
      const worker = new Worker(SCRIPT, { workerData: spec });
      const slot: Slot = { worker, pending: new Map() };
      worker.unref();
      worker.on('message', (reply: TransformReply) => {
        const p = slot.pending.get(reply.id);
        if (!p) return;
        slot.pending.delete(reply.id);
        if (slot.pending.size === 0) worker.unref();
        if ('images' in reply) p.resolve(reply.images);
        else p.reject(reply.dataError ? new DataError(reply.error) : new Error(reply.error));
      });
      worker.on('error', (e) => {
        for (const p of slot.pending.values()) p.reject(e);
        slot.pending.clear();
      });
      return slot;
    });
  }

  run(images: Float32Array, indices: Int32Array, epoch: number, mode: Mode): Promise<Float32Array> {
    const id = this.nextId++;
    const slot = this.slots[id % this.slots.length]!;
    return new Promise((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      slot.worker.ref();
      const job: TransformJob = { id, images, indices, epoch, mode };
      slot.worker.postMessage(job, [images.buffer as ArrayBuffer]);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
