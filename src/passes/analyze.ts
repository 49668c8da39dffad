/**
 * Shapes, receptive fields and cost, node by node as the binder produces them (a net is never
 * held whole). Each node's rules come from its operation definition; this pass keeps what
 * each blob is known to be, turns rule failures into diagnostics at the layer, warns where
 * paths merge unaligned, and says where shapes stop being known and why.
 */
import type { DiagnosticBag } from '../diagnostics/diagnostic.js';
import { ShapeError, type Shape } from '../ir/dims.js';
import type { Node } from '../ir/graph.js';
import { opDefinition } from '../ir/ops/index.js';
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
  /** Receives each node's report; without it, nothing is kept per node. */
  onReport?: (report: NodeReport) => void;
}

interface Blob {
  shape: Shape | null;
  field: BlobField | null;
  /** Why the shape is unknown: the node where knowledge stopped. */
  stoppedAt: Stop | null;
}

interface Stop {
  node: Node;
  reason: string;
  /** Later nodes whose shapes are unknown because of it. */
  affected: number;
}

const AXIS_NAMES = ['height', 'width'];

export class Analyzer {
  private readonly blobs = new Map<string, Blob>();
  private readonly stops: Stop[] = [];
  private readonly sharedSeen = new Set<string>();
  private readonly usedOverrides = new Set<string>();

  constructor(
    private readonly diagnostics: DiagnosticBag,
    private readonly options: AnalyzeOptions = {},
  ) {}

  add(node: Node): void {
    const def = opDefinition(node.op);
    const inputBlobs = node.inputs.map((name) => this.blobs.get(name));
    const inputShapes = inputBlobs.map((b) => b?.shape ?? null);
    let outputs: (Shape | null)[] = node.outputs.map(() => null);
    let stop: Stop | null = null;
    let cost: NodeCost | null = null;
    const missing = inputBlobs.findIndex((b) => !b || !b.shape);
    if (missing >= 0) {
      // Unknown inputs: an earlier stop (counted) or a dangling blob (the graph check reports it).
      stop = inputBlobs[missing]?.stoppedAt ?? null;
      if (stop) stop.affected++;
    } else {
      const shapes = inputShapes as Shape[];
      try {
        outputs = this.outputShapes(node, def.shape(node.attrs as never, shapes, node.outputs.length));
        cost = nodeCost(def, node, shapes, outputs, this.sharedSeen);
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
    const fields = this.fields(node, def, inputBlobs, outputs);
    const reports: OutputReport[] = [];
    node.outputs.forEach((name, i) => {
      const shape = outputs[i] ?? null;
      const field = fields[i] ?? null;
      this.blobs.set(name, { shape, field, stoppedAt: shape ? null : stop });
      if (this.options.onReport) reports.push({ name, shape, rf: reportField(field) });
    });
    this.options.onReport?.({ node, inputs: node.inputs.map((name, i) => ({ name, shape: inputShapes[i] ?? null })), outputs: reports, cost });
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
      if (!this.usedOverrides.has(name)) this.diagnostics.warning('shape/unused-input-shape', `--input-shape names '${name}', but no input or data layer produces a blob of that name`, { start: 0, end: 0 });
    }
  }

  private hasErrorsIn(span: { start: number; end: number }): boolean {
    return this.diagnostics.items.some((d) => d.severity === 'error' && d.span.start >= span.start && d.span.end <= span.end);
  }

  private outputShapes(node: Node, shapes: (Shape | null)[]): (Shape | null)[] {
    const overrides = this.options.inputShapes;
    if (!overrides || (node.op !== 'input' && node.op !== 'data')) return shapes;
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
        return `${node.attrs.framework === 'caffe' ? 'Caffe' : 'nnspec'} layer type '${node.attrs.type}' is opaque to nnspec, so its output shapes are unknown`;
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

  private fields(node: Node, def: ReturnType<typeof opDefinition>, inputs: (Blob | undefined)[], outputs: (Shape | null)[]): (BlobField | null)[] {
    if (node.op === 'input' || node.op === 'data') return node.outputs.map((name, i) => (outputs[i] ? inputField(name, outputs[i]!) : null));
    const shapes = inputs.map((b) => b?.shape ?? null);
    if (shapes.some((s) => s === null)) return node.outputs.map(() => null);
    let map;
    try {
      map = def.spatial(node.attrs as never, shapes as Shape[]);
    } catch (e) {
      if (!(e instanceof ShapeError)) this.ruleFailed(node, e);
      return node.outputs.map(() => null);
    }
    if (map.kind === 'merge') {
      const { field, misaligned } = applyMap(map, inputs.map((b) => b?.field ?? null));
      if (misaligned) this.warnMisaligned(node, inputs, misaligned);
      return node.outputs.map(() => field);
    }
    // Per-input operations (Caffe convolutions with several bottoms) map input i to output i.
    return node.outputs.map((_, i) => applyMap(map, [inputs[Math.min(i, inputs.length - 1)]?.field ?? null]).field);
  }

  private warnMisaligned(node: Node, inputs: (Blob | undefined)[], m: { a: number; b: number; axis: number }): void {
    const describe = (i: number) => {
      const f = inputs[i]!.field!.axes[m.axis]!;
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
