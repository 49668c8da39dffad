/**
 * Shared by the per-category rule tests: lint a small net with one rule turned on at error (or
 * the recommended preset as it is) and get back that rule's findings, with the text under each
 * span, and the file's other errors (so that a test net that does not even compile is noticed).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toJson } from '../../src/diagnostics/format.js';
import type { Shape } from '../../src/ir/dims.js';
import { loadConfig } from '../../src/lint/config.js';
import { lintFile } from '../../src/lint/lint.js';

export interface Found {
  line: number;
  column: number;
  severity: string;
  message: string;
  hint: string | undefined;
  /** The source text under the reported span. */
  text: string;
}

export interface RuleLintOptions {
  /** The rule's options, written to an nnspec.config.json beside the net. */
  options?: Record<string, unknown>;
  /** Use the recommended preset as it is (no override turning the rule on at error). */
  recommended?: boolean;
  inputShapes?: Map<string, Shape>;
}

const dir = mkdtempSync(join(tmpdir(), 'nnspec-lint-rules-'));
let serial = 0;

/** Lints `text` (as net.nnspec or net.prototxt in a fresh folder) for rule `id`. */
export async function lintRule(text: string, ext: 'nnspec' | 'prototxt', id: string, how: RuleLintOptions = {}): Promise<{ found: Found[]; errors: string[] }> {
  const sub = join(dir, String(serial++));
  mkdirSync(sub);
  const path = join(sub, `net.${ext}`);
  writeFileSync(path, text);
  let configPath: string | null = null;
  if (how.options) {
    configPath = join(sub, 'nnspec.config.json');
    writeFileSync(configPath, JSON.stringify({ rules: { [id]: ['error', how.options] } }));
  }
  return lintRulePath(path, id, configPath, how);
}

/** Lints a file on disk for rule `id`; errors of the rule's own category are left out of `errors`. */
export async function lintRulePath(path: string, id: string, configPath: string | null = null, how: RuleLintOptions = {}): Promise<{ found: Found[]; errors: string[] }> {
  const config = await loadConfig(configPath, how.recommended ? {} : { rules: [{ id, level: 'error' }] });
  const result = await lintFile(path, config, how.inputShapes ? { inputShapes: how.inputShapes } : {});
  const src = result.source!.text;
  const category = `${id.split('/')[0]}/`;
  return {
    found: result.diagnostics
      .filter((d) => d.code === id)
      .map((d) => {
        const j = toJson(d);
        return { line: j.line, column: j.column, severity: j.severity, message: j.message, hint: j.hint, text: src.slice(d.span.start, d.span.end) };
      }),
    errors: result.diagnostics.filter((d) => d.severity === 'error' && !d.code.startsWith(category)).map((d) => `${d.code}: ${d.message}`),
  };
}

/** 1-based line and column of the first occurrence of `needle` in `text` (from offset `from`). */
export function at(text: string, needle: string, from = 0): { line: number; column: number } {
  const i = text.indexOf(needle, from);
  if (i < 0) throw new Error(`'${needle}' is not in the text`);
  const before = text.slice(0, i).split('\n');
  return { line: before.length, column: before[before.length - 1]!.length + 1 };
}
