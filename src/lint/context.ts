/**
 * What a rule sees: the compiled model (IR nodes in order, training setup, dialect), each
 * node's shapes, receptive field and cost from the analysis pass, the dataflow between nodes
 * (in-place layers make a blob name mean different values over time, so edges follow the
 * writer each reader actually sees), and ways to point at the text.
 */
import type { SourceFile } from '../language/source.js';
import type { Field, Message, Span } from '../language/syntax-tree.js';
import { parseFieldAt } from '../language/fast-parser.js';
import type { Model, Node } from '../ir/graph.js';
import type { Shape } from '../ir/dims.js';
import type { NodeReport } from '../passes/analyze.js';
import type { Problem, Target, TextEdit } from './rule.js';

/** The model and its dataflow, built once per file and shared by every rule. */
export class LintModel {
  readonly nodes: readonly Node[];
  private readonly reports = new Map<Node, NodeReport>();
  /** Per node: for each input, the node whose write it reads (undefined: a dangling input). */
  private readonly writers = new Map<Node, (Node | undefined)[]>();
  /** Per node: the nodes that read what it wrote. */
  private readonly readers = new Map<Node, Node[]>();
  private readonly parsed = new Map<Node, Message | null>();

  constructor(
    readonly model: Model,
    readonly source: SourceFile,
    reports: readonly NodeReport[],
    readonly target: Target | null,
  ) {
    this.nodes = model.graph?.nodes ?? [];
    for (const r of reports) this.reports.set(r.node, r);
    const lastWriter = new Map<string, Node>();
    for (const node of this.nodes) {
      const writers = node.inputs.map((blob) => lastWriter.get(blob));
      this.writers.set(node, writers);
      this.readers.set(node, []);
      for (const w of new Set(writers)) if (w) this.readers.get(w)!.push(node);
      for (const blob of node.outputs) lastWriter.set(blob, node);
    }
  }

  report(node: Node): NodeReport | undefined {
    return this.reports.get(node);
  }

  writersOf(node: Node): readonly (Node | undefined)[] {
    return this.writers.get(node) ?? [];
  }

  readersOf(node: Node): readonly Node[] {
    return this.readers.get(node) ?? [];
  }

  /**
   * The span of the first of `paths` (field names from the layer down, e.g.
   * ['convolution_param', 'weight_filler']) written in the node's text; the node's span when
   * none is. Works for both dialects: their layers are messages of the same syntax.
   */
  fieldSpan(node: Node, ...paths: string[][]): Span {
    const message = this.parse(node);
    if (message) {
      for (const path of paths) {
        let fields: readonly Field[] = message.fields;
        let found: Field | undefined;
        for (const name of path) {
          found = fields.find((f) => f.name === name);
          if (!found) break;
          fields = found.value.kind === 'message' ? (found.value as Message).fields : [];
        }
        if (found) return { start: found.start, end: found.end };
      }
    }
    return node.span;
  }

  private parse(node: Node): Message | null {
    if (this.parsed.has(node)) return this.parsed.get(node)!;
    let message: Message | null = null;
    const text = this.source.text;
    // A node's span covers `name { … }` (a Caffe layer, an nnspec layer) or just `{ … }`.
    const at = node.span.start;
    const one = parseFieldAt(text, at);
    if (one && one.field.value.kind === 'message') message = one.field.value as Message;
    else if (text[at] === '{') {
      const wrapped = parseFieldAt(`x${text.slice(at, node.span.end)}`, 0);
      if (wrapped && wrapped.field.value.kind === 'message') message = shift(wrapped.field.value as Message, at - 1);
    }
    this.parsed.set(node, message);
    return message;
  }
}

function shift(message: Message, by: number): Message {
  const move = <T extends { start: number; end: number }>(x: T): T => ({ ...x, start: x.start + by, end: x.end + by });
  return { ...move(message), fields: message.fields.map((f) => ({ ...move(f), value: f.value.kind === 'message' ? shift(f.value as Message, by) : move(f.value) })) } as Message;
}

/** The view one rule has: the shared model, its own options, and where its problems go. */
export class LintContext<O = Record<string, unknown>> {
  constructor(
    readonly lint: LintModel,
    readonly options: O,
    private readonly sink: (problem: Problem) => void,
  ) {}

  get model(): Model {
    return this.lint.model;
  }

  get nodes(): readonly Node[] {
    return this.lint.nodes;
  }

  get source(): SourceFile {
    return this.lint.source;
  }

  get target(): Target | null {
    return this.lint.target;
  }

  /** The shape of a node's i-th output (null: unknown). */
  outputShape(node: Node, i = 0): Shape | null {
    return this.lint.report(node)?.outputs[i]?.shape ?? null;
  }

  /** The shape of a node's i-th input (null: unknown). */
  inputShape(node: Node, i = 0): Shape | null {
    return this.lint.report(node)?.inputs[i]?.shape ?? null;
  }

  analysis(node: Node): NodeReport | undefined {
    return this.lint.report(node);
  }

  /** The nodes that read what `node` wrote. */
  readers(node: Node): readonly Node[] {
    return this.lint.readersOf(node);
  }

  /** For each input of `node`, the node that wrote the value it reads. */
  writers(node: Node): readonly (Node | undefined)[] {
    return this.lint.writersOf(node);
  }

  fieldSpan(node: Node, ...paths: string[][]): Span {
    return this.lint.fieldSpan(node, ...paths);
  }

  /**
   * Reports a problem at a node (narrowed to the first written field of `fields`, if given)
   * or at a span.
   */
  report(problem: { node?: Node; fields?: string[][]; span?: Span; message: string; hint?: string; fix?: TextEdit[] }): void {
    const span = problem.span ?? (problem.node ? this.lint.fieldSpan(problem.node, ...(problem.fields ?? [])) : { start: 0, end: 0 });
    this.sink({ message: problem.message, span, ...(problem.hint ? { hint: problem.hint } : {}), ...(problem.fix ? { fix: problem.fix } : {}) });
  }
}
