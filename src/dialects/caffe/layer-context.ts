/**
 * What a Caffe layer binder gets: the decoded (V2-form) LayerParameter and helpers that turn
 * Caffe's parameter conventions into the IR's: per-blob ParamSpecs, fillers, sub-messages
 * with their proto defaults.
 */
import type { DiagnosticBag } from '../../diagnostics/diagnostic.js';
import type { Span } from '../../language/syntax-tree.js';
import { NODE, ProtoDecoder, spanOf, type DecodedMeta } from '../../schema/decode-proto.js';
import type { Decoded, MessageSpec } from '../../schema/proto-schema.js';
import type { Filler } from '../../ir/filler.js';
import type { ParamBlob } from '../../ir/graph.js';
import type { LayerParameter } from './caffe-proto.js';

export type CaffeLayer = Decoded<typeof LayerParameter>;
export type DecodedMessage<M extends MessageSpec> = Decoded<M>;

const DEFAULTS = new WeakMap<MessageSpec, unknown>();

export class LayerContext {
  constructor(
    readonly layer: CaffeLayer,
    readonly diagnostics: DiagnosticBag,
    readonly decoder: ProtoDecoder,
  ) {}

  get span(): Span {
    return this.layer[NODE];
  }

  /** Where to point at the layer as a whole: its name if written, else its opening. */
  get nameSpan(): Span {
    return spanOf(this.layer, 'name');
  }

  get label(): string {
    return this.layer.name ? `layer '${this.layer.name}'` : `this ${this.layer.type ?? ''} layer`;
  }

  /**
   * A `*_param` sub-message, or its defaults when the layer does not write it (one shared,
   * frozen instance per message type: most ReLU layers have no relu_param).
   */
  message<M extends MessageSpec>(value: DecodedMessage<M> | undefined, spec: M): DecodedMessage<M> {
    if (value) return value;
    let defaults = DEFAULTS.get(spec) as DecodedMessage<M> | undefined;
    if (!defaults) {
      defaults = Object.freeze(this.decoder.decode(spec, { kind: 'message', fields: [], start: 0, end: 0 })) as DecodedMessage<M>;
      DEFAULTS.set(spec, defaults);
    }
    return defaults;
  }

  /** Span of a field in `msg` if written there, else of the layer's name. */
  at(msg: DecodedMeta, field: string, index = 0): Span {
    return msg[NODE].fields.some((f) => f.name === field) ? spanOf(msg, field, index) : this.nameSpan;
  }


  error(code: string, message: string, span: Span = this.nameSpan, hint?: string): void {
    // A field that failed to decode (already reported) is not reported missing as well.
    if (code === 'caffe/missing-field' && this.hasErrorWithin(this.layer[NODE])) return;
    this.diagnostics.error(code, message, span, { hint });
  }

  private hasErrorWithin(range: Span): boolean {
    const items = this.diagnostics.items;
    for (let i = items.length - 1; i >= 0; i--) {
      const d = items[i]!;
      if (d.span.start < range.start) break;
      if (d.severity === 'error' && d.span.end <= range.end) return true;
    }
    return false;
  }

  warning(code: string, message: string, span: Span = this.nameSpan, hint?: string): void {
    this.diagnostics.warning(code, message, span, { hint });
  }

  /**
   * The layer's parameter blobs: `names[i]` gets `fillers[i]` and the i-th `param { }`
   * (lr_mult and decay_mult default to 1). Extra `param { }` blocks are an error in Caffe.
   */
  blobs(names: string[], fillers: Filler[], trainable: boolean[] = names.map(() => true), caffeBlobCount = names.length): ParamBlob[] {
    const specs = this.layer.param;
    if (specs.length > caffeBlobCount) {
      this.error(
        'caffe/too-many-params',
        `${this.label} has ${caffeBlobCount} learnable blob${caffeBlobCount === 1 ? '' : 's'} but ${specs.length} param { } blocks (Caffe stops: "Too many params specified for layer")`,
        spanOf(this.layer, 'param', caffeBlobCount),
      );
    }
    return names.map((name, i) => {
      const spec = specs[i];
      const blob: ParamBlob = {
        name,
        init: fillers[i]!,
        lr_mult: spec ? spec.lr_mult : 1,
        decay_mult: spec ? spec.decay_mult : 1,
        trainable: trainable[i]!,
      };
      if (spec?.name) blob.share = { name: spec.name, mode: spec.share_mode === 'PERMISSIVE' ? 'permissive' : 'strict' };
      return blob;
    });
  }
}
