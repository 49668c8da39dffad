import { describe, expect, it } from 'vitest';
import { binned, histogramSvg, lineChartSvg, scatterChartSvg, terminalChart } from '../../src/report/charts.js';

/** URLs an SVG would fetch (its namespace declarations are names, not fetches). */
const fetches = (svg: string) => svg.replace(/xmlns(:\w+)?="[^"]*"/g, '').match(/(https?:|url\(|href=)/g) ?? [];

describe('SVG charts', () => {
  it('draws one line per series, titles its axes, and fetches nothing', async () => {
    const svg = await lineChartSvg({
      x: { title: 'epoch' },
      y: { title: 'loss' },
      series: [
        { name: 'train loss', points: [1, 2, 3].map((x) => ({ x, y: 1 / x })) },
        { name: 'val loss', points: [1, 2, 3].map((x) => ({ x, y: 1.2 / x })) },
      ],
    });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.match(/<path[^>]*aria-roledescription="line mark"/g)).toHaveLength(2);
    expect(svg).toContain('>epoch<');
    expect(svg).toContain('>loss<');
    expect(svg).toContain('>val loss<');
    expect(fetches(svg)).toEqual([]);
  }, 30_000);

  it('leaves a diverged (NaN/Inf) value out instead of failing', async () => {
    const svg = await lineChartSvg({ x: { title: 'it' }, y: { title: 'loss', log: true }, series: [{ name: 'loss', points: [{ x: 1, y: 2 }, { x: 2, y: NaN }, { x: 3, y: Infinity }, { x: 4, y: 1 }] }] });
    expect(svg).toContain('<path');
  }, 30_000);

  it('scatter: one symbol per point', async () => {
    const svg = await scatterChartSvg({ x: { title: 'lr', log: true }, y: { title: 'acc', domain: [0, 1] }, series: [{ name: 'trials', points: [1e-3, 1e-2, 1e-1].map((x, i) => ({ x, y: i / 3 })) }] });
    expect(svg.match(/aria-roledescription="point"/g)).toHaveLength(3);
  }, 30_000);

  it('histogram bins every finite value once', async () => {
    const values = Array.from({ length: 1000 }, (_, i) => (i % 10) / 10);
    const bins = binned(values, 40);
    expect(bins.reduce((a, b) => a + b.count, 0)).toBe(1000);
    expect(bins[0]!.lo).toBe(0);
    expect(bins[bins.length - 1]!.hi).toBeCloseTo(0.9);
    expect(binned([3, 3, 3], 10)).toEqual([{ lo: 2.5, hi: 3.5, count: 3 }]);
    const svg = await histogramSvg({ values: [...values, NaN], maxBins: 10 });
    expect(svg.match(/aria-roledescription="bar"/g)).toHaveLength(10);
  }, 30_000);
});

describe('terminal chart', () => {
  const train = { name: 'train loss', points: [1, 2, 3, 4].map((x) => ({ x, y: 4 - x })) };
  const val = { name: 'val loss', points: [2, 4].map((x) => ({ x, y: 5 - x })) };

  it('labels the extremes of each series and its x range, one plot per series without colour', () => {
    const text = terminalChart([train, val], { width: 20, height: 4 });
    expect(text).toContain('train loss');
    expect(text).toContain('val loss');
    expect(text).toMatch(/3\.00 ┼/);
    expect(text).toMatch(/1\.00 ┤/);
    expect(text.split('\n').filter((l) => /^\s+1\s+4$/.test(l))).toHaveLength(2);
    expect(text).not.toContain('\u001b[');
  });

  it('shares one plot in colour', () => {
    const text = terminalChart([train, val], { width: 20, height: 4, color: true });
    expect(text).toContain('\u001b[');
    expect(text.split('\n').filter((l) => /^\s+1\s+4$/.test(l))).toHaveLength(1);
  });

  it('is empty when there is nothing finite to draw', () => {
    expect(terminalChart([{ name: 'loss', points: [{ x: 1, y: NaN }] }])).toBe('');
  });
});
