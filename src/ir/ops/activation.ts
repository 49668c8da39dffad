import { divide, fail, formatShape, type Shape } from '../dims.js';
import { defineOp, noMacs, none, noParamShapes, pointwise, sameShapes } from '../op.js';

/** Arity and the rules every elementwise activation shares (no parameters, no MACs by convention). */
const elementwise = {
  inputs: { min: 1, max: 1 },
  outputs: { min: 1, max: 1 },
  shape: sameShapes,
  paramShapes: noParamShapes,
  spatial: pointwise,
  macs: noMacs,
} as const;

export const relu = defineOp({
  name: 'relu',
  category: 'activation',
  summary: 'max(x, 0) + negative_slope · min(x, 0) (LeakyReLU when the slope is not 0).',
  attrs: (k) => k.Obj({ negative_slope: k.Num() }),
  ...elementwise,
  params: none,
});

export const prelu = defineOp({
  name: 'prelu',
  category: 'activation',
  summary: 'ReLU with a learned negative slope, one per channel unless channel_shared.',
  attrs: (k) => k.Obj({ channel_shared: k.Bool() }),
  ...elementwise,
  params: () => ['weight'],
  // Caffe's shared slope is a blob with no axes (one value).
  paramShapes: (a, [input]): Shape[] => [a.channel_shared ? [] : [input![1] ?? fail('shape/rank', `PReLU needs a channel axis; the input is ${formatShape(input!)}`)]],
});

export const clip = defineOp({
  name: 'clip',
  category: 'activation',
  summary: 'min(max(x, min), max); ReLU6 is clip(0, 6).',
  attrs: (k) => k.Obj({ min: k.Num(), max: k.Num() }),
  ...elementwise,
  params: none,
});

export const elu = defineOp({
  name: 'elu',
  category: 'activation',
  summary: 'x if x > 0, else alpha · (exp(x) − 1).',
  attrs: (k) => k.Obj({ alpha: k.Num() }),
  ...elementwise,
  params: none,
});

export const selu = defineOp({
  name: 'selu',
  category: 'activation',
  summary: 'Scaled ELU with the self-normalising constants (λ ≈ 1.0507, α ≈ 1.6733).',
  attrs: (k) => k.Obj({}),
  ...elementwise,
  params: none,
});

export const gelu = defineOp({
  name: 'gelu',
  category: 'activation',
  summary: "x · Φ(x), exactly ('none') or with the tanh approximation.",
  attrs: (k) => k.Obj({ approximate: k.Enum(['none', 'tanh']) }),
  ...elementwise,
  params: none,
});

export const sigmoid = defineOp({ name: 'sigmoid', category: 'activation', summary: '1 / (1 + exp(−x)).', attrs: (k) => k.Obj({}), ...elementwise, params: none });
export const tanh = defineOp({ name: 'tanh', category: 'activation', summary: 'Hyperbolic tangent.', attrs: (k) => k.Obj({}), ...elementwise, params: none });

export const swish = defineOp({
  name: 'swish',
  category: 'activation',
  summary: 'x · sigmoid(beta · x).',
  attrs: (k) => k.Obj({ beta: k.Num() }),
  ...elementwise,
  params: none,
});

export const maxout = defineOp({
  name: 'maxout',
  category: 'activation',
  summary: 'Maximum over groups of `pieces` consecutive channels: C channels become C / pieces.',
  attrs: (k) => k.Obj({ pieces: k.PositiveInt() }),
  ...elementwise,
  params: none,
  shape: (a, [input]) => {
    const c = input![1];
    const out = c === undefined ? null : divide(c, a.pieces);
    if (out === null) fail('shape/groups', `maxout: the ${c ?? 'missing'} channels of ${formatShape(input!)} do not divide into groups of ${a.pieces}`);
    return [[input![0]!, out, ...input!.slice(2)]];
  },
});

export const absval = defineOp({ name: 'absval', category: 'activation', summary: '|x|.', attrs: (k) => k.Obj({}), ...elementwise, params: none });
export const bnll = defineOp({ name: 'bnll', category: 'activation', summary: 'log(1 + exp(x)) (softplus).', attrs: (k) => k.Obj({}), ...elementwise, params: none });

export const power = defineOp({
  name: 'power',
  category: 'activation',
  summary: '(shift + scale · x)^power.',
  attrs: (k) => k.Obj({ power: k.Num(), scale: k.Num(), shift: k.Num() }),
  ...elementwise,
  params: none,
});

export const exp = defineOp({
  name: 'exp',
  category: 'activation',
  summary: 'base^(shift + scale · x); base −1 means e.',
  attrs: (k) => k.Obj({ base: k.Num('the base; −1 means e'), scale: k.Num(), shift: k.Num() }),
  ...elementwise,
  params: none,
});

export const log = defineOp({
  name: 'log',
  category: 'activation',
  summary: 'log_base(shift + scale · x); base −1 means e.',
  attrs: (k) => k.Obj({ base: k.Num('the base; −1 means e'), scale: k.Num(), shift: k.Num() }),
  ...elementwise,
  params: none,
});

export const threshold = defineOp({
  name: 'threshold',
  category: 'activation',
  summary: '1 where x > threshold, else 0.',
  attrs: (k) => k.Obj({ threshold: k.Num() }),
  ...elementwise,
  params: none,
});
