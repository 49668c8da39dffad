import type { Node } from '../../../ir/graph.js';
import { defineRule } from '../../rule.js';
import { describeFiller, fmt, isNormalizer, isPassThrough, isWeightLayer, shapesOf, weightGeometry, WEIGHT_INIT_FIELDS, weightOwner } from '../init/flow.js';
import { fillerSecondMoment } from '../init/signal.js';

export const rule = defineRule({
  meta: {
    id: 'activation/selu-setup',
    category: 'activation',
    recommended: 'warn',
    description: 'A SELU is used without what makes it self-normalising: LeCun-normal weights, no BatchNorm, no standard dropout.',
    explanation: [
      'SELU (λ·x for x > 0, λ·α·(eˣ − 1) below, λ ≈ 1.0507, α ≈ 1.6733) is built so that a layer maps activations with mean 0 and variance 1 to mean 0 and variance 1, and pulls nearby values back towards them:',
      'deep fully connected nets then stay normalised without BatchNorm (Klambauer et al. 2017). The proof assumes each unit\'s weights have Σw ≈ 0 and Σw² ≈ 1 (its theorem covers 0.8 ≤ Σw² ≤ 1.25, the range this rule accepts), i.e. variance 1/fan_in:',
      'LeCun normal (`init: lecun`, PyTorch `kaiming_normal_(nonlinearity="linear")`). He initialisation (2/fan_in) or PyTorch\'s default (1/(3·fan_in)) starts the net away from that fixed point.',
      'BatchNorm between the layer and the SELU does the normalising itself, so SELU\'s property is unused (use ReLU with BatchNorm, or SELU without it).',
      'Standard dropout sets units to 0 and rescales the rest by 1/(1 − p), which changes both the mean and the variance that SELU maintains; the paper introduces alpha dropout, which sets dropped units to SELU\'s negative saturation value −λα ≈ −1.758 and restores mean and variance with an affine map.',
      'nnspec has no alpha dropout: remove the dropout after SELUs (the paper uses rates of 0.05–0.1 with alpha dropout).',
    ].join(' '),
    references: [
      { title: 'Klambauer, Unterthiner, Mayr & Hochreiter, Self-Normalizing Neural Networks (2017)', url: 'https://arxiv.org/abs/1706.02515' },
      { title: 'PyTorch torch.nn.SELU (initialisation note)', url: 'https://pytorch.org/docs/stable/generated/torch.nn.SELU.html' },
      { title: 'PyTorch torch.nn.AlphaDropout', url: 'https://pytorch.org/docs/stable/generated/torch.nn.AlphaDropout.html' },
    ],
    options: null,
    fixable: false,
  },
  check(ctx) {
    const shapes = shapesOf(ctx);
    const reported = new Set<Node>();
    for (const node of ctx.nodes) {
      if (node.op !== 'selu') continue;
      // Back to the weight layer that feeds it.
      let at: Node | undefined = ctx.writers(node)[0];
      let norm: Node | null = null;
      let layer: Node | null = null;
      for (let steps = 0; at && steps < 64; steps++) {
        if (isWeightLayer(at)) {
          layer = at;
          break;
        }
        if (isNormalizer(at)) norm ??= at;
        else if (!isPassThrough(at)) break;
        at = ctx.writers(at)[0];
      }
      if (norm && !reported.has(norm)) {
        reported.add(norm);
        ctx.report({
          node: norm,
          message: `'${norm.name}' normalises the input of SELU '${node.name}': SELU keeps mean 0 and variance 1 by itself, so with BatchNorm its self-normalising property goes unused`,
          hint: 'remove the BatchNorm (SELU with LeCun-normal weights), or use ReLU with BatchNorm',
        });
      }
      if (layer && isWeightLayer(layer) && !norm && !reported.has(layer)) {
        const w = weightOwner(ctx, layer)?.blob;
        const geometry = weightGeometry(shapes, layer);
        let ratio: number | null = null;
        if (w && geometry) {
          const w2 = fillerSecondMoment(w.init, geometry.weightShape);
          if (w2 !== null) ratio = w2 * geometry.summed;
        } else if (w?.init.type === 'variance_scaling' && w.init.mode === 'fan_in') ratio = w.init.scale;
        if (w && ratio !== null && (ratio < 0.8 || ratio > 1.25)) {
          reported.add(layer);
          ctx.report({
            node: layer,
            fields: WEIGHT_INIT_FIELDS,
            message: `'${layer.name}' feeds SELU '${node.name}' with ${describeFiller(w.init)}, so each unit's weights start with Σw² ≈ ${fmt(ratio)}: SELU self-normalises around mean 0 and variance 1 only when Σw² ≈ 1 (variance 1/fan_in, LeCun normal)`,
            hint: 'use init: lecun (normal, variance 1/fan_in)',
          });
        }
      }
      // Forward to the next weight layer: standard dropout on the way.
      const seen = new Set<Node>([node]);
      let frontier: Node[] = [node];
      for (let steps = 0; frontier.length > 0 && steps < 64; steps++) {
        const next: Node[] = [];
        for (const n of frontier) {
          for (const r of ctx.readers(n)) {
            if (seen.has(r)) continue;
            seen.add(r);
            if (r.op === 'dropout' && r.attrs.drop_prob > 0 && !reported.has(r)) {
              reported.add(r);
              ctx.report({
                node: r,
                fields: [['drop_prob'], ['dropout_param', 'dropout_ratio']],
                message: `'${r.name}' applies standard dropout to the output of SELU '${node.name}': zeroing units and scaling the rest by 1/(1 − ${r.attrs.drop_prob}) moves the mean and variance that SELU keeps at 0 and 1 (self-normalising nets use alpha dropout)`,
                hint: 'remove the dropout here (nnspec has no alpha dropout), or use ReLU if you need standard dropout',
              });
            }
            if (!isWeightLayer(r) && (isPassThrough(r) || r.op === 'dropout')) next.push(r);
          }
        }
        frontier = next;
      }
    }
  },
});
