import type { Node } from '../../../ir/graph.js';
import { defineRule } from '../../rule.js';
import { axisName } from '../graph/windows.js';
import { padFields, TARGET_NAMES, targetOf } from './common.js';

type Padded = Extract<Node, { op: 'conv' | 'conv_transpose' | 'im2col' | 'pool' }>;

/** "0 before and 1 after along the height and width". */
function describe(begin: readonly number[], end: readonly number[]): string {
  const n = begin.length;
  const groups = new Map<string, number[]>();
  begin.forEach((b, i) => {
    if (b === end[i]) return;
    const key = `${b} before and ${end[i]} after`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push(i);
  });
  return [...groups].map(([pads, axes]) => `${pads} along the ${axes.map((a) => axisName(a, n)).join(' and ')}`).join(', ');
}

const list = (xs: readonly number[]) => xs.join('×');

export const rule = defineRule({
  meta: {
    id: 'portability/asymmetric-padding',
    category: 'portability',
    recommended: 'warn',
    description: 'Padding that differs before and after an axis (or a transposed convolution’s output_padding) for Caffe or PyTorch, which pad both sides equally.',
    explanation: [
      'Caffe’s `pad` and PyTorch’s `padding` add the same amount before and after each axis.',
      'TensorFlow’s `SAME` padding does not: with stride 2 on an even input it pads 0 before and 1 after, so a port that writes pad 1 gets the right output size but every value shifted by one pixel (MMdnn#153, tensorflow#10747).',
      'nnspec keeps padding per side (pad_begin, pad_end) and lowers it exactly:',
      'for PyTorch it pads explicitly first (`nn.ZeroPad2d` / `F.pad`, with −∞ for max pooling) and then uses padding 0;',
      'for Caffe, which has no padding layer, it pads both sides by enough that the wanted windows are still on the stride grid and crops the surplus outputs with a Crop layer (MMdnn#314) — possible for pooling only while that pad stays below the kernel, as Caffe requires.',
      'A transposed convolution’s padding crops its output, so there the lowering pads less and crops the difference; Caffe’s Deconvolution also has no output_padding, which is handled the same way.',
    ].join(' '),
    references: [
      { title: 'TensorFlow tf.nn.convolution: SAME padding', url: 'https://www.tensorflow.org/api_docs/python/tf/nn/convolution' },
      { title: 'microsoft/MMdnn#314: asymmetric padding into Caffe via a larger pad and Crop', url: 'https://github.com/microsoft/MMdnn/issues/314' },
      { title: 'PyTorch ZeroPad2d', url: 'https://pytorch.org/docs/stable/generated/torch.nn.ZeroPad2d.html' },
      { title: 'PyTorch ConvTranspose2d: padding and output_padding', url: 'https://pytorch.org/docs/stable/generated/torch.nn.ConvTranspose2d.html' },
    ],
    options: null,
    fixable: false,
    targets: ['caffe', 'pytorch'],
  },
  check(ctx) {
    const target = targetOf(ctx, ['caffe', 'pytorch']);
    if (!target) return;
    for (const node of ctx.nodes) {
      if (node.op !== 'conv' && node.op !== 'conv_transpose' && node.op !== 'im2col' && node.op !== 'pool') continue;
      const message = node.op === 'conv_transpose' ? transposed(node, target) : windowed(node, target, ctx.outputShape(node, 0));
      if (message) ctx.report({ node, fields: [...padFields(node), ['output_padding']], message });
    }
  },
});

function windowed(node: Exclude<Padded, { op: 'conv_transpose' }>, target: 'caffe' | 'pytorch', output: readonly (number | string)[] | null): string | null {
  const { pad_begin: pb, pad_end: pe, stride, kernel } = node.attrs;
  if (pb.every((b, i) => b === pe[i])) return null;
  const what = node.op === 'pool' ? (node.attrs.mode === 'max' ? 'max pooling' : node.attrs.mode === 'avg' ? 'average pooling' : 'stochastic pooling') : node.op === 'im2col' ? 'Im2col' : 'convolution';
  const head = `'${node.name}' (${what}) pads ${describe(pb, pe)}; ${TARGET_NAMES[target]} pads both sides equally`;
  if (target === 'pytorch') {
    const pads = pb.map((b, i) => `${b}, ${pe[i]}`).reverse().join(', ');
    if (node.op === 'pool') {
      const fill = node.attrs.mode === 'max' ? '−inf' : '0';
      const divisor = node.attrs.mode === 'avg' && !node.attrs.count_include_pad ? ', then rescale each output by its window’s count of in-bounds cells' : '';
      return `${head}: nnspec will pad explicitly with F.pad(x, (${pads}), value=${fill}) and pool with padding 0${divisor}`;
    }
    return `${head}: nnspec will pad explicitly (F.pad(x, (${pads})), zeros) and ${node.op === 'conv' ? 'convolve' : 'unfold'} with padding 0, which computes the same`;
  }
  // Caffe: pad P' ≥ both sides with (P' − pad_begin) a multiple of the stride, then crop the
  // (P' − pad_begin) / stride leading outputs (and the surplus at the end).
  const big = pb.map((b, i) => b + Math.ceil(Math.max(0, pe[i]! - b) / stride[i]!) * stride[i]!);
  const offset = big.map((p, i) => (p - pb[i]!) / stride[i]!);
  if (node.op === 'pool' && big.some((p, i) => p >= kernel[i]!)) {
    return `${head}: padding ${list(big)} on both sides would keep the same windows, but Caffe's pooling pad must be smaller than the kernel ${list(kernel)}, so nnspec cannot write this layer for Caffe`;
  }
  const size = output && output.length >= 2 ? ` to its ${output.slice(output.length - pb.length).join('×')} size` : '';
  return `${head}: nnspec will pad ${list(big)} on both sides and Crop the output at offset ${list(offset)}${size}, which keeps the same windows`;
}

function transposed(node: Extract<Node, { op: 'conv_transpose' }>, target: 'caffe' | 'pytorch'): string | null {
  const { pad_begin: pb, pad_end: pe, output_padding: op } = node.attrs;
  // In a transposed convolution padding removes outputs: pad_end − output_padding is what the end loses.
  const endCut = pe.map((e, i) => e - (op[i] ?? 0));
  const hasOutputPadding = op.some((x) => x > 0);
  if (target === 'pytorch') {
    if (pb.every((b, i) => b === pe[i])) return null; // output_padding is PyTorch's own
    const p = pb.map((b, i) => Math.min(b, pe[i]!));
    return `'${node.name}' (transposed convolution) pads ${describe(pb, pe)}; PyTorch's ConvTranspose2d pads both sides equally: nnspec will use padding ${list(p)} and slice off ${list(pb.map((b, i) => b - p[i]!))} leading and ${list(pe.map((e, i) => e - p[i]!))} trailing outputs, which computes the same`;
  }
  if (pb.every((b, i) => b === endCut[i])) return null;
  const what = hasOutputPadding ? `has output_padding ${list(op)} with padding ${pb.map((b, i) => (b === pe[i] ? String(b) : `${b}/${pe[i]}`)).join('×')}` : `pads ${describe(pb, pe)}`;
  const head = `'${node.name}' (transposed convolution) ${what}; Caffe's Deconvolution crops both sides equally${hasOutputPadding ? ' and has no output_padding' : ''}`;
  if (endCut.some((c) => c < 0)) return `${head}, and here the output would need ${list(endCut.map((c) => Math.max(0, -c)))} more rows/columns than a full transposed convolution gives, which Caffe cannot produce`;
  const p = pb.map((b, i) => Math.min(b, endCut[i]!));
  return `${head}: nnspec will write pad ${list(p)} and Crop the output at offset ${list(pb.map((b, i) => b - p[i]!))}, which computes the same`;
}
