/**
 * Runs a search: trials one after another (each a full runTraining call with the trial's
 * settings), the stopping rules watching every update, each finished trial recorded in the
 * journal, until the trial or time budget is spent.
 */
import { resolve } from 'node:path';
import type { Tf } from '../../backends/tfjs/index.js';
import type { Dataset } from '../../data/index.js';
import type { Node } from '../../ir/graph.js';
import { maximises, paramKey, type SearchParam } from '../../ir/search.js';
import type { TrainConfig } from '../../ir/train.js';
import type { PreparedNet } from '../../train/session.js';
import { Journal, type TrialRecord } from './journal.js';
import { TrialPlan, type PlannedTrial, type TrialParams } from './space.js';
import { TrialMonitor, type LossCurve } from './stopping.js';

export interface SearchOptions {
  tf: Tf;
  net: PreparedNet;
  /** The spec's train settings; each trial overrides the searched ones. */
  base: TrainConfig;
  batchSize: number;
  train: Dataset;
  validation: Dataset;
  params: SearchParam[];
  method: 'random' | 'grid';
  /** Trials to run in all (finished ones included); null: until time runs out (random) or the whole grid. */
  trials: number | null;
  gridPoints: number;
  maxMinutes: number | null;
  length: { iterations: number } | { epochs: number };
  seed: number;
  metric: string;
  /** The search folder; null: nothing is written (and nothing resumed). */
  dir: string | null;
  /** Identifies the data in the journal's settings (a different data source is another search). */
  dataLabel: string;
  onProgress?: (line: string) => void;
  shouldStop?: () => boolean;
  /** The median stopping rule (default on). */
  medianRule?: boolean;
  /** Clock in milliseconds (tests). */
  now?: () => number;
}

export interface SearchResult {
  /** Every finished trial, best first (see rankTrials). */
  trials: TrialRecord[];
  skipped: number;
  ran: number;
  /** Why the search ended. */
  ended: 'budget' | 'time' | 'interrupted';
  plan: TrialPlan;
}

/** The settings that decide the trial list and each trial's result: a rerun must match them to resume. */
export function journalSettings(o: Pick<SearchOptions, 'params' | 'method' | 'gridPoints' | 'length' | 'seed' | 'batchSize' | 'dataLabel'> & { spec: string }): Record<string, unknown> {
  return {
    // Resolved, so a rerun from elsewhere (or with ./) is the same search.
    spec: resolve(o.spec),
    data: o.dataLabel,
    method: o.method,
    seed: o.seed,
    ...(o.method === 'grid' ? { grid_points: o.gridPoints } : {}),
    length: o.length,
    batch_size: o.batchSize,
    params: o.params.map((p) => ({ key: paramKey(p), ...p.dist })),
  };
}

/** Completed trials first, then those stopped early, then diverged ones; within each, by the metric (best first). */
export function rankTrials(trials: readonly TrialRecord[], metric: string): TrialRecord[] {
  const tier = { completed: 0, stopped: 1, diverged: 2 } as const;
  const max = maximises(metric);
  const value = (t: TrialRecord) => {
    const v = (t as unknown as Record<string, unknown>)[metric];
    return typeof v === 'number' && Number.isFinite(v) ? v : null;
  };
  return [...trials].sort((a, b) => {
    if (tier[a.status] !== tier[b.status]) return tier[a.status] - tier[b.status];
    const va = value(a);
    const vb = value(b);
    if (va === null || vb === null) return va === null ? (vb === null ? a.index - b.index : 1) : -1;
    return va === vb ? a.index - b.index : max ? vb - va : va - vb;
  });
}

/** The spec's train settings with a trial's values in place. */
export function trialConfig(base: TrainConfig, batchSize: number, params: readonly SearchParam[], values: TrialParams): { config: TrainConfig; batchSize: number; dropout: Map<string, number> } {
  const solver = { ...base.solver };
  const regularization = { ...base.regularization };
  const dropout = new Map<string, number>();
  let batch = batchSize;
  for (const p of params) {
    const v = values[paramKey(p)]!;
    if (p.name === 'lr') solver.base_lr = v;
    else if (p.name === 'momentum') solver.momentum = v;
    else if (p.name === 'weight_decay') regularization.l2 = v;
    else if (p.name === 'batch_size') batch = v;
    else dropout.set(p.layer!, v);
  }
  return { config: { ...base, solver, regularization }, batchSize: batch, dropout };
}

/** Sets the drop probabilities for one trial; returns what puts the spec's back. */
function setDropout(net: PreparedNet, dropout: ReadonlyMap<string, number>): () => void {
  const undo: (() => void)[] = [];
  for (const node of net.input.model.graph.nodes as Node[]) {
    if (node.op !== 'dropout' || !dropout.has(node.name)) continue;
    const attrs = node.attrs;
    const before = attrs.drop_prob;
    attrs.drop_prob = dropout.get(node.name)!;
    undo.push(() => (attrs.drop_prob = before));
  }
  return () => undo.forEach((f) => f());
}

const fmt = (x: number) => (Math.abs(x) >= 1e-3 && Math.abs(x) < 1e4 ? String(Number(x.toPrecision(4))) : x.toExponential(2));
export const describeParams = (params: TrialParams) => Object.entries(params).map(([k, v]) => `${k} ${fmt(v)}`).join(', ');

export async function runSearch(o: SearchOptions & { spec: string }): Promise<SearchResult> {
  const { runTraining } = await import('../../train/session.js');
  const now = o.now ?? (() => performance.now());
  const started = now();
  const say = o.onProgress ?? (() => {});
  const plan = new TrialPlan(o.params, o.method, o.seed, o.trials, o.gridPoints);
  const journal = o.dir ? new Journal(o.dir, journalSettings(o)) : null;
  const finished = new Map<number, TrialRecord>();
  for (const t of journal?.open() ?? []) {
    const planned = plan.at(t.index);
    if (planned && JSON.stringify(planned.params) === JSON.stringify(t.params)) finished.set(t.index, t);
  }
  const skipped = finished.size;
  const sizeText = plan.size === Infinity ? `as many trials as ${o.maxMinutes} minutes allow` : `${plan.size} trial${plan.size === 1 ? '' : 's'}`;
  say(`${o.method} search over ${o.params.map(paramKey).join(', ')}: ${sizeText}${o.maxMinutes !== null && plan.size !== Infinity ? ` or ${o.maxMinutes} minutes` : ''}, ranked by ${o.metric}`);
  if (skipped) say(`skipping ${skipped} finished trial${skipped === 1 ? '' : 's'} found in ${o.dir}`);
  let ran = 0;
  let ended: SearchResult['ended'] = 'budget';
  for (let i = 0; ; i++) {
    const planned: PlannedTrial | null = plan.at(i);
    if (!planned) break;
    if (finished.has(i)) continue;
    if (o.shouldStop?.()) {
      ended = 'interrupted';
      break;
    }
    // The time budget is checked between trials, and a run always gets at least one trial done.
    if (o.maxMinutes !== null && ran > 0 && (now() - started) / 60000 >= o.maxMinutes) {
      ended = 'time';
      break;
    }
    const peers: LossCurve[] = [...finished.values()].filter((t) => t.status === 'completed').map((t) => t.curve);
    const { config, batchSize, dropout } = trialConfig(o.base, o.batchSize, o.params, planned.params);
    const totalIters = 'iterations' in o.length ? o.length.iterations : Math.max(1, Math.ceil(o.length.epochs * Math.ceil(o.train.size / batchSize)));
    const monitor = new TrialMonitor(totalIters, peers, o.medianRule ?? true);
    const label = `${planned.id}${plan.size === Infinity ? '' : `/${plan.size}`}`;
    say(`${label}  ${describeParams(planned.params)}`);
    const t0 = now();
    let iterations = 0;
    const restore = setDropout(o.net, dropout);
    let result: Awaited<ReturnType<typeof runTraining>>;
    try {
      result = await runTraining({
        tf: o.tf,
        net: o.net,
        config,
        train: o.train,
        validation: o.validation,
        batchSize,
        length: { iterations: totalIters },
        seed: o.seed,
        onProgress: (line) => say(`  ${line}`),
        onIteration: (e) => {
          iterations = e.iteration;
          return monitor.observe(e);
        },
        ...(o.shouldStop ? { shouldStop: o.shouldStop } : {}),
      });
    } finally {
      restore();
    }
    if (result.stopped === 'interrupted') {
      ended = 'interrupted';
      say(`${label}  interrupted; it will run again when the search is resumed`);
      break;
    }
    const last = result.history.at(-1);
    const record: TrialRecord = {
      id: planned.id,
      index: planned.index,
      params: planned.params,
      status: result.stopped === 'diverged' ? 'diverged' : monitor.verdict ? 'stopped' : 'completed',
      stop_rule: result.stopped === 'diverged' ? null : (monitor.verdict?.kind ?? null),
      message: result.stopped === 'diverged' ? result.message : (monitor.verdict?.message ?? null),
      val_top1: last?.val_top1 ?? null,
      val_top5: last?.val_top5 ?? null,
      val_loss: last?.val_loss ?? null,
      train_top1: last?.train_top1 ?? null,
      train_loss: last?.train_loss ?? null,
      iterations,
      total_iterations: totalIters,
      seconds: (now() - t0) / 1000,
      curve: monitor.curve,
      epochs: result.history,
    };
    finished.set(i, record);
    journal?.record(record);
    ran++;
    const value = (record as unknown as Record<string, number | null>)[o.metric];
    say(`${label}  ${record.status === 'completed' ? `${o.metric} ${value === null || value === undefined ? '–' : fmt(value)}` : `${record.status} after ${iterations}/${totalIters} updates: ${record.message}`}  (${record.seconds.toFixed(1)} s)`);
  }
  return { trials: rankTrials([...finished.values()], o.metric), skipped, ran, ended, plan };
}
