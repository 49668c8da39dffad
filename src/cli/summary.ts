/** `nnspec summary FILE`: shapes, parameters, MACs and receptive fields per layer, with totals. */
import { compileFile } from '../compile.js';
import { formatStylish } from '../diagnostics/format.js';
import { writeFileAtomic } from '../io/atomic-write.js';
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
  const builder = new SummaryBuilder(flags.format);
  let result;
  try {
    result = await compileFile(path, { ...compileOptions(flags), onReport: (r) => builder.add(r) });
  } catch (e) {
    if (!isFsError(e)) throw e;
    process.stderr.write(`nnspec: cannot read '${path}': ${describeFsError(e)}\n`);
    return EXIT_USAGE;
  }
  // Problems go to stderr so that the summary on stdout stays parseable.
  if (result.diagnostics.length > 0) process.stderr.write(`${formatStylish(result.diagnostics, { color: useColor(flags, process.stderr) })}\n`);
  if (!result.model.graph) {
    process.stderr.write(`nnspec: '${path}' describes no network to summarise\n`);
    return result.errorCount > 0 ? EXIT_PROBLEMS : EXIT_USAGE;
  }
  const pieces = builder.render(result.model);
  if (flags.output) {
    try {
      writeFileAtomic(flags.output, [...pieces].join(''));
    } catch (e) {
      if (!isFsError(e)) throw e;
      process.stderr.write(`nnspec: cannot write '${flags.output}': ${describeFsError(e)}\n`);
      return EXIT_USAGE;
    }
  } else {
    await writeAll(pieces);
  }
  return result.errorCount > 0 ? EXIT_PROBLEMS : EXIT_OK;
}

/** Writes to stdout in large pieces, waiting when the pipe is full. */
async function writeAll(pieces: Iterable<string>): Promise<void> {
  let buffered: string[] = [];
  let length = 0;
  for (const piece of pieces) {
    buffered.push(piece);
    length += piece.length;
    if (length >= 1 << 20) {
      if (!process.stdout.write(buffered.join(''))) await new Promise((resolve) => process.stdout.once('drain', resolve));
      buffered = [];
      length = 0;
    }
  }
  if (length > 0) process.stdout.write(buffered.join(''));
}
