/**
 * The nnspec dialect: a document's top-level sections (`nnspec`, `name`, `input`, `defaults`,
 * `block`, `train`, `search`) and its layer entries, bound to the IR.
 */
import type { DiagnosticBag } from '../../diagnostics/diagnostic.js';
import { createNode } from '../../ir/graph.js';
import type { Node } from '../../ir/graph.js';
import type { SearchConfig } from '../../ir/search.js';
import type { TrainConfig } from '../../ir/train.js';
import type { Document, Field, Message, Span } from '../../language/syntax-tree.js';
import type { NodeOrigin } from '../../passes/graph-check.js';
import { EMPTY_ENV } from './evaluate.js';
import { Expander, type BlockArg, type BlockDef } from './expand.js';
import { maybe, opt, readMessage, req, t, type ReadContext } from './fields.js';
import { LAYER_TYPE_MAP } from './layers.js';
import { bindSearch, type BoundSearch } from './search.js';
import { bindTrain } from './train.js';

export const LANGUAGE_VERSION = 1;

export interface NnspecResult {
  name: string | null;
  train: TrainConfig | null;
  search: SearchConfig | null;
}

/** Top-level sections of an nnspec file; every other top-level entry is a layer, block or seq. */
export const SECTION_NAMES = ['nnspec', 'name', 'input', 'defaults', 'block', 'train', 'search'] as const;
const SECTIONS: ReadonlySet<string> = new Set(SECTION_NAMES);

function nameSpan(f: Field): Span {
  return { start: f.start, end: f.start + f.name.length };
}

function message(f: Field, diagnostics: DiagnosticBag): Message | undefined {
  if (f.value.kind === 'message') return f.value;
  if (f.value.kind !== 'missing') diagnostics.error('nnspec/type-mismatch', `'${f.name}' expects a block { … }`, f.value);
  return undefined;
}

function inputNode(f: Field, msg: Message, ctx: ReadContext): Node | null {
  const r = readMessage(
    msg,
    {
      name: opt(t.name, 'data', 'the blob name'),
      shape: req(t.list(t.dim, { minItems: 1 }), 'dimensions, e.g. [N, 3, 224, 224] (a name such as N is a symbolic size)'),
      mean: maybe(t.list(t.num()), 'per-channel mean (in raw input units), subtracted first'),
      std: maybe(t.list(t.num(0, Infinity, { exclusiveMin: true })), 'per-channel standard deviation, divided by last'),
      scale: opt(t.num(), 1, 'multiplies after the mean is subtracted: y = (x − mean) · scale / std'),
      mean_file: maybe(t.string, 'a mean image subtracted instead of mean'),
      pixel_max: maybe(t.num(0, Infinity, { exclusiveMin: true }), "a full-intensity pixel's value as the input receives it: 255 (8-bit, as Caffe reads images) or 1 (divided by 255 first, as torchvision's ToTensor does); default: 1 when the mean and std are within [0, 1], else 255"),
    },
    ctx,
    'input',
    { at: nameSpan(f) },
  );
  if (!r.ok) return null;
  const v = r.values;
  if (v.mean && v.mean_file) {
    ctx.diagnostics.error('nnspec/conflicting-fields', 'give either mean or mean_file, not both', r.spans.mean_file!);
    return null;
  }
  const preprocess =
    v.mean || v.std || v.mean_file || v.scale !== 1 || v.pixel_max !== undefined
      ? { mean: v.mean ?? null, mean_file: v.mean_file ?? null, scale: v.scale, std: v.std ?? null, ...(v.pixel_max !== undefined ? { pixel_max: v.pixel_max } : {}) }
      : null;
  return createNode('input', v.name, [], [v.name], { shapes: [v.shape], preprocess }, [], f);
}

function blockDef(f: Field, msg: Message, diagnostics: DiagnosticBag, taken: ReadonlySet<string>): BlockDef | null {
  const ctx: ReadContext = { diagnostics, env: EMPTY_ENV };
  const head = msg.fields.filter((x) => x.name === 'name' || x.name === 'args' || x.name === 'output');
  const r = readMessage({ ...msg, fields: head }, { name: req(t.name, 'the block name, used as a layer type'), args: maybe(t.message, 'arguments: { planes: required stride: 1 … }'), output: maybe(t.name, 'the blob the block outputs (default: its last)') }, ctx, 'block', { at: nameSpan(f) });
  if (!r.ok) return null;
  const name = r.values.name;
  if (LAYER_TYPE_MAP.has(name) || name === 'seq' || SECTIONS.has(name)) {
    diagnostics.error('nnspec/reserved-name', `'${name}' is a layer type or section name; choose another block name`, r.spans.name!);
    return null;
  }
  if (taken.has(name)) {
    diagnostics.error('nnspec/duplicate-name', `a block named '${name}' is already defined`, r.spans.name!);
    return null;
  }
  const args: BlockArg[] = [];
  for (const a of r.values.args?.fields ?? []) {
    if (args.some((x) => x.name === a.name)) {
      diagnostics.error('nnspec/duplicate-field', `argument '${a.name}' is declared twice`, nameSpan(a));
      continue;
    }
    const required = a.value.kind === 'ident' && a.value.name === 'required';
    args.push(required ? { name: a.name, span: nameSpan(a) } : { name: a.name, default: a.value, span: nameSpan(a) });
  }
  const def: BlockDef = { name, span: nameSpan(f), args, body: msg.fields.filter((x) => !head.includes(x)) };
  if (r.values.output !== undefined) def.output = r.values.output;
  return def;
}

export function bindNnspec(doc: Document, diagnostics: DiagnosticBag, sink: (node: Node, origin?: NodeOrigin) => void): NnspecResult {
  const ctx: ReadContext = { diagnostics, env: EMPTY_ENV };
  let name: string | null = null;
  let train: TrainConfig | null = null;
  let search: BoundSearch | null = null;
  // The search section may name Dropout layers; they are checked once the graph is bound.
  const dropouts = new Set<string>();
  const outer = sink;
  sink = (node, origin) => {
    if (node.op === 'dropout') dropouts.add(node.name);
    outer(node, origin);
  };
  const blocks = new Map<string, BlockDef>();
  const defaults = new Map<string, Message>();
  const inputs: { field: Field; msg: Message }[] = [];
  const entries: Field[] = [];
  const seen = new Set<string>();
  for (const f of doc.fields) {
    const once = f.name === 'nnspec' || f.name === 'name' || f.name === 'defaults' || f.name === 'train' || f.name === 'search';
    if (once && seen.has(f.name)) {
      diagnostics.error('nnspec/duplicate-field', `'${f.name}' is given more than once`, nameSpan(f));
      continue;
    }
    seen.add(f.name);
    switch (f.name) {
      case 'nnspec': {
        const r = readMessage({ kind: 'message', fields: [f], start: f.start, end: f.end }, { nnspec: req(t.int(1), 'the language version') }, ctx, 'the file');
        if (r.ok && r.values.nnspec !== LANGUAGE_VERSION) diagnostics.error('nnspec/version', `this nnspec understands language version ${LANGUAGE_VERSION}, not ${r.values.nnspec}`, f.value);
        break;
      }
      case 'name': {
        const r = readMessage({ kind: 'message', fields: [f], start: f.start, end: f.end }, { name: req(t.name, 'the network name') }, ctx, 'the file');
        if (r.ok) name = r.values.name;
        break;
      }
      case 'input': {
        const msg = message(f, diagnostics);
        if (msg) inputs.push({ field: f, msg });
        break;
      }
      case 'defaults': {
        for (const d of message(f, diagnostics)?.fields ?? []) {
          if (!LAYER_TYPE_MAP.has(d.name)) {
            diagnostics.error('nnspec/unknown-layer-type', `defaults apply to layer types; '${d.name}' is not one`, nameSpan(d));
            continue;
          }
          const dm = message(d, diagnostics);
          if (dm) defaults.set(d.name, dm);
        }
        break;
      }
      case 'block': {
        const msg = message(f, diagnostics);
        const def = msg && blockDef(f, msg, diagnostics, new Set(blocks.keys()));
        if (def) blocks.set(def.name, def);
        break;
      }
      case 'train': {
        const msg = message(f, diagnostics);
        if (msg) train = bindTrain(msg, ctx, nameSpan(f));
        break;
      }
      case 'search': {
        const msg = message(f, diagnostics);
        if (msg) search = bindSearch(msg, ctx, nameSpan(f));
        break;
      }
      default:
        entries.push(f);
    }
  }
  const expander = new Expander(diagnostics, blocks, defaults, sink);
  const names = new Set<string>();
  for (const { field, msg } of inputs) {
    const node = inputNode(field, msg, ctx);
    if (!node) continue;
    if (names.has(node.name)) {
      diagnostics.error('nnspec/duplicate-name', `another input is already named '${node.name}'`, nameSpan(field));
      continue;
    }
    names.add(node.name);
    expander.addInput(node, { inputSpan: () => nameSpan(field), outputSpan: () => nameSpan(field) });
  }
  expander.expand(entries);
  for (const ref of search?.layers ?? []) {
    if (!dropouts.has(ref.layer)) {
      diagnostics.error('nnspec/unknown-layer', `search dropout: the net has no Dropout layer named '${ref.layer}'${dropouts.size ? ` (it has ${[...dropouts].join(', ')})` : ''}`, ref.span);
      search = null;
    }
  }
  return { name: name ?? '', train, search: search?.config ?? null };
}
