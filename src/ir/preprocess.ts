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
    pixel_max: T.Optional(
      T.Number({
        exclusiveMinimum: 0,
        description: "the value of a full-intensity pixel as the input receives it, before the mean: 255 for 8-bit pixels as read (Caffe), 1 when they are first divided by 255 (torchvision's ToTensor); absent: 1 when every mean and std lies in [0, 1], else 255",
      }),
    ),
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
