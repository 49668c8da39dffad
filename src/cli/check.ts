/** `nnspec check FILE…`: every problem in the inputs, as diagnostics. */
import { checkFile } from '../compile.js';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { formatStylish, summaryLine, toJson } from '../diagnostics/format.js';
import { EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE } from './exit-codes.js';
import { describeFsError, expandInputs } from './inputs.js';
import { compileOptions, useColor, type NetFlags } from './options.js';

export interface CheckFlags extends NetFlags {
  format: 'stylish' | 'json';
  color?: boolean;
  maxWarnings?: number;
}

export async function runCheck(paths: string[], flags: CheckFlags): Promise<number> {
  const files = expandInputs(paths);
  const color = flags.format === 'stylish' && useColor(flags, process.stdout);
  const json: ReturnType<typeof toJson>[] = [];
  const counts = { errors: 0, warnings: 0, notes: 0, files: 0 };
  let unreadable = false;
  for (const file of files) {
    let diagnostics: Diagnostic[];
    try {
      diagnostics = (await checkFile(file, compileOptions(flags))).diagnostics;
    } catch (e) {
      if (!isFsError(e)) throw e;
      process.stderr.write(`nnspec: cannot read '${file}': ${describeFsError(e)}\n`);
      unreadable = true;
      continue;
    }
    counts.files++;
    for (const d of diagnostics) {
      if (d.severity === 'error') counts.errors++;
      else if (d.severity === 'warning') counts.warnings++;
      else counts.notes++;
    }
    if (flags.format === 'json') json.push(...diagnostics.map(toJson));
    else if (diagnostics.length > 0) process.stdout.write(`${formatStylish(diagnostics, { color })}\n\n`);
  }
  if (flags.format === 'json') process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
  else process.stdout.write(`${summaryLine(counts, color)}\n`);
  if (unreadable) return EXIT_USAGE;
  if (counts.errors > 0) return EXIT_PROBLEMS;
  if (flags.maxWarnings !== undefined && counts.warnings > flags.maxWarnings) {
    process.stderr.write(`nnspec: ${counts.warnings} warnings exceed --max-warnings ${flags.maxWarnings}\n`);
    return EXIT_PROBLEMS;
  }
  return EXIT_OK;
}

export function isFsError(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code);
}
