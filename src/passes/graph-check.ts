/**
 * Blob-level validity of a graph, as Caffe's Net::Init enforces it: every input names a blob
 * some earlier node produced, a blob is produced once (in-place only at the same input and
 * output index), and each operation gets the number of inputs and outputs it takes.
 *
 * Streaming: nodes are checked as they arrive and only blob names are remembered.
 */
import type { DiagnosticBag } from '../diagnostics/diagnostic.js';
import { didYouMean } from '../diagnostics/did-you-mean.js';
import type { Span } from '../language/syntax-tree.js';
import type { Node } from '../ir/graph.js';
import { NameTable } from '../ir/name-table.js';
import { opDefinition } from '../ir/ops/index.js';

/** Where a node's inputs and outputs were written, for pointing at the right name. */
export interface NodeOrigin {
  inputSpan(index: number): Span;
  outputSpan(index: number): Span;
}

interface Unresolved {
  blob: string;
  node: string;
  span: Span;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export class GraphChecker {
  /** Blob and node names (see NameTable for why not a Map); the Caffe binder shares it. */
  readonly names = new NameTable();
  /** Name ids of the last node's inputs and outputs (see add). */
  readonly ids: { inputs: number[]; outputs: number[] } = { inputs: [], outputs: [] };
  /** Per name id: the id of the node that last wrote that blob, or -1. */
  private producerOf: Int32Array = new Int32Array(1024).fill(-1);
  private readonly unresolved: Unresolved[] = [];

  constructor(private readonly diagnostics: DiagnosticBag) {}

  /**
   * Checks a node. Afterwards `ids` holds the name ids of its inputs (−1: never produced) and
   * outputs, for the passes that run next (one hash per name per node).
   */
  add(node: Node, origin?: NodeOrigin): void {
    this.checkArity(node);
    const inputIds = this.ids.inputs;
    const outputIds = this.ids.outputs;
    inputIds.length = 0;
    outputIds.length = 0;
    for (let i = 0; i < node.inputs.length; i++) {
      const blob = node.inputs[i]!;
      const id = this.names.find(blob);
      inputIds.push(id);
      if (!(id >= 0 && id < this.producerOf.length && this.producerOf[id]! >= 0)) this.unresolved.push({ blob, node: node.name, span: origin?.inputSpan(i) ?? node.span });
    }
    if (node.outputs.length === 0) return;
    const nodeId = this.names.add(node.name);
    for (let i = 0; i < node.outputs.length; i++) {
      const blob = node.outputs[i]!;
      const id = this.names.add(blob);
      outputIds.push(id);
      if (this.names.size > this.producerOf.length) this.producerOf = growFilled(this.producerOf, this.names.size);
      const producerId = this.producerOf[id]!;
      if (producerId >= 0 && node.inputs[i] !== blob) {
        const producer = this.names.name(producerId);
        const inPlaceElsewhere = node.inputs.includes(blob);
        this.diagnostics.error(
          'graph/duplicate-output',
          inPlaceElsewhere
            ? `'${node.name}' writes blob '${blob}' in place at output ${i}, but reads it at another input position; in-place needs the same index`
            : `'${node.name}' writes blob '${blob}', which '${producer}' already produces; only an in-place layer (output i = input i) may write an existing blob`,
          origin?.outputSpan(i) ?? node.span,
        );
      }
      this.producerOf[id] = nodeId;
    }
  }

  private checkArity(node: Node): void {
    if (node.op === 'opaque') return;
    const def = opDefinition(node.op);
    const ins = node.inputs.length;
    const outs = node.outputs.length;
    if (ins < def.inputs.min || ins > def.inputs.max) {
      const want = def.inputs.min === def.inputs.max ? `${def.inputs.min}` : def.inputs.max === Infinity ? `at least ${def.inputs.min}` : `${def.inputs.min} to ${def.inputs.max}`;
      this.diagnostics.error('graph/input-count', `'${node.name}' (${node.op}) takes ${want} input${want === '1' ? '' : 's'} but has ${ins}`, node.span);
    }
    if (def.outputs === 'per-input') {
      if (outs !== ins) this.diagnostics.error('graph/output-count', `'${node.name}' (${node.op}) has one output per input: ${plural(ins, 'input')} but ${plural(outs, 'output')}`, node.span);
    } else if (outs < def.outputs.min || outs > def.outputs.max) {
      const o = def.outputs;
      const want = o.min === o.max ? `${o.min}` : o.max === Infinity ? `at least ${o.min}` : `${o.min} to ${o.max}`;
      this.diagnostics.error('graph/output-count', `'${node.name}' (${node.op}) produces ${want} output${want === '1' ? '' : 's'} but has ${outs}`, node.span);
    }
  }

  /**
   * Reports inputs nothing produced. `lateInputs` are blobs declared as network inputs after
   * the nodes reading them (Caffe's legacy input fields may come anywhere in a file).
   */
  finish(lateInputs: ReadonlySet<string> = new Set()): void {
    let suggestions = 0;
    for (const u of this.unresolved) {
      if (lateInputs.has(u.blob)) continue;
      const later = this.produced(u.blob);
      this.diagnostics.error(
        'graph/unknown-blob',
        later
          ? `'${u.node}' reads blob '${u.blob}' before any layer produces it (layers run in file order)`
          : `'${u.node}' reads blob '${u.blob}', which no layer produces`,
        u.span,
        // Suggestions scan every blob name; a few dozen are enough to show the pattern.
        { hint: later || suggestions++ > 50 ? undefined : didYouMean(u.blob, this.producedBlobs()) },
      );
    }
  }

  private produced(blob: string): boolean {
    const id = this.names.find(blob);
    return id >= 0 && id < this.producerOf.length && this.producerOf[id]! >= 0;
  }

  private *producedBlobs(): Iterable<string> {
    for (let id = 0; id < this.names.size && id < this.producerOf.length; id++) if (this.producerOf[id]! >= 0) yield this.names.name(id);
  }
}

function growFilled(array: Int32Array, atLeast: number): Int32Array {
  let length = array.length * 2;
  while (length < atLeast) length *= 2;
  const bigger = new Int32Array(length).fill(-1);
  bigger.set(array);
  return bigger;
}
