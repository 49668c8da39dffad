/**
 * The `search` section: which train settings `nnspec search` varies and over what ranges, and
 * the search's budget. Each parameter is a message holding exactly one distribution:
 *
 *   search {
 *     trials: 16
 *     lr { log: [1e-4, 1e-1] }
 *     momentum { uniform: [0.8, 0.99] }
 *     batch_size { choice: [32, 64] }
 *     dropout { layer: drop1 uniform: [0.1, 0.5] }
 *   }
 */
import type { Field, Message, Span } from '../../language/syntax-tree.js';
import { distributionProblem, paramKey, SEARCH_METRICS, type Distribution, type Searchable, type SearchConfig, type SearchParam } from '../../ir/search.js';
import { many, maybe, opt, readMessage, t, type ReadContext } from './fields.js';

const positive = t.num(0, Infinity, { exclusiveMin: true });
const range = t.list(t.num(), { minItems: 2, maxItems: 2 });
const values = t.list(t.num(), { minItems: 1 });

const distFields = {
  log: maybe(range, '[min, max], drawn log-uniformly (rates and decays)'),
  uniform: maybe(range, '[min, max], drawn uniformly'),
  choice: maybe(values, 'the values to pick from'),
};

/** A dropout layer named in the section, checked against the graph once it is bound. */
export interface LayerRef {
  layer: string;
  span: Span;
}

export interface BoundSearch {
  config: SearchConfig;
  layers: LayerRef[];
}

function nameSpan(f: Field): Span {
  return { start: f.start, end: f.start + f.name.length };
}

function readParam(name: Searchable, f: Field, msg: Message, ctx: ReadContext, layers: LayerRef[]): SearchParam | undefined {
  const decls = name === 'dropout' ? { ...distFields, layer: maybe(t.name, 'the Dropout layer whose drop probability varies') } : distFields;
  const r = readMessage(msg, decls, ctx, `search ${name}`, { at: nameSpan(f), aliases: { range: "write 'uniform' (or 'log' for rates and decays)", values: "write 'choice'", log_uniform: "write 'log'" } });
  if (!r.ok) return undefined;
  const v = r.values as { log?: number[]; uniform?: number[]; choice?: number[]; layer?: string };
  const written = (['log', 'uniform', 'choice'] as const).filter((k) => v[k] !== undefined);
  if (written.length !== 1) {
    ctx.diagnostics.error(
      written.length === 0 ? 'nnspec/missing-field' : 'nnspec/conflicting-fields',
      written.length === 0 ? `search ${name} needs a distribution: log [min, max], uniform [min, max] or choice [values]` : `search ${name} takes one distribution, not ${written.join(' and ')}`,
      written.length === 0 ? nameSpan(f) : r.spans[written[1]!]!,
    );
    return undefined;
  }
  const kind = written[0]!;
  const dist: Distribution = kind === 'choice' ? { kind, values: v.choice! } : { kind, min: v[kind]![0]!, max: v[kind]![1]! };
  const problem = distributionProblem(name, dist);
  if (problem) {
    ctx.diagnostics.error('nnspec/out-of-range', `search ${name}: ${problem}`, r.spans[kind]!);
    return undefined;
  }
  let layer: string | null = null;
  if (name === 'dropout') {
    if (v.layer === undefined) {
      ctx.diagnostics.error('nnspec/missing-field', 'search dropout needs the layer whose drop probability varies (layer: NAME)', nameSpan(f));
      return undefined;
    }
    layer = v.layer;
    layers.push({ layer, span: (r.spans as Record<string, Span>).layer! });
  }
  return { name, layer, dist };
}

export function bindSearch(msg: Message, ctx: ReadContext, at: Span): BoundSearch | null {
  const r = readMessage(
    msg,
    {
      method: opt(t.oneOf(['random', 'grid'] as const), 'random' as 'random' | 'grid', 'random search, or a grid over every parameter'),
      trials: maybe(t.int(1), 'trials to run (grid: at most its size)'),
      grid_points: maybe(t.int(2), 'grid: values per continuous parameter'),
      max_minutes: maybe(positive, 'stop starting trials after this many minutes'),
      metric: maybe(t.oneOf(SEARCH_METRICS), 'what ranks the trials (default val_top1)'),
      epochs: maybe(positive, 'length of each trial in epochs'),
      iterations: maybe(t.int(1), 'length of each trial in updates'),
      seed: maybe(t.int(), 'seed of the trial list (same seed, same trials)'),
      lr: maybe(t.message, 'base learning rate: { log: [min, max] }'),
      weight_decay: maybe(t.message, 'L2 weight decay: { log: [min, max] }'),
      momentum: maybe(t.message, 'solver momentum: { uniform: [min, max] }'),
      batch_size: maybe(t.message, 'examples per update: { choice: [32, 64] }'),
      dropout: many(t.message, "a Dropout layer's drop probability: { layer: NAME uniform: [min, max] }"),
    },
    ctx,
    'search',
    { at, aliases: { base_lr: "write 'lr'", learning_rate: "write 'lr'", l2: "write 'weight_decay'", budget: "write 'trials' or 'max_minutes'", grid: "write 'method: grid'" } },
  );
  let ok = r.ok;
  const v = r.values;
  if (v.epochs !== undefined && v.iterations !== undefined) {
    ctx.diagnostics.error('nnspec/conflicting-fields', 'give the trial length as epochs or iterations, not both', r.spans.iterations ?? at);
    ok = false;
  }
  if (v.grid_points !== undefined && v.method !== 'grid') {
    ctx.diagnostics.error('nnspec/conflicting-fields', "grid_points only applies to 'method: grid'", r.spans.grid_points ?? at);
    ok = false;
  }
  const params: SearchParam[] = [];
  const layers: LayerRef[] = [];
  const fieldsByName = (name: string) => msg.fields.filter((f) => f.name === name && f.value.kind === 'message');
  for (const name of ['lr', 'weight_decay', 'momentum', 'batch_size', 'dropout'] as const) {
    for (const f of fieldsByName(name)) {
      const p = readParam(name, f, f.value as Message, ctx, layers);
      if (!p) {
        ok = false;
        continue;
      }
      if (params.some((q) => paramKey(q) === paramKey(p))) {
        ctx.diagnostics.error('nnspec/duplicate-field', `search varies the dropout of '${p.layer}' twice`, nameSpan(f));
        ok = false;
        continue;
      }
      params.push(p);
    }
  }
  if (ok && params.length === 0) {
    ctx.diagnostics.error('nnspec/empty', 'search needs at least one parameter to vary (lr, weight_decay, momentum, batch_size or dropout)', at);
    ok = false;
  }
  if (!ok) return null;
  return {
    config: {
      method: v.method,
      trials: v.trials ?? null,
      grid_points: v.grid_points ?? null,
      max_minutes: v.max_minutes ?? null,
      metric: v.metric ?? null,
      epochs: v.epochs ?? null,
      iterations: v.iterations ?? null,
      seed: v.seed ?? null,
      params,
    },
    layers,
  };
}
