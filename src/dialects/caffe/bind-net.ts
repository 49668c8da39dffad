/**
 * Caffe NetParameter → IR, one top-level field at a time.
 *
 * Layers arrive as the parser reads them and leave as IR nodes at once, so a net of a hundred
 * thousand layers is never held as text, tree and IR together. The legacy formats are
 * upgraded on the way in (V1 per layer; V0 as a whole, since its padding layers fold into
 * the layers after them), and the include/exclude rules pick the phase's layers.
 */
import { DiagnosticBag } from '../../diagnostics/diagnostic.js';
import type { SourceFile } from '../../language/source.js';
import { didYouMean } from '../../diagnostics/did-you-mean.js';
import type { Field, Message, Span } from '../../language/syntax-tree.js';
import { createNode, type Node, type SourceFormat } from '../../ir/graph.js';
import type { NodeOrigin } from '../../passes/graph-check.js';
import { nameSpan, NODE, ProtoDecoder, rawJson, spanOf, UNKNOWN, writtenFields } from '../../schema/decode-proto.js';
import type { Decoded } from '../../schema/proto-schema.js';
import * as P from './caffe-proto.js';
import { LayerContext, type CaffeLayer } from './layer-context.js';
import { CAFFE_LAYERS, LOSS_TYPES, PARAMS_READ, type Bound } from './layers.js';
import { layerIncluded, type NetStateValue } from './net-state.js';
import { LegacyReader } from './upgrade.js';
import type { LayerSource } from './stream.js';
import { NameTable } from '../../ir/name-table.js';
import { sameBody, type LayerShape, type Units } from '../../schema/fast-decode.js';

export interface CaffeNetOptions {
  /** TRAIN or TEST; Caffe's NetState defaults to TEST. */
  phase?: 'TRAIN' | 'TEST';
  stages?: string[];
  level?: number;
  /** Name storage to share with the graph checker (one copy of every name). */
  names?: NameTable;
}

type BodyFields = Pick<CaffeLayer, 'loss_weight' | 'propagate_down' | 'include' | 'exclude' | 'param'>;

/** A layer known by its name, connections and an earlier layer's identical body (built field by field: one shape for all). */
class ShellLayer {
  readonly name: string | undefined;
  readonly type: string | undefined;
  readonly bottom: string[];
  readonly top: string[];
  readonly loss_weight: number[];
  readonly propagate_down: boolean[];
  readonly include: CaffeLayer['include'];
  readonly exclude: CaffeLayer['exclude'];
  readonly param: CaffeLayer['param'];
  readonly [NODE]: Message;

  constructor(shape: LayerShape, body: BodyFields, node: Message) {
    this.name = shape.name;
    this.type = shape.type;
    this.bottom = shape.bottom;
    this.top = shape.top;
    this.loss_weight = body.loss_weight;
    this.propagate_down = body.propagate_down;
    this.include = body.include;
    this.exclude = body.exclude;
    this.param = body.param;
    this[NODE] = node;
  }
}

interface BodyEntry {
  shape: LayerShape;
  result: Evaluation;
  fields: BodyFields;
}

interface Evaluation {
  bound: Bound | null;
  included: boolean;
}

/** Distinct layer bodies remembered; past this, layers are bound one by one. */
const BODY_MEMO_LIMIT = 4096;

/** A diagnostic bag that only notes that something was reported. */
class ProbeBag extends DiagnosticBag {
  flagged = false;
  constructor(source: SourceFile) {
    super(source, 1);
  }
  override add(): void {
    this.flagged = true;
  }
  reset(): void {
    this.flagged = false;
  }
}

/** Where a layer's bottoms and tops were written, computed only when a diagnostic needs it. */
class LayerOrigin implements NodeOrigin {
  constructor(private readonly layer: CaffeLayer) {}
  inputSpan(i: number): Span {
    return spanOf(this.layer, 'bottom', i);
  }
  outputSpan(i: number): Span {
    return spanOf(this.layer, 'top', i);
  }
}

/** LayerParameter fields every layer has; the rest are type-specific (`*_param`). */
const COMMON_FIELDS = new Set(['name', 'type', 'bottom', 'top', 'phase', 'loss_weight', 'param', 'blobs', 'propagate_down', 'include', 'exclude']);
const LAYER_FIELDS = Object.keys(P.LayerParameter.fields);
const KNOWN_TYPES = [...CAFFE_LAYERS.keys(), 'Python'];

export interface CaffeNetResult {
  name: string;
  format: SourceFormat;
  phase: 'train' | 'test';
  /** Blob names the legacy input fields declare (they may appear after the layers using them). */
  inputs: Set<string>;
  /** Stages named by include rules, per phase ('ANY' for rules without a phase); empty when no layer has rules. */
  ruleStages: Map<'TRAIN' | 'TEST' | 'ANY', Set<string>>;
  hasRules: boolean;
}

export class CaffeNetBinder {
  private name = '';
  private format: SourceFormat = 'caffe-v2';
  private readonly state: NetStateValue;
  private readonly explicitPhase: boolean;
  private readonly names: NameTable;
  /** Per name id: 1 when a layer has that name. */
  private layerNames = new Uint8Array(1024);
  private readonly legacy: LegacyReader;
  private layerCount = 0;
  private sawV2: Field | undefined;
  private sawV1: Field | undefined;
  private mixReported = false;
  private v0Layers: { layer: CaffeLayer; span: Span }[] | null = null;
  private readonly inputNames: { name: string; span: Span }[] = [];
  private readonly inputDims: { value: number; span: Span }[] = [];
  private readonly inputShapes: { dims: number[]; span: Span }[] = [];
  private inputsEmitted = 0;
  private readonly seenScalars = new Set<string>();
  private readonly ruleStages = new Map<'TRAIN' | 'TEST' | 'ANY', Set<string>>();
  /** Per layer type: the LayerParameter fields it reads. */
  private readonly allowedFields = new Map<string, Set<string>>();
  /** Bindings of clean layers by the text of everything but their name and connections. */
  private readonly bodies = new Map<number, BodyEntry[]>();
  private bodyCount = 0;
  /** Catches whether binding a fast-decoded layer had anything to say. */
  private readonly probe: ProbeBag;
  private hasRules = false;

  constructor(
    private readonly diagnostics: DiagnosticBag,
    private readonly decoder: ProtoDecoder,
    options: CaffeNetOptions,
    private readonly sink: (node: Node, origin?: NodeOrigin) => void,
  ) {
    this.explicitPhase = options.phase !== undefined;
    this.names = options.names ?? new NameTable();
    this.state = { phase: options.phase ?? 'TEST', level: options.level ?? 0, stages: options.stages ?? [] };
    this.legacy = new LegacyReader(decoder, diagnostics);
    this.probe = new ProbeBag(diagnostics.source);
  }

  field(f: Field): void {
    switch (f.name) {
      case 'layer':
        return this.layerField(f);
      case 'layers':
        return this.layersField(f);
      case 'input':
      case 'input_dim':
      case 'input_shape':
        return this.legacyInput(f);
      default:
        return this.otherField(f);
    }
  }

  private otherField(f: Field): void {
    const spec = P.NetParameter.fields[f.name as keyof typeof P.NetParameter.fields];
    if (spec && !spec.repeated) {
      if (this.seenScalars.has(f.name)) {
        this.diagnostics.error('proto/duplicate-field', `'${f.name}' is not a repeated field but is given more than once (protoc rejects this)`, nameSpan(f));
        return;
      }
      this.seenScalars.add(f.name);
    }
    const value = this.decodeField(f);
    if (f.name === 'name' && typeof value === 'string') this.name = value;
    if (f.name === 'state' && value && typeof value === 'object') {
      const s = value as Decoded<typeof P.NetState>;
      if (this.layerCount > 0) {
        this.diagnostics.warning('caffe/late-state', 'the net state comes after layers; nnspec reads it only before the first layer (give --phase/--stage instead)', f);
        return;
      }
      if (!this.explicitPhase) this.state.phase = s.phase;
      this.state.level = s.level;
      this.state.stages.push(...s.stage);
    }
  }

  /** Decodes one NetParameter field as protoc would (unknown names warn with a suggestion). */
  private decodeField(f: Field): unknown {
    const msg: Message = { kind: 'message', fields: [f], start: f.start, end: f.end };
    return (this.decoder.decode(P.NetParameter, msg) as unknown as Record<string, unknown>)[f.name];
  }

  private legacyInput(f: Field): void {
    const value = this.decodeField(f);
    const items = f.value.kind === 'list' ? f.value.items : [f.value];
    const values = (value as unknown[]) ?? [];
    values.forEach((v, i) => {
      const span = items[i] ?? f;
      if (f.name === 'input') this.inputNames.push({ name: v as string, span });
      else if (f.name === 'input_dim') this.inputDims.push({ value: v as number, span });
      else this.inputShapes.push({ dims: (v as Decoded<typeof P.BlobShape>).dim, span });
    });
    if (this.layerCount > 0 && f.name === 'input') {
      this.diagnostics.note('caffe/late-input', 'this input is declared after layers; Caffe moves inputs before all layers', f);
    }
  }

  private layerField(f: Field): void {
    if (f.value.kind !== 'message') {
      this.typeMismatch(f);
      return;
    }
    this.sawV2 ??= f;
    this.checkMix();
    const layer = this.decoder.decode(P.LayerParameter, f.value, { keepUnknown: true });
    this.layer(layer, f);
  }

  private layersField(f: Field): void {
    if (f.value.kind !== 'message') {
      this.typeMismatch(f);
      return;
    }
    this.sawV1 ??= f;
    this.checkMix();
    const inner = f.value.fields.find((x) => x.name === 'layer');
    if (inner) {
      this.format = 'caffe-v0';
      if (inner.value.kind !== 'message') {
        this.typeMismatch(inner);
        return;
      }
      (this.v0Layers ??= []).push({ layer: this.legacy.v0(f.value, inner.value), span: f });
      return;
    }
    if (this.format === 'caffe-v2') this.format = 'caffe-v1';
    this.layer(this.legacy.v1(f.value).layer, f);
  }

  private typeMismatch(f: Field): void {
    if (f.value.kind === 'missing') return;
    this.diagnostics.error('proto/type-mismatch', `'${f.name}' expects a message { … }`, f.value);
  }

  private checkMix(): void {
    if (this.sawV1 && this.sawV2 && !this.mixReported) {
      this.mixReported = true;
      const later = this.sawV1.start > this.sawV2.start ? this.sawV1 : this.sawV2;
      this.diagnostics.error('caffe/mixed-formats', "this net mixes V2 'layer' entries with V1 'layers' entries; Caffe refuses to upgrade such a file", nameSpan(later));
    }
  }

  /**
   * Emits an Input node for the legacy input fields not yet emitted (Caffe's UpgradeNetInput):
   * before the first layer normally, at the end for inputs declared after the layers.
   */
  private emitInputs(): void {
    const n = this.inputNames.length;
    if (n === this.inputsEmitted) return;
    const from = this.inputsEmitted;
    this.inputsEmitted = n;
    const shapes = this.legacyShapes();
    const names = this.inputNames.slice(from);
    const first = names[0]!.span;
    const node: Node = {
      op: 'input',
      name: this.uniqueName('input', first),
      inputs: [],
      outputs: names.map((i) => i.name),
      attrs: { shapes: shapes.slice(from), preprocess: null },
      params: [],
      span: { start: first.start, end: names[names.length - 1]!.span.end },
    };
    this.sink(node, { inputSpan: () => first, outputSpan: (i) => names[i]?.span ?? first });
  }

  private legacyShapes(): number[][] {
    const n = this.inputNames.length;
    const none = this.inputNames.map((): number[] => []);
    if (this.inputShapes.length > 0) {
      if (this.inputDims.length > 0) this.diagnostics.error('caffe/input-shape', 'give the inputs either input_shape or input_dim, not both', this.inputDims[0]!.span);
      if (this.inputShapes.length !== n) {
        this.diagnostics.error('caffe/input-shape', `${n} input${n === 1 ? '' : 's'} but ${this.inputShapes.length} input_shape entries (one per input)`, this.inputShapes[0]!.span);
        return none;
      }
      return this.inputShapes.map((s) => s.dims);
    }
    if (this.inputDims.length > 0) {
      if (this.inputDims.length !== 4 * n) {
        this.diagnostics.error('caffe/input-shape', `${n} input${n === 1 ? '' : 's'} need ${4 * n} input_dim values (N, C, H, W each), got ${this.inputDims.length}`, this.inputDims[0]!.span);
        return none;
      }
      return this.inputNames.map((_, i) => this.inputDims.slice(4 * i, 4 * i + 4).map((d) => d.value));
    }
    this.diagnostics.warning('caffe/input-without-shape', `the inputs declare no shape; later passes cannot size the network (give them with --input-shape ${this.inputNames[0]!.name}=N,C,H,W)`, this.inputNames[0]!.span);
    return none;
  }

  private uniqueName(name: string, where: Span | CaffeLayer): string {
    if (this.claim(name)) return name;
    const span = 'start' in where ? (where as Span) : new LayerContext(where as CaffeLayer, this.diagnostics, this.decoder).nameSpan;
    let i = 2;
    while (!this.claim(`${name}_${i}`)) i++;
    const unique = `${name}_${i}`;
    this.diagnostics.warning('caffe/duplicate-layer-name', `another layer is already named '${name}'; this one is called '${unique}' in the IR`, span);
    return unique;
  }

  /** Takes `name` for a layer; false when a layer already has it. */
  private claim(name: string): boolean {
    const id = this.names.add(name);
    if (id >= this.layerNames.length) {
      const grown = new Uint8Array(Math.max(this.layerNames.length * 2, id + 1));
      grown.set(this.layerNames);
      this.layerNames = grown;
    }
    if (this.layerNames[id] === 1) return false;
    this.layerNames[id] = 1;
    return true;
  }

  private layer(layer: CaffeLayer, field: Span): void {
    if (this.v0Layers) {
      // A V1 entry after V0 ones: keep the order, upgrade together at the end.
      this.v0Layers.push({ layer, span: field });
      return;
    }
    this.bindLayer(layer, field);
  }

  private bindLayer(layer: CaffeLayer, span: Span): void {
    this.commit(layer, span, this.evaluate(layer, this.diagnostics));
  }

  /**
   * A `layer { }` entry straight from the text, the fast way. Layers that differ from an
   * earlier one only by name and connections reuse its binding (nets of thousands of
   * identical blocks are the norm). Others are decoded without a syntax tree and bound on
   * trust; if binding has anything to report, the layer is read and bound again the careful
   * way, so every diagnostic comes from the one path that locates problems exactly.
   */
  layerFromText(source: LayerSource): boolean {
    const span = source.span;
    if (this.v0Layers || this.sawV1) {
      const layer = source.reread();
      if (!layer) return false;
      this.noteV2(span);
      this.layer(layer, span);
      return true;
    }
    const shape = source.shape;
    const known = shape && this.knownBody(shape, source.units);
    if (shape && known) {
      this.noteV2(span);
      this.commit(new ShellLayer(shape, known.fields, source.node) as unknown as CaffeLayer, span, known.result);
      return true;
    }
    const layer = source.decode();
    if (layer) {
      const probe = this.probe;
      probe.reset();
      const result = this.evaluate(layer, probe);
      if (!probe.flagged) {
        if (shape && layer.include.length === 0 && layer.exclude.length === 0 && this.bodyCount < BODY_MEMO_LIMIT) {
          const entry = { shape, result, fields: { loss_weight: layer.loss_weight, propagate_down: layer.propagate_down, include: layer.include, exclude: layer.exclude, param: layer.param } };
          const bucket = this.bodies.get(shape.hash);
          if (bucket) bucket.push(entry);
          else this.bodies.set(shape.hash, [entry]);
          this.bodyCount++;
        }
        this.noteV2(span);
        this.commit(layer, span, result);
        return true;
      }
    }
    // A syntax error (the skim only matches braces): the caller's parser reports it.
    const careful = source.reread();
    if (!careful) return false;
    this.noteV2(span);
    this.commit(careful, span, this.evaluate(careful, this.diagnostics));
    return true;
  }

  /** An earlier layer with the same body text, if any. */
  private knownBody(shape: LayerShape, units: Units): BodyEntry | undefined {
    const bucket = this.bodies.get(shape.hash);
    if (!bucket) return undefined;
    for (const entry of bucket) if (sameBody(units, entry.shape, shape)) return entry;
    return undefined;
  }

  private noteV2(span: Span): void {
    this.sawV2 ??= { name: 'layer', colon: false, value: { kind: 'missing', start: span.start, end: span.start }, start: span.start, end: span.end };
    this.checkMix();
  }

  /** Everything about a layer that can be said without changing the net: its IR operation and its problems. */
  private evaluate(layer: CaffeLayer, diagnostics: DiagnosticBag): Evaluation {
    const ctx = new LayerContext(layer, diagnostics, this.decoder);
    let included = true;
    if (layer.include.length > 0 || layer.exclude.length > 0) {
      this.noteRules(ctx);
      included = layerIncluded(this.state, layer.include, layer.exclude);
    }
    const type = layer.type;
    const binder = type === undefined ? undefined : CAFFE_LAYERS.get(type);
    let bound: Bound | null = null;
    if (binder) {
      this.reportStrayFields(ctx, type!);
      bound = binder(ctx);
    } else if (type === undefined) {
      ctx.error('caffe/missing-type', `${ctx.label} has no type`);
    } else if (type === 'Python') {
      const p = layer.python_param;
      const what = p?.module ? ` (${p.module}.${p.layer ?? '?'})` : '';
      ctx.warning('caffe/python-layer', `${ctx.label} is a Python layer${what}: it runs code nnspec cannot see, so it is kept opaque and later passes stop at its outputs`, spanOf(layer, 'type'));
    } else if (type !== '' && type !== 'padding' && !this.legacy.reportedType.has(layer)) {
      ctx.warning('caffe/unknown-layer-type', `'${type}' is not a BVLC Caffe layer type; ${ctx.label} is kept as an opaque node and later passes cannot see through it`, spanOf(layer, 'type'), didYouMean(type, KNOWN_TYPES));
    }
    if (included) {
      if (layer.propagate_down.length > 0 && layer.propagate_down.length !== layer.bottom.length) {
        ctx.error('caffe/propagate-down', `propagate_down needs one value per bottom (${layer.bottom.length}), got ${layer.propagate_down.length}`, spanOf(layer, 'propagate_down'));
      }
      if (layer.loss_weight.length > layer.top.length) {
        ctx.error('caffe/loss-weight', `loss_weight needs at most one value per top (${layer.top.length}), got ${layer.loss_weight.length}`, spanOf(layer, 'loss_weight'));
      }
    }
    return { bound, included };
  }

  /** Names the layer and hands its node to the passes. */
  private commit(layer: CaffeLayer, span: Span, { bound, included }: Evaluation): void {
    const index = this.layerCount++;
    if (index === 0) this.emitInputs();
    if (!included) return;
    const type = layer.type;
    const name = this.uniqueName(layer.name ?? `${(type ?? 'layer').toLowerCase()}${index}`, layer);
    const isLoss = type !== undefined && LOSS_TYPES.has(type);
    // Loss layers may omit their top: Net::Init then appends an anonymous one (AutoTopBlobs).
    const outputs = isLoss && layer.top.length === 0 ? [name] : layer.top;
    const node: Node = bound
      ? (createNode(bound.op, name, layer.bottom, outputs, bound.attrs as never, bound.params, span) as Node)
      : createNode('opaque', name, layer.bottom, outputs, { framework: 'caffe', type: type ?? '', params: this.opaqueParams(layer) }, [], span);
    if (layer.loss_weight.length > 0 || isLoss) {
      const weights = layer.loss_weight.length > 0 ? layer.loss_weight : [1];
      if (weights.some((w) => w !== 0)) node.loss_weight = outputs.map((_, i) => weights[i] ?? 0);
    }
    if (layer.propagate_down.length > 0) node.propagate_down = layer.propagate_down;
    this.sink(node, new LayerOrigin(layer));
  }

  /** Include rules tell which net states the file is meant for (see checkFile). */
  private noteRules(ctx: LayerContext): void {
    const layer = ctx.layer;
    this.hasRules = true;
    if (layer.include.length > 0 && layer.exclude.length > 0) {
      ctx.error('caffe/include-and-exclude', `${ctx.label} has both include and exclude rules; Caffe allows one kind only`, spanOf(layer, 'exclude'));
    }
    for (const rule of layer.include) {
      const key = rule.phase ?? 'ANY';
      let set = this.ruleStages.get(key);
      if (!set) this.ruleStages.set(key, (set = new Set()));
      for (const stage of rule.stage) set.add(stage);
    }
  }

  /** Unknown fields and `*_param` messages the layer type never reads. */
  private reportStrayFields(ctx: LayerContext, type: string): void {
    const layer = ctx.layer;
    const unknown = layer[UNKNOWN];
    if (unknown) {
      for (const f of unknown) ctx.warning('proto/unknown-field', `LayerParameter has no field '${f.name}'; it is ignored`, nameSpan(f), didYouMean(f.name, LAYER_FIELDS));
    }
    let allowed = this.allowedFields.get(type);
    if (!allowed) this.allowedFields.set(type, (allowed = new Set([...COMMON_FIELDS, ...(PARAMS_READ[type] ?? [])])));
    for (const name of writtenFields(layer)) {
      if (allowed.has(name)) continue;
      const f = layer[NODE].fields.find((x) => x.name === name);
      ctx.warning('caffe/ignored-param', `a ${type} layer does not read ${name}; Caffe ignores it`, f ? nameSpan(f) : ctx.nameSpan);
    }
  }

  private opaqueParams(layer: CaffeLayer): Record<string, unknown> {
    const message: Message = { ...layer[NODE], fields: layer[NODE].fields.filter((f) => !COMMON_FIELDS.has(f.name)) };
    return rawJson(message) as Record<string, unknown>;
  }

  finish(): CaffeNetResult {
    if (this.v0Layers) {
      const inputs = new Set(this.inputNames.map((i) => i.name));
      const spans = new Map(this.v0Layers.map((l) => [l.layer, l.span]));
      for (const layer of this.legacy.foldPadding(this.v0Layers.map((l) => l.layer), inputs)) this.bindLayer(layer, spans.get(layer)!);
      this.v0Layers = null;
    }
    if (this.inputNames.length > 0) this.emitInputs();
    else if (this.inputDims.length > 0 || this.inputShapes.length > 0) {
      this.diagnostics.error('caffe/input-shape', 'input dimensions are given but no input: names the blob', (this.inputDims[0] ?? this.inputShapes[0])!.span);
    }
    return {
      name: this.name,
      format: this.format,
      phase: this.state.phase === 'TRAIN' ? 'train' : 'test',
      inputs: new Set(this.inputNames.map((i) => i.name)),
      ruleStages: this.ruleStages,
      hasRules: this.hasRules,
    };
  }
}
