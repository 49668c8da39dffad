import { pooledSize } from '../../../ir/window.js';
import { defineRule } from '../../rule.js';
import { axisName, lineName } from '../graph/windows.js';
import { TARGET_NAMES, targetOf } from './common.js';

const list = (xs: readonly number[]) => xs.join('×');

export const rule = defineRule({
  meta: {
    id: 'portability/pool-rounding',
    category: 'portability',
    recommended: 'warn',
    description: 'A pooling whose rounded-up output size the target computes differently (Caffe vs PyTorch ceil_mode) or cannot compute (TensorFlow.js).',
    explanation: [
      'Pooling sizes are (in + pads − k)/stride + 1, rounded. Caffe rounds up and drops a last window that would start outside the image only when the layer is padded; PyTorch’s `ceil_mode=True` rounds up and drops such a window always (current ATen; old copies used Caffe’s rule).',
      'The two agree except when the layer is unpadded and the rounded-up last window starts past the input (in = 5, k = 1, stride 3: Caffe 3 outputs, PyTorch 2) — then ceil_mode alone cannot reproduce Caffe, and nnspec pads the end explicitly;',
      'for the same reason a PyTorch ceil_mode pooling becomes `round_mode: FLOOR` in Caffe in that case, which gives PyTorch’s size.',
      'TensorFlow.js has neither: the layers API has only “valid” and “same” padding, and tfjs-core’s `dimRoundingMode: "ceil"` has no clip; nnspec computes the rounded-up size itself and passes explicit end padding so that rounding down gives it (the approach MMdnn and ONNX recommend, onnx/onnx#549).',
      'Getting this wrong changes a layer’s output size (ResNet’s pool1 on 112: 56 by floor, 57 by ceil), which then breaks every shape after it (MTLab/onnx2caffe#3).',
    ].join(' '),
    references: [
      { title: 'PyTorch MaxPool2d: ceil_mode', url: 'https://pytorch.org/docs/stable/generated/torch.nn.MaxPool2d.html' },
      { title: 'Caffe PoolingLayer (pooling_layer.cpp)', url: 'https://github.com/BVLC/caffe/blob/master/src/caffe/layers/pooling_layer.cpp' },
      { title: 'onnx/onnx#549: ONNX has no pooling convention; frontends adjust the pads', url: 'https://github.com/onnx/onnx/issues/549' },
      { title: 'MTLab/onnx2caffe#3: MaxPool2d(3, 2, 1) on 112 is 56 in PyTorch, 57 in Caffe', url: 'https://github.com/MTLab/onnx2caffe/issues/3' },
    ],
    options: null,
    fixable: false,
    targets: ['pytorch', 'caffe', 'tfjs'],
  },
  check(ctx) {
    const target = targetOf(ctx, ['pytorch', 'caffe', 'tfjs']);
    if (!target) return;
    for (const node of ctx.nodes) {
      if (node.op !== 'pool' || node.attrs.rounding === 'floor') continue;
      const a = node.attrs;
      const n = a.kernel.length;
      const input = ctx.inputShape(node, 0);
      const output = ctx.outputShape(node, 0);
      if (!input || !output || input.length !== n + 2 || output.length !== n + 2) continue;
      const inS = input.slice(2);
      const outS = output.slice(2);
      if (!inS.every((d): d is number => typeof d === 'number') || !outS.every((d): d is number => typeof d === 'number')) continue;
      const padded = a.pad_begin.some((p) => p > 0) || a.pad_end.some((p) => p > 0);
      const size = (rounding: 'floor' | 'ceil' | 'caffe') => inS.map((d, i) => pooledSize(d, a.kernel[i]!, a.stride[i]!, a.pad_begin[i]!, a.pad_end[i]!, rounding, padded));
      // Explicit end padding that makes rounding down give the layer's size.
      const endPad = () => inS.map((d, i) => a.pad_end[i]! + Math.max(0, (outS[i]! - 1) * a.stride[i]! + a.kernel[i]! - (d + a.pad_begin[i]! + a.pad_end[i]!)));
      const extra = (pads: number[]) =>
        pads
          .map((p, i) => p - a.pad_end[i]!)
          .map((e, i) => (e > 0 ? `${e} ${lineName(i, n, e)}` : ''))
          .filter(Boolean)
          .join(' and ');
      const fields = [['pooling_param', 'round_mode'], ['pooling_param', 'ceil_mode'], ['round'], ['pooling_param', 'stride'], ['stride']];
      const differing = (other: number[]) =>
        other
          .map((o, i) => (o === outS[i] ? null : axisName(i, n)))
          .filter(Boolean)
          .join(' and ');
      if (target === 'pytorch' && a.rounding === 'caffe') {
        const torch = size('ceil');
        const where = differing(torch);
        if (!where) continue;
        const fill = a.mode === 'max' ? ' (−inf where Caffe writes −FLT_MAX)' : '';
        ctx.report({
          node,
          fields,
          message: `'${node.name}' rounds up the Caffe way on ${list(inS)}, unpadded, and keeps a last window that starts past the input along the ${where}: Caffe gives ${list(outS)}, PyTorch's ceil_mode ${list(torch)}; nnspec will pad the end explicitly to ${list(endPad())} and round down, so PyTorch also gives ${list(outS)}${fill}`,
        });
      } else if (target === 'caffe' && a.rounding === 'ceil') {
        const caffe = size('caffe');
        const where = differing(caffe);
        if (!where) continue;
        ctx.report({
          node,
          fields,
          message: `'${node.name}' uses PyTorch's ceil_mode on ${list(inS)}, unpadded, where the rounded-up last window would start past the input along the ${where}: PyTorch drops it (${list(outS)}) but Caffe keeps it when unpadded (${list(caffe)}); nnspec will write Caffe's Pooling followed by a Crop to ${list(outS)} (the windows start at the same places)`,
        });
      } else if (target === 'tfjs') {
        const floor = size('floor');
        const where = differing(floor);
        if (!where) continue;
        ctx.report({
          node,
          fields,
          message: `'${node.name}' rounds its ${list(inS)} input up to ${list(outS)} outputs (${a.rounding === 'caffe' ? "Caffe's rounding" : 'ceil_mode'}); ${TARGET_NAMES[target]} pooling has no such rounding (tfjs-core's 'ceil' has no clip): nnspec will pass the padding explicitly with ${extra(endPad())} more at the end and round down, which gives the same windows`,
        });
      }
    }
  },
});
