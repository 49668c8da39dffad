/**
 * Receptive fields, carried forward blob by blob. For each spatial axis a blob knows, in
 * network-input pixels: `size` r (how many input positions one of its values sees), `stride`
 * S (the distance between neighbouring values' windows) and `centre` C (where value 0's
 * window is centred). The effective padding is P = (r − 1)/2 − C.
 *
 * A window layer (kernel k with dilation folded in, stride s, padding p) gives
 *   r' = r + (k − 1)·S,  S' = s·S,  C' = C + ((k − 1)/2 − p)·S,
 * which is the forward form of the backward recurrences r ← s·r + (k − s), S ← s·S,
 * P ← s·P + p (Araujo et al., Distill 2019; google-research/receptive_field). Centres, not
 * window starts, are carried so that transposed convolutions (strides below one) and crops
 * (shifts) fit the same scheme, as in Caffe's python/caffe/coord_map.py.
 *
 * Where paths merge (Eltwise, Concat), the largest receptive field wins and the paths must be
 * aligned: equal strides and equal centres, else the same output position mixes features
 * centred on different input pixels.
 */
import type { Shape } from '../ir/dims.js';
import type { SpatialMap } from '../ir/op.js';

export interface AxisField {
  size: number;
  stride: number;
  centre: number;
}

export interface BlobField {
  /**
   * One per spatial axis; empty for a blob that sees the whole input (`global`) or whose axes
   * no longer relate to input positions (after a flatten or reshape over them).
   */
  axes: AxisField[];
  /** Every value sees the whole input (after a fully connected layer or global pooling). */
  global: boolean;
  /** The network input the field is measured on, and its spatial size (null where unknown). */
  input: string;
  inputSize: number[] | null;
}

export interface Misalignment {
  /** Indices of the two inputs whose fields do not line up, and the first axis where they differ. */
  a: number;
  b: number;
  axis: number;
}

/** A network input: every value sees itself. */
export function inputField(name: string, shape: Shape): BlobField | null {
  const spatial = shape.slice(2);
  if (spatial.length === 0) return null;
  return {
    axes: spatial.map(() => ({ size: 1, stride: 1, centre: 0 })),
    global: false,
    input: name,
    inputSize: spatial.every((d): d is number => typeof d === 'number') ? spatial : null,
  };
}

function everything(from: BlobField): BlobField {
  return { axes: [], global: true, input: from.input, inputSize: from.inputSize };
}

/** One axis through a window (k with dilation folded in, stride s, padding p), in place. */
export function windowAxis(f: AxisField, kind: 'window' | 'upsample', k: number, s: number, p: number): AxisField {
  if (kind === 'window') {
    f.centre += ((k - 1) / 2 - p) * f.stride;
    f.size += (k - 1) * f.stride;
    f.stride *= s;
    return f;
  }
  // Transposed: output j is centred at input position (j + p − (k − 1)/2) / s and draws on at
  // most ceil(k / s) inputs.
  f.centre += ((p - (k - 1) / 2) / s) * f.stride;
  f.size += (Math.ceil(k / s) - 1) * f.stride;
  f.stride /= s;
  return f;
}

/** One axis through a crop that starts `offset` positions in, in place. */
export function shiftAxis(f: AxisField, offset: number): AxisField {
  f.centre += offset * f.stride;
  return f;
}

/**
 * The field of an operation's output from its inputs' fields. `inputs` holds the fields of the
 * inputs that matter (all of them for merges, the first otherwise); null where unknown.
 */
export function applyMap(map: SpatialMap, inputs: (BlobField | null)[]): { field: BlobField | null; misaligned?: Misalignment } {
  const first = inputs[0] ?? null;
  switch (map.kind) {
    case 'none':
      // No output position maps to an input position (a flatten over H and W), but the values
      // still come from the same input: a fully connected layer after it sees all of it.
      return { field: first && (first.global ? first : { axes: [], global: false, input: first.input, inputSize: first.inputSize }) };
    case 'unknown':
      return { field: null };
    case 'pointwise':
      return { field: first };
    case 'global':
      return { field: first && everything(first) };
    case 'merge':
      return merge(inputs);
    case 'shift': {
      if (!first || first.global || map.offset.length !== first.axes.length) return { field: first };
      const axes = first.axes.map((f, i) => shiftAxis({ ...f }, map.offset[i]!));
      return { field: { ...first, axes } };
    }
    case 'window':
    case 'upsample': {
      if (!first || first.global) return { field: first };
      if (map.kernel.length !== first.axes.length) return { field: null };
      const axes = first.axes.map((f, i) => windowAxis({ ...f }, map.kind, map.kernel[i]!, map.stride[i]!, map.pad_begin[i]!));
      return { field: { ...first, axes } };
    }
  }
}

function merge(inputs: (BlobField | null)[]): { field: BlobField | null; misaligned?: Misalignment } {
  let best = -1;
  let bestSize = -1;
  inputs.forEach((f, i) => {
    if (!f) return;
    const size = f.global ? Infinity : f.axes.reduce((s, a) => s + a.size, 0);
    if (size > bestSize) {
      best = i;
      bestSize = size;
    }
  });
  if (best < 0) return { field: null };
  const chosen = inputs[best]!;
  let misaligned: Misalignment | undefined;
  for (let i = 0; i < inputs.length && !misaligned; i++) {
    const f = inputs[i];
    if (!f || i === best || f.global || chosen.global || f.input !== chosen.input || f.axes.length !== chosen.axes.length) continue;
    const axis = f.axes.findIndex((a, k) => a.stride !== chosen.axes[k]!.stride || a.centre !== chosen.axes[k]!.centre);
    if (axis >= 0) misaligned = { a: Math.min(i, best), b: Math.max(i, best), axis };
  }
  return misaligned ? { field: chosen, misaligned } : { field: chosen };
}

/** What a summary shows: size, stride and effective padding per spatial axis. */
export interface FieldReport {
  size: number[];
  stride: number[];
  padding: number[];
  /** Every value sees the whole input: size is the input's size. */
  global?: true;
  /** The network input it is measured on. */
  input: string;
}

export function reportField(field: BlobField | null): FieldReport | null {
  if (!field) return null;
  if (field.global) {
    if (!field.inputSize) return null;
    return { size: field.inputSize, stride: field.inputSize, padding: field.inputSize.map(() => 0), global: true, input: field.input };
  }
  if (field.axes.length === 0) return null;
  return {
    size: field.axes.map((a) => a.size),
    stride: field.axes.map((a) => a.stride),
    padding: field.axes.map((a) => (a.size - 1) / 2 - a.centre),
    input: field.input,
  };
}
