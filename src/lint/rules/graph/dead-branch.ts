import type { Node } from '../../../ir/graph.js';
import { defineRule } from '../../rule.js';
import { dataflow, isSource, listNames } from './dataflow.js';

export const rule = defineRule({
  meta: {
    id: 'graph/dead-branch',
    category: 'graph',
    recommended: 'warn',
    description: 'In a net with a loss, layers none of whose outputs lead to a loss or an evaluation output.',
    explanation: [
      'Caffe decides per layer whether it needs a backward pass: only layers whose outputs flow into a loss do (Net::Init logs the others as “does not need backward computation”).',
      'A branch that ends in blobs no layer reads — in a net that has a loss — is computed every forward pass, returned as extra net outputs, and never trained:',
      'its parameters get no gradient (in Caffe, whose solver still applies weight decay to every learnable blob, they only shrink toward zero).',
      'This is almost always a wiring mistake: an auxiliary head whose loss layer was left out, or a branch that was never joined back (a Concat or Eltwise that forgot a bottom).',
      'Connect the branch to the loss (or the merge it belongs to), or delete it; a branch kept on purpose for inspection can end in a Silence layer.',
      'Without any loss (a deploy net) every unread blob is a wanted output, so nothing is dead; see `graph/extra-net-output`.',
    ].join(' '),
    references: [
      { title: 'Caffe tutorial: Forward and Backward (only layers under the loss are back-propagated)', url: 'https://caffe.berkeleyvision.org/tutorial/forward_backward.html' },
      { title: 'Caffe tutorial: Loss (loss_weight; every unread non-loss blob is a net output)', url: 'https://caffe.berkeleyvision.org/tutorial/loss.html' },
    ],
    options: null,
    fixable: false,
  },
  check(ctx) {
    const flow = dataflow(ctx.nodes);
    if (!flow.hasObjective) return;
    const dead = ctx.nodes.filter((n) => !flow.live.has(n) && !isSource(n));
    if (dead.length === 0) return;
    // Group dead layers that feed each other into branches (union-find over dataflow edges).
    const parent = new Map<Node, Node>(dead.map((n) => [n, n]));
    const find = (n: Node): Node => {
      let r = n;
      while (parent.get(r) !== r) r = parent.get(r)!;
      parent.set(n, r);
      return r;
    };
    for (const n of dead) {
      for (const rs of flow.readers.get(n) ?? []) for (const r of rs) if (parent.has(r)) parent.set(find(r), find(n));
    }
    const branches = new Map<Node, Node[]>();
    for (const n of dead) {
      const root = find(n);
      if (!branches.has(root)) branches.set(root, []);
      branches.get(root)!.push(n);
    }
    for (const members of branches.values()) {
      const first = members[0]!;
      const ends = members.flatMap((n) => n.outputs.filter((_, i) => flow.readers.get(n)![i]!.length === 0));
      const trained = members.some((n) => n.params.some((p) => p.trainable && p.lr_mult !== 0));
      const what = members.length === 1 ? `'${first.name}' reaches` : `'${first.name}' and ${members.length - 1} layer${members.length === 2 ? '' : 's'} after it (${listNames(members.slice(1).map((n) => n.name))}) reach`;
      const endText = ends.length === 0 ? 'their outputs are read only by each other' : `${listNames(ends)} ${ends.length === 1 ? 'is' : 'are'} read by no layer`;
      ctx.report({
        node: first,
        fields: [['name']],
        message: `${what} no loss: ${endText}, so ${members.length === 1 ? 'it is' : 'they are'} computed every iteration${trained ? ` but ${members.length === 1 ? 'its' : 'their'} weights get no gradient${ctx.model.dialect === 'caffe' ? ' (Caffe’s weight decay alone shrinks them)' : ''}` : ' for nothing'}`,
        hint: 'connect the branch to its loss or to the merge it belongs to, or remove it',
      });
    }
  },
});
