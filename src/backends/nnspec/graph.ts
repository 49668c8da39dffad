/**
 * The layers of a graph as nnspec entries. Printing replays what the binder
 * (src/dialects/nnspec/expand.ts) will do with the text: which blob a layer reads when it
 * gives no `bottom`, what its outputs are called without a `top`, which names resolve in a
 * scope. So a chain is written without blob names, and `bottom`/`top` appear only where the
 * graph branches, merges or renames. Dotted names (`layer1.0.conv1`) become nested
 * `seq { name: layer1 … }` where that gives the same names; otherwise every name is written
 * in full at the top level.
 */
import type { Node } from '../../ir/graph.js';
import { opDefinition } from '../../ir/ops/index.js';
import type { Entry } from './layers.js';
import { comment, Msg, name, num, oneOrList, Unsupported, unsupported, writeField } from './text.js';

interface Scope {
  prefix: string;
  parent: Scope | null;
  blobs: Map<string, string>;
  inputs: string[];
  last: string | undefined;
  seq: boolean;
  nextIndex: number;
  locals: Set<string>;
}

function scope(prefix: string, parent: Scope | null, inputs: string[], seq: boolean): Scope {
  return { prefix, parent, blobs: new Map(), inputs, last: undefined, seq, nextIndex: 0, locals: new Set() };
}

const qualify = (prefix: string, local: string): string => (prefix ? `${prefix}.${local}` : local);

function resolve(key: string, s: Scope): string | undefined {
  for (let x: Scope | null = s; x; x = x.parent) {
    const found = x.blobs.get(key);
    if (found !== undefined) return found;
    const m = /^input(\d*)$/.exec(key);
    if (m && x.parent !== null) {
      const input = x.inputs[m[1] ? Number(m[1]) : 0];
      if (input !== undefined) return input;
    }
  }
  return undefined;
}

function defaultInput(s: Scope): string | undefined {
  return s.last ?? s.inputs[0] ?? (s.parent ? defaultInput(s.parent) : undefined);
}

function localForm(blob: string, s: Scope): string | undefined {
  if (!s.prefix) return blob;
  return blob.startsWith(`${s.prefix}.`) ? blob.slice(s.prefix.length + 1) : undefined;
}

/** A name that resolves to `blob` from `s`: its own local name first, then `input`, then outer names. */
function keyFor(blob: string, s: Scope): string {
  // The common case, without scanning every name in scope.
  const own = localForm(blob, s);
  if (own !== undefined && own !== '' && resolve(own, s) === blob) return own;
  const candidates: string[] = [];
  let first = true;
  for (let x: Scope | null = s; x; x = x.parent) {
    const local = localForm(blob, x);
    if (local !== undefined && x.blobs.get(local) === blob) candidates.push(local);
    for (const [k, v] of x.blobs) if (v === blob) candidates.push(k);
    if (first) {
      candidates.push('input', ...x.inputs.map((_, i) => `input${i}`));
      first = false;
    }
  }
  for (const k of candidates) if (k !== '' && resolve(k, s) === blob) return k;
  return unsupported(`a reference to the blob '${blob}', whose name a later layer has taken over`);
}

/** One structural problem, reported against its node by the caller. */
export interface Problem {
  node: Node;
  feature: string;
}

export interface LayerText {
  entry: Entry;
  comments: string[];
}

export class GraphWriter {
  readonly lines: string[] = [];
  readonly problems: Problem[] = [];
  private readonly global: Scope;
  private readonly open: { local: string; scope: Scope }[] = [];
  /** A comment that would repeat on every such layer is written at the first. */
  private readonly commented = new Set<string>();

  constructor(
    inputs: string[],
    private readonly nested: boolean,
  ) {
    this.global = scope('', null, [], false);
    for (const i of inputs) this.global.blobs.set(i, i);
    this.global.inputs.push(...inputs);
  }

  private get current(): Scope {
    return this.open.at(-1)?.scope ?? this.global;
  }

  private get indent(): string {
    return '  '.repeat(this.open.length);
  }

  write(node: Node, text: LayerText | null): void {
    let path: string[] = [];
    let local = node.name;
    if (this.nested) {
      const parts = node.name.split('.');
      if (parts.some((p) => p === '')) unsupported(`the name '${node.name}' as nested seqs`);
      local = parts.pop()!;
      path = parts;
    }
    this.enter(path, node);
    try {
      this.layer(node, local, text);
    } catch (e) {
      if (!(e instanceof Unsupported) || this.nested) throw e;
      this.problems.push({ node, feature: e.message });
      this.record(this.current, node, local, undefined);
    }
  }

  finish(): void {
    while (this.open.length) this.close();
    while (this.lines.at(-1) === '') this.lines.pop();
  }

  private enter(path: string[], node: Node): void {
    let common = 0;
    while (common < this.open.length && common < path.length && this.open[common]!.local === path[common]) common++;
    while (this.open.length > common) this.close();
    for (const local of path.slice(common)) {
      const parent = this.current;
      if (parent.locals.has(local)) unsupported(`a second group named '${local}'`);
      const head = new Msg();
      if (!(parent.seq && local === String(parent.nextIndex))) head.add('name', name(local));
      parent.locals.add(local);
      if (parent.seq) parent.nextIndex++;
      const want = node.inputs[0];
      let inputs = [defaultInput(parent)].filter((x): x is string => x !== undefined);
      if (want !== undefined && want !== inputs[0]) {
        head.add('bottom', name(keyFor(want, parent)));
        inputs = [want];
      }
      // Top-level groups stand apart, as the shipped specs write them.
      if (this.open.length === 0 && this.lines.length > 0 && this.lines.at(-1) !== '') this.lines.push('');
      this.lines.push(`${this.indent}seq {`);
      for (const [k, v] of head.fields) writeField(this.lines, `${this.indent}  `, k, v);
      this.open.push({ local, scope: scope(qualify(parent.prefix, local), parent, inputs, true) });
    }
  }

  private close(): void {
    const { local, scope: child } = this.open.pop()!;
    this.lines.push(`${this.indent}}`);
    if (this.open.length === 0) this.lines.push('');
    const parent = this.current;
    if (child.last !== undefined) {
      parent.blobs.set(local, child.last);
      parent.last = child.last;
    }
  }

  private layer(node: Node, local: string, text: LayerText | null): void {
    const s = this.current;
    const fields = new Msg();
    if (!(s.seq && local === String(s.nextIndex))) {
      if (s.locals.has(local)) unsupported(`a second layer named '${local}' in one scope`);
      fields.add('name', name(local));
      s.locals.add(local);
    }
    if (s.seq) s.nextIndex++;
    const qualified = qualify(s.prefix, local);
    if (qualified !== node.name) unsupported(`the name '${node.name}'`);
    // Inputs: the previous output goes in by itself; anything else is named.
    const implicit = defaultInput(s);
    if (node.inputs.length === 0) {
      if (implicit !== undefined) unsupported('a layer without inputs after the first (nnspec feeds every later layer the previous output)');
    } else if (!(node.inputs.length === 1 && node.inputs[0] === implicit)) {
      fields.add('bottom', oneOrList(node.inputs.map((b) => name(keyFor(b, s)))));
    }
    // Outputs: the layer's own name unless a `top` says otherwise.
    const def = opDefinition(node.op);
    const defaults = def.outputs !== 'per-input' && def.outputs.max === 0 ? [] : def.outputs === 'per-input' && node.inputs.length > 1 ? node.inputs.map((_, i) => (i === 0 ? qualified : `${qualified}:${i}`)) : [qualified];
    let tops: string[] | undefined;
    if (node.outputs.length !== defaults.length || node.outputs.some((o, i) => o !== defaults[i])) {
      if (node.outputs.length === 0) unsupported('a layer with no outputs');
      tops = node.outputs.map((o, i) => {
        const t = localForm(o, s);
        // The binder treats a top naming input i's blob as in-place.
        const inPlace = i < node.inputs.length && s.blobs.get(t ?? '') === node.inputs[i];
        if (t !== undefined && (!inPlace || node.inputs[i] === o)) return t;
        // An in-place output named from another scope: any name for it here.
        if (o === node.inputs[i]) for (const [k, v] of s.blobs) if (v === o) return k;
        return unsupported(`the output name '${o}' inside the group '${s.prefix}'`);
      });
      fields.add('top', oneOrList(tops.map(name)));
    }
    // loss_weight: losses weigh their first output 1 unless told.
    const implied = node.op === 'loss' ? node.outputs.map((_, i) => (i === 0 ? 1 : 0)) : undefined;
    const lw = node.loss_weight;
    if (!(lw === undefined ? implied === undefined : implied !== undefined && lw.every((w, i) => w === implied[i]))) {
      fields.add('loss_weight', lw === undefined ? '0' : oneOrList(lw.map(num)));
    }
    if (text) {
      for (const [k, v] of text.entry.fields.fields) fields.add(k, v);
      for (const c of text.comments) {
        if (this.commented.has(c)) continue;
        this.commented.add(c);
        this.lines.push(comment(this.indent, c));
      }
      writeField(this.lines, this.indent, text.entry.type, fields);
    }
    this.record(s, node, local, tops);
  }

  /** The binder's bookkeeping after a layer, replayed. */
  private record(s: Scope, node: Node, local: string, tops: string[] | undefined): void {
    s.blobs.set(local, node.outputs[0] ?? node.inputs[0] ?? '');
    tops?.forEach((t, i) => s.blobs.set(t, node.outputs[i]!));
    if (node.outputs[0] !== undefined) s.last = node.outputs[0];
  }
}

