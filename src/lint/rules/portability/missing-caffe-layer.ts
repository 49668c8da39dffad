import { defineRule } from '../../rule.js';
import { spatialInput, targetOf } from './common.js';

export const rule = defineRule({
  meta: {
    id: 'portability/missing-caffe-layer',
    category: 'portability',
    recommended: 'warn',
    description: 'A layer BVLC Caffe has no layer type for (GELU, SELU, Maxout, adaptive pooling, DropConnect), with what nnspec writes instead.',
    explanation: [
      'BVLC Caffe’s layer catalogue stops at ReLU, PReLU, ELU, Sigmoid, TanH, Swish, Clip, BNLL, AbsVal, Power, Exp, Log and Threshold among activations, and at fixed-window Pooling.',
      'Some layers can be written exactly as a chain of Caffe layers: SELU is λ·ELU(x; α) (an ELU with α = 1.6733 and a Power with scale λ = 1.0507);',
      'Maxout over groups of p consecutive channels is a MAX Pooling with a p×1 window over the channels laid out as rows (Reshape, Pooling, Reshape);',
      'GELU’s tanh approximation 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) is Power, Eltwise, TanH and Eltwise PROD layers.',
      'Others cannot: Caffe has no erf, so an exact GELU is refused (`nnspec convert --to caffe` stops with convert/unsupported; the tanh approximation differs by up to 4.7·10⁻⁴ near x = −2.7, so say `approximate: tanh` if that is acceptable);',
      'adaptive pooling is one Pooling layer only when the input is a multiple of the output size (kernel = stride = in/out, and then only for that input size; to 1×1 it is `global_pooling`), since Caffe windows are all the same size;',
      'DropConnect has no Caffe layer and is refused (a plain InnerProduct would be the same in inference but would train differently).',
    ].join(' '),
    references: [
      { title: 'Caffe layer catalogue', url: 'https://caffe.berkeleyvision.org/tutorial/layers.html' },
      { title: 'Hendrycks & Gimpel, Gaussian Error Linear Units (arXiv 1606.08415)', url: 'https://arxiv.org/abs/1606.08415' },
      { title: 'Klambauer et al., Self-Normalizing Neural Networks (arXiv 1706.02515)', url: 'https://arxiv.org/abs/1706.02515' },
      { title: 'Goodfellow et al., Maxout Networks (arXiv 1302.4389)', url: 'https://arxiv.org/abs/1302.4389' },
      { title: 'PyTorch AdaptiveAvgPool2d', url: 'https://pytorch.org/docs/stable/generated/torch.nn.AdaptiveAvgPool2d.html' },
    ],
    options: null,
    fixable: false,
    targets: ['caffe'],
  },
  check(ctx) {
    if (!targetOf(ctx, ['caffe'])) return;
    for (const node of ctx.nodes) {
      let message: string | null = null;
      const fields: string[][] = [];
      switch (node.op) {
        case 'gelu':
          message =
            node.attrs.approximate === 'tanh'
              ? `'${node.name}' is a GELU (tanh approximation); Caffe has no GELU layer: nnspec will write 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) as Power, Eltwise, TanH and Eltwise PROD layers, which compute the same`
              : `'${node.name}' is an exact GELU (x·Φ(x)); Caffe has no GELU layer and no erf, so nnspec cannot convert it exactly and refuses; with approximate: tanh (up to 4.7e-4 from x·Φ(x)) it would be written as Power, Eltwise, TanH and Eltwise PROD layers`;
          fields.push(['approximate']);
          break;
        case 'selu':
          message = `'${node.name}' is a SELU; Caffe has no SELU layer: nnspec will write an ELU with alpha 1.6732632 followed by a Power with scale 1.0507010, which computes the same`;
          break;
        case 'maxout':
          message = `'${node.name}' is a Maxout over groups of ${node.attrs.pieces} channels; Caffe has no Maxout layer: nnspec will write Reshape (channels as rows), a MAX Pooling with a ${node.attrs.pieces}×1 window and stride, and Reshape back, which computes the same`;
          fields.push(['pieces']);
          break;
        case 'linear':
          if (node.attrs.weight_drop_prob > 0) {
            message = `'${node.name}' is a DropConnect layer (drops each weight with probability ${node.attrs.weight_drop_prob} while training); Caffe has no such layer, so nnspec refuses to convert it (a plain InnerProduct would match in inference only)`;
            fields.push(['drop_prob']);
          }
          break;
        case 'adaptive_pool': {
          const out = node.attrs.output_size;
          // Pooling to 1×1 is Caffe's global_pooling, for any input size.
          if (out.every((d) => d === 1)) break;
          const input = spatialInput(ctx, node, out.length);
          const fits = input !== null && input.every((d, i) => d % out[i]! === 0);
          const mode = node.attrs.mode === 'max' ? 'a MAX' : 'an AVE';
          message = fits
            ? `'${node.name}' is an adaptive pooling to ${out.join('×')}; Caffe has no adaptive pooling: nnspec will write ${mode} Pooling with kernel and stride ${input!.map((d, i) => d / out[i]!).join('×')} (the ${input!.join('×')} input divides evenly), which computes the same for this input size only`
            : `'${node.name}' is an adaptive pooling to ${out.join('×')}; Caffe has no adaptive pooling and its windows are all one size: nnspec can write it as ${mode} Pooling only for inputs whose size is a multiple of ${out.join('×')}${input ? `, and ${input.join('×')} is not` : ' (the input size is unknown here)'}`;
          fields.push(['output']);
          break;
        }
        default:
          break;
      }
      if (message) ctx.report({ node, fields, message });
    }
  },
});
