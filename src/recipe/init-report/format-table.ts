/** The terminal form of the report: one table per initialisation, then the std of every layer side by side. */
import type { FlagKind, InitResult } from './types.js';

const num = (x: number | null) => (x === null ? '–' : Number.isFinite(x) ? (x !== 0 && (Math.abs(x) < 1e-3 || Math.abs(x) >= 1e5) ? x.toExponential(2) : x.toFixed(4)) : String(x));
const pct = (x: number | null) => (x === null ? '–' : `${(100 * x).toFixed(1)}%`);

const MARK: Record<FlagKind, string> = { collapse: 'collapse', vanishing_gradient: 'vanishing gradient', saturation: 'saturation', explosion: 'explosion' };

function table(head: string[], rows: string[][], rightFrom: number): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i >= rightFrom && i < head.length - 1 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  const rule = '─'.repeat(widths.reduce((a, b) => a + b + 2, -2));
  return [rule, line(head), rule, ...rows.map(line), rule];
}

export function formatTable(results: readonly InitResult[], header: string): string {
  const out: string[] = [header];
  for (const r of results) {
    out.push('', `init: ${r.init}${r.filler ? ` (${describeFiller(r.filler)})` : ' (as the spec declares)'}   initial loss ${num(r.loss)}`);
    const marks = new Map<string, string[]>();
    for (const f of r.flags) marks.set(f.layer, [...(marks.get(f.layer) ?? []), MARK[f.kind]]);
    const rows = r.layers.map((l) => [l.name, l.op, l.shape.join('×'), num(l.mean), num(l.std), pct(l.saturated), pct(l.dead), num(l.grad_norm), num(l.grad_output_norm), marks.has(l.name) ? `◀ ${marks.get(l.name)!.join(', ')}` : '']);
    out.push(...table(['Layer', 'Op', 'Shape', 'Mean', 'Std', 'Saturated', 'Dead', 'Grad (params)', 'Grad (output)', 'Flag'], rows, 3));
    if (r.flags.length === 0) out.push('no problems: activations and gradients keep their scale');
    for (const f of r.flags) out.push(`${MARK[f.kind]}: ${f.message}`);
  }
  if (results.length > 1) {
    out.push('', 'activation std by initialisation:');
    const rows = results[0]!.layers.map((l, i) => [l.name, ...results.map((r) => num(r.layers[i]?.std ?? null))]);
    out.push(...table(['Layer', ...results.map((r) => r.init)], rows, 1).map((s) => s));
    out.push(`flags: ${results.map((r) => `${r.init}: ${r.flags.length ? r.flags.map((f) => `${MARK[f.kind]} at '${f.layer}'`).join(', ') : 'none'}`).join('; ')}`);
  }
  return out.join('\n');
}

export function describeFiller(f: NonNullable<InitResult['filler']>): string {
  switch (f.type) {
    case 'normal':
      return `N(${f.mean}, ${f.std}²)`;
    case 'uniform':
      return `U(${f.min}, ${f.max})`;
    case 'variance_scaling':
      return `${f.distribution}, variance ${f.scale}/${f.mode}`;
    case 'constant':
      return `constant ${f.value}`;
    case 'orthogonal':
      return `orthogonal, gain ${f.gain}`;
    default:
      return f.type;
  }
}
