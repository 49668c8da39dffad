/**
 * Sources, sinks, regularisation and losses. Input and data layers become the graph's
 * Placeholders (the exporter wires them); a Parameter is a constant; dropout is the identity in
 * inference (or the (1 − p) scaling of non-inverted dropout); losses and accuracy need labels,
 * so they are not part of an inference graph.
 */
import { binary, unsupported, type Translate } from '../emit.js';

export const source = (): never => {
  throw new Error('input and data layers are placeholders, not translated');
};

export const parameter: Translate<'parameter'> = () => (_inputs, ctx) => {
  const w = ctx.param('value');
  return [{ ref: ctx.g.constant(ctx.scope, 'value', w.data, w.shape), cl: false }];
};

export const silence: Translate<'silence'> = () => () => [];
export const hdf5_output: Translate<'hdf5_output'> = () => () => [];
export const opaque: Translate<'opaque'> = (node) =>
  unsupported(`the ${node.attrs.framework === 'caffe' ? 'Caffe' : 'nnspec'} layer type '${node.attrs.type}', which nnspec cannot evaluate`);

export const dropout: Translate<'dropout'> = (node) => {
  const { drop_prob: p, scale_train } = node.attrs;
  return ([v], ctx) => [scale_train || p === 0 ? { ref: v!.ref, cl: v!.cl } : { ref: binary(ctx, 'Mul', v!.ref, ctx.g.scalar(1 - p)), cl: v!.cl }];
};

export const loss: Translate<'loss'> = (node) => unsupported(`the ${node.attrs.kind.replace(/_/g, ' ')} loss (a training objective, not part of an inference graph)`);
export const accuracy: Translate<'accuracy'> = () => unsupported('Accuracy (an evaluation output, not part of an inference graph)');
