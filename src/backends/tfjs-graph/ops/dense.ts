/**
 * Fully connected layers. The IR flattens the axes from `axis` on in (C, H, W) order; when the
 * input is held NHWC and flattened from axis 1, the weight's columns are reordered to (H, W, C)
 * here, so the graph flattens the held tensor directly instead of transposing it back.
 */
import { canonicalAxis } from '../../../ir/dims.js';
import { attr } from '../graph-def.js';
import { binary, permute, product, reshape, toIr, unsupported, type Translate } from '../emit.js';

export const linear: Translate<'linear'> = (node) => {
  const a = node.attrs;
  return ([v], ctx) => {
    const { g } = ctx;
    const axis = canonicalAxis(a.axis, v!.shape.length) ?? 1;
    const w = ctx.param('weight');
    // As [num_output, K] in the IR's column order.
    let weight = a.transpose ? permute(w.data, w.shape, [1, 0]) : { data: w.data, shape: w.shape };
    let x = v!;
    if (x.cl && axis === 1) {
      const [, c, h, wd] = x.shape as [number, number, number, number];
      const cols = permute(weight.data, [a.num_output, c, h, wd], [0, 2, 3, 1]);
      weight = { data: cols.data, shape: [a.num_output, c * h * wd] };
    } else x = toIr(ctx, x);
    const lead = x.shape.slice(0, axis);
    const k = product(x.shape.slice(axis));
    const rows = axis === 1 && x.shape.length === 2 ? x.ref : reshape(ctx, x.ref, [axis === 0 ? 1 : product(lead), k], axis >= 1);
    let y = g.op(ctx.scope, 'MatMul', [rows, g.constant(ctx.scope, 'weight', weight.data, weight.shape)], { T: attr.float(), transpose_a: attr.bool(false), transpose_b: attr.bool(true) });
    if (a.bias) {
      const b = ctx.param('bias');
      y = binary(ctx, 'AddV2', y, g.constant(ctx.scope, 'bias', b.data, b.shape));
    }
    if (axis !== 1) y = reshape(ctx, y, [...lead, a.num_output], axis >= 1);
    return [{ ref: y, cl: false }];
  };
};

export const embed: Translate<'embed'> = (node) => ([v], ctx) => {
  const { g } = ctx;
  const index = g.op(ctx.scope, 'Cast', [toIr(ctx, v!).ref], { SrcT: attr.float(), DstT: { type: 'DT_INT32' }, Truncate: attr.bool(false) });
  const w = ctx.param('weight');
  let y = g.op(ctx.scope, 'GatherV2', [g.constant(ctx.scope, 'weight', w.data, w.shape), index, g.ints([0], [])], {
    Tparams: attr.float(),
    Tindices: { type: 'DT_INT32' },
    Taxis: { type: 'DT_INT32' },
    batch_dims: attr.int(0),
  });
  if (node.attrs.bias) {
    const b = ctx.param('bias');
    y = binary(ctx, 'AddV2', y, g.constant(ctx.scope, 'bias', b.data, b.shape));
  }
  return [{ ref: y, cl: false }];
};

export const recurrent: Translate<'recurrent'> = (node) => unsupported(`recurrent layers (${node.attrs.cell.toUpperCase()})`);
export const lstm_unit: Translate<'lstm_unit'> = () => unsupported('LSTMUnit');
