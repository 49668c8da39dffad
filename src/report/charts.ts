/**
 * Charts for training reports: SVG rendered offline by vega-lite (no browser, no URLs in the
 * output, so the HTML reports that inline them stay self-contained) and a plain-text line chart
 * for the terminal. vega is heavy (~100 ms to load): it is imported when a chart is drawn, so
 * only the commands that draw one pay for it.
 */
import asciichart from 'asciichart';

export interface Point {
  x: number;
  y: number;
}

export interface Series {
  name: string;
  points: readonly Point[];
}

export interface Axis {
  title: string;
  /** Logarithmic scale (learning rates, decays). */
  log?: boolean;
  /** Fixed domain, e.g. [0, 1] for accuracy. */
  domain?: [number, number];
}

export interface XYChart {
  title?: string;
  x: Axis;
  y: Axis;
  series: readonly Series[];
  width?: number;
  height?: number;
}

type VegaLiteSpec = Record<string, unknown>;

async function renderSvg(spec: VegaLiteSpec): Promise<string> {
  const [vega, vl] = await Promise.all([import('vega'), import('vega-lite')]);
  const view = new vega.View(vega.parse(vl.compile(spec as never).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Non-finite values (a diverged loss) would break the scales; they are left out of the drawing. */
function rows(series: readonly Series[]): { x: number; y: number; series: string }[] {
  return series.flatMap((s) => s.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y)).map((p) => ({ x: p.x, y: p.y, series: s.name })));
}

function axis(channel: 'x' | 'y', a: Axis): Record<string, unknown> {
  const scale: Record<string, unknown> = a.log ? { type: 'log' } : { zero: false };
  if (a.domain) scale.domain = a.domain;
  return { field: channel, type: 'quantitative', title: a.title, scale };
}

function xySpec(chart: XYChart, mark: Record<string, unknown>): VegaLiteSpec {
  return {
    ...(chart.title ? { title: chart.title } : {}),
    width: chart.width ?? 480,
    height: chart.height ?? 260,
    data: { values: rows(chart.series) },
    mark,
    encoding: {
      x: axis('x', chart.x),
      y: axis('y', chart.y),
      color: { field: 'series', type: 'nominal', title: null, sort: chart.series.map((s) => s.name) },
    },
    config: { font: 'sans-serif' },
  };
}

/** Lines through each series' points (loss and accuracy curves). */
export function lineChartSvg(chart: XYChart): Promise<string> {
  return renderSvg(xySpec(chart, { type: 'line', point: chart.series.every((s) => s.points.length <= 60), tooltip: true }));
}

/** Points only (a metric against a hyper-parameter, one point per trial). */
export function scatterChartSvg(chart: XYChart): Promise<string> {
  return renderSvg(xySpec(chart, { type: 'point', filled: true, tooltip: true }));
}

export interface Histogram {
  title?: string;
  values: ArrayLike<number>;
  /** Upper bound on the number of bins (default 40). */
  maxBins?: number;
  xTitle?: string;
  width?: number;
  height?: number;
}

/** A histogram of `values`; binned here, so a million activations do not become a million SVG rows. */
export function histogramSvg(h: Histogram): Promise<string> {
  const values = Array.from(h.values).filter(Number.isFinite);
  const bins = binned(values, h.maxBins ?? 40);
  return renderSvg({
    ...(h.title ? { title: h.title } : {}),
    width: h.width ?? 240,
    height: h.height ?? 120,
    data: { values: bins },
    mark: { type: 'bar', tooltip: true },
    encoding: {
      x: { field: 'lo', type: 'quantitative', bin: { binned: true }, title: h.xTitle ?? 'value' },
      x2: { field: 'hi' },
      y: { field: 'count', type: 'quantitative', title: 'count' },
    },
  });
}

export function binned(values: readonly number[], maxBins: number): { lo: number; hi: number; count: number }[] {
  if (values.length === 0) return [];
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo === hi) return [{ lo: lo - 0.5, hi: hi + 0.5, count: values.length }];
  const n = Math.max(1, Math.min(maxBins, Math.ceil(Math.sqrt(values.length))));
  const width = (hi - lo) / n;
  const counts = new Array<number>(n).fill(0);
  for (const v of values) counts[Math.min(n - 1, Math.floor((v - lo) / width))]!++;
  return counts.map((count, i) => ({ lo: lo + i * width, hi: lo + (i + 1) * width, count }));
}

export interface TerminalChart {
  title?: string;
  /** Rows of the plot area (default 10). */
  height?: number;
  /** Columns of the plot area; longer series are resampled to fit (default 60). */
  width?: number;
}

/**
 * A text line chart of one or more series sharing an x axis (e.g. training and validation loss),
 * for the end of a training run. Series are resampled by x to a common width. asciichart draws
 * every series with the same characters, so several series share one plot only when `color`
 * tells them apart; without colour each gets its own plot under its name.
 */
export function terminalChart(series: readonly Series[], options: TerminalChart & { color?: boolean } = {}): string {
  const width = options.width ?? 60;
  const finite = series.map((s) => ({ name: s.name, points: s.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y)) })).filter((s) => s.points.length > 0);
  if (finite.length === 0) return '';
  const xs = finite.flatMap((s) => s.points.map((p) => p.x));
  const x0 = Math.min(...xs);
  const x1 = Math.max(...xs);
  const axisLine = `${' '.repeat(11)}${String(x0)}${' '.repeat(Math.max(1, width + 2 - String(x0).length - String(x1).length))}${String(x1)}`;
  const config = { height: options.height ?? 10, format: (v: number) => v.toPrecision(3).padStart(9) };
  const heading = options.title ? [options.title] : [];
  if (options.color && finite.length > 1) {
    const palette = [asciichart.default, asciichart.cyan, asciichart.magenta, asciichart.yellow];
    const colors = finite.map((_, i) => palette[i % palette.length]!);
    const legend = finite.map((s, i) => asciichart.colored(`── ${s.name}`, colors[i])).join('   ');
    return [...heading, legend, asciichart.plot(finite.map((s) => resample(s.points, x0, x1, width)), { ...config, colors }), axisLine].join('\n');
  }
  return [...heading, ...finite.flatMap((s) => [s.name, asciichart.plot(resample(s.points, x0, x1, width), config), axisLine])].join('\n');
}

/** The series' y at `width` evenly spaced x positions (linear interpolation). */
function resample(points: readonly Point[], x0: number, x1: number, width: number): number[] {
  const sorted = [...points].sort((a, b) => a.x - b.x);
  const out: number[] = [];
  for (let i = 0; i < width; i++) {
    const x = width === 1 ? x0 : x0 + ((x1 - x0) * i) / (width - 1);
    // asciichart cannot leave gaps (a NaN poisons its scale): outside its range a series holds its end value.
    if (x <= sorted[0]!.x) {
      out.push(sorted[0]!.y);
      continue;
    }
    if (x >= sorted[sorted.length - 1]!.x) {
      out.push(sorted[sorted.length - 1]!.y);
      continue;
    }
    let k = 0;
    while (k < sorted.length - 1 && sorted[k + 1]!.x < x) k++;
    const a = sorted[k]!;
    const b = sorted[Math.min(k + 1, sorted.length - 1)]!;
    out.push(b.x === a.x ? a.y : a.y + ((b.y - a.y) * (x - a.x)) / (b.x - a.x));
  }
  return out;
}
