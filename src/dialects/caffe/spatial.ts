/**
 * Caffe's ways of writing per-axis window settings: `kernel_size: 3`, `kernel_size: [3, 5]`,
 * or `kernel_h`/`kernel_w`, with the CHECKs base_conv_layer.cpp and pooling_layer.cpp apply.
 */
import type { Span } from '../../language/syntax-tree.js';
import type { LayerContext } from './layer-context.js';
import type { DecodedMeta } from '../../schema/decode-proto.js';

export interface AxisSetting {
  /** The repeated (or scalar) field: kernel_size, stride, pad, dilation. */
  name: string;
  values: number[];
  /** The 2-D-only pair, e.g. kernel_h / kernel_w. */
  h?: number | undefined;
  w?: number | undefined;
  hName: string;
  wName: string;
  fallback: number;
  /** Smallest legal value (kernel, stride and dilation must be positive). */
  min: number;
}

/** Number of spatial axes the settings describe (2 unless N-D lists say otherwise). */
export function spatialAxes(settings: AxisSetting[]): number {
  let n = 0;
  for (const s of settings) {
    if (s.h !== undefined || s.w !== undefined) return 2;
    if (s.values.length > 1) n = Math.max(n, s.values.length);
  }
  return n || 2;
}

/** Expands one setting to `n` values, reporting what Caffe would CHECK-fail on. */
export function expandAxis(ctx: LayerContext, msg: DecodedMeta, s: AxisSetting, n: number): number[] | null {
  const hasPair = s.h !== undefined || s.w !== undefined;
  let out: number[];
  const at = (): Span => (hasPair ? ctx.at(msg, s.h !== undefined ? s.hName : s.wName) : ctx.at(msg, s.name));
  if (hasPair) {
    if (s.values.length > 0) {
      ctx.error('caffe/conflicting-fields', `${s.name} and ${s.hName}/${s.wName} cannot both be given`, at());
      return null;
    }
    if (s.h === undefined || s.w === undefined) {
      ctx.error('caffe/incomplete-pair', `${s.hName} and ${s.wName} must be given together`, at());
      return null;
    }
    out = [s.h, s.w];
  } else if (s.values.length === 0) {
    out = new Array<number>(n).fill(s.fallback);
  } else if (s.values.length === 1) {
    out = new Array<number>(n).fill(s.values[0]!);
  } else if (s.values.length === n) {
    out = s.values;
  } else {
    ctx.error('caffe/axis-count', `${s.name} has ${s.values.length} values but the layer has ${n} spatial axes (give 1 or ${n})`, at());
    return null;
  }
  for (const v of out) {
    if (v < s.min) {
      ctx.error('caffe/invalid-value', `${s.name} must be ${s.min === 1 ? 'positive' : 'at least ' + s.min}, got ${v}`, at());
      return null;
    }
  }
  return out;
}
