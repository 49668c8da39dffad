/**
 * The Caffe backend: any IR graph as a V2 prototxt that BVLC Caffe 1.0 reads (legacy V0/V1
 * inputs come out upgraded). Each node becomes the layer the Caffe reader binds back to the
 * same node; features Caffe 1.0 lacks are lowered to 1.0 layers where that is exact (a note
 * says how) and refused otherwise (an error names the layer and the feature). The one
 * exception is 'floor' pooling of an input whose size the analysis does not know (so no Crop
 * can fix the size): it is written with `round_mode: FLOOR`, which BVLC master reads (a note
 * says so). Nothing is returned when any node was refused.
 */
import type { Backend } from '../backend.js';
import { LayerParameter } from '../../dialects/caffe/caffe-proto.js';
import { WriterContext } from './context.js';
import { lossWeight, WRITERS } from './layers.js';
import { messageLines, quoteString, type ProtoObject } from './proto-text.js';

export const emitCaffe: Backend = ({ model, reports, diagnostics }) => {
  const graph = model.graph;
  const taken = new Set<string>();
  for (const node of graph.nodes) {
    taken.add(node.name);
    for (const b of node.inputs) taken.add(b);
    for (const b of node.outputs) taken.add(b);
  }
  const lines: string[] = [];
  if (graph.name) lines.push(`name: ${quoteString(graph.name)}`);
  // TEST is Caffe's default state; a net bound for TRAIN says so, so it reads back the same.
  if (graph.phase === 'train') lines.push('state {', '  phase: TRAIN', '}');
  let failed = false;
  for (const node of graph.nodes) {
    const ctx = new WriterContext(node, reports.get(node), diagnostics, taken);
    const write = WRITERS[node.op] as (c: WriterContext, n: typeof node) => ProtoObject[] | null;
    const layers = write(ctx, node);
    if (!layers || ctx.failed) {
      failed = true;
      continue;
    }
    const main = layers.find((l) => l.name === node.name) ?? layers[layers.length - 1]!;
    if (node.propagate_down && layers.length > 1) {
      ctx.refuse('propagate_down on a node that is written as several layers');
      failed = true;
      continue;
    }
    main.loss_weight = lossWeight(String(main.type), node.loss_weight);
    if (node.propagate_down) main.propagate_down = node.propagate_down;
    for (const layer of layers) lines.push('layer {', ...messageLines(layer, LayerParameter, 1), '}');
  }
  return failed ? null : lines.join('\n') + '\n';
};
