/**
 * What a search leaves behind: trials.csv and trials.json (best first), a terminal table, and
 * report.html, one self-contained page (inline SVG, no script, no link) with the metric against
 * each parameter and the lecture's point about random and grid search made visible: for the
 * same budget, how many distinct values of each parameter each method tries.
 */
import { maximises, paramKey, type SearchParam } from '../../ir/search.js';
import type { TrialRecord } from './journal.js';
import { describeDistribution, distinctValues, gridTrials, randomTrial, defaultGridPoints, type PlannedTrial } from './space.js';

export const COLUMNS = ['rank', 'trial', 'status', 'val_top1', 'val_top5', 'val_loss', 'train_top1', 'train_loss', 'iterations', 'seconds'] as const;

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
/** For the terminal: small rates as 1.57e-5 rather than 0.00001572. */
const compact = (x: number | undefined) => (x === undefined ? '' : x !== 0 && Math.abs(x) < 1e-3 ? Number(x.toPrecision(4)).toExponential() : String(Number(x.toPrecision(6))));
const show = (x: number | null | undefined) => (x === null || x === undefined ? '' : Number.isFinite(x) ? String(Number(x.toPrecision(6))) : String(x));

function cell(t: TrialRecord, column: string, rank: number): string {
  switch (column) {
    case 'rank':
      return String(rank);
    case 'trial':
      return t.id;
    case 'status':
      return t.status === 'stopped' ? `stopped (${t.stop_rule})` : t.status;
    case 'seconds':
      return t.seconds.toFixed(2);
    default:
      return show((t as unknown as Record<string, number | null>)[column]);
  }
}

/** Ranked trials as CSV: rank, trial, status, one column per parameter, the metrics. */
export function trialsCsv(trials: readonly TrialRecord[], params: readonly SearchParam[]): string {
  const keys = params.map(paramKey);
  const header = ['rank', 'trial', 'status', ...keys, ...COLUMNS.slice(3)];
  const quote = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const rows = trials.map((t, i) => [cell(t, 'rank', i + 1), t.id, cell(t, 'status', 0), ...keys.map((k) => show(t.params[k])), ...COLUMNS.slice(3).map((c) => cell(t, c, 0))].map(quote).join(','));
  return `${[header.map(quote).join(','), ...rows].join('\n')}\n`;
}

export function trialsJson(trials: readonly TrialRecord[], meta: Record<string, unknown>): string {
  return `${JSON.stringify({ ...meta, trials: trials.map((t, i) => ({ rank: i + 1, ...t })) }, null, 2)}\n`;
}

/** The table printed at the end (best first; at most `limit` rows). */
export function trialsTable(trials: readonly TrialRecord[], params: readonly SearchParam[], metric: string, limit = 20): string {
  const keys = params.map(paramKey);
  const header = ['#', 'trial', ...keys, metric, 'status'];
  const rows = trials.slice(0, limit).map((t, i) => [String(i + 1), t.id, ...keys.map((k) => compact(t.params[k])), show((t as unknown as Record<string, number | null>)[metric]) || '–', cell(t, 'status', 0)]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (r: string[]) => r.map((s, c) => (c === r.length - 1 ? s : s.padEnd(widths[c]!))).join('  ');
  const more = trials.length > limit ? [`… ${trials.length - limit} more in trials.csv`] : [];
  return [line(header), ...rows.map(line), ...more].join('\n');
}

export interface Coverage {
  budget: number;
  gridPoints: number;
  random: Record<string, number>;
  grid: Record<string, number>;
  /** The trials each method would run with this budget. */
  randomTrials: PlannedTrial[];
  gridTrials: PlannedTrial[];
}

/**
 * The lecture's comparison, for this space and budget: a grid of the same size tries only a
 * few values per axis, while random trials try a new value of every parameter each time, so the
 * parameter that matters is explored far more finely.
 */
export function coverage(params: readonly SearchParam[], budget: number, seed: number): Coverage {
  const gridPoints = defaultGridPoints(params, budget);
  const random = Array.from({ length: budget }, (_, i) => randomTrial(params, seed, i));
  const grid = gridTrials(params, gridPoints, seed).slice(0, budget);
  return { budget, gridPoints, random: distinctValues(params, random), grid: distinctValues(params, grid), randomTrials: random, gridTrials: grid };
}

/**
 * The parameter whose value goes most with the metric (largest absolute Spearman correlation
 * over the trials that finished), or null with fewer than 3 of them or when none goes with it.
 */
export function mostImportant(trials: readonly TrialRecord[], params: readonly SearchParam[], metric: string): string | null {
  const done = trials.filter((t) => t.status === 'completed' && typeof (t as unknown as Record<string, unknown>)[metric] === 'number');
  if (done.length < 3) return null;
  const ranks = (xs: number[]) => {
    const order = xs.map((x, i) => [x, i] as const).sort((a, b) => a[0] - b[0]);
    const r = new Array<number>(xs.length);
    for (let i = 0; i < order.length; ) {
      let j = i;
      while (j + 1 < order.length && order[j + 1]![0] === order[i]![0]) j++;
      for (let k = i; k <= j; k++) r[order[k]![1]] = (i + j) / 2;
      i = j + 1;
    }
    return r;
  };
  const y = ranks(done.map((t) => (t as unknown as Record<string, number>)[metric]!));
  let best: { key: string; rho: number } | null = null;
  for (const p of params) {
    const key = paramKey(p);
    const x = ranks(done.map((t) => t.params[key]!));
    const mx = x.reduce((a, b) => a + b, 0) / x.length;
    const my = y.reduce((a, b) => a + b, 0) / y.length;
    let sxy = 0;
    let sxx = 0;
    let syy = 0;
    for (let i = 0; i < x.length; i++) {
      sxy += (x[i]! - mx) * (y[i]! - my);
      sxx += (x[i]! - mx) ** 2;
      syy += (y[i]! - my) ** 2;
    }
    const rho = sxx && syy ? Math.abs(sxy / Math.sqrt(sxx * syy)) : 0;
    if (!best || rho > best.rho) best = { key, rho };
  }
  // With no association at all (every trial scored the same), no parameter stands out.
  return best && best.rho > 0 ? best.key : null;
}

/** Inline SVG needs no namespace declaration; dropping it keeps the page free of URLs. */
function inlineSvg(svg: string): string {
  return svg.replace(/\s+xmlns(:\w+)?="[^"]*"/g, '');
}

export interface ReportMeta {
  spec: string;
  method: 'random' | 'grid';
  seed: number;
  metric: string;
  length: string;
  backend: string;
}

export async function reportHtml(trials: readonly TrialRecord[], params: readonly SearchParam[], meta: ReportMeta, cov: Coverage): Promise<string> {
  const { scatterChartSvg } = await import('../../report/charts.js');
  const metric = meta.metric;
  const value = (t: TrialRecord) => (t as unknown as Record<string, number | null>)[metric] ?? null;
  const scatters: string[] = [];
  for (const p of params) {
    const key = paramKey(p);
    const series = (['completed', 'stopped', 'diverged'] as const)
      .map((status) => ({ name: status, points: trials.filter((t) => t.status === status && value(t) !== null).map((t) => ({ x: t.params[key]!, y: value(t)! })) }))
      .filter((s) => s.points.length > 0);
    if (series.length === 0) continue;
    const svg = await scatterChartSvg({ title: `${metric} against ${key}`, x: { title: key, log: p.dist.kind === 'log' }, y: { title: metric, ...(maximises(metric) && !/loss/.test(metric) ? { domain: [0, 1] as [number, number] } : {}) }, series, width: 360, height: 220 });
    scatters.push(`<figure>${inlineSvg(svg)}<figcaption>${esc(key)}: ${esc(describeDistribution(p.dist))}</figcaption></figure>`);
  }
  const important = mostImportant(trials, params, metric);
  const strips: string[] = [];
  for (const p of params) {
    const key = paramKey(p);
    // One row per method: the values each would try, projected onto this parameter's axis.
    const series = [
      { name: `grid (${cov.grid[key]} distinct)`, points: cov.gridTrials.map((t) => ({ x: t.params[key]!, y: 0 })) },
      { name: `random (${cov.random[key]} distinct)`, points: cov.randomTrials.map((t) => ({ x: t.params[key]!, y: 1 })) },
    ];
    const svg = await scatterChartSvg({ title: `values of ${key} tried by ${cov.budget} trials${key === important ? ' (the parameter that matters most here)' : ''}`, x: { title: key, log: p.dist.kind === 'log' }, y: { title: '0 = grid, 1 = random', domain: [-0.5, 1.5] }, series, width: 360, height: 90 });
    strips.push(`<figure>${inlineSvg(svg)}</figure>`);
  }
  const keys = params.map(paramKey);
  const rows = trials
    .map((t, i) => `<tr class="${t.status}"><td>${i + 1}</td><td>${esc(t.id)}</td>${keys.map((k) => `<td>${esc(show(t.params[k]))}</td>`).join('')}<td>${esc(show(value(t)) || '–')}</td><td>${esc(cell(t, 'status', 0))}${t.message ? `<div class="why">${esc(t.message)}</div>` : ''}</td></tr>`)
    .join('\n');
  const covRows = keys.map((k) => `<tr${k === important ? ' class="important"' : ''}><td>${esc(k)}${k === important ? ' ★' : ''}</td><td>${cov.grid[k]}</td><td>${cov.random[k]}</td></tr>`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>nnspec search: ${esc(meta.spec)}</title>
<style>
body{font:14px/1.45 sans-serif;margin:1.5em auto;max-width:1100px;color:#222}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.2em .5em;text-align:right}th{background:#f3f3f3}
tr.stopped td,tr.diverged td{color:#888}.why{font-size:11px;text-align:left;max-width:420px}
tr.important td{font-weight:bold}figure{display:inline-block;margin:.4em}figcaption{font-size:12px;color:#555}
</style></head><body>
<h1>Hyper-parameter search: ${esc(meta.spec)}</h1>
<p>${esc(meta.method)} search, seed ${meta.seed}, ${trials.length} trials of ${esc(meta.length)}, ranked by <b>${esc(metric)}</b> (completed trials first; trials stopped early and diverged ones after them, greyed). Backend: ${esc(meta.backend)}.</p>
<h2>Trials</h2>
<table><tr><th>#</th><th>trial</th>${keys.map((k) => `<th>${esc(k)}</th>`).join('')}<th>${esc(metric)}</th><th>status</th></tr>
${rows}
</table>
<h2>${esc(metric)} against each parameter</h2>
${scatters.join('\n')}
<h2>Random or grid search: values tried per parameter with ${cov.budget} trials</h2>
<p>With the same budget, a grid (${cov.gridPoints} values per continuous axis) tries only a few values of each parameter, while every random trial tries a new value of each. When one parameter matters much more than the others${important ? ` (here <b>${esc(important)}</b>, the one whose value goes most with ${esc(metric)})` : ''}, random search explores it far more finely.</p>
<table><tr><th>parameter</th><th>grid: distinct values</th><th>random: distinct values</th></tr>
${covRows}
</table>
${strips.join('\n')}
</body></html>
`;
}
