import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DiagnosticBag } from '../src/diagnostics/diagnostic.js';
import { SourceFile } from '../src/language/source.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const CORPUS = resolve(ROOT, '../shared/corpus/caffe');
export const HAS_CORPUS = existsSync(join(CORPUS, 'MANIFEST.tsv'));
export const CORPUS_SKIP_REASON = `the shared Caffe corpus is not at ${CORPUS}; corpus tests are skipped`;

/** Every .prototxt under the shared corpus, relative to it. */
export function corpusFiles(): string[] {
  if (!HAS_CORPUS) return [];
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (name.endsWith('.prototxt')) out.push(full.slice(CORPUS.length + 1));
    }
  };
  walk(CORPUS);
  return out;
}

export interface ManifestEntry {
  local_path: string;
  format: string;
  kind: string;
  notes: string;
}

export function manifest(): ManifestEntry[] {
  if (!HAS_CORPUS) return [];
  const text = readFileSync(join(CORPUS, 'MANIFEST.tsv'), 'utf8');
  const [head, ...rows] = text.trim().split('\n');
  const cols = head!.split('\t');
  return rows.map((r) => Object.fromEntries(r.split('\t').map((v, i) => [cols[i], v])) as unknown as ManifestEntry);
}

/** Spec files shipped in specs/. */
export function specFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (name.endsWith('.nnspec')) out.push(full.slice(ROOT.length + 1));
    }
  };
  walk(join(ROOT, 'specs'));
  return out;
}

export function bag(text: string, path = 'test.prototxt'): DiagnosticBag {
  return new DiagnosticBag(new SourceFile(path, text));
}

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI (npm test builds first). */
export function cli(args: string[], options: { input?: string; cwd?: string; env?: Record<string, string> } = {}): CliResult {
  const r = spawnSync(process.execPath, [join(ROOT, 'dist/cli/main.js'), ...args], {
    cwd: options.cwd ?? ROOT,
    input: options.input,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '', ...options.env },
    maxBuffer: 256 * 1024 * 1024,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A stack-trace frame ("    at fn (file:///x.js:1:2)", "    at node:internal/…:1:2"), not a help text line that wraps at the word "at". */
export const STACK_TRACE = /\n\s+at (?:async )?(?:\S+ \()?(?:file:|node:|\/)\S*:\d+:\d+\)?/;
