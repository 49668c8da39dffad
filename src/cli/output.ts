/** Where a command's one result goes: stdout, or `-o FILE` written atomically. */
import { writeFileAtomic } from '../io/atomic-write.js';
import { isFsError } from './check.js';
import { EXIT_OK, EXIT_USAGE } from './exit-codes.js';
import { describeFsError } from './inputs.js';

/** Writes `content` to `path` atomically; false (with the reason on stderr) when it cannot. */
export function writeOrReport(path: string, content: string | Uint8Array): boolean {
  try {
    writeFileAtomic(path, content);
    return true;
  } catch (e) {
    if (!isFsError(e)) throw e;
    process.stderr.write(`nnspec: cannot write '${path}': ${describeFsError(e)}\n`);
    return false;
  }
}

/** Prints `text`, or writes it to `output`; the exit code (2 when the file cannot be written). */
export function deliver(text: string, output: string | undefined): number {
  if (!output) {
    process.stdout.write(text);
    return EXIT_OK;
  }
  return writeOrReport(output, text) ? EXIT_OK : EXIT_USAGE;
}
