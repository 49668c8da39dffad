/**
 * Runs the Python helpers of tests/verify/ under the system's PyTorch (Debian's
 * python3-torch and python3-torchvision; .ci/run installs them). One Python process per test
 * file: importing torch takes seconds, so each helper measures everything its file needs at once.
 *
 * Without torch the helpers print {"skip": reason} and exit 3, and the tests that need them are
 * skipped with that reason; any other failure of a helper fails the tests.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const VERIFY_DIR = dirname(fileURLToPath(import.meta.url));

/** The interpreter whose torch is the ground truth (override with NNSPEC_TORCH_PYTHON). */
export const PYTHON = process.env.NNSPEC_TORCH_PYTHON ?? '/usr/bin/python3';

export type HelperResult<T> = { ok: true; data: T; seconds: number } | { ok: false; reason: string };

/** Runs `tests/verify/<script>` with `args`, feeding `stdin`, and parses its JSON output. */
export function runTorchHelper<T>(script: string, args: string[] = [], stdin?: string): Promise<HelperResult<T>> {
  const setup = `install them with: apt-get install -y python3-torch python3-torchvision (see .ci/run)`;
  if (!existsSync(PYTHON)) return Promise.resolve({ ok: false, reason: `${PYTHON} does not exist; ${setup}` });
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = execFile(PYTHON, [join(VERIFY_DIR, script), ...args], { maxBuffer: 64 * 1024 * 1024, timeout: 300_000 }, (error, stdout, stderr) => {
      const seconds = (performance.now() - started) / 1000;
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      if (code === 3) {
        let reason = stdout.trim();
        try {
          reason = (JSON.parse(stdout) as { skip: string }).skip;
        } catch {
          /* keep the raw text */
        }
        resolve({ ok: false, reason: `${PYTHON} cannot import torch/torchvision (${reason}); ${setup}` });
        return;
      }
      if (error) {
        reject(new Error(`${PYTHON} ${script} failed (${error.message}):\n${stderr}`));
        return;
      }
      try {
        resolve({ ok: true, data: JSON.parse(stdout) as T, seconds });
      } catch (e) {
        reject(new Error(`${script} printed something that is not JSON (${String(e)}):\n${stdout.slice(0, 2000)}\n${stderr}`));
      }
    });
    if (stdin !== undefined) child.stdin?.end(stdin);
    else child.stdin?.end();
  });
}

/** Says why a file's tests are skipped, once, where a test run shows it. */
export function announceSkip(file: string, reason: string): void {
  console.warn(`[${file}] skipped: ${reason}`);
}

export const formatShape = (s: readonly (number | string)[] | null | undefined): string => (s ? `[${s.join(', ')}]` : 'unknown');
