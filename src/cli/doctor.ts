/**
 * `nnspec doctor SPEC --data …`: runs the training recipe (src/recipe/doctor) on the net and
 * stops at the first step that fails, saying what to do; with --report DIR writes report.md,
 * a self-contained report.html and train-section.nnspec. Exit 0: every step passed; 1: a step
 * failed; 2: usage, data or setup problems. tfjs and the data code are imported here only.
 */
import { EXIT_OK, EXIT_PROBLEMS, UsageError } from './exit-codes.js';
import { useColor, type NetFlags } from './options.js';
import { checkBackendFlag, guarded, prepareTrainingNet, openNetData, startBackend, number, positive, positiveInt, STDIO, type CommandIo } from './model-command.js';

export interface DoctorFlags extends NetFlags {
  data?: string;
  report?: string;
  quick?: boolean;
  maxMinutes?: string | number;
  trials?: string | number;
  epochs?: string | number;
  batchSize?: string | number;
  lr?: string | number;
  seed?: string | number;
  valSplit?: string | number;
  backend?: string;
  threads?: string | number;
  color?: boolean;
}

export type DoctorIo = CommandIo;


export async function runDoctor(path: string, flags: DoctorFlags, io: DoctorIo = STDIO): Promise<number> {
  return guarded(io, path, () => doctor(path, flags, io));
}

async function doctor(path: string, flags: DoctorFlags, io: DoctorIo): Promise<number> {
  const { SEARCH } = await import('../recipe/doctor/settings.js');
  const quick = flags.quick === true;
  const maxMinutes = number('--max-minutes', flags.maxMinutes, positive, 'a positive number');
  const trials = number('--trials', flags.trials, positiveInt, 'a whole number ≥ 1') ?? (quick ? SEARCH.quickTrials : SEARCH.trials);
  const fineEpochs = number('--epochs', flags.epochs, positive, 'a positive number') ?? (quick ? SEARCH.quickFineEpochs : SEARCH.fineEpochs);
  const batchFlag = number('--batch-size', flags.batchSize, positiveInt, 'a whole number ≥ 1');
  const lrFlag = number('--lr', flags.lr, (n) => Number.isFinite(n) && n >= 0, 'a number ≥ 0');
  const seedFlag = number('--seed', flags.seed, Number.isSafeInteger, 'an integer');
  const valSplit = number('--val-split', flags.valSplit, (n) => n > 0 && n < 1, 'a fraction in (0, 1)');
  const threads = number('--threads', flags.threads, positiveInt, 'a whole number ≥ 1');
  await checkBackendFlag(flags.backend);
  const { net, report } = await prepareTrainingNet(path, flags, io);
  report();
  if (!net) return EXIT_PROBLEMS;
  const { DEFAULT_TRAIN } = await import('./train.js');
  const spec = net.input.model.train ?? DEFAULT_TRAIN;
  const base = lrFlag === undefined ? spec : { ...spec, solver: { ...spec.solver, base_lr: lrFlag } };
  if (base.iter_size !== 1) throw new UsageError(`iter_size ${base.iter_size} (gradient accumulation) is not supported by nnspec doctor`);
  const seed = seedFlag ?? base.seed ?? 0;

  const { backend, label: backendLabel, line: backendLine } = await startBackend(flags.backend, threads);
  io.out(backendLine);
  const data = await import('../data/index.js');
  const dataset = await openNetData(flags.data ?? 'synthetic:1000', net, seed);
  // The gap between training and validation is one of the things the doctor reads: it always holds data out.
  const split = data.splitDataset(dataset, valSplit ?? base.validation?.split ?? 0.2, seed);
  const batchSize = Math.min(batchFlag ?? base.batch_size ?? 32, split.train.size);
  const started = Date.now();
  const budget = { quick, deadline: maxMinutes !== undefined ? started + maxMinutes * 60_000 : Infinity, trials, fineEpochs };
  const netName = net.input.model.graph.name || path;
  io.out(`doctor ${netName}: ${split.train.size} training / ${split.validation.size} validation examples, ${net.numClasses} classes, batch ${batchSize}, seed ${seed}${quick ? ', quick' : ''}${maxMinutes !== undefined ? `, at most ${maxMinutes} min` : ''}`);
  const { runRecipe } = await import('../recipe/doctor/index.js');
  const findings = await runRecipe(
    { tf: backend.tf, net, base, train: split.train, validation: split.validation, batchSize, seed, budget, progress: io.out },
    { spec: path, netName, backend: backendLabel },
  );
  const { terminalVerdict, writeReport } = await import('../recipe/doctor/report.js');
  for (const line of terminalVerdict(findings, { color: useColor(flags, process.stdout) })) io.out(line);
  if (flags.report) {
    const files = await writeReport(flags.report, findings);
    io.out(`wrote ${files.map((f) => `${flags.report}/${f}`).join(', ')}`);
  }
  const ok = findings.steps.length === 6 && findings.steps.every((s) => s.passed);
  return ok ? EXIT_OK : EXIT_PROBLEMS;
}
