/** `nnspec summary FILE`: shapes, parameters, MACs and receptive fields per layer, with totals. */
import { writeSync } from 'node:fs';
import { compileFile } from '../compile.js';
import { formatStylish } from '../diagnostics/format.js';
import { AtomicFileWriter } from '../io/atomic-write.js';
import { SummaryBuilder, type SummaryFormat } from '../report/summary.js';
import { EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE } from './exit-codes.js';
import { isFsError } from './check.js';
import { describeFsError } from './inputs.js';
import { compileOptions, useColor, type NetFlags } from './options.js';

export interface SummaryFlags extends NetFlags {
  format: SummaryFormat;
  output?: string;
  color?: boolean;
}

export async function runSummary(path: string, flags: SummaryFlags): Promise<number> {
  const options = compileOptions(flags);
  let file: AtomicFileWriter | null = null;
  if (flags.output) {
    try {
      file = new AtomicFileWriter(flags.output);
    } catch (e) {
      if (!isFsError(e)) throw e;
      process.stderr.write(`nnspec: cannot write '${flags.output}': ${describeFsError(e)}\n`);
      return EXIT_USAGE;
    }
  }
  // The summary streams out while the net is read; problems go to stderr, so stdout stays parseable.
  const sink = file ? (piece: string) => file.write(piece) : (piece: string) => writeStdout(piece);
  const builder = new SummaryBuilder(flags.format, path, sink);
  let result;
  try {
    result = await compileFile(path, { ...options, onReport: (r) => builder.add(r) });
  } catch (e) {
    file?.abort();
    if (!isFsError(e)) throw e;
    const target = file && (e as { path?: string }).path?.endsWith('.tmp') ? flags.output! : path;
    process.stderr.write(`nnspec: cannot ${target === path ? 'read' : 'write'} '${target}': ${describeFsError(e)}\n`);
    return EXIT_USAGE;
  }
  if (result.diagnostics.length > 0) process.stderr.write(`${formatStylish(result.diagnostics, { color: useColor(flags, process.stderr) })}\n`);
  if (!result.model.graph) {
    file?.abort();
    process.stderr.write(`nnspec: '${path}' describes no network to summarise\n`);
    return result.errorCount > 0 ? EXIT_PROBLEMS : EXIT_USAGE;
  }
  builder.finish(result.model);
  if (file) {
    try {
      file.commit();
    } catch (e) {
      if (!isFsError(e)) throw e;
      process.stderr.write(`nnspec: cannot write '${flags.output}': ${describeFsError(e)}\n`);
      return EXIT_USAGE;
    }
  }
  return result.errorCount > 0 ? EXIT_PROBLEMS : EXIT_OK;
}

/**
 * Writes synchronously (stdout is a file or a pipe: Node's own writes to them are synchronous
 * on Linux too), so that a large summary never queues in memory. A closed pipe ends quietly.
 */
function writeStdout(piece: string): void {
  try {
    let buffer = Buffer.from(piece);
    while (buffer.length > 0) {
      let n: number;
      try {
        n = writeSync(1, buffer);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
        continue;
      }
      buffer = buffer.subarray(n);
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  }
}
