/**
 * What a layer writer gets: the node, its analysed shapes, and the ways to report a refusal
 * (error `convert/unsupported`), an exact rewrite (note `convert/rewritten`) or a feature
 * that needs a Caffe newer than 1.0, plus the parts every Caffe layer shares (param blocks,
 * fillers, fresh names).
 */
import type { DiagnosticBag } from '../../diagnostics/diagnostic.js';
import type { Shape } from '../../ir/dims.js';
import type { Filler } from '../../ir/filler.js';
import type { Node, ParamBlob } from '../../ir/graph.js';
import { opDefinition } from '../../ir/ops/index.js';
import type { NodeReport } from '../../passes/analyze.js';
import { caffeFiller } from './fillers.js';
import { RAW, type ProtoObject } from './proto-text.js';

/** Concrete dimensions, or null when the analysis could not tell them. */
export type KnownShape = number[] | null;

const known = (s: Shape | null | undefined): KnownShape => (s && s.every((d): d is number => typeof d === 'number') ? s : null);

export class WriterContext {
  /** Set once a writer refused: the file is not written. */
  failed = false;

  constructor(
    readonly node: Node,
    private readonly report: NodeReport | undefined,
    private readonly diagnostics: DiagnosticBag,
    private readonly taken: Set<string>,
  ) {}

  get label(): string {
    return `layer '${this.node.name}'`;
  }

  /** The analysed spatial sizes (axes 2…) of an input, when they are all numbers. */
  inputSpatial(i = 0): KnownShape {
    return known(this.report?.inputs[i]?.shape?.slice(2));
  }

  /** The analysed spatial sizes (axes 2…) of an output, when they are all numbers. */
  outputSpatial(i = 0): KnownShape {
    return known(this.report?.outputs[i]?.shape?.slice(2));
  }

  /** The analysed shape of an output (dimensions may be symbolic). */
  outputShape(i = 0): Shape | null {
    return this.report?.outputs[i]?.shape ?? null;
  }

  /** The analysed channels (axis 1) of an input, when known. */
  inputChannels(i = 0): number | null {
    const c = this.report?.inputs[i]?.shape?.[1];
    return typeof c === 'number' ? c : null;
  }

  /** Refuses the node: BVLC Caffe 1.0 cannot express `feature` and no exact rewrite exists. */
  refuse(feature: string, hint?: string): null {
    this.failed = true;
    this.diagnostics.error('convert/unsupported', `${this.label} (${this.node.op}): Caffe cannot express ${feature}`, this.node.span, { hint });
    return null;
  }

  rewrote(what: string): void {
    this.diagnostics.note('convert/rewritten', `${this.label} (${this.node.op}): ${what}`, this.node.span);
  }

  /** The output needs BVLC Caffe master (after 1.0); earlier builds reject the field. */
  needsMaster(what: string): void {
    this.diagnostics.note('convert/caffe-master', `${this.label} (${this.node.op}): ${what} needs BVLC Caffe master (after the 1.0 release)`, this.node.span);
  }

  warn(code: string, message: string): void {
    this.diagnostics.warning(code, `${this.label} (${this.node.op}): ${message}`, this.node.span);
  }

  /** A layer or blob name no node uses yet. */
  fresh(base: string): string {
    let name = base;
    for (let i = 2; this.taken.has(name); i++) name = `${base}_${i}`;
    this.taken.add(name);
    return name;
  }

  /** The layer's common fields, in place of the node's connections when given. */
  layer(type: string, fields: ProtoObject = {}, connections?: { bottom: string[]; top: string[]; name?: string }): ProtoObject {
    return {
      name: connections?.name ?? this.node.name,
      type,
      bottom: connections ? connections.bottom : this.node.inputs,
      top: connections ? connections.top : this.node.outputs,
      ...fields,
    };
  }

  /** `param { }` blocks for these blobs, leaving out trailing ones that say nothing. */
  paramSpecs(blobs: readonly ParamBlob[]): ProtoObject[] | undefined {
    const says = (b: ParamBlob) => b.lr_mult !== 1 || b.decay_mult !== 1 || b.share !== undefined;
    let count = blobs.length;
    while (count > 0 && !says(blobs[count - 1]!)) count--;
    // A block before one that says something must stay (blocks are matched by position); as
    // Caffe's own nets do, each written block spells out both multipliers.
    const specs = blobs.slice(0, count).map((b): ProtoObject => ({
      [RAW]: true,
      name: b.share?.name,
      share_mode: b.share && b.share.mode === 'permissive' ? 'PERMISSIVE' : undefined,
      lr_mult: b.lr_mult,
      decay_mult: b.decay_mult,
    }));
    return specs.length ? specs : undefined;
  }

  blob(name: string): ParamBlob | undefined {
    return this.node.params.find((p) => p.name === name);
  }

  /** Shapes of the node's parameter blobs by name, when the input shapes are known. */
  private paramShape(name: string): KnownShape {
    // A symbolic batch does not matter: parameter shapes only need the dimensions they use.
    const inputs = this.node.inputs.map((_, i) => this.report?.inputs[i]?.shape ?? null);
    if (inputs.some((s) => s === null)) return null;
    try {
      const def = opDefinition(this.node.op);
      const names = def.params(this.node.attrs, inputs.length);
      const shapes = def.paramShapes(this.node.attrs, inputs as Shape[]);
      return known(shapes[names.indexOf(name)]);
    } catch {
      return null;
    }
  }

  /**
   * The Caffe filler for blob `name` (undefined: the reader's fallback applies, or the blob is
   * absent); null after a refusal.
   */
  filler(name: string, fallback: Filler): ProtoObject | undefined | null {
    const blob = this.blob(name);
    if (!blob) return undefined;
    const r = caffeFiller(blob.init, fallback, { self: this.paramShape(name), weight: this.paramShape('weight') });
    if (!r.ok) return this.refuse(`${r.why} of its ${name}`);
    if (r.rewritten) this.rewrote(`the ${name} initialisation, ${r.rewritten} for the analysed shape`);
    return r.filler;
  }
}
