/**
 * `nnspec search SPEC`: hyper-parameter search over the spec's train settings, from its
 * `search` section or `--param` flags (which replace the section's parameters). tfjs and the
 * data code are imported here only, so other commands never load them.
 */
import { SEARCH_METRICS, type SearchConfig, type SearchParam } from '../ir/search.js';
import type { TrainConfig } from '../ir/train.js';
import { EXIT_OK, EXIT_PROBLEMS, UsageError } from './exit-codes.js';
import type { NetFlags } from './options.js';
import { JournalMismatchError } from '../recipe/search/journal.js';
import { checkBackendFlag, guarded, prepareTrainingNet, openNetData, startBackend, number, positive, positiveInt, STDIO, type CommandIo } from './model-command.js';

export interface SearchFlags extends NetFlags {
  data?: string;
  out?: string;
  param?: string[];
  trials?: string | number;
  maxMinutes?: string | number;
  grid?: boolean;
  gridPoints?: string | number;
  epochs?: string | number;
  iterations?: string | number;
  batchSize?: string | number;
  metric?: string;
  seed?: string | number;
  valSplit?: string | number;
  medianStop?: boolean;
  backend?: string;
  threads?: string | number;
  color?: boolean;
}

export type SearchIo = CommandIo;


export async function runSearchCommand(path: string, flags: SearchFlags, io: SearchIo = STDIO): Promise<number> {
  return guarded(io, path, () => search(path, flags, io), [JournalMismatchError]);
}

/** The search settings: the spec's section, with the flags over it. */
function settings(section: SearchConfig | null, flags: SearchFlags, parse: (text: string) => SearchParam | string): SearchConfig {
  const fromFlags: SearchParam[] = [];
  for (const text of flags.param ?? []) {
    const p = parse(text);
    if (typeof p === 'string') throw new UsageError(p);
    fromFlags.push(p);
  }
  const params = fromFlags.length ? fromFlags : (section?.params ?? []);
  if (params.length === 0) throw new UsageError('nothing to search: give a search { … } section in the spec or --param NAME=RANGE (e.g. --param lr=log:1e-4:1e-1)');
  const metric = flags.metric ?? section?.metric ?? 'val_top1';
  if (!(SEARCH_METRICS as readonly string[]).includes(metric)) throw new UsageError(`--metric expects one of ${SEARCH_METRICS.join(', ')}, got '${metric}'`);
  const iterations = number('--iterations', flags.iterations, positiveInt, 'a whole number ≥ 1');
  const epochs = number('--epochs', flags.epochs, positive, 'a positive number');
  return {
    method: flags.grid ? 'grid' : (section?.method ?? 'random'),
    trials: number('--trials', flags.trials, positiveInt, 'a whole number ≥ 1') ?? section?.trials ?? null,
    grid_points: number('--grid-points', flags.gridPoints, (n) => Number.isInteger(n) && n >= 2, 'a whole number ≥ 2') ?? section?.grid_points ?? null,
    max_minutes: number('--max-minutes', flags.maxMinutes, positive, 'a positive number') ?? section?.max_minutes ?? null,
    metric,
    epochs: iterations !== undefined ? null : (epochs ?? section?.epochs ?? null),
    iterations: iterations ?? (epochs !== undefined ? null : (section?.iterations ?? null)),
    seed: number('--seed', flags.seed, Number.isSafeInteger, 'an integer') ?? section?.seed ?? null,
    params,
  };
}

async function search(path: string, flags: SearchFlags, io: SearchIo): Promise<number> {
  const batchFlag = number('--batch-size', flags.batchSize, positiveInt, 'a whole number ≥ 1');
  const valSplit = number('--val-split', flags.valSplit, (n) => n > 0 && n < 1, 'a fraction in (0, 1)');
  const threads = number('--threads', flags.threads, positiveInt, 'a whole number ≥ 1');
  await checkBackendFlag(flags.backend);
  const space = await import('../recipe/search/space.js');
  const { net, diagnostics, report } = await prepareTrainingNet(path, flags, io);
  if (!net) {
    report();
    return EXIT_PROBLEMS;
  }
  const model = net.input.model;
  const s = settings(model.search ?? null, flags, space.parseParamFlag);
  for (const p of s.params) {
    if (p.name === 'dropout' && !model.graph.nodes.some((n) => n.op === 'dropout' && n.name === p.layer)) throw new UsageError(`--param dropout:${p.layer}: the net has no Dropout layer named '${p.layer}'`);
  }
  const { DEFAULT_TRAIN } = await import('./train.js');
  const base: TrainConfig = model.train ?? DEFAULT_TRAIN;
  if (base.iter_size !== 1) throw new UsageError(`iter_size ${base.iter_size} (gradient accumulation) is not supported by nnspec search yet`);
  const seed = s.seed ?? base.seed ?? 0;
  const trials = s.trials ?? (s.max_minutes === null && s.method === 'random' ? 10 : null);
  const gridPoints = s.grid_points ?? space.defaultGridPoints(s.params, trials);

  const { backend, label: backendLabel, line: backendLine } = await startBackend(flags.backend, threads);
  io.out(backendLine);
  const data = await import('../data/index.js');
  const dataLabel = flags.data ?? 'synthetic';
  const dataset = await openNetData(dataLabel, net, seed);
  const fraction = valSplit ?? base.validation?.split ?? 0.1;
  const split = data.splitDataset(dataset, fraction, seed);
  const batchSize = batchFlag ?? base.batch_size ?? 64;
  const length: { iterations: number } | { epochs: number } = s.iterations !== null ? { iterations: s.iterations } : { epochs: s.epochs ?? 1 };
  io.out(`searching ${model.graph.name || path}: ${split.train.size} training / ${split.validation.size} validation examples, each trial ${'iterations' in length ? `${length.iterations} updates` : `${length.epochs} epoch${length.epochs === 1 ? '' : 's'}`}, seed ${seed}`);
  let stopRequested = false;
  const onInterrupt = () => {
    if (stopRequested) process.exit(130);
    stopRequested = true;
    io.err('nnspec: interrupted; finishing the current update (the running trial is not recorded; rerun the command to resume)');
  };
  process.on('SIGINT', onInterrupt);
  const { runSearch } = await import('../recipe/search/run.js');
  let result: Awaited<ReturnType<typeof runSearch>>;
  try {
    result = await runSearch({
      tf: backend.tf,
      net,
      base,
      batchSize,
      train: split.train,
      validation: split.validation,
      params: s.params,
      method: s.method,
      trials,
      gridPoints,
      maxMinutes: s.max_minutes,
      length,
      seed,
      metric: s.metric!,
      dir: flags.out ?? null,
      dataLabel,
      spec: path,
      onProgress: io.out,
      shouldStop: () => stopRequested,
      medianRule: flags.medianStop !== false,
    });
  } finally {
    process.off('SIGINT', onInterrupt);
  }
  report();
  const rep = await import('../recipe/search/report.js');
  io.out('');
  io.out(rep.trialsTable(result.trials, s.params, s.metric!));
  const stopped = result.trials.filter((t) => t.status !== 'completed').length;
  io.out(`${result.ran} trial${result.ran === 1 ? '' : 's'} run, ${result.skipped} skipped (already finished)${stopped ? `, ${stopped} stopped early or diverged` : ''}${result.ended === 'time' ? `; the ${s.max_minutes}-minute budget ran out` : result.ended === 'interrupted' ? '; interrupted' : ''}`);
  const budget = Math.max(1, result.plan.size === Infinity ? result.trials.length : result.plan.size);
  const cov = rep.coverage(s.params, budget, seed);
  if (budget > 1) io.out(`distinct values with ${budget} trials: ${s.params.map((p) => { const k = space.paramKey(p); return `${k} ${cov.random[k]} random / ${cov.grid[k]} grid`; }).join(', ')}`);
  if (flags.out) {
    const { writeFileAtomic } = await import('../io/atomic-write.js');
    const { join } = await import('node:path');
    const lengthText = 'iterations' in length ? `${length.iterations} update${length.iterations === 1 ? '' : 's'}` : `${length.epochs} epoch${length.epochs === 1 ? '' : 's'}`;
    const meta = { spec: path, method: s.method, seed, metric: s.metric!, length: lengthText, backend: backendLabel };
    writeFileAtomic(join(flags.out, 'trials.csv'), rep.trialsCsv(result.trials, s.params));
    writeFileAtomic(join(flags.out, 'trials.json'), rep.trialsJson(result.trials, { ...meta, params: s.params }));
    writeFileAtomic(join(flags.out, 'report.html'), await rep.reportHtml(result.trials, s.params, meta, cov));
    io.out(`wrote ${['trials.csv', 'trials.json', 'report.html'].map((f) => `${flags.out}/${f}`).join(', ')}`);
  }
  const best = result.trials[0];
  if (best?.status === 'completed') io.out(`best: ${best.id} (${Object.entries(best.params).map(([k, v]) => `${k} ${v}`).join(', ')})`);
  return result.ended !== 'interrupted' && diagnostics.errorCount === 0 && result.trials.some((t) => t.status === 'completed') ? EXIT_OK : EXIT_PROBLEMS;
}
