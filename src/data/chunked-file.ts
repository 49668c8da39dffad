/**
 * Random access to a large file through a bounded cache of fixed-size chunks, so a dataset
 * bigger than memory streams from disk: only `maxChunks` chunks are ever held. Neighbouring
 * examples share a chunk, which keeps sequential and batched reads cheap.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { DataError } from './errors.js';

export interface ChunkCacheOptions {
  /** Bytes per chunk (default 1 MiB). */
  chunkBytes?: number;
  /** Chunks kept (default 16): the cache never holds more than chunkBytes·maxChunks bytes. */
  maxChunks?: number;
}

export class ChunkedFile {
  private readonly chunkBytes: number;
  private readonly maxChunks: number;
  /** Insertion order is recency order (a Map re-inserted on use is an LRU). */
  private readonly chunks = new Map<number, Promise<Uint8Array>>();
  /** The most bytes the cache has held at once (tests check the bound). */
  peakCachedBytes = 0;
  chunkReads = 0;

  private constructor(
    private readonly handle: FileHandle,
    readonly path: string,
    readonly byteLength: number,
    options: ChunkCacheOptions,
  ) {
    this.chunkBytes = Math.max(1, options.chunkBytes ?? 1 << 20);
    this.maxChunks = Math.max(1, options.maxChunks ?? 16);
  }

  static async open(path: string, options: ChunkCacheOptions = {}): Promise<ChunkedFile> {
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (e) {
      throw new DataError(`cannot open: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, path);
    }
    const { size } = await handle.stat();
    return new ChunkedFile(handle, path, size, options);
  }

  /** Bytes [offset, offset+length), copied out of the cache. */
  async read(offset: number, length: number): Promise<Uint8Array> {
    if (offset < 0 || offset + length > this.byteLength) {
      throw new DataError(`wanted bytes ${offset}..${offset + length} but the file has ${this.byteLength} (truncated?)`, this.path);
    }
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const at = offset + done;
      const index = Math.floor(at / this.chunkBytes);
      const chunk = await this.chunk(index);
      const within = at - index * this.chunkBytes;
      const n = Math.min(length - done, chunk.length - within);
      out.set(chunk.subarray(within, within + n), done);
      done += n;
    }
    return out;
  }

  private chunk(index: number): Promise<Uint8Array> {
    const hit = this.chunks.get(index);
    if (hit) {
      this.chunks.delete(index);
      this.chunks.set(index, hit);
      return hit;
    }
    const start = index * this.chunkBytes;
    const length = Math.min(this.chunkBytes, this.byteLength - start);
    const buffer = new Uint8Array(length);
    this.chunkReads++;
    const loading = this.handle.read(buffer, 0, length, start).then(({ bytesRead }) => {
      if (bytesRead !== length) throw new DataError(`short read at byte ${start}`, this.path);
      return buffer;
    });
    // A failed read is not cached: the next request tries again.
    loading.catch(() => this.chunks.get(index) === loading && this.chunks.delete(index));
    this.chunks.set(index, loading);
    while (this.chunks.size > this.maxChunks) this.chunks.delete(this.chunks.keys().next().value as number);
    this.peakCachedBytes = Math.max(this.peakCachedBytes, this.chunks.size * this.chunkBytes);
    return loading;
  }

  async close(): Promise<void> {
    this.chunks.clear();
    await this.handle.close();
  }
}
