/**
 * A self-contained page: the SVG diagram inline, the summary table beside it and a small
 * script that joins them (click a box: its layers' rows light up; click a row: its box does;
 * `page.html#conv1` opens with conv1 selected). Nothing is fetched: no CDN, no fonts, no URLs.
 */
import type { Model } from '../../ir/graph.js';
import { SummaryBuilder, formatBytes } from '../../report/summary.js';
import type { BackendInput } from '../backend.js';
import type { Diagram } from './diagram.js';

interface SummaryLayer {
  name: string;
  type: string;
  outputs: { name: string; shape: (number | null)[] | null }[];
  params: number | null;
  macs: number | null;
  rf: { size: number[]; stride: number[]; padding: number[]; global?: true } | null;
}

interface SummaryJson {
  layers: SummaryLayer[];
  totals: { params: number; trainable_params: number; macs: number; activation_bytes: number; param_bytes: number };
}

/**
 * The summary command's rows (its JSON form: the same numbers `nnspec summary` prints), and
 * for each node (by index) its row.
 */
function summaryOf(input: BackendInput): { summary: SummaryJson; rowOf: Map<number, number> } {
  let json = '';
  const builder = new SummaryBuilder('json', input.model.file, (piece) => (json += piece));
  const rowOf = new Map<number, number>();
  input.model.graph.nodes.forEach((node, i) => {
    const report = input.reports.get(node);
    if (!report) return;
    rowOf.set(i, rowOf.size);
    builder.add(report);
  });
  builder.finish(input.model as Model);
  return { summary: JSON.parse(json) as SummaryJson, rowOf };
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** JSON inside <script>: `<` escaped so that no name can close the element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

function grouped(n: number | null): string {
  if (n === null) return '?';
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

function axes(values: number[]): string {
  const r = values.map((v) => (Number.isInteger(v) ? String(v) : String(Math.round(v * 1000) / 1000)));
  return r.every((v) => v === r[0]) ? r[0]! : r.join('×');
}

function shape(s: (number | null)[] | null): string {
  if (!s) return '?';
  return s.length === 0 ? 'scalar' : s.map((d) => (d === null ? 'N' : String(d))).join('×');
}

const STYLE = `
body { font: 13px/1.4 system-ui, sans-serif; margin: 0; display: flex; height: 100vh; }
#diagram { flex: 1 1 55%; overflow: auto; border-right: 1px solid #ccc; padding: 8px; }
#summary { flex: 1 1 45%; overflow: auto; padding: 8px; }
h1 { font-size: 16px; margin: 0 0 8px; }
table { border-collapse: collapse; width: 100%; }
th, td { padding: 2px 6px; border-bottom: 1px solid #eee; text-align: left; white-space: nowrap; }
th { position: sticky; top: 0; background: #f6f6f6; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tbody tr { cursor: pointer; }
tbody tr:hover { background: #f3f7fb; }
tr.selected { background: #ffe9a8 !important; }
g.node { cursor: pointer; }
g.node.selected > path, g.node.selected > polygon { stroke: #d33; stroke-width: 3px; }
ul.totals { padding-left: 18px; }
`;

const SCRIPT = `
(function () {
  var map = JSON.parse(document.getElementById('nnspec-map').textContent);
  var boxOfRow = {};
  Object.keys(map.rows).forEach(function (box) { map.rows[box].forEach(function (r) { boxOfRow[r] = box; }); });
  function clear() {
    document.querySelectorAll('.selected').forEach(function (e) { e.classList.remove('selected'); });
  }
  // Selects a box and its layers' rows, and brings both into view (row: the one to show).
  function select(box, row) {
    clear();
    var g = document.getElementById(box);
    if (g) g.classList.add('selected');
    var rows = (map.rows[box] || []).map(function (r) { return document.getElementById('row-' + r); });
    rows.forEach(function (tr) { if (tr) tr.classList.add('selected'); });
    var tr = row !== undefined ? document.getElementById('row-' + row) : rows[0];
    if (tr) tr.scrollIntoView({ block: 'center', inline: 'nearest' });
    if (g) g.scrollIntoView({ block: 'center', inline: 'center' });
  }
  document.querySelectorAll('g.node').forEach(function (g) {
    g.addEventListener('click', function () { select(g.id); });
  });
  document.querySelectorAll('tbody tr').forEach(function (tr) {
    tr.addEventListener('click', function () {
      var row = Number(tr.dataset.row);
      select(boxOfRow[row], row);
    });
  });
  function fromHash() {
    var name = decodeURIComponent(location.hash.slice(1));
    var row = map.names.indexOf(name);
    if (row >= 0 && boxOfRow[row] !== undefined) select(boxOfRow[row], row);
  }
  window.addEventListener('hashchange', fromHash);
  if (location.hash) fromHash();
})();
`;

export function writeHtml(input: BackendInput, diagram: Diagram, svg: string): string {
  const { summary, rowOf } = summaryOf(input);
  const title = diagram.name || input.model.file;
  // The SVG's own XML prologue and doctype do not belong inside HTML.
  // (HTML knows the SVG namespace, so the page keeps no URL at all.)
  const titles = new Map(diagram.boxes.map((b) => [b.id, b.title]));
  const inline = svg
    .slice(Math.max(0, svg.indexOf('<svg')))
    .replace(/^<svg\b[^>]*>/, (tag) => tag.replace(/\s+xmlns(?::xlink)?="[^"]*"/g, ''))
    // A box's tooltip: its layer's name rather than the generated id.
    .replace(/(<g id="(n\d+)" class="node">\s*<title>)[^<]*(<\/title>)/g, (_m, head: string, id: string, tail: string) => `${head}${escapeHtml(titles.get(id) ?? id)}${tail}`);
  const rows = summary.layers.map((l, i) => {
    const rf = l.rf ? (l.rf.global ? [`all (${l.rf.size.join('×')})`, '–', '–'] : [axes(l.rf.size), axes(l.rf.stride), axes(l.rf.padding)]) : ['–', '–', '–'];
    const cells = [
      `<td>${escapeHtml(l.name)}</td>`,
      `<td>${escapeHtml(l.type)}</td>`,
      `<td>${escapeHtml(l.outputs.map((o) => shape(o.shape)).join(', ') || '–')}</td>`,
      `<td class="num">${grouped(l.params)}</td>`,
      `<td class="num">${grouped(l.macs)}</td>`,
      ...rf.map((c) => `<td class="num">${escapeHtml(c)}</td>`),
    ];
    return `<tr id="row-${i}" data-row="${i}">${cells.join('')}</tr>`;
  });
  const map = {
    names: summary.layers.map((l) => l.name),
    rows: Object.fromEntries(diagram.boxes.map((b) => [b.id, b.layers.flatMap((i) => rowOf.get(i) ?? [])])),
  };
  const t = summary.totals;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="nnspec graph">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<div id="diagram">
${inline.trim()}
</div>
<div id="summary">
<h1>${escapeHtml(title)}</h1>
<ul class="totals">
<li>${summary.layers.length} layers</li>
<li>Params: ${grouped(t.params)} (trainable ${grouped(t.trainable_params)})</li>
<li>MACs per example: ${grouped(t.macs)}</li>
<li>Activations per example: ${escapeHtml(formatBytes(t.activation_bytes))} (float32)</li>
</ul>
<table id="layers">
<thead><tr><th>Layer</th><th>Type</th><th>Output shape</th><th>Params</th><th>MACs</th><th>RF size</th><th>RF stride</th><th>RF padding</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>
</div>
<script type="application/json" id="nnspec-map">${scriptJson(map)}</script>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
