/**
 * `nnspec summary`: per layer its output shapes, parameters, MACs and receptive field, with
 * totals, as a table (torchinfo's layout plus the receptive field), Markdown, CSV or JSON.
 *
 * Rows are written while the compiler streams the net, so a summary of a 200,000-layer net
 * costs no more memory than checking it. Only the table needs to see rows before printing
 * them, to size its columns: it holds the first TABLE_PREVIEW rows (as bytes, see RowStore);
 * a longer net keeps the widths of those rows and lets a wider cell push its line out.
 * The JSON layout is a contract other tools parse: docs/summary-json.md describes it and
 * schema/summary.schema.json checks it.
 */
import type { Shape } from '../ir/dims.js';
import type { Model } from '../ir/graph.js';
import type { NodeReport } from '../passes/analyze.js';
import type { FieldReport } from '../passes/receptive-field.js';
import { RowStore } from './row-store.js';

export type SummaryFormat = 'table' | 'markdown' | 'csv' | 'json';

export interface SummaryTotals {
  params: number;
  trainable_params: number;
  non_trainable_params: number;
  macs: number;
  activation_bytes: number;
  param_bytes: number;
  /** Layers whose count is not known (unknown or symbolic shapes); the totals leave them out. */
  unknown: { params: number; macs: number; activation_bytes: number };
}

/** Rows the table sees before it fixes its column widths. */
export const TABLE_PREVIEW = 5000;

const COLUMNS = ['Layer', 'Type', 'Output shape', 'Params', 'MACs', 'RF size', 'RF stride', 'RF padding'] as const;
const RIGHT = COLUMNS.map((_, i) => i >= 3);
const SEP = '\u0000';

/** JSON shapes: a symbolic dimension is null. */
export function jsonShape(shape: Shape | null): (number | null)[] | null {
  return shape ? shape.map((d) => (typeof d === 'number' ? d : null)) : null;
}

/** Shapes are shared objects (see BlobStore), so their text is worked out once per shape. */
const shapeTexts = new WeakMap<Shape, string>();

function textShape(shape: Shape | null): string {
  if (!shape) return '?';
  let text = shapeTexts.get(shape);
  if (text === undefined) {
    text = shape.length === 0 ? 'scalar' : shape.join('×');
    shapeTexts.set(shape, text);
  }
  return text;
}

/** 1234567 → "1,234,567" (Intl.NumberFormat is many times slower per call). */
function count(n: number | null | undefined): string {
  if (n === null || n === undefined) return '?';
  const digits = String(n);
  if (n < 1000 || !Number.isInteger(n)) return digits;
  const head = digits.length % 3 || 3;
  let out = digits.slice(0, head);
  for (let i = head; i < digits.length; i += 3) out += `,${digits.slice(i, i + 3)}`;
  return out;
}

function axisValue(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Math.round(v * 1000) / 1000);
}

function perAxis(values: number[]): string {
  for (let i = 1; i < values.length; i++) if (values[i] !== values[0]) return values.map(axisValue).join('×');
  return axisValue(values[0]!);
}

const NO_RF: [string, string, string] = ['–', '–', '–'];
/** Consecutive in-place layers report one field object; its cells are made once. */
let lastRf: FieldReport | null = null;
let lastRfCells = NO_RF;

function rfCells(rf: FieldReport | null): [string, string, string] {
  if (!rf) return NO_RF;
  if (rf !== lastRf) {
    lastRf = rf;
    lastRfCells = rfText(rf);
  }
  return lastRfCells;
}

function rfText(rf: FieldReport): [string, string, string] {
  if (rf.global) return [`all (${rf.size.join('×')})`, '–', '–'];
  return [perAxis(rf.size), perAxis(rf.stride), perAxis(rf.padding)];
}

function rfJson(rf: FieldReport | null) {
  if (!rf) return null;
  return { size: rf.size, stride: rf.stride, padding: rf.padding, ...(rf.global ? { global: true } : {}), input: rf.input };
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(2)} ${units[u]}`;
}

function scaled(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(2)} K`;
  return String(n);
}

function csvCell(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const SPACES: string[] = [''];
function spaces(n: number): string {
  while (SPACES.length <= n) SPACES.push(`${SPACES[SPACES.length - 1]} `);
  return SPACES[n]!;
}

/** Collects text and hands it on in large pieces. */
class Batcher {
  private pieces: string[] = [];
  private length = 0;

  constructor(private readonly out: (chunk: string) => void) {}

  push(text: string): void {
    this.pieces.push(text);
    this.length += text.length;
    if (this.length >= 1 << 16) this.flush();
  }

  flush(): void {
    if (this.length === 0) return;
    this.out(this.pieces.join(''));
    this.pieces = [];
    this.length = 0;
  }
}

export class SummaryBuilder {
  private readonly out: Batcher;
  private readonly widths: number[] = COLUMNS.map((c) => c.length);
  /** Table rows not yet printed (while the widths are still open). */
  private preview: RowStore | null = new RowStore();
  private layerCount = 0;
  private readonly inputs: { name: string; shape: Shape | null }[] = [];
  readonly totals: SummaryTotals = {
    params: 0,
    trainable_params: 0,
    non_trainable_params: 0,
    macs: 0,
    activation_bytes: 0,
    param_bytes: 0,
    unknown: { params: 0, macs: 0, activation_bytes: 0 },
  };

  /** `out` receives the summary in pieces, in order; the last piece comes from finish(). */
  constructor(
    private readonly format: SummaryFormat,
    file: string,
    out: (chunk: string) => void,
  ) {
    this.out = new Batcher(out);
    if (format === 'csv') this.out.push(`${['layer', 'type', 'output_shapes', 'params', 'macs', 'rf_size', 'rf_stride', 'rf_padding'].join(',')}\n`);
    if (format === 'markdown') this.out.push(`# ${file}\n\n| ${COLUMNS.join(' | ')} |\n|${COLUMNS.map((_, i) => (RIGHT[i] ? '---:' : '---')).join('|')}|\n`);
    if (format === 'json') this.out.push(`{\n  "format": "nnspec-summary",\n  "version": 1,\n  "file": ${JSON.stringify(file)},\n  "layers": [`);
  }

  /** Takes one node's report (pass as the compiler's onReport). */
  add(r: NodeReport): void {
    const { node, cost } = r;
    if (node.inputs.length === 0 && r.outputs.length > 0 && (node.op === 'input' || node.op === 'data' || node.op === 'opaque')) {
      for (const o of r.outputs) this.inputs.push({ name: o.name, shape: o.shape });
    }
    this.count(r);
    const rf = r.outputs[0]?.rf ?? null;
    const n = this.layerCount++;
    if (this.format === 'json') {
      const layer = {
        name: node.name,
        type: node.op,
        bottoms: node.inputs,
        tops: node.outputs,
        outputs: r.outputs.map((o) => ({ name: o.name, shape: jsonShape(o.shape) })),
        params: cost ? cost.params : null,
        trainable_params: cost ? cost.trainableParams : null,
        macs: cost ? cost.macs : null,
        activation_bytes: cost ? cost.activationBytes : null,
        rf: rfJson(rf),
      };
      this.out.push(`${n === 0 ? '\n    ' : ',\n    '}${JSON.stringify(layer)}`);
      return;
    }
    const shapes = r.outputs.length === 0 ? '–' : r.outputs.length === 1 ? textShape(r.outputs[0]!.shape) : r.outputs.map((o) => textShape(o.shape)).join(', ');
    const [rfSize, rfStride, rfPad] = rfCells(rf);
    const cells = [node.name, node.op, shapes, cost ? count(cost.params) : '?', cost ? count(cost.macs) : '?', rfSize, rfStride, rfPad];
    if (this.format === 'csv') {
      this.out.push(`${cells.map((c, i) => csvCell(i === 3 || i === 4 ? c.replace(/,/g, '') : c === '–' ? '' : c)).join(',')}\n`);
      return;
    }
    if (this.format === 'markdown') {
      this.out.push(`| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |\n`);
      return;
    }
    if (!this.preview) {
      this.out.push(`${this.line(cells)}\n`);
      return;
    }
    for (let i = 0; i < cells.length; i++) if (cells[i]!.length > this.widths[i]!) this.widths[i] = cells[i]!.length;
    this.preview.push(cells.join(SEP));
    if (this.preview.size >= TABLE_PREVIEW) this.printPreview();
  }

  /** Writes what remains: the table's rows if still held, and the totals. */
  finish(model: Model): void {
    const name = model.graph?.name || null;
    const phase = model.graph?.phase ?? null;
    switch (this.format) {
      case 'json': {
        const inputs = this.inputs.map((i) => JSON.stringify({ name: i.name, shape: jsonShape(i.shape) }));
        this.out.push(
          `${this.layerCount > 0 ? '\n  ' : ''}],\n  "name": ${JSON.stringify(name)},\n  "phase": ${JSON.stringify(phase)},\n` +
            `  "inputs": [${inputs.length ? `\n    ${inputs.join(',\n    ')}\n  ` : ''}],\n` +
            `  "totals": ${JSON.stringify(this.totals, null, 2).replace(/\n/g, '\n  ')}\n}\n`,
        );
        break;
      }
      case 'csv':
        break;
      case 'markdown':
        this.out.push(`\n${this.totalLines(model).map((l) => `- ${l}\n`).join('')}`);
        break;
      case 'table':
        if (this.preview) this.printPreview();
        this.out.push(`${this.rule()}\n${this.totalLines(model).join('\n')}\n`);
    }
    this.out.flush();
  }

  private count(r: NodeReport): void {
    const t = this.totals;
    const cost = r.cost;
    if (!cost) {
      t.unknown.params++;
      t.unknown.macs++;
      t.unknown.activation_bytes++;
      return;
    }
    t.params += cost.params;
    t.trainable_params += cost.trainableParams;
    t.non_trainable_params += cost.params - cost.trainableParams;
    t.param_bytes += cost.paramBytes;
    if (cost.macs === null) t.unknown.macs++;
    else t.macs += cost.macs;
    if (cost.activationBytes === null) t.unknown.activation_bytes++;
    else t.activation_bytes += cost.activationBytes;
  }

  /** Fixes the column widths and prints the header and the rows held so far. */
  private printPreview(): void {
    const rows = this.preview!;
    this.preview = null;
    this.out.push(`${this.rule()}\n${this.line(COLUMNS)}\n${this.rule()}\n`);
    for (let r = 0; r < rows.size; r++) this.out.push(`${this.line(rows.get(r).split(SEP))}\n`);
  }

  private rule(): string {
    return '─'.repeat(this.widths.reduce((a, b) => a + b, 0) + 2 * (this.widths.length - 1));
  }

  private line(cells: readonly string[]): string {
    let out = '';
    for (let i = 0; i < cells.length; i++) {
      const c = cells[i]!;
      const pad = spaces(Math.max(0, this.widths[i]! - c.length));
      if (i > 0) out += '  ';
      out += RIGHT[i] ? pad + c : i === cells.length - 1 ? c : c + pad;
    }
    return out;
  }

  private totalLines(model: Model): string[] {
    const t = this.totals;
    const unknown = (n: number) => (n > 0 ? ` (${n} layer${n === 1 ? '' : 's'} unknown, not counted)` : '');
    const inputs = this.inputs.map((i) => `${i.name} ${textShape(i.shape)}`).join(', ');
    const phase = model.graph?.phase ? ` (${model.graph.phase.toUpperCase()})` : '';
    return [
      `Network: ${model.graph?.name || '(unnamed)'}${phase}, ${this.layerCount} layer${this.layerCount === 1 ? '' : 's'}`,
      `Inputs: ${inputs || 'none'}`,
      `Params: ${count(t.params)} (trainable ${count(t.trainable_params)}, non-trainable ${count(t.non_trainable_params)})${unknown(t.unknown.params)}`,
      `MACs per example: ${count(t.macs)} (${scaled(t.macs)})${unknown(t.unknown.macs)}`,
      `Activations per example: ${formatBytes(t.activation_bytes)} (float32)${unknown(t.unknown.activation_bytes)}`,
      `Parameters: ${formatBytes(t.param_bytes)} (float32)`,
    ];
  }
}
