import type { Node } from '../../../ir/graph.js';
import { defineRule } from '../../rule.js';
import { blobSpan, dataflow, isSource } from './dataflow.js';

export const rule = defineRule({
  meta: {
    id: 'graph/extra-net-output',
    category: 'graph',
    recommended: 'off',
    description: 'A net without a loss that has more than one output: every unread blob besides the last one is named.',
    explanation: [
      'Caffe has no output declaration: every blob that no layer reads becomes a net output (Net::Init), and `net.forward()` returns all of them.',
      'A deploy net usually has one result (`prob`); a second unread blob is either a deliberate extra output (Faster R-CNN returns `cls_prob` and `bbox_pred`) or a branch someone forgot to join, which still costs its computation on every forward pass.',
      'nnspec cannot tell the two apart, so this check is off unless the strict preset is used: it lists every unread blob except the last one produced.',
      'Keep the ones you mean; connect or remove the others (or end them in a Silence layer, which consumes a blob on purpose).',
      'In a net with a loss, unread blobs are `graph/unused-output` and `graph/dead-branch`.',
    ].join(' '),
    references: [{ title: 'Caffe tutorial: Nets, Layers and Blobs (a net’s outputs)', url: 'https://caffe.berkeleyvision.org/tutorial/net_layer_blob.html' }],
    options: null,
    fixable: false,
  },
  check(ctx) {
    const flow = dataflow(ctx.nodes);
    if (flow.hasObjective) return;
    const outputs: { node: Node; blob: string }[] = [];
    for (const node of ctx.nodes) {
      // Inputs are graph/unused-output's; evaluation outputs and opaque layers are outputs by nature.
      if (isSource(node) || node.op === 'accuracy' || node.op === 'opaque') continue;
      node.outputs.forEach((blob, i) => {
        if (flow.readers.get(node)![i]!.length === 0) outputs.push({ node, blob });
      });
    }
    if (outputs.length < 2) return;
    const final = outputs[outputs.length - 1]!;
    for (const { node, blob } of outputs.slice(0, -1)) {
      ctx.report({
        span: blobSpan(ctx, node, blob, 'top'),
        message: `'${blob}'${blob === node.name ? '' : ` (from '${node.name}')`} is read by no layer, so it is an output of the net besides '${final.blob}': ${outputs.length} blobs come out of every forward pass`,
        hint: 'keep it if it is meant as an output; otherwise connect it, remove its layer, or consume it with a Silence layer',
      });
    }
  },
});
