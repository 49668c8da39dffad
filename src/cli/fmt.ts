/**
 * `nnspec fmt FILES|DIRS|GLOBS…`: formats through the prettier plugin (with the user's prettier
 * configuration, as `prettier --plugin` would), rewriting each file atomically, and only
 * when its text changes: an already formatted file keeps its inode and mtime.
 */
import { isUtf8 } from 'node:buffer';
import { chmodSync, readFileSync, statSync } from 'node:fs';
import { parserFor } from '../format/parser-for.js';
import { formatStylish } from '../diagnostics/format.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { firstInvalidUtf8 } from '../io/read-source.js';
import { EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, UsageError } from './exit-codes.js';
import { isFsError } from './check.js';
import { describeFsError, expandPatterns } from './inputs.js';
import { useColor } from './options.js';

export interface FmtFlags {
  check?: boolean;
  stdout?: boolean;
  color?: boolean;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export async function runFmt(patterns: string[], flags: FmtFlags): Promise<number> {
  if (flags.check && flags.stdout) throw new UsageError('--check and --stdout do not go together: --check prints only the names of files that would change');
  const files = await expandPatterns(patterns);
  if (files.length === 0) throw new UsageError(`no model files match ${patterns.map((p) => `'${p}'`).join(' ')}`);

  const prettier = await import('prettier');
  const { default: plugin } = await import('../format/prettier-plugin.js');
  const { FormatSyntaxError } = await import('../format/parse.js');
  const color = useColor(flags, process.stderr);

  let unreadable = false;
  let problems = 0;
  let unchanged = 0;
  const changed: string[] = [];
  for (const file of files) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch (e) {
      if (!isFsError(e)) throw e;
      process.stderr.write(`nnspec: cannot read '${file}': ${describeFsError(e)}\n`);
      unreadable = true;
      continue;
    }
    // Text decoded with replacement characters and written back would lose the bytes that were not UTF-8.
    if (!isUtf8(bytes)) {
      const at = firstInvalidUtf8(bytes);
      process.stderr.write(`nnspec: not formatting '${file}': it is not valid UTF-8 (byte 0x${(bytes[at] ?? 0).toString(16).padStart(2, '0')} at byte offset ${at})\n`);
      problems++;
      continue;
    }
    const text = bytes.toString('utf8');
    let formatted: string;
    try {
      const config = (await prettier.resolveConfig(file, { editorconfig: true })) ?? {};
      formatted = await prettier.format(text, { ...config, filepath: file, parser: parserFor(file, text), plugins: [...(config.plugins ?? []), plugin] });
    } catch (e) {
      if (e instanceof FormatSyntaxError) {
        process.stderr.write(`${formatStylish(e.diagnostics, { color })}\n\nnnspec: not formatting '${file}': it has ${plural(e.diagnostics.length, 'syntax error')}\n`);
        problems++;
        continue;
      }
      // A broken .prettierrc or a plugin it names that cannot be loaded: the user's setup, not the file.
      process.stderr.write(`nnspec: cannot format '${file}': ${e instanceof Error ? e.message.split('\n')[0] : String(e)}\n`);
      unreadable = true;
      continue;
    }
    if (flags.stdout) {
      process.stdout.write(formatted);
      continue;
    }
    if (formatted === text) {
      unchanged++;
      continue;
    }
    changed.push(file);
    if (flags.check) {
      process.stdout.write(`${file}\n`);
      continue;
    }
    try {
      const mode = statSync(file).mode & 0o7777;
      writeFileAtomic(file, formatted);
      // The atomic write creates a new file; it keeps the permissions the old one had.
      if (mode !== 0o644) chmodSync(file, mode);
    } catch (e) {
      if (!isFsError(e)) throw e;
      process.stderr.write(`nnspec: cannot write '${file}': ${describeFsError(e)}\n`);
      unreadable = true;
    }
  }

  if (flags.check) {
    if (changed.length > 0) process.stderr.write(`nnspec: ${plural(changed.length, 'file')} of ${files.length} would be reformatted; run 'nnspec fmt' without --check to rewrite them\n`);
    else if (problems === 0 && !unreadable) process.stderr.write(`nnspec: ${files.length === 1 ? 'the file is' : `all ${files.length} files are`} formatted\n`);
  } else if (!flags.stdout) {
    process.stderr.write(`nnspec: reformatted ${plural(changed.length, 'file')}, ${unchanged} already formatted\n`);
  }
  if (unreadable) return EXIT_USAGE;
  if (problems > 0 || (flags.check && changed.length > 0)) return EXIT_PROBLEMS;
  return EXIT_OK;
}
