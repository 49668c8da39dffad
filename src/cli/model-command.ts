/**
 * What the commands that run a model (train, eval, predict, init-report, doctor, search) share:
 * their output streams, numeric flag parsing, and one place that turns the errors a user can
 * cause — bad flags, unreadable files, bad data, a net that cannot run, a backend that cannot
 * start — into a one-line message and exit code 2 instead of a stack trace.
 */
import type { DiagnosticBag } from '../diagnostics/diagnostic.js';
import { formatStylish } from '../diagnostics/format.js';
import type { PreparedNet } from '../train/session.js';
import type { SelectedBackend } from '../runtime/backend.js';
import { EXIT_USAGE, UsageError } from './exit-codes.js';
import { compileOptions, useColor, type NetFlags } from './options.js';
import { isFsError } from './check.js';
import { describeFsError } from './inputs.js';

export interface CommandIo {
  /** Progress and results (stdout by default). */
  out(line: string): void;
  /** Problems (stderr by default). */
  err(line: string): void;
}

export const STDIO: CommandIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/** A numeric flag's value, or undefined when it was not given; a value failing `check` is a UsageError saying `what` was expected. */
export function number(name: string, value: string | number | undefined, check: (n: number) => boolean, what: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!check(n)) throw new UsageError(`${name} expects ${what}, got '${value}'`);
  return n;
}
export const positiveInt = (n: number) => Number.isInteger(n) && n >= 1;
export const positive = (n: number) => Number.isFinite(n) && n > 0;

/** A `--backend` value that names no backend is a UsageError. */
export async function checkBackendFlag(backend: string | undefined): Promise<void> {
  const { BACKENDS } = await import('../runtime/backend.js');
  if (backend !== undefined && !(BACKENDS as readonly string[]).includes(backend)) {
    throw new UsageError(`--backend expects one of ${BACKENDS.join(', ')}, got '${backend}'`);
  }
}

/**
 * Compiles `path` as the commands that train do (a Caffe train_val net keeps its loss layers
 * in the TRAIN phase unless --phase says otherwise) and prepares it to train; `report` prints
 * its diagnostics when the command chooses to.
 */
export async function prepareTrainingNet(path: string, flags: NetFlags & { color?: boolean }, io: CommandIo): Promise<{ net: PreparedNet | null; diagnostics: DiagnosticBag; report: () => void }> {
  const session = await import('../train/session.js');
  const { net, diagnostics } = await session.prepareNet(path, compileOptions({ ...flags, phase: flags.phase ?? 'train' }));
  const report = () => {
    if (diagnostics.items.length > 0) io.err(formatStylish(diagnostics.items, { color: useColor(flags, process.stderr) }));
  };
  return { net, diagnostics, report };
}

/**
 * Starts the TensorFlow.js backend `--backend`/`--threads` ask for (loading tfjs only now) and
 * returns it with its label (`tfjs backend: …`) and the line to print (the label and why
 * others were skipped).
 */
export async function startBackend(backendFlag: string | undefined, threads: number | undefined): Promise<{ backend: SelectedBackend; label: string; line: string }> {
  const { selectBackend, describeBackend } = await import('../runtime/backend.js');
  const backend = await selectBackend({ ...(backendFlag ? { backend: backendFlag as 'wasm' } : {}), ...(threads ? { threads } : {}) });
  const label = describeBackend(backend);
  return { backend, label, line: label + (backend.why ? ` — ${backend.why}` : '') };
}

/** Opens `source` at the net's input shape; data with more classes than the net scores is a DataError. */
export async function openNetData(source: string, net: PreparedNet, seed: number) {
  const data = await import('../data/index.js');
  const dataset = await data.openDataset(source, { shape: net.modelData.inputShape, numClasses: net.numClasses, seed });
  if (dataset.numClasses > net.numClasses) throw new data.DataError(`the data has ${dataset.numClasses} classes but the net scores ${net.numClasses}`);
  return dataset;
}

type ErrorClass = abstract new (...args: never[]) => Error;

/** Runs `body`; the errors a user can cause (and those of `alsoUserErrors`) become one line on `io.err` and exit code 2. */
export async function guarded(io: CommandIo, path: string, body: () => Promise<number>, alsoUserErrors: readonly ErrorClass[] = []): Promise<number> {
  try {
    return await body();
  } catch (e) {
    if (isFsError(e)) {
      io.err(`nnspec: ${(e as { path?: string }).path ?? path}: ${describeFsError(e)}`);
      return EXIT_USAGE;
    }
    const [{ isDataError }, { TrainSetupError }, { CheckpointError }, { BackendUnavailableError }] = await Promise.all([
      import('../data/errors.js'),
      import('../train/session.js'),
      import('../train/checkpoint.js'),
      import('../runtime/backend.js'),
    ]);
    const userError = [UsageError, TrainSetupError, CheckpointError, BackendUnavailableError, ...alsoUserErrors].some((c) => e instanceof c) || isDataError(e);
    if (userError) {
      io.err(`nnspec: ${(e as Error).message}`);
      return EXIT_USAGE;
    }
    throw e;
  }
}
