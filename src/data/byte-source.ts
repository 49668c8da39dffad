/** Bytes a source reads from: a file through a bounded chunk cache, or a buffer already in memory. */
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { ChunkedFile, type ChunkCacheOptions } from './chunked-file.js';
import { DataError } from './errors.js';

export interface ByteSource {
  readonly path: string;
  readonly byteLength: number;
  read(offset: number, length: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

export class MemoryBytes implements ByteSource {
  readonly byteLength: number;
  constructor(
    readonly path: string,
    readonly bytes: Uint8Array,
  ) {
    this.byteLength = bytes.length;
  }
  read(offset: number, length: number): Promise<Uint8Array> {
    if (offset < 0 || offset + length > this.byteLength) {
      return Promise.reject(new DataError(`wanted bytes ${offset}..${offset + length} but the data has ${this.byteLength} (truncated?)`, this.path));
    }
    return Promise.resolve(this.bytes.slice(offset, offset + length));
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * Opens `path` for random access. A gzip file (by its magic bytes, whatever its name) has to be
 * inflated whole — gzip cannot be read from the middle — so it is held in memory; keep big
 * datasets uncompressed to stream them.
 */
export async function openBytes(path: string, cache: ChunkCacheOptions = {}): Promise<ByteSource> {
  const file = await ChunkedFile.open(path, cache);
  if (file.byteLength >= 2) {
    const head = await file.read(0, 2);
    if (head[0] === 0x1f && head[1] === 0x8b) {
      await file.close();
      try {
        return new MemoryBytes(path, gunzipSync(await readFile(path)));
      } catch (e) {
        throw new DataError(`looks gzip-compressed but does not inflate (${(e as Error).message})`, path);
      }
    }
  }
  return file;
}
