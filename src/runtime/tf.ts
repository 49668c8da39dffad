// Type-only view of TensorFlow.js. Importing this module loads nothing at run time:
// tfjs itself is imported lazily by selectBackend, so commands that never train stay
// free of it (tests/cli/trace-imports*.mjs checks that).
import type * as tfjs from '@tensorflow/tfjs';

export type Tf = typeof tfjs;
export type Tensor = tfjs.Tensor;
export type Tensor4D = tfjs.Tensor4D;
export type TensorInfo = tfjs.TensorInfo;
export type KernelBackend = tfjs.KernelBackend;
export type Conv2DInfo = tfjs.backend_util.Conv2DInfo;
