/**
 * Reading a Caffe file top-level field by top-level field, the fast way where possible:
 * `layer { … }` entries go straight from the file's code units to decoded LayerParameters (no
 * syntax tree, and no JavaScript string of the whole file), every other field through the
 * parser, and from the first syntax error on, the chevrotain grammar recovers and reports.
 */
import type { DiagnosticBag } from '../../diagnostics/diagnostic.js';
import { LazyMessage, parseFieldAt } from '../../language/fast-parser.js';
import type { Comment, Field, Message, Span, Value } from '../../language/syntax-tree.js';
import type { ProtoDecoder } from '../../schema/decode-proto.js';
import { FastDecoder, LayerSkimmer, type LayerShape, type Units } from '../../schema/fast-decode.js';
import { LayerParameter } from './caffe-proto.js';
import type { CaffeLayer } from './layer-context.js';

/** A `layer { }` entry found in the text, offered before any syntax tree is built. */
export interface LayerSource {
  span: Span;
  /** Its name, connections and the text of everything else (null when not plain enough to skim). */
  shape: LayerShape | null;
  /** A syntax node for the layer whose fields are parsed only if asked for. */
  node: LazyMessage;
  /** The code units of the file (to compare layer bodies). */
  units: Units;
  /** Decodes it straight from the text; null when it needs the careful path. */
  decode(): CaffeLayer | null;
  /** Parses and decodes it the careful way, with diagnostics; null when it does not parse. */
  reread(): CaffeLayer | null;
}

export interface CaffeStreamTarget {
  field(f: Field): void;
  /** A `layer { }` entry; false: read it as an ordinary field instead. */
  layer(source: LayerSource): boolean;
}

export async function streamCaffe(
  units: Units,
  text: () => string,
  diagnostics: DiagnosticBag,
  decoder: ProtoDecoder,
  target: CaffeStreamTarget,
  onRecovery: (offset: number) => void,
): Promise<void> {
  const fast = new FastDecoder(units, text);
  const skimmer = new LayerSkimmer(units, text);
  let pos = 0;
  for (;;) {
    fast.pos = pos;
    const c = fast.skip();
    if (c === -1) return;
    const start = fast.pos;
    if (c === 108 /* l */ && fast.wordAt(start, 'layer')) {
      fast.pos = start + 5;
      let open = fast.skip();
      if (open === 58 /* : */) {
        fast.pos++;
        open = fast.skip();
      }
      if (open === 123) {
        const source = new TextLayer(text, units, start, fast.pos, skimmer, fast, decoder);
        if (source.span.end >= 0 && target.layer(source)) {
          pos = skipSeparator(fast, source.span.end);
          continue;
        }
      }
    }
    const one = fieldAt(fast, text, start);
    if (!one) {
      onRecovery(start);
      const { recover } = await import('../../language/recover.js');
      const comments: Comment[] = [];
      recover(text(), start, (f) => target.field(f), diagnostics, comments);
      return;
    }
    target.field(one.field);
    pos = skipSeparator(fast, one.end);
  }
}

/**
 * One top-level field, parsed from a string of just its own text when the scanner can find
 * where it ends (so a large file is never turned into one string), else from the whole text.
 */
function fieldAt(scanner: FastDecoder, text: () => string, start: number): { field: Field; end: number } | null {
  scanner.pos = start;
  scanner.identifier();
  const next = scanner.skip();
  if (next !== -1 && scanner.skipValue(next)) {
    const end = scanner.pos;
    const one = parseFieldAt(scanner.slice(start, end), 0);
    if (one && one.end === end - start) {
      shift(one.field, start);
      return { field: one.field, end };
    }
  }
  return parseFieldAt(text(), start);
}

function shift(node: Field | Value, by: number): void {
  node.start += by;
  node.end += by;
  if ('value' in node && 'colon' in node) return shift(node.value, by);
  switch (node.kind) {
    case 'message':
      for (const f of node.fields) shift(f, by);
      break;
    case 'list':
      for (const i of node.items) shift(i, by);
      break;
    case 'binary':
      shift(node.left, by);
      shift(node.right, by);
      break;
    case 'negate':
      shift(node.operand, by);
      break;
    default:
  }
}

class TextLayer implements LayerSource {
  readonly span: Span;
  readonly shape: LayerShape | null;
  private decoded: CaffeLayer | null | undefined;
  private lazyNode: LazyMessage | undefined;

  constructor(
    private readonly text: () => string,
    readonly units: Units,
    start: number,
    private readonly open: number,
    skimmer: LayerSkimmer,
    private readonly fast: FastDecoder,
    private readonly decoder: ProtoDecoder,
  ) {
    this.shape = skimmer.layerShape(open);
    this.span = { start, end: this.shape?.end ?? -1 };
    // Without a skim, the layer must be decoded before its end is known.
    if (!this.shape) this.decode();
  }

  get node(): LazyMessage {
    this.lazyNode ??= new LazyMessage(this.text, this.open);
    return this.lazyNode;
  }

  decode(): CaffeLayer | null {
    if (this.decoded === undefined) {
      this.decoded = this.fast.decodeAt(LayerParameter, this.open);
      if (this.decoded) this.span.end = this.fast.pos;
    }
    return this.decoded;
  }

  reread(): CaffeLayer | null {
    const again = parseFieldAt(this.text(), this.span.start);
    if (!again || again.field.value.kind !== 'message') return null;
    this.span.end = again.end;
    return this.decoder.decode(LayerParameter, again.field.value as Message, { keepUnknown: true });
  }
}

function skipSeparator(fast: FastDecoder, at: number): number {
  fast.pos = at;
  const c = fast.skip();
  return c === 44 || c === 59 ? fast.pos + 1 : fast.pos;
}
