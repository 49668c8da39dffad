/** `nnspec lint FILES|GLOBS…`: the check plus the rule catalogue, for people and for CI. */
import { isUtf8 } from 'node:buffer';
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { formatStylish, summaryLine, toJson } from '../diagnostics/format.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { ConfigError, findConfig, loadConfig, parseRuleFlag, type Overrides, type ResolvedConfig } from '../lint/config.js';
import { formatGithub } from '../lint/formatters/github.js';
import { formatSarif } from '../lint/formatters/sarif.js';
import { applyFixes, lintFile, type LintResult } from '../lint/lint.js';
import type { Target } from '../lint/rule.js';
import { EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, UsageError } from './exit-codes.js';
import { isFsError } from './check.js';
import { describeFsError, expandPatterns } from './inputs.js';
import { compileOptions, useColor, type NetFlags } from './options.js';

export interface LintFlags extends NetFlags {
  format: 'stylish' | 'json' | 'sarif' | 'github';
  config?: string;
  rule?: string[];
  target?: Target;
  fix?: boolean;
  maxWarnings?: number;
  color?: boolean;
}

export async function runLint(patterns: string[], flags: LintFlags): Promise<number> {
  if (flags.maxWarnings !== undefined && !(Number.isInteger(flags.maxWarnings) && flags.maxWarnings >= 0)) {
    throw new UsageError(`--max-warnings expects a whole number of warnings, 0 or more${Number.isNaN(flags.maxWarnings) ? '' : `, got ${flags.maxWarnings}`}`);
  }
  const files = await expandPatterns(patterns);
  if (files.length === 0) throw new UsageError(`no model files match ${patterns.map((p) => `'${p}'`).join(' ')}`);
  const overrides: Overrides = {};
  for (const text of flags.rule ?? []) {
    const parsed = parseRuleFlag(text);
    if ('error' in parsed) throw new UsageError(parsed.error);
    (overrides.rules ??= []).push(parsed);
  }
  if (flags.target) overrides.target = flags.target;

  const configs = new Map<string | null, ResolvedConfig>();
  const configFor = async (file: string): Promise<ResolvedConfig> => {
    const path = flags.config ?? findConfig(dirname(file));
    let config = configs.get(path);
    if (!config) {
      try {
        config = await loadConfig(path, overrides);
      } catch (e) {
        // An unreadable configuration is a usage error, said once (not once per linted file).
        if (isFsError(e)) throw new UsageError(`cannot read the configuration '${path}': ${describeFsError(e)}`);
        throw e;
      }
      configs.set(path, config);
    }
    return config;
  };

  const results: LintResult[] = [];
  let unreadable = false;
  for (const file of files) {
    try {
      results.push(await lintFile(file, await configFor(file), compileOptions(flags)));
    } catch (e) {
      if (e instanceof ConfigError) {
        process.stderr.write(`${formatStylish(e.diagnostics, { color: useColor(flags, process.stderr) })}\n\nnnspec: the lint configuration has errors\n`);
        return EXIT_USAGE;
      }
      if (!isFsError(e)) throw e;
      process.stderr.write(`nnspec: cannot read '${(e as { path?: string }).path ?? file}': ${describeFsError(e)}\n`);
      unreadable = true;
    }
  }

  if (flags.fix) {
    for (const result of results) {
      const entries = [...result.fixes.entries()];
      if (entries.length === 0 || !result.source) continue;
      const bytes = readFileSync(result.path);
      // Rewriting text decoded with replacement characters would destroy the bytes that were not UTF-8.
      if (!isUtf8(bytes)) {
        process.stderr.write(`nnspec: not fixing '${result.path}': it is not valid UTF-8\n`);
        continue;
      }
      const original = bytes.toString('utf8');
      const { text, applied } = applyFixes(original, entries.map(([, edits]) => edits));
      const fixed = new Set(entries.filter((_, i) => applied[i]).map(([d]) => d));
      if (fixed.size === 0 || text === original) continue;
      try {
        writeFileAtomic(result.path, text);
      } catch (e) {
        if (!isFsError(e)) throw e;
        process.stderr.write(`nnspec: cannot write '${result.path}': ${describeFsError(e)}\n`);
        return EXIT_USAGE;
      }
      // What was fixed is no longer a problem; a fix that overlapped another waits for the next run.
      result.diagnostics = result.diagnostics.filter((d) => !fixed.has(d));
      if (flags.format === 'stylish') process.stderr.write(`nnspec: fixed ${fixed.size} problem${fixed.size === 1 ? '' : 's'} in ${result.path}\n`);
    }
  }

  const all: Diagnostic[] = results.flatMap((r) => r.diagnostics);
  const counts = { errors: 0, warnings: 0, notes: 0, files: results.length };
  for (const d of all) {
    if (d.severity === 'error') counts.errors++;
    else if (d.severity === 'warning') counts.warnings++;
    else counts.notes++;
  }
  const color = flags.format === 'stylish' && useColor(flags, process.stdout);
  switch (flags.format) {
    case 'json':
      process.stdout.write(`${JSON.stringify(all.map(toJson), null, 2)}\n`);
      break;
    case 'sarif':
      process.stdout.write(`${JSON.stringify(formatSarif(results), null, 2)}\n`);
      break;
    case 'github':
      process.stdout.write(formatGithub(all));
      break;
    default:
      for (const r of results) if (r.diagnostics.length > 0) process.stdout.write(`${formatStylish(r.diagnostics, { color })}\n\n`);
      process.stdout.write(`${summaryLine(counts, color)}\n`);
  }
  if (unreadable) return EXIT_USAGE;
  if (counts.errors > 0) return EXIT_PROBLEMS;
  if (flags.maxWarnings !== undefined && counts.warnings > flags.maxWarnings) {
    process.stderr.write(`nnspec: ${counts.warnings} warnings exceed --max-warnings ${flags.maxWarnings}\n`);
    return EXIT_PROBLEMS;
  }
  return EXIT_OK;
}
