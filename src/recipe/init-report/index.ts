/** `nnspec init-report`: per-layer activation and gradient statistics of a freshly initialised net. */
export { parseInitList, InitSpecError, INIT_HELP, type InitChoice } from './init-spec.js';
export { instrument, WEIGHT_OPS, type Entry, type Instrumented } from './instrument.js';
export { measure, type Batch, type Measured, type Wiring } from './measure.js';
export { detectFlags, THRESHOLDS, type LayerLinks } from './flags.js';
export { formatTable } from './format-table.js';
export { formatHtml } from './format-html.js';
export type { Flag, FlagKind, Histogram, InitResult, LayerStats } from './types.js';
