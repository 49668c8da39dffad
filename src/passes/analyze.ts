/**
 * Shapes, receptive fields and cost, node by node as the binder produces them (a net is never
 * held whole). Each node's rules come from its operation definition; this pass keeps what
 * each blob is known to be, turns rule failures into diagnostics at the layer, warns where
 * paths merge unaligned, and says where shapes stop being known and why.
 */
import type { DiagnosticBag } from '../diagnostics/diagnostic.js';
import { ShapeError, type Shape } from '../ir/dims.js';
import type { Node } from '../ir/graph.js';
import { NameTable } from '../ir/name-table.js';
import { pointwise, sameShapes, type SpatialMap } from '../ir/op.js';
import { opDefinition } from '../ir/ops/index.js';
import { BlobStore } from './blob-store.js';
import { nodeCost, type NodeCost } from './cost.js';
import { applyMap, inputField, reportField, type BlobField, type FieldReport } from './receptive-field.js';

export interface OutputReport {
  name: string;
  shape: Shape | null;
  rf: FieldReport | null;
}

/** Everything known about one node, for summaries. */
export interface NodeReport {
  node: Node;
  inputs: { name: string; shape: Shape | null }[];
  outputs: OutputReport[];
  cost: NodeCost | null;
}

export interface AnalyzeOptions {
  /** Shapes that replace what the net declares for these inputs (`--input-shape`). */
  inputShapes?: ReadonlyMap<string, Shape>;
  /** Receives each node's report (with its cost); without it, nothing is kept per node. */
  onReport?: (report: NodeReport) => void;
  /** Blob names, shared with the graph checker so that each is stored once. */
  names?: NameTable;
}

interface Stop {
  node: Node;
  reason: string;
  /** Later nodes whose shapes are unknown because of it. */
  affected: number;
}

const AXIS_NAMES = ['height', 'width'];

export class Analyzer {
  private readonly names: NameTable;
  private readonly store = new BlobStore();
  /** Why a blob's shape is unknown: the node where knowledge stopped (by blob id). */
  private readonly stopOf = new Map<number, Stop>();
  private readonly stops: Stop[] = [];
  private readonly sharedSeen = new Set<string>();
  private readonly usedOverrides = new Set<string>();
  private lastReport: { id: number; generation: number; report: FieldReport | null } = { id: -1, generation: -1, report: null };
  private readonly ruleMemo = new WeakMap<object, { inputs: Shape[]; count: number; outputs: (Shape | null)[] }>();

  constructor(
    private readonly diagnostics: DiagnosticBag,
    private readonly options: AnalyzeOptions = {},
  ) {
    this.names = options.names ?? new NameTable();
  }

  /** Analyses a node; `ids` are its inputs' and outputs' name ids when the caller has them. */
  add(node: Node, ids?: { inputs: readonly number[]; outputs: readonly number[] }): void {
    const def = opDefinition(node.op);
    const report = this.options.onReport;
    const nIn = node.inputs.length;
    const inIds = ids && ids.inputs.length === nIn ? ids.inputs : node.inputs.map((name) => this.names.find(name));
    // An in-place elementwise layer (ReLU, BatchNorm, Dropout…) leaves its blob as it was.
    if (!report && nIn === 1 && node.outputs.length === 1 && node.outputs[0] === node.inputs[0] && def.shape === sameShapes && def.spatial === pointwise) {
      if (this.store.shape(inIds[0]!)) return;
    }
    const inShapes: (Shape | null)[] = [];
    let missing = -1;
    for (let i = 0; i < nIn; i++) {
      const shape = this.store.shape(inIds[i]!);
      inShapes.push(shape);
      if (!shape && missing < 0) missing = i;
    }
    let outputs: (Shape | null)[] = node.outputs.map(() => null);
    let stop: Stop | null = null;
    let cost: NodeCost | null = null;
    if (missing >= 0) {
      // Unknown inputs: an earlier stop (counted) or a dangling blob (the graph check reports it).
      stop = this.stopOf.get(inIds[missing]!) ?? null;
      if (stop) stop.affected++;
    } else {
      const shapes = inShapes as Shape[];
      try {
        outputs = this.outputShapes(node, this.rule(node, def, shapes));
        if (report) cost = nodeCost(def, node, shapes, outputs, this.sharedSeen);
      } catch (e) {
        if (e instanceof ShapeError) this.diagnostics.error(e.code, `'${node.name}' (${node.op}): ${this.nameInputs(e.message, node)}`, node.span);
        else this.ruleFailed(node, e);
        outputs = node.outputs.map(() => null);
        stop = { node, reason: 'its shape error', affected: 0 };
      }
      if (!stop && outputs.some((s) => s === null)) {
        stop = { node, reason: this.stopReason(node, node.outputs.filter((_, i) => !outputs[i])), affected: 0 };
        this.stops.push(stop);
      }
    }
    const outIds = ids && ids.outputs.length === node.outputs.length ? ids.outputs : node.outputs.map((name) => this.names.add(name));
    this.fields(node, def, inIds, inShapes, outIds, outputs);
    outIds.forEach((id, i) => {
      const shape = outputs[i] ?? null;
      this.store.setShape(id, shape);
      if (shape) this.stopOf.delete(id);
      else if (stop) this.stopOf.set(id, stop);
    });
    if (!report) return;
    const reports: OutputReport[] = node.outputs.map((name, i) => ({ name, shape: outputs[i] ?? null, rf: this.fieldReport(outIds[i]!) }));
    report({ node, inputs: node.inputs.map((name, i) => ({ name, shape: inShapes[i] ?? null })), outputs: reports, cost });
  }

  /** The reported field of a blob; an in-place layer that changed no field reuses the last one. */
  private fieldReport(id: number): FieldReport | null {
    const last = this.lastReport;
    if (last.id === id && last.generation === this.store.generation) return last.report;
    const report = reportField(this.store.field(id));
    this.lastReport = { id, generation: this.store.generation, report };
    return report;
  }

  /**
   * The operation's shape rule, remembered per attributes object: the Caffe binder gives
   * identical layers one attributes object, and shapes are shared by value in the store, so a
   * repeated block is worked out once.
   */
  private rule(node: Node, def: ReturnType<typeof opDefinition>, inputs: Shape[]): (Shape | null)[] {
    const attrs = node.attrs as object;
    const memo = this.ruleMemo.get(attrs);
    if (memo && memo.count === node.outputs.length && memo.inputs.length === inputs.length && memo.inputs.every((s, i) => s === inputs[i])) return memo.outputs;
    const outputs = def.shape(node.attrs as never, inputs, node.outputs.length).map((s) => s && this.store.intern(s));
    if (inputs.length <= 4) this.ruleMemo.set(attrs, { inputs, count: node.outputs.length, outputs });
    return outputs;
  }

  /** Notes where shapes stopped being known, with how much of the net that hides. */
  finish(): void {
    for (const stop of this.stops) {
      // An input without a shape is the binder's to report; a layer with errors already has its own.
      if (stop.affected === 0 || stop.node.op === 'input' || this.hasErrorsIn(stop.node.span)) continue;
      const later = `${stop.affected} later layer${stop.affected === 1 ? '' : 's'}`;
      this.diagnostics.note('shape/unknown', `shapes stop at '${stop.node.name}': ${stop.reason}; ${later} ${stop.affected === 1 ? 'has' : 'have'} no shape`, stop.node.span);
    }
    for (const name of this.options.inputShapes?.keys() ?? []) {
      if (!this.usedOverrides.has(name)) this.diagnostics.warning('shape/unused-input-shape', `--input-shape names '${name}', but no layer without inputs (Input, Data, a Python data layer…) produces a blob of that name`, { start: 0, end: 0 });
    }
  }

  private hasErrorsIn(span: { start: number; end: number }): boolean {
    return this.diagnostics.items.some((d) => d.severity === 'error' && d.span.start >= span.start && d.span.end <= span.end);
  }

  private outputShapes(node: Node, shapes: (Shape | null)[]): (Shape | null)[] {
    const overrides = this.options.inputShapes;
    // Any layer without inputs is a source: an Input or Data layer, or an opaque one such as
    // a Python data layer, whose shapes only the user can give.
    if (!overrides || node.inputs.length > 0) return shapes;
    return node.outputs.map((name, i) => {
      const given = overrides.get(name);
      if (!given) return shapes[i] ?? null;
      this.usedOverrides.add(name);
      return given;
    });
  }

  private stopReason(node: Node, unknown: string[]): string {
    const give = unknown.map((name) => `--input-shape ${name}=N,C,H,W`).join(' ');
    switch (node.op) {
      case 'opaque':
        return `${node.attrs.framework === 'caffe' ? 'Caffe' : 'nnspec'} layer type '${node.attrs.type}' is opaque to nnspec, so its output shapes are unknown${node.inputs.length === 0 ? ` (give them with ${give})` : ''}`;
      case 'data':
        return `the ${node.attrs.source_type} layer's shapes come from its data; give them with ${give}`;
      default:
        return 'its output shapes depend on the data';
    }
  }

  /**
   * A rule that throws something other than a ShapeError met attributes the binder left
   * incomplete after reporting an error, or has a bug: the latter is reported, never thrown.
   */
  private ruleFailed(node: Node, e: unknown): void {
    if (this.diagnostics.errorCount > 0) return;
    this.diagnostics.error('internal/analysis', `nnspec could not analyse '${node.name}' (${node.op}): ${e instanceof Error ? e.message : String(e)}; this is a bug in nnspec`, node.span);
  }

  /** Shape rules name inputs as #1, #2…; the diagnostic names the blobs. */
  private nameInputs(message: string, node: Node): string {
    return message.replace(/#(\d+)/g, (all, n: string) => {
      const blob = node.inputs[Number(n) - 1];
      return blob === undefined ? all : `'${blob}'`;
    });
  }

  /** Receptive fields of the outputs, from the operation's spatial map. */
  private fields(node: Node, def: ReturnType<typeof opDefinition>, inIds: readonly number[], inShapes: (Shape | null)[], outIds: readonly number[], outputs: (Shape | null)[]): void {
    const store = this.store;
    if (node.inputs.length === 0) {
      outIds.forEach((id, i) => store.setField(id, outputs[i] ? inputField(node.outputs[i]!, outputs[i]!) : null));
      return;
    }
    if (outputs.every((s) => s === null)) {
      for (const id of outIds) store.setField(id, null);
      return;
    }
    let map: SpatialMap | null = null;
    if (inShapes.every((s) => s !== null)) {
      try {
        map = def.spatial(node.attrs as never, inShapes as Shape[]);
      } catch (e) {
        if (!(e instanceof ShapeError)) this.ruleFailed(node, e);
      }
    }
    if (!map) {
      for (const id of outIds) store.setField(id, null);
      return;
    }
    if (map.kind === 'merge') {
      const fields = inIds.map((id) => store.field(id));
      const { field, misaligned } = applyMap(map, fields);
      // Inputs whose shapes do not fit already have an error here; their alignment is moot.
      if (misaligned && outputs.every((s) => s !== null)) this.warnMisaligned(node, fields, misaligned);
      for (const id of outIds) store.setField(id, field);
      return;
    }
    // Per-input operations (Caffe convolutions with several bottoms) map input i to output i.
    for (let i = 0; i < outIds.length; i++) store.through(map, inIds[Math.min(i, inIds.length - 1)] ?? -1, outIds[i]!);
  }

  private warnMisaligned(node: Node, inputs: (BlobField | null)[], m: { a: number; b: number; axis: number }): void {
    const describe = (i: number) => {
      const f = inputs[i]!.axes[m.axis]!;
      return `'${node.inputs[i]}' (stride ${f.stride}, centre ${f.centre}, receptive field ${f.size})`;
    };
    const axis = AXIS_NAMES[m.axis] ?? `spatial axis ${m.axis + 1}`;
    this.diagnostics.warning(
      'rf/misaligned',
      `'${node.name}' merges paths whose receptive fields are not aligned along the ${axis}: ${describe(m.a)} and ${describe(m.b)}; the same output position combines features centred on different input pixels`,
      node.span,
    );
  }
}
