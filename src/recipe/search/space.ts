/**
 * The search space: reading `--param` flags, drawing random trials and laying out grids.
 *
 * Trial i of a random search is drawn from its own stream (seed, i), so the list is a pure
 * function of the seed: a longer budget extends the same list, which is what lets a rerun skip
 * the trials it already has. A grid is shuffled with the seed before it is cut to the budget, so
 * a budget smaller than the grid still samples every axis rather than the first rows.
 */
import { Rng } from '../../data/random.js';
export { paramKey } from '../../ir/search.js';
import { distributionProblem, paramKey, SEARCHABLE, type Distribution, type Searchable, type SearchParam } from '../../ir/search.js';

/** Stream ids of this module's random draws (apart from src/data's STREAM ids). */
const TRIAL_STREAM = 0x5ea7c4;
const GRID_STREAM = 0x5ea7c5;

/** Parameter values of one trial, by paramKey. */
export type TrialParams = Record<string, number>;

export interface PlannedTrial {
  /** 0-based position in the search's trial list. */
  index: number;
  id: string;
  params: TrialParams;
}

export const trialId = (index: number) => `trial-${String(index + 1).padStart(4, '0')}`;

/** Four significant digits: what a person reads in the table, and enough to tell trials apart. */
const round = (x: number) => Number(x.toPrecision(4));

function clamp(x: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, x));
}

/** One value of `dist`, from `rng`; log: uniform in log space. */
export function sample(dist: Distribution, rng: Rng): number {
  switch (dist.kind) {
    case 'choice':
      return dist.values[rng.int(dist.values.length)]!;
    case 'uniform':
      return clamp(round(rng.uniform(dist.min, dist.max)), dist.min, dist.max);
    case 'log':
      return clamp(round(Math.exp(rng.uniform(Math.log(dist.min), Math.log(dist.max)))), dist.min, dist.max);
  }
}

export function randomTrial(params: readonly SearchParam[], seed: number, index: number): PlannedTrial {
  const rng = new Rng(seed, TRIAL_STREAM, index);
  const values: TrialParams = {};
  for (const p of params) values[paramKey(p)] = sample(p.dist, rng);
  return { index, id: trialId(index), params: values };
}

/** `points` values spread evenly over the range (geometrically for log ranges), ends included. */
export function axisValues(dist: Distribution, points: number): number[] {
  if (dist.kind === 'choice') return [...dist.values];
  const out: number[] = [];
  for (let i = 0; i < points; i++) {
    const f = points === 1 ? 0.5 : i / (points - 1);
    const x = dist.kind === 'log' ? Math.exp(Math.log(dist.min) + f * (Math.log(dist.max) - Math.log(dist.min))) : dist.min + f * (dist.max - dist.min);
    out.push(clamp(round(x), dist.min, dist.max));
  }
  return out;
}

/**
 * Values per continuous axis when none is given: as many as keep the grid within `budget`
 * trials (at least 2), the choices' own product counted first.
 */
export function defaultGridPoints(params: readonly SearchParam[], budget: number | null): number {
  const continuous = params.filter((p) => p.dist.kind !== 'choice').length;
  if (continuous === 0) return 2;
  if (budget === null) return 3;
  const fixed = params.reduce((n, p) => n * (p.dist.kind === 'choice' ? p.dist.values.length : 1), 1);
  return Math.max(2, Math.floor((budget / fixed) ** (1 / continuous) + 1e-9));
}

/** Every point of the grid, in a seeded random order. */
export function gridTrials(params: readonly SearchParam[], points: number, seed: number): PlannedTrial[] {
  let rows: TrialParams[] = [{}];
  for (const p of params) {
    const values = axisValues(p.dist, points);
    rows = rows.flatMap((r) => values.map((v) => ({ ...r, [paramKey(p)]: v })));
  }
  const rng = new Rng(seed, GRID_STREAM);
  for (let i = rows.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [rows[i], rows[j]] = [rows[j]!, rows[i]!];
  }
  return rows.map((params, index) => ({ index, id: trialId(index), params }));
}

/** The trial list: `count` trials (random), or the grid cut to `count`; null count: as many as time allows (random) or the whole grid. */
export class TrialPlan {
  private readonly grid: PlannedTrial[] | null;

  constructor(
    readonly params: readonly SearchParam[],
    readonly method: 'random' | 'grid',
    readonly seed: number,
    readonly count: number | null,
    readonly gridPoints: number,
  ) {
    this.grid = method === 'grid' ? gridTrials(params, gridPoints, seed) : null;
  }

  /** Trials in the plan (Infinity: a random search bounded by time only). */
  get size(): number {
    if (this.grid) return Math.min(this.grid.length, this.count ?? Infinity);
    return this.count ?? Infinity;
  }

  at(index: number): PlannedTrial | null {
    if (index >= this.size) return null;
    return this.grid ? this.grid[index]! : randomTrial(this.params, this.seed, index);
  }
}

/** Distinct values each parameter takes in `trials`, by paramKey. */
export function distinctValues(params: readonly SearchParam[], trials: readonly { params: TrialParams }[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of params) out[paramKey(p)] = new Set(trials.map((t) => t.params[paramKey(p)])).size;
  return out;
}

/**
 * Reads `--param NAME=SPEC`. NAME is lr, weight_decay, momentum, batch_size or dropout:LAYER;
 * SPEC is log:MIN:MAX, MIN:MAX (uniform), uniform:MIN:MAX or choice:A,B,…. Returns the problem
 * as a string when the text does not read.
 */
export function parseParamFlag(text: string): SearchParam | string {
  const eq = text.indexOf('=');
  if (eq < 0) return `--param expects NAME=RANGE (e.g. lr=log:1e-4:1e-1, momentum=0.8:0.99, batch_size=choice:32,64), got '${text}'`;
  const key = text.slice(0, eq).trim();
  const spec = text.slice(eq + 1).trim();
  const [rawName, ...rest] = key.split(':');
  const layer = rest.length ? rest.join(':') : null;
  if (!(SEARCHABLE as readonly string[]).includes(rawName!)) return `--param: '${rawName}' cannot be searched (${SEARCHABLE.join(', ')})`;
  const name = rawName as Searchable;
  if (name === 'dropout' && !layer) return '--param: dropout needs the layer whose drop probability varies: dropout:LAYER=MIN:MAX';
  if (name !== 'dropout' && layer !== null) return `--param: ${name} applies to the whole net; only dropout names a layer`;
  const numbers = (parts: string[]) => parts.map((s) => (s.trim() === '' ? NaN : Number(s)));
  let dist: Distribution;
  const parts = spec.split(':');
  if (parts[0] === 'choice' && parts.length === 2) dist = { kind: 'choice', values: numbers(parts[1]!.split(',')) };
  else if ((parts[0] === 'log' || parts[0] === 'uniform') && parts.length === 3) {
    const [min, max] = numbers(parts.slice(1));
    dist = { kind: parts[0], min: min!, max: max! };
  } else if (parts.length === 2 && !['log', 'uniform', 'choice'].includes(parts[0]!)) {
    const [min, max] = numbers(parts);
    dist = { kind: 'uniform', min: min!, max: max! };
  } else return `--param ${key}: expected log:MIN:MAX, MIN:MAX, uniform:MIN:MAX or choice:A,B,…, got '${spec}'`;
  const values = dist.kind === 'choice' ? dist.values : [dist.min, dist.max];
  if (values.some((x) => !Number.isFinite(x))) return `--param ${key}: '${spec}' holds something that is not a number`;
  const problem = distributionProblem(name, dist);
  if (problem) return `--param ${key}: ${problem}`;
  return { name, layer, dist };
}

/** How a parameter's range reads in tables and flags. */
export function describeDistribution(d: Distribution): string {
  return d.kind === 'choice' ? `choice ${d.values.join(', ')}` : `${d.kind} ${d.min} … ${d.max}`;
}
