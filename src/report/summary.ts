/**
 * `nnspec summary`: per layer its output shapes, parameters, MACs and receptive field, with
 * totals, as a table (torchinfo's layout plus the receptive field), Markdown, CSV or JSON.
 *
 * Rows are collected as they stream out of the compiler, one compact string per layer (a net
 * of 200,000 layers must not cost an object per cell); column widths are tracked on the way.
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

const COLUMNS = ['Layer', 'Type', 'Output shape', 'Params', 'MACs', 'RF size', 'RF stride', 'RF padding'] as const;
const NUMERIC = new Set([3, 4, 5, 6, 7]);
const SEP = '\u0000';

/** JSON shapes: a symbolic dimension is null. */
export function jsonShape(shape: Shape | null): (number | null)[] | null {
  return shape ? shape.map((d) => (typeof d === 'number' ? d : null)) : null;
}

function textShape(shape: Shape | null): string {
  if (!shape) return '?';
  return shape.length === 0 ? 'scalar' : shape.join('×');
}

/** 1234567 → "1,234,567" (Intl.NumberFormat is many times slower per call). */
function count(n: number | null | undefined): string {
  if (n === null || n === undefined) return '?';
  const digits = String(n);
  if (n < 1000 || !Number.isInteger(n)) return digits;
  let out = '';
  const head = digits.length % 3 || 3;
  out = digits.slice(0, head);
  for (let i = head; i < digits.length; i += 3) out += `,${digits.slice(i, i + 3)}`;
  return out;
}

function axisValue(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Math.round(v * 1000) / 1000);
}

function perAxis(values: number[]): string {
  const first = axisValue(values[0]!);
  for (let i = 1; i < values.length; i++) if (values[i] !== values[0]) return values.map(axisValue).join('×');
  return first;
}

const SPACES: string[] = [''];
function spaces(n: number): string {
  while (SPACES.length <= n) SPACES.push(`${SPACES[SPACES.length - 1]} `);
  return SPACES[n]!;
}

function rfCells(rf: FieldReport | null): [string, string, string] {
  if (!rf) return ['–', '–', '–'];
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

export class SummaryBuilder {
  private readonly rows = new RowStore();
  private readonly widths: number[] = COLUMNS.map((c) => c.length);
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

  constructor(private readonly format: SummaryFormat) {}

  /** Takes one node's report (pass as the compiler's onReport). */
  add(r: NodeReport): void {
    const { node, cost } = r;
    if (node.op === 'input' || node.op === 'data') for (const o of r.outputs) this.inputs.push({ name: o.name, shape: o.shape });
    const t = this.totals;
    if (cost) {
      t.params += cost.params;
      t.trainable_params += cost.trainableParams;
      t.non_trainable_params += cost.params - cost.trainableParams;
      t.param_bytes += cost.paramBytes;
      if (cost.macs === null) t.unknown.macs++;
      else t.macs += cost.macs;
      if (cost.activationBytes === null) t.unknown.activation_bytes++;
      else t.activation_bytes += cost.activationBytes;
    } else {
      t.unknown.params++;
      t.unknown.macs++;
      t.unknown.activation_bytes++;
    }
    const rf = r.outputs[0]?.rf ?? null;
    if (this.format === 'json') {
      this.rows.push(
        JSON.stringify({
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
        }),
      );
      return;
    }
    const shapes = r.outputs.length === 0 ? '–' : r.outputs.map((o) => textShape(o.shape)).join(', ');
    const cells = [node.name, node.op, shapes, cost ? count(cost.params) : '?', cost ? count(cost.macs) : '?', ...rfCells(rf)];
    for (let i = 0; i < cells.length; i++) if (cells[i]!.length > this.widths[i]!) this.widths[i] = cells[i]!.length;
    this.rows.push(cells.join(SEP));
  }

  /** The whole summary, in pieces to write one after another. */
  *render(model: Model): Generator<string> {
    switch (this.format) {
      case 'json':
        yield* this.json(model);
        return;
      case 'csv':
        yield* this.csv();
        return;
      case 'markdown':
        yield* this.markdown(model);
        return;
      case 'table':
        yield* this.table(model);
    }
  }

  private *json(model: Model): Generator<string> {
    const inputs = this.inputs.map((i) => JSON.stringify({ name: i.name, shape: jsonShape(i.shape) }));
    yield [
      '{',
      '  "format": "nnspec-summary",',
      '  "version": 1,',
      `  "name": ${JSON.stringify(model.graph?.name ?? null)},`,
      `  "file": ${JSON.stringify(model.file)},`,
      `  "phase": ${JSON.stringify(model.graph?.phase ?? null)},`,
      `  "inputs": [${inputs.length ? `\n    ${inputs.join(',\n    ')}\n  ` : ''}],`,
      '  "layers": [',
    ].join('\n');
    for (let i = 0; i < this.rows.size; i++) yield `${i === 0 ? '\n    ' : ',\n    '}${this.rows.get(i)}`;
    yield `${this.rows.size > 0 ? '\n  ' : ''}],\n  "totals": ${JSON.stringify(this.totals, null, 2).replace(/\n/g, '\n  ')}\n}\n`;
  }

  private *csv(): Generator<string> {
    yield `${['layer', 'type', 'output_shapes', 'params', 'macs', 'rf_size', 'rf_stride', 'rf_padding'].join(',')}\n`;
    for (let r = 0; r < this.rows.size; r++) {
      const cells = this.rows.get(r).split(SEP).map((c, i) => (NUMERIC.has(i) ? c.replace(/,/g, '') : c === '–' ? '' : c));
      yield `${cells.map(csvCell).join(',')}\n`;
    }
  }

  private *markdown(model: Model): Generator<string> {
    yield `# ${model.graph?.name || model.file}\n\n`;
    yield `| ${COLUMNS.join(' | ')} |\n`;
    yield `|${COLUMNS.map((_, i) => (NUMERIC.has(i) ? '---:' : '---')).join('|')}|\n`;
    for (let r = 0; r < this.rows.size; r++) yield `| ${this.rows.get(r).split(SEP).map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |\n`;
    yield '\n';
    for (const line of this.totalLines()) yield `- ${line}\n`;
  }

  private *table(model: Model): Generator<string> {
    const w = this.widths;
    const right = COLUMNS.map((_, i) => NUMERIC.has(i));
    const line = (cells: readonly string[]) => {
      let out = '';
      for (let i = 0; i < cells.length; i++) {
        const c = cells[i]!;
        const pad = spaces(w[i]! - c.length);
        out += i === 0 ? '' : '  ';
        out += right[i] ? pad + c : i === cells.length - 1 ? c : c + pad;
      }
      return out;
    };
    const rule = '─'.repeat(w.reduce((a, b) => a + b, 0) + 2 * (w.length - 1));
    yield `${model.graph?.name || model.file}${model.graph?.phase ? ` (${model.graph.phase.toUpperCase()})` : ''}\n`;
    yield `${rule}\n${line(COLUMNS)}\n${rule}\n`;
    // Lines are joined in batches: one flat string each, not a rope of thousands of pieces.
    const batch: string[] = [];
    for (let r = 0; r < this.rows.size; r++) {
      batch.push(line(this.rows.get(r).split(SEP)));
      if (batch.length === 2048) {
        yield `${batch.join('\n')}\n`;
        batch.length = 0;
      }
    }
    if (batch.length > 0) yield `${batch.join('\n')}\n`;
    yield `${rule}\n`;
    for (const l of this.totalLines()) yield `${l}\n`;
  }

  private totalLines(): string[] {
    const t = this.totals;
    const unknown = (n: number) => (n > 0 ? ` (${n} layer${n === 1 ? '' : 's'} unknown, not counted)` : '');
    const inputs = this.inputs.map((i) => `${i.name} ${textShape(i.shape)}`).join(', ');
    return [
      `Inputs: ${inputs || 'none'}`,
      `Params: ${count(t.params)} (trainable ${count(t.trainable_params)}, non-trainable ${count(t.non_trainable_params)})${unknown(t.unknown.params)}`,
      `MACs per example: ${count(t.macs)} (${scaled(t.macs)})${unknown(t.unknown.macs)}`,
      `Activations per example: ${formatBytes(t.activation_bytes)} (float32)${unknown(t.unknown.activation_bytes)}`,
      `Parameters: ${formatBytes(t.param_bytes)} (float32)`,
    ];
  }
}
