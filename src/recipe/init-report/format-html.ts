/**
 * The HTML report: one self-contained page (inline CSS and SVG, no script, no link to anything),
 * with a histogram of every layer's activations under each initialisation, side by side.
 */
import { describeFiller } from './format-table.js';
import type { Histogram, InitResult } from './types.js';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const num = (x: number | null) => (x === null ? '–' : Number.isFinite(x) ? x.toPrecision(3) : String(x));

const W = 220;
const H = 90;

/** A bar chart of the bins with the range under it. */
function histogramSvg(h: Histogram, title: string): string {
  const max = Math.max(1, ...h.counts);
  const bw = h.counts.length ? W / h.counts.length : W;
  const bars = h.counts
    .map((c, i) => {
      const bh = (c / max) * (H - 16);
      return `<rect x="${(i * bw).toFixed(2)}" y="${(H - 14 - bh).toFixed(2)}" width="${Math.max(0.5, bw - 1).toFixed(2)}" height="${bh.toFixed(2)}"/>`;
    })
    .join('');
  const lo = h.edges[0];
  const hi = h.edges[h.edges.length - 1];
  const axis = lo === undefined ? '<text x="4" y="40">no finite values</text>' : `<text x="0" y="${H - 2}">${esc(num(lo))}</text><text x="${W}" y="${H - 2}" text-anchor="end">${esc(num(hi!))}</text>`;
  return `<svg class="hist" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img"><title>${esc(title)}</title>${bars}${axis}</svg>`;
}

export function formatHtml(results: readonly InitResult[], meta: { spec: string; backend: string; batch: number; seed: number; input: string }): string {
  const names = results[0]?.layers.map((l) => l.name) ?? [];
  const flagged = (r: InitResult, layer: string) => r.flags.filter((f) => f.layer === layer).map((f) => f.kind.replace('_', ' '));
  const head = results.map((r) => `<th>${esc(r.init)}<div class="sub">${esc(r.filler ? describeFiller(r.filler) : 'as the spec declares')}</div></th>`).join('');
  const rows = names
    .map((name, i) => {
      const l0 = results[0]!.layers[i]!;
      const cells = results
        .map((r) => {
          const l = r.layers[i]!;
          const flags = flagged(r, name);
          const stats = `mean ${num(l.mean)} · std ${num(l.std)}${l.saturated !== null ? ` · saturated ${(100 * l.saturated).toFixed(1)}%` : ''}${l.dead !== null ? ` · dead ${(100 * l.dead).toFixed(1)}%` : ''}<br>grad: params ${num(l.grad_norm)} · output ${num(l.grad_output_norm)}`;
          return `<td${flags.length ? ' class="flag"' : ''}>${histogramSvg(l.histogram, `${name} (${r.init})`)}<div class="stats">${stats}</div>${flags.length ? `<div class="mark">◀ ${esc(flags.join(', '))}</div>` : ''}</td>`;
        })
        .join('');
      return `<tr><th class="layer">${esc(name)}<div class="sub">${esc(l0.op)} ${esc(l0.shape.join('×'))}</div></th>${cells}</tr>`;
    })
    .join('\n');
  const verdicts = results
    .map((r) => `<li><b>${esc(r.init)}</b> (initial loss ${num(r.loss)}): ${r.flags.length ? r.flags.map((f) => esc(f.message)).join('; ') : 'no problems: activations and gradients keep their scale'}</li>`)
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>init report: ${esc(meta.spec)}</title>
<style>
body{font:14px system-ui,sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse}
td,th{border:1px solid #ddd;padding:4px;vertical-align:top;text-align:left}
th.layer{white-space:nowrap}
.sub{font-weight:normal;color:#666;font-size:12px}
.stats{font-size:12px;color:#444}
td.flag{background:#fff3f0}
.mark{color:#b3261e;font-weight:bold}
svg.hist rect{fill:#4c78a8}
svg.hist text{font-size:10px;fill:#555}
</style></head><body>
<h1>Initialisation report</h1>
<p>${esc(meta.spec)} · ${esc(meta.input)} · batch ${meta.batch} · seed ${meta.seed} · ${esc(meta.backend)}</p>
<ul>
${verdicts}
</ul>
<table>
<tr><th>Layer</th>${head}</tr>
${rows}
</table>
</body></html>
`;
}
