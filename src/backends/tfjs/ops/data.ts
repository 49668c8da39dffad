/**
 * Sources and sinks. Input and data layers take their blobs from the forward function's
 * arguments (the lowering wires them, not a kernel); Parameter outputs its learned blob.
 */
import { irValue } from '../layout.js';
import { unsupported, type Lower } from '../types.js';

export const parameter: Lower<'parameter'> = () => (_inputs, { param }) => [irValue(param('value'))];
export const silence: Lower<'silence'> = () => () => [];
/** Writing files is not part of a forward pass: its inputs are computed and left alone. */
export const hdf5_output: Lower<'hdf5_output'> = () => () => [];
export const opaque: Lower<'opaque'> = (node) =>
  unsupported(`the ${node.attrs.framework === 'caffe' ? 'Caffe' : 'nnspec'} layer type '${node.attrs.type}', which nnspec cannot evaluate`);
