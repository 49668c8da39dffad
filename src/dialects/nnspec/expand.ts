/**
 * nnspec → IR nodes: blocks are instantiated with their arguments, `seq` groups and `repeat`
 * are unrolled, names are scoped (`layer1.0.conv1`, as PyTorch names submodules), chains get
 * their implicit inputs, `when: false` entries pass their input through, and per-type
 * `defaults` fill the fields a layer leaves out.
 *
 * Name resolution is lexical: a blob name is looked up in the enclosing `seq`s and the block
 * body, then among the network inputs; a block never sees its caller's blobs except through
 * `input` (its first input; further ones are `input1`, `input2`, …).
 */
import type { DiagnosticBag } from '../../diagnostics/diagnostic.js';
import { didYouMean } from '../../diagnostics/did-you-mean.js';
import { createNode, type Node } from '../../ir/graph.js';
import { opDefinition } from '../../ir/ops/index.js';
import type { Field, Message, Span, Value } from '../../language/syntax-tree.js';
import type { NodeOrigin } from '../../passes/graph-check.js';
import { evaluate, type Env } from './evaluate.js';
import { maybe, readMessage, t, type ReadContext } from './fields.js';
import { LAYER_TYPE_ALIASES, LAYER_TYPE_MAP, type BuildContext } from './layers.js';

export interface BlockArg {
  name: string;
  default?: Value;
  span: Span;
}

export interface BlockDef {
  name: string;
  span: Span;
  args: BlockArg[];
  body: Field[];
  /** The block body's blob that is the block's output (default: the last entry's). */
  output?: string;
}

interface Scope {
  prefix: string;
  /** Enclosing scope for name lookups (a block body's parent is the network scope). */
  parent: Scope | null;
  blobs: Map<string, string>;
  /** The scope's inputs (blocks and seqs), first one is `input`. */
  inputs: string[];
  last: string | undefined;
  seq: boolean;
  nextIndex: number;
  counters: Map<string, number>;
  locals: Set<string>;
}

/** Fields every entry may have, whatever it is. */
export const COMMON = {
  name: maybe(t.name, 'the layer name (scoped: block.layer); default: its index in a seq, else the type and a number'),
  bottom: maybe(t.list(t.name, { minItems: 1 }), 'input blobs (default: the previous output)'),
  top: maybe(t.list(t.name, { minItems: 1 }), 'names for the outputs (default: the layer name)'),
  when: maybe(t.bool, 'false leaves the entry out and passes its input through'),
  repeat: maybe(t.int(1), 'repeat the entry this many times in a chain'),
  loss_weight: maybe(t.list(t.num()), 'weight of each output in the training objective'),
};
export const COMMON_FIELDS: ReadonlySet<string> = new Set(Object.keys(COMMON));

function nameSpan(f: Field): Span {
  return { start: f.start, end: f.start + f.name.length };
}

function qualify(prefix: string, local: string): string {
  return prefix ? `${prefix}.${local}` : local;
}

/**
 * Fields of `defaults` the layer does not write are added to it, and settings blocks
 * (`weight { … }`) merge the same way. A block chosen by its `type` (`init { type: … }`) is
 * replaced whole: a gaussian written in the layer must not pick up the default xavier's mode.
 */
function mergeDefaults(layer: Message, defaults: Message | undefined): Message {
  if (!defaults) return layer;
  const fields = [...layer.fields];
  for (const d of defaults.fields) {
    const i = fields.findIndex((f) => f.name === d.name);
    if (i < 0) fields.push(d);
    else {
      const mine = fields[i]!.value;
      if (mine.kind === 'message' && d.value.kind === 'message' && !isTyped(mine) && !isTyped(d.value)) {
        fields[i] = { ...fields[i]!, value: mergeDefaults(mine, d.value) };
      }
    }
  }
  return { ...layer, fields };
}

function isTyped(m: Message): boolean {
  return m.fields.some((f) => f.name === 'type');
}

export class Expander {
  private readonly usedNames = new Set<string>();
  /** Qualified names whose clash was already reported within their scope. */
  private readonly reported = new Set<string>();
  private readonly instances: Span[] = [];
  private readonly active: string[] = [];
  readonly global: Scope;

  constructor(
    private readonly diagnostics: DiagnosticBag,
    private readonly blocks: ReadonlyMap<string, BlockDef>,
    private readonly defaults: ReadonlyMap<string, Message>,
    private readonly sink: (node: Node, origin?: NodeOrigin) => void,
  ) {
    this.global = this.scope('', null, [], false);
  }

  private scope(prefix: string, parent: Scope | null, inputs: string[], seq: boolean): Scope {
    return { prefix, parent, blobs: new Map(), inputs, last: undefined, seq, nextIndex: 0, counters: new Map(), locals: new Set() };
  }

  /** Registers a network input (from an `input { }` section). */
  addInput(node: Node, origin: NodeOrigin): void {
    this.usedNames.add(node.name);
    for (const out of node.outputs) this.global.blobs.set(out, out);
    this.global.inputs.push(...node.outputs);
    this.sink(node, origin);
  }

  expand(entries: Field[], scope: Scope = this.global, env: Env = { values: new Map(), block: null }): void {
    for (const entry of entries) this.entry(entry, scope, env);
  }

  private resolve(name: string, scope: Scope, at: Span): string | undefined {
    for (let s: Scope | null = scope; s; s = s.parent) {
      const found = s.blobs.get(name);
      if (found !== undefined) return found;
      const m = /^input(\d*)$/.exec(name);
      if (m && s.parent !== null) {
        const input = s.inputs[m[1] ? Number(m[1]) : 0];
        if (input !== undefined) return input;
      }
    }
    const known = new Set<string>();
    for (let s: Scope | null = scope; s; s = s.parent) for (const k of s.blobs.keys()) known.add(k);
    this.diagnostics.error('nnspec/unknown-blob', `no blob named '${name}' is defined before this point`, at, { hint: didYouMean(name, known) });
    return undefined;
  }

  private defaultInput(scope: Scope): string | undefined {
    return scope.last ?? scope.inputs[0] ?? (scope.parent ? this.defaultInput(scope.parent) : undefined);
  }

  /** A name for an entry in `scope`, or undefined when an explicit one is already taken (reported). */
  private localName(scope: Scope, explicit: string | undefined, stem: string, at: Span): string {
    if (scope.seq) {
      const index = scope.nextIndex++;
      if (explicit === undefined) return String(index);
    }
    if (explicit !== undefined) {
      if (scope.locals.has(explicit)) {
        this.diagnostics.error('nnspec/duplicate-name', `'${explicit}' is already used in this scope`, at);
        this.reported.add(qualify(scope.prefix, explicit));
      }
      scope.locals.add(explicit);
      return explicit;
    }
    let n = scope.counters.get(stem) ?? 0;
    let name: string;
    do name = `${stem}${++n}`;
    while (scope.locals.has(name));
    scope.counters.set(stem, n);
    scope.locals.add(name);
    return name;
  }

  private entry(field: Field, scope: Scope, env: Env): void {
    const kind = field.name;
    const value = field.value;
    if (value.kind !== 'message') {
      if (value.kind !== 'missing') this.diagnostics.error('nnspec/type-mismatch', `'${kind}' expects a block { … }`, value);
      return;
    }
    const isSeq = kind === 'seq';
    const block = this.blocks.get(kind);
    const layerType = LAYER_TYPE_MAP.get(kind);
    if (!isSeq && !block && !layerType) {
      const alias = LAYER_TYPE_ALIASES[kind];
      this.diagnostics.error('nnspec/unknown-layer-type', `'${kind}' is not a layer type or a block`, nameSpan(field), {
        hint: alias ? `nnspec calls it ${alias}` : didYouMean(kind, [...LAYER_TYPE_MAP.keys(), ...this.blocks.keys(), 'seq']),
      });
      return;
    }
    const ctx: ReadContext = { diagnostics: this.diagnostics, env };
    const commonFields = value.fields.filter((f) => COMMON_FIELDS.has(f.name));
    const common = readMessage({ ...value, fields: commonFields }, COMMON, ctx, kind);
    const c = common.values;
    if (c.when === false) {
      const input = c.bottom ? this.resolve(c.bottom[0]!, scope, common.spans.bottom!) : this.defaultInput(scope);
      if (input !== undefined) for (const alias of [c.name, ...(c.top ?? [])]) if (alias) scope.blobs.set(alias, input);
      if (scope.seq) scope.nextIndex++;
      return;
    }
    const repeat = c.repeat ?? 1;
    if (repeat > 1 && c.name !== undefined && !scope.seq) {
      // `repeat` with a name outside a seq: the copies live in an implicit seq of that name.
      const seqScope = this.scope(qualify(scope.prefix, this.localName(scope, c.name, kind.toLowerCase(), common.spans.name ?? nameSpan(field))), scope, [], true);
      const first = c.bottom ? this.resolveAll(c.bottom, scope, common.spans.bottom!) : [this.defaultInput(scope)].filter((x): x is string => x !== undefined);
      if (!first) return;
      seqScope.inputs = first;
      // The first copy reads the seq's input; each later one the copy before it.
      for (let i = 0; i < repeat; i++) this.one(kind, field, value, seqScope, env, { ...c, name: undefined, bottom: undefined, top: undefined }, common.spans, false);
      this.finishScope(seqScope, scope, c.name, c.top);
      return;
    }
    // Copies in a seq are numbered; outside one (and unnamed) they are named by type.
    const copy = repeat > 1 ? { ...c, name: undefined } : c;
    for (let i = 0; i < repeat; i++) {
      this.one(kind, field, value, scope, env, i === 0 ? copy : { ...copy, bottom: undefined }, common.spans, i === 0 && c.bottom !== undefined);
    }
  }

  private resolveAll(names: string[], scope: Scope, at: Span): string[] | undefined {
    const out: string[] = [];
    for (const n of names) {
      const r = this.resolve(n, scope, at);
      if (r === undefined) return undefined;
      out.push(r);
    }
    return out;
  }

  /** Registers a finished child scope's output in its parent under `local` (and any `top` aliases). */
  private finishScope(child: Scope, parent: Scope, local: string, tops: string[] | undefined, output?: string): void {
    const out = output ?? child.last;
    if (out === undefined) return;
    parent.blobs.set(local, out);
    for (const top of tops ?? []) parent.blobs.set(top, out);
    parent.last = out;
  }

  private one(
    kind: string,
    field: Field,
    msg: Message,
    scope: Scope,
    env: Env,
    c: { name?: string | undefined; bottom?: string[] | undefined; top?: string[] | undefined; loss_weight?: number[] | undefined },
    spans: Partial<Record<string, Span>>,
    explicitBottom: boolean,
  ): void {
    const at = spans.name ?? nameSpan(field);
    const inputs = explicitBottom && c.bottom ? this.resolveAll(c.bottom, scope, spans.bottom ?? at) : undefined;
    if (explicitBottom && !inputs) return;
    const input = inputs ?? [this.defaultInput(scope)].filter((x): x is string => x !== undefined);
    if (kind === 'seq') {
      const local = this.localName(scope, c.name, 'seq', at);
      const child = this.scope(qualify(scope.prefix, local), scope, input, true);
      this.expand(msg.fields.filter((f) => !COMMON_FIELDS.has(f.name)), child, env);
      this.finishScope(child, scope, local, c.top);
      return;
    }
    const block = this.blocks.get(kind);
    if (block) return this.instantiate(block, field, msg, scope, env, c, input, at);
    this.layer(kind, field, msg, scope, env, c, input, spans);
  }

  private instantiate(
    block: BlockDef,
    field: Field,
    msg: Message,
    scope: Scope,
    env: Env,
    c: { name?: string | undefined; top?: string[] | undefined },
    input: string[],
    at: Span,
  ): void {
    if (this.active.includes(block.name)) {
      this.diagnostics.error('nnspec/recursive-block', `block '${block.name}' instantiates itself (${[...this.active, block.name].join(' → ')})`, nameSpan(field));
      return;
    }
    const values = new Map<string, Value>();
    const argFields = msg.fields.filter((f) => !COMMON_FIELDS.has(f.name));
    for (const f of argFields) {
      if (!block.args.some((a) => a.name === f.name)) {
        this.diagnostics.error('nnspec/unknown-argument', `block '${block.name}' has no argument '${f.name}'`, nameSpan(f), {
          hint: didYouMean(f.name, block.args.map((a) => a.name)),
        });
        continue;
      }
      if (values.has(f.name)) {
        this.diagnostics.error('nnspec/duplicate-field', `argument '${f.name}' is given twice`, nameSpan(f));
        continue;
      }
      values.set(f.name, evaluate(f.value, env, this.diagnostics));
    }
    let ok = true;
    for (const a of block.args) {
      if (values.has(a.name)) continue;
      if (a.default === undefined) {
        this.diagnostics.error('nnspec/missing-argument', `block '${block.name}' needs the argument '${a.name}'`, nameSpan(field), { related: [{ span: a.span, message: 'declared here' }] });
        ok = false;
        continue;
      }
      values.set(a.name, evaluate(a.default, { values, block: block.name }, this.diagnostics));
    }
    if (!ok) return;
    const local = this.localName(scope, c.name, block.name.toLowerCase(), at);
    const child = this.scope(qualify(scope.prefix, local), this.global, input, false);
    this.active.push(block.name);
    this.instances.push(nameSpan(field));
    this.diagnostics.within({ span: nameSpan(field), message: `in block '${block.name}' instantiated here` }, () => this.expand(block.body, child, { values, block: block.name }));
    this.instances.pop();
    this.active.pop();
    const output = block.output === undefined ? undefined : child.blobs.get(block.output);
    if (block.output !== undefined && output === undefined) {
      this.diagnostics.error('nnspec/unknown-blob', `block '${block.name}' names '${block.output}' as its output, but its body defines no such blob`, block.span);
    }
    this.finishScope(child, scope, local, c.top, output);
  }

  private layer(
    kind: string,
    field: Field,
    msg: Message,
    scope: Scope,
    env: Env,
    c: { name?: string | undefined; top?: string[] | undefined; loss_weight?: number[] | undefined },
    input: string[],
    spans: Partial<Record<string, Span>>,
  ): void {
    const type = LAYER_TYPE_MAP.get(kind)!;
    const key = nameSpan(field);
    const local = this.localName(scope, c.name, kind.toLowerCase(), spans.name ?? key);
    const name = qualify(scope.prefix, local);
    if (this.usedNames.has(name) && !this.reported.has(name)) this.diagnostics.error('nnspec/duplicate-name', `another layer is already named '${name}'`, spans.name ?? key);
    this.usedNames.add(name);
    const ctx: ReadContext = { diagnostics: this.diagnostics, env };
    const merged = mergeDefaults(msg, this.defaults.get(kind));
    const r = readMessage(merged, type.fields, ctx, kind, { skip: COMMON_FIELDS, at: key, ...(type.aliases ? { aliases: type.aliases } : {}) });
    const b: BuildContext = { read: ctx, key, spans: r.spans, inputs: input.length };
    const built = r.ok ? type.build(r.values, b) : null;
    const op = built?.op ?? 'opaque';
    const def = opDefinition(op);
    let outputs: string[];
    if (c.top) {
      outputs = c.top.map((top, i) => {
        const existing = scope.blobs.get(top);
        // Writing the input's own name is in-place (output i = input i).
        if (existing !== undefined && existing === input[i]) return existing;
        return qualify(scope.prefix, top);
      });
    } else if (def.outputs !== 'per-input' && def.outputs.max === 0) {
      outputs = [];
    } else if (def.outputs === 'per-input' && input.length > 1) {
      outputs = input.map((_, i) => (i === 0 ? name : `${name}:${i}`));
    } else {
      if (op === 'slice' && built && built.op === 'slice' && built.attrs.slice_points.length > 0) {
        this.diagnostics.error('nnspec/missing-field', `Slice with ${built.attrs.slice_points.length} points has ${built.attrs.slice_points.length + 1} outputs: name them with top: [ … ]`, key);
      }
      outputs = [name];
    }
    if (input.length === 0 && def.inputs.min > 0) {
      this.diagnostics.error('nnspec/no-input', `${kind} needs an input, and nothing comes before it: declare an input { } section or give bottom`, key);
    }
    const node = built
      ? (createNode(built.op, name, input, outputs, built.attrs as never, built.params, field) as Node)
      : createNode('opaque', name, input, outputs, { framework: 'nnspec', type: kind, params: {} }, [], field);
    const lossWeights = c.loss_weight ?? (op === 'loss' ? [1] : undefined);
    if (lossWeights && lossWeights.some((w) => w !== 0)) node.loss_weight = outputs.map((_, i) => lossWeights[i] ?? 0);
    if (this.instances.length > 0) node.instantiated_at = [...this.instances];
    scope.blobs.set(local, outputs[0] ?? input[0] ?? '');
    c.top?.forEach((top, i) => scope.blobs.set(top, outputs[i]!));
    if (outputs[0] !== undefined) scope.last = outputs[0];
    const topSpan = spans.top;
    const bottomSpan = spans.bottom;
    this.sink(node, { inputSpan: () => bottomSpan ?? key, outputSpan: () => topSpan ?? spans.name ?? key });
  }
}
