import type { Static } from '@sinclair/typebox';
import type { SchemaKit } from './schema-kit.js';

/**
 * Input normalisation, applied per channel as y = (x − mean) · scale / std: the mean is in the
 * units of the raw input (Caffe subtracts before scaling), `std` divides last (torchvision).
 */
export const preprocessSchema = ({ Obj, T, Num }: SchemaKit) =>
  Obj({
    mean: T.Union([T.Array(T.Number()), T.Null()], { description: 'per-channel mean (one value: all channels), in raw input units' }),
    mean_file: T.Union([T.String(), T.Null()], { description: 'a mean image (Caffe binaryproto) subtracted instead of `mean`' }),
    scale: Num('multiplies after the mean is subtracted'),
    std: T.Union([T.Array(T.Number()), T.Null()], { description: 'per-channel divisor applied last' }),
  });

/** Caffe's transform_param: normalisation plus the random crop and mirror of data layers. */
export const transformSchema = (k: SchemaKit) =>
  k.Obj({
    preprocess: preprocessSchema(k),
    crop_size: k.NonNegInt('square crop (random in TRAIN, centre in TEST); 0: none'),
    mirror: k.Bool('random horizontal flips in TRAIN'),
  });

export type Preprocess = Static<ReturnType<typeof preprocessSchema>>;
export type Transform = Static<ReturnType<typeof transformSchema>>;
