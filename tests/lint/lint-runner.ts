/**
 * Runs `nnspec lint` in this process (src/cli/lint.ts), so that a test file's mocked rule
 * catalogue is the one it uses; stdout and stderr are captured, and usage errors are printed
 * and mapped to exit 2 as src/cli/main.ts does.
 */
import { vi } from 'vitest';
import { UsageError } from '../../src/cli/exit-codes.js';
import { runLint, type LintFlags } from '../../src/cli/lint.js';

export interface LintRun {
  status: number;
  stdout: string;
  stderr: string;
}

export async function lintInProcess(patterns: string[], flags: Partial<LintFlags> = {}): Promise<LintRun> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  let status: number;
  try {
    status = await runLint(patterns, { format: 'json', color: false, ...flags });
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    stderr += `nnspec: ${e.message}\n`;
    status = 2;
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  return { status, stdout, stderr };
}

export interface JsonProblem {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  severity: 'error' | 'warning' | 'note';
  code: string;
  message: string;
  hint?: string;
}

export function problems(run: { stdout: string }): JsonProblem[] {
  return JSON.parse(run.stdout) as JsonProblem[];
}

/** `code@line` for each problem, for compact comparisons. */
export function codes(run: { stdout: string }): string[] {
  return problems(run).map((p) => `${p.code}@${p.line}`);
}
