import { defineRule } from '../../rule.js';
import { blobSpan, dataflow, isObjectiveNode, isSource, listNames } from './dataflow.js';

export const rule = defineRule({
  meta: {
    id: 'graph/unused-output',
    category: 'graph',
    recommended: 'warn',
    description: 'A network input no layer reads, or, in a net with a loss, a non-loss output of a working layer that no layer reads.',
    explanation: [
      'Caffe makes every blob that no layer reads a net output (Net::Init).',
      'In a deploy net that is how the result comes out; in a net with a loss, the outputs that matter are the losses (and Accuracy).',
      'Any other unread blob is computed and stored every iteration for nothing, and the solver logs every one of its values at each `display` and test as “Train net output #…”, which floods the log for a feature map.',
      'An unread blob is also the usual trace of a wiring mistake: a bottom that names the wrong blob, a branch that was never joined.',
      'Likewise, a data or input blob that no layer reads is loaded for nothing (and a deploy net with an unused input asks its callers for data it ignores).',
      'Connect the blob, stop producing it, or, where a layer always produces it (a data layer’s extra top), consume it with a Silence layer, which says that this is deliberate.',
      'Whole branches that reach no loss are `graph/dead-branch`; extra outputs of a net without a loss are `graph/extra-net-output`.',
    ].join(' '),
    references: [
      { title: 'Caffe tutorial: Nets, Layers and Blobs (net outputs, loss_weight)', url: 'https://caffe.berkeleyvision.org/tutorial/net_layer_blob.html' },
      { title: 'Caffe layer catalogue: Silence', url: 'https://caffe.berkeleyvision.org/tutorial/layers/silence.html' },
    ],
    options: null,
    fixable: false,
  },
  check(ctx) {
    const flow = dataflow(ctx.nodes);
    const caffe = ctx.model.dialect === 'caffe';
    for (const node of ctx.nodes) {
      const readers = flow.readers.get(node);
      if (!readers) continue;
      const unread = node.outputs.filter((_, i) => readers[i]!.length === 0);
      if (unread.length === 0) continue;
      const one = unread.length === 1;
      if (isSource(node)) {
        // A net made of nothing but its inputs has nothing to say.
        if (ctx.nodes.every(isSource)) continue;
        ctx.report({
          span: blobSpan(ctx, node, unread[0]!, 'top'),
          message: `${unread.length === 1 ? 'input' : 'inputs'} ${listNames(unread)} of '${node.name}' ${one ? 'is' : 'are'} read by no layer: ${one ? 'it is' : 'they are'} loaded for nothing${!flow.hasObjective && caffe ? `, and Caffe returns ${one ? 'it as a net output' : 'them as net outputs'}` : ''}`,
          hint: 'connect it, remove the top, or consume it with a Silence layer if the data layer must produce it',
        });
        continue;
      }
      // Without a loss every unread blob is an output of the net; with one, only a live layer's
      // extra outputs are this rule's (a layer that reaches no loss at all is a dead branch).
      if (!flow.hasObjective || !flow.live.has(node) || isObjectiveNode(node) || node.op === 'accuracy' || node.op === 'opaque') continue;
      const used = node.outputs.filter((_, i) => readers[i]!.length > 0);
      ctx.report({
        span: blobSpan(ctx, node, unread[0]!, 'top'),
        message: `'${node.name}' writes ${listNames(unread)}, which no layer reads and which ${one ? 'is' : 'are'} not a loss (its other output${used.length === 1 ? '' : 's'} ${listNames(used)} ${used.length === 1 ? 'is' : 'are'} used): ${caffe ? `Caffe computes ${one ? 'it' : 'them'} every iteration, makes ${one ? 'it a net output' : 'them net outputs'} and logs ${one ? 'its' : 'their'} values` : `${one ? 'it is' : 'they are'} computed every iteration for nothing`}`,
        hint: 'connect it, drop the top if the layer allows, or consume it with a Silence layer to say it is deliberate',
      });
    }
  },
});
