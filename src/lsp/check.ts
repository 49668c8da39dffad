/**
 * What the editor shows for a document: `nnspec lint` on its current text (the check's
 * problems plus the rules enabled by the nearest nnspec.config.json, or the recommended
 * preset), with each rule's fix kept for code actions. A broken configuration does not hide
 * the check: its problems are shown with one warning that says why the rules are missing.
 */
import { dirname } from 'node:path';
import { checkFile, type CompileOptions } from '../compile.js';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { ConfigError, findConfig, loadConfig } from '../lint/config.js';
import { lintFile } from '../lint/lint.js';
import type { TextEdit } from '../lint/rule.js';

export interface Checked {
  diagnostics: Diagnostic[];
  /** Fixes offered by rules, by the diagnostic they fix. */
  fixes: Map<Diagnostic, TextEdit[]>;
  /** Why the lint rules were not run, when the configuration could not be used. */
  configProblem?: string;
}

export async function checkDocument(path: string, text: string, options: CompileOptions, onDisk: boolean): Promise<Checked> {
  const configPath = onDisk ? findConfig(dirname(path)) : null;
  let problem: string;
  try {
    const config = await loadConfig(configPath);
    const result = await lintFile(path, config, { ...options, text });
    return { diagnostics: result.diagnostics, fixes: result.fixes };
  } catch (e) {
    if (e instanceof ConfigError) problem = `${configPath} has ${e.diagnostics.length === 1 ? 'a problem' : `${e.diagnostics.length} problems`} (${e.diagnostics[0]?.message ?? e.message}), so only the check's problems are shown`;
    else if (e instanceof Error && 'code' in e && typeof (e as NodeJS.ErrnoException).code === 'string') problem = `cannot read ${configPath} (${e.message}), so only the check's problems are shown`;
    else throw e;
  }
  const checked = await checkFile(path, { ...options, text });
  return { diagnostics: checked.diagnostics, fixes: new Map(), configProblem: problem };
}
