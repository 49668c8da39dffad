/**
 * Emits PyTorch files into a temporary folder and measures them with check_models.py under
 * the system's torch, in one Python process per test file (importing torch takes seconds).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prepareBackendInput, type BackendInput } from '../../../src/backends/backend.js';
import type { CompileOptions } from '../../../src/compile.js';
import type { Diagnostic } from '../../../src/diagnostics/diagnostic.js';
import { emitPyTorchWith } from '../../../src/backends/pytorch/index.js';
import { PYTHON } from '../../verify/torch.js';

const HERE = dirname(fileURLToPath(import.meta.url));
export const OUT_DIR = mkdtempSync(join(tmpdir(), 'nnspec-pytorch-'));
let counter = 0;

export interface Emitted {
  input: BackendInput | null;
  code: string | null;
  /** Where the code was written (when there is code). */
  file: string;
  diagnostics: Diagnostic[];
}

/** Compiles a file (or `text` as if it were that file) and emits PyTorch for it. */
export async function emit(path: string, text?: string, options: CompileOptions = {}, weightsFile?: string): Promise<Emitted> {
  const { input, diagnostics } = await prepareBackendInput(path, options, text);
  const file = join(OUT_DIR, `model_${counter++}.py`);
  if (!input) return { input, code: null, file, diagnostics: diagnostics.items };
  const code = emitPyTorchWith(input, weightsFile === undefined ? {} : { weightsFile });
  if (code !== null) writeFileSync(file, code);
  return { input, code, file, diagnostics: input.diagnostics.items };
}

export type CheckResult =
  | {
      ok: true;
      data: { models: Record<string, any>; cases: Record<string, any> };
    }
  | { ok: false; reason: string };

/** Runs check_models.py on a job; skips (ok: false) when torch is missing. */
export function runChecks(job: { models?: unknown[]; cases?: unknown[] }): Promise<CheckResult> {
  const setup = 'install them with: apt-get install -y python3-torch python3-torchvision (see .ci/run)';
  if (!existsSync(PYTHON))
    return Promise.resolve({
      ok: false,
      reason: `${PYTHON} does not exist; ${setup}`,
    });
  return new Promise((resolve, reject) => {
    const child = execFile(PYTHON, [join(HERE, 'check_models.py')], { maxBuffer: 256 * 1024 * 1024, timeout: 600_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      if (code === 3) {
        resolve({
          ok: false,
          reason: `${PYTHON} cannot import torch (${stdout.trim()}); ${setup}`,
        });
        return;
      }
      if (error) {
        reject(new Error(`check_models.py failed (${error.message}):\n${stderr}`));
        return;
      }
      resolve({ ok: true, data: JSON.parse(stdout) });
    });
    child.stdin?.end(JSON.stringify(job));
  });
}

/** A shape from the analysis with the symbolic batch as 1 (as INPUT_SHAPES has it). */
export function concrete(shape: readonly (number | string)[]): (number | string)[] {
  return shape.map((d, i) => (typeof d === 'number' ? d : i === 0 && /^N(\*\d+)?$/.test(d) ? Number(d.split('*')[1] ?? 1) : d));
}
