/**
 * Builds small IR graphs by hand (an input and a few nodes with exactly the attributes a test
 * needs), with the analysis reports the lowering reads, so that op tests reach attribute
 * combinations no front end writes.
 */
import type { BackendInput } from '../../../src/backends/backend.js';
import { DiagnosticBag } from '../../../src/diagnostics/diagnostic.js';
import type { Filler } from '../../../src/ir/filler.js';
import { createNode, type Node, type ParamBlob } from '../../../src/ir/graph.js';
import { opDefinition, type AttrsOf, type OpName } from '../../../src/ir/ops/index.js';
import type { NodeReport } from '../../../src/passes/analyze.js';
import { SourceFile } from '../../../src/language/source.js';

const SPAN = { start: 0, end: 0 };

export interface Layer<O extends OpName = OpName> {
  op: O;
  name: string;
  inputs: string[];
  outputs?: string[];
  attrs: AttrsOf<O>;
  /** Fillers of the parameter blobs, in the op's order (default: N(0, 0.5)). */
  init?: Filler[];
}

export const layer = <O extends OpName>(l: Layer<O>): Layer<O> => l;

/** A graph reading `inputs` (name → shape) through `layers`, with every blob's shape analysed. */
export function graphInput(inputs: Record<string, number[]>, layers: Layer[]): BackendInput {
  const shapes = new Map<string, number[]>(Object.entries(inputs));
  const nodes: Node[] = [];
  const reports = new Map<Node, NodeReport>();
  const source = createNode('input', 'input', [], Object.keys(inputs), { shapes: Object.values(inputs), preprocess: null } as AttrsOf<'input'>, [], SPAN);
  nodes.push(source as Node);
  reports.set(source as Node, { node: source as Node, inputs: [], outputs: Object.entries(inputs).map(([name, shape]) => ({ name, shape })) as never, cost: null });
  for (const l of layers) {
    const outputs = l.outputs ?? [l.name];
    const def = opDefinition(l.op);
    const ins = l.inputs.map((b) => shapes.get(b)!);
    const names = def.params(l.attrs as never, l.inputs.length);
    const params: ParamBlob[] = names.map((name, i) => ({
      name,
      init: l.init?.[i] ?? { type: 'normal', mean: 0, std: 0.5, sparse: -1 },
      lr_mult: 1,
      decay_mult: 1,
      trainable: !name.startsWith('running') && name !== 'scale_factor',
    }));
    const node = createNode(l.op, l.name, l.inputs, outputs, l.attrs as never, params, SPAN) as Node;
    const outShapes = def.shape(l.attrs as never, ins, outputs.length) as number[][];
    outputs.forEach((b, i) => shapes.set(b, outShapes[i]!));
    nodes.push(node);
    reports.set(node, { node, inputs: l.inputs.map((name, i) => ({ name, shape: ins[i]! })), outputs: outputs.map((name, i) => ({ name, shape: outShapes[i]! })) as never, cost: null });
  }
  const file = new SourceFile('test.nnspec', '');
  return {
    model: { file: 'test.nnspec', dialect: 'nnspec', format: 'nnspec', graph: { name: 'test', phase: null, nodes }, train: null },
    source: file,
    reports,
    diagnostics: new DiagnosticBag(file),
  };
}
