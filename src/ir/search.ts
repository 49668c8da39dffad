/**
 * A hyper-parameter search, framework-neutral: which settings of the `train` section vary, over
 * what ranges, and the search's budget. The nnspec `search` section and `nnspec search --param`
 * flags both produce it; `nnspec search` (src/recipe/search/) runs it.
 */

/** The train-section settings a search may vary (dropout: the drop probability of one named layer). */
export const SEARCHABLE = ['lr', 'weight_decay', 'momentum', 'batch_size', 'dropout'] as const;
export type Searchable = (typeof SEARCHABLE)[number];

/**
 * Rates and decays span decades, so they are drawn log-uniformly (as many trials between 1e-4
 * and 1e-3 as between 1e-2 and 1e-1); `uniform` suits momentum or a dropout probability.
 */
export type Distribution = { kind: 'log'; min: number; max: number } | { kind: 'uniform'; min: number; max: number } | { kind: 'choice'; values: number[] };

export interface SearchParam {
  name: Searchable;
  /** dropout: the layer whose drop probability varies. */
  layer: string | null;
  dist: Distribution;
}

export interface SearchConfig {
  method: 'random' | 'grid';
  /** Trials to run (grid: at most the grid's size). */
  trials: number | null;
  /** Grid: values per continuous axis (choices keep all theirs). */
  grid_points: number | null;
  max_minutes: number | null;
  /** The validation metric that ranks trials (default val_top1). */
  metric: string | null;
  /** Length of each trial. */
  epochs: number | null;
  iterations: number | null;
  seed: number | null;
  params: SearchParam[];
}

/** The key a parameter has in results and flags: `lr`, or `dropout:drop1`. */
export function paramKey(p: Pick<SearchParam, 'name' | 'layer'>): string {
  return p.layer === null ? p.name : `${p.name}:${p.layer}`;
}

/** Where a parameter's values must lie, whatever the range written. */
export function paramBounds(name: Searchable): { min: number; max: number; integer: boolean; exclusiveMax?: boolean; exclusiveMin?: boolean } {
  switch (name) {
    case 'lr':
      return { min: 0, max: Infinity, integer: false, exclusiveMin: true };
    case 'weight_decay':
      return { min: 0, max: Infinity, integer: false };
    case 'momentum':
      return { min: 0, max: 1, integer: false, exclusiveMax: true };
    case 'batch_size':
      return { min: 1, max: Infinity, integer: true };
    case 'dropout':
      return { min: 0, max: 1, integer: false, exclusiveMax: true };
  }
}

/** Why a distribution does not fit its parameter, or null. */
export function distributionProblem(name: Searchable, dist: Distribution): string | null {
  const b = paramBounds(name);
  const inside = (x: number) => Number.isFinite(x) && (b.exclusiveMin ? x > b.min : x >= b.min) && (b.exclusiveMax ? x < b.max : x <= b.max) && (!b.integer || Number.isInteger(x));
  const what = `${b.integer ? 'whole numbers' : 'numbers'} in ${b.exclusiveMin ? '(' : '['}${b.min}, ${b.max === Infinity ? '∞' : b.max}${b.exclusiveMax || b.max === Infinity ? ')' : ']'}`;
  if (dist.kind === 'choice') {
    if (dist.values.length === 0) return 'choice needs at least one value';
    const bad = dist.values.find((x) => !inside(x));
    return bad === undefined ? null : `${name} takes ${what}, not ${bad}`;
  }
  if (!(dist.min < dist.max)) return `the range needs min < max, got [${dist.min}, ${dist.max}]`;
  if (dist.kind === 'log' && !(dist.min > 0)) return `a log range needs positive bounds, got [${dist.min}, ${dist.max}]`;
  if (!inside(dist.min) || !inside(dist.max)) return `${name} takes ${what}, not [${dist.min}, ${dist.max}]`;
  if (b.integer) return `${name} takes whole numbers: give it as choice [${dist.min}, …]`;
  return null;
}

/** Metrics a search can rank trials by (what the training loop measures). */
export const SEARCH_METRICS = ['val_top1', 'val_top5', 'val_loss', 'train_top1', 'train_loss'] as const;
export type SearchMetric = (typeof SEARCH_METRICS)[number];

/** Whether larger is better for `metric`. */
export function maximises(metric: string): boolean {
  return !/loss/.test(metric);
}
