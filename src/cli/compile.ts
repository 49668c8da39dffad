/** `nnspec compile FILE --emit ir`: the typed IR as JSON, validated against its schema. */
import { compileFile } from '../compile.js';
import { formatStylish } from '../diagnostics/format.js';
import { deliver } from './output.js';
import { modelJson } from '../ir/json.js';
import { validateIr } from '../ir/validate.js';
import { EXIT_PROBLEMS, EXIT_USAGE } from './exit-codes.js';
import { isFsError } from './check.js';
import { describeFsError } from './inputs.js';
import { compileOptions, useColor, type NetFlags } from './options.js';

export interface CompileFlags extends NetFlags {
  emit: 'ir';
  output?: string;
  color?: boolean;
  compact?: boolean;
}

export async function runCompile(path: string, flags: CompileFlags): Promise<number> {
  let result;
  try {
    result = await compileFile(path, { ...compileOptions(flags), keepNodes: true });
  } catch (e) {
    if (!isFsError(e)) throw e;
    process.stderr.write(`nnspec: cannot read '${path}': ${describeFsError(e)}\n`);
    return EXIT_USAGE;
  }
  if (result.diagnostics.length > 0) {
    process.stderr.write(`${formatStylish(result.diagnostics, { color: useColor(flags, process.stderr) })}\n`);
  }
  if (result.errorCount > 0) {
    process.stderr.write(`nnspec: ${result.errorCount} error${result.errorCount === 1 ? '' : 's'}; no IR written\n`);
    return EXIT_PROBLEMS;
  }
  const doc = modelJson(result.model, result.source);
  const problems = validateIr(doc);
  if (problems.length > 0) {
    // The binder produced IR its own schema rejects: a bug in nnspec, not in the input.
    process.stderr.write(`nnspec: internal error: the IR for '${path}' does not match schema/ir.schema.json:\n  ${problems.slice(0, 10).join('\n  ')}\n`);
    return EXIT_USAGE;
  }
  const text = `${flags.compact ? JSON.stringify(doc) : JSON.stringify(doc, null, 2)}\n`;
  return deliver(text, flags.output);
}
