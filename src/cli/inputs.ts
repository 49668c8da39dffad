/** Expanding command-line paths: files as given, directories searched for model files. */
import { readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { UsageError } from './exit-codes.js';

const MODEL_EXTENSIONS = new Set(['.nnspec', '.prototxt', '.pbtxt']);

export function expandInputs(paths: string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    let stat;
    try {
      stat = statSync(p);
    } catch (e) {
      throw new UsageError(`cannot read '${p}': ${describeFsError(e)}`);
    }
    if (stat.isDirectory()) out.push(...walk(p));
    else out.push(p);
  }
  return out;
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(full));
    else if (MODEL_EXTENSIONS.has(extname(entry.name).toLowerCase())) out.push(full);
  }
  return out;
}

export function describeFsError(e: unknown): string {
  const code = (e as { code?: string }).code;
  switch (code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a directory';
    default:
      return e instanceof Error ? e.message : String(e);
  }
}

const GLOB_CHARS = /[*?[\]{}]/;

/** Paths as expandInputs does, and glob patterns (quoted on the command line) matched with tinyglobby. */
export async function expandPatterns(patterns: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of patterns) {
    if (!GLOB_CHARS.test(p)) {
      out.push(...expandInputs([p]));
      continue;
    }
    const { glob } = await import('tinyglobby');
    const matches = await glob(p, { onlyFiles: true, dot: false, ignore: ['**/node_modules/**'] });
    out.push(...matches.filter((m) => MODEL_EXTENSIONS.has(extname(m).toLowerCase())).sort());
  }
  return [...new Set(out)];
}
