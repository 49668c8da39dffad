/**
 * Writes a file so that readers never see half of it and a failure never destroys what was
 * there: the content goes to a temporary file beside the target, which is then renamed over it.
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

function tempPath(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now().toString(36)}.tmp`);
}

export function writeFileAtomic(path: string, content: string | Uint8Array): void {
  const tmp = tempPath(path);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx', 0o644);
    writeSync(fd, typeof content === 'string' ? Buffer.from(content) : content);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
}

/**
 * The same guarantee for output written piece by piece (a summary of a very large net):
 * pieces go to the temporary file as they come; commit() renames it over the target, abort()
 * removes it and leaves the target as it was.
 */
export class AtomicFileWriter {
  private readonly tmp: string;
  private fd: number | undefined;

  constructor(readonly path: string) {
    this.tmp = tempPath(path);
    this.fd = openSync(this.tmp, 'wx', 0o644);
  }

  write(piece: string): void {
    if (this.fd === undefined) throw new Error(`${this.path}: already committed or aborted`);
    try {
      writeSync(this.fd, piece);
    } catch (e) {
      this.abort();
      throw e;
    }
  }

  commit(): void {
    const fd = this.fd;
    if (fd === undefined) throw new Error(`${this.path}: already committed or aborted`);
    this.fd = undefined;
    try {
      fsyncSync(fd);
      closeSync(fd);
      renameSync(this.tmp, this.path);
    } catch (e) {
      rmSync(this.tmp, { force: true });
      throw e;
    }
  }

  abort(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    rmSync(this.tmp, { force: true });
  }
}
