/**
 * What the analysis knows about each blob, found by the blob's id in the NameTable the graph
 * checker fills. A net of 200,000 layers has as many blobs alive to the end (any may
 * be read again), so nothing here is an object per blob: shapes are shared (most blobs of a
 * net have one of a few dozen shapes) and receptive fields live in paged Float64Arrays,
 * outside the garbage-collected heap (see NameTable for why that matters).
 */
import type { Shape } from '../ir/dims.js';
import type { SpatialMap } from '../ir/op.js';
import { shiftAxis, windowAxis, type AxisField, type BlobField } from './receptive-field.js';

const BLOBS_PER_PAGE = 1 << 12;
const scratch: AxisField = { size: 0, stride: 0, centre: 0 };
/** Per id: state, input index, rank, then (size, stride, centre) for up to MAX_RANK axes. */
const MAX_RANK = 3;
const SLOTS = 3 + 3 * MAX_RANK;

const NONE = 0;
const SPATIAL = 1;
const GLOBAL = 2;
/** Values from a known input whose positions no longer map to it (after a flatten). */
const POSITIONLESS = 3;

export class BlobStore {
  /** Name id → blob index + 1 (0: not a blob); names of layers get no storage. */
  private indexOf = new Int32Array(1 << 12);
  private count = 0;
  /** By blob index: the blob's shape, null when unknown. */
  private readonly shapes: (Shape | null)[] = [];
  private readonly distinctShapes = new Map<string, Shape>();
  private readonly interned = new WeakSet<Shape>();
  private readonly pages: Float64Array[] = [];
  /** The network inputs fields are measured on. */
  private readonly origins: { name: string; size: number[] | null }[] = [];
  private readonly originIndex = new Map<string, number>();
  /** Counts writes to fields, so that a reader can tell nothing changed since it last looked. */
  generation = 0;

  /** The blob index of a name id, or −1 when no node has produced it. */
  private blob(id: number): number {
    return id >= 0 && id < this.indexOf.length ? this.indexOf[id]! - 1 : -1;
  }

  private blobFor(id: number): number {
    if (id >= this.indexOf.length) {
      let length = this.indexOf.length * 2;
      while (length <= id) length *= 2;
      const grown = new Int32Array(length);
      grown.set(this.indexOf);
      this.indexOf = grown;
    }
    let index = this.indexOf[id]! - 1;
    if (index < 0) {
      index = this.count++;
      this.indexOf[id] = index + 1;
      this.shapes.push(null);
    }
    return index;
  }

  produced(id: number): boolean {
    return this.blob(id) >= 0;
  }

  shape(id: number): Shape | null {
    const b = this.blob(id);
    return b >= 0 ? this.shapes[b]! : null;
  }

  setShape(id: number, shape: Shape | null): void {
    this.shapes[this.blobFor(id)] = shape && this.intern(shape);
  }

  /** One array per distinct shape, whatever number of blobs have it. */
  intern(shape: Shape): Shape {
    if (this.interned.has(shape)) return shape;
    const key = shape.join(',');
    const known = this.distinctShapes.get(key);
    if (known && known.length === shape.length && known.every((d, i) => d === shape[i])) return known;
    if (this.distinctShapes.size < 1 << 16) {
      this.distinctShapes.set(key, shape);
      this.interned.add(shape);
    }
    return shape;
  }

  private slot(id: number, create: boolean): { page: Float64Array; at: number } | null {
    const b = create ? this.blobFor(id) : this.blob(id);
    if (b < 0) return null;
    const p = b >>> 12;
    let page = this.pages[p];
    if (!page) {
      if (!create) return null;
      while (this.pages.length <= p) this.pages.push(undefined as unknown as Float64Array);
      page = this.pages[p] = new Float64Array(BLOBS_PER_PAGE * SLOTS);
    }
    return { page, at: (b & (BLOBS_PER_PAGE - 1)) * SLOTS };
  }

  field(id: number): BlobField | null {
    const s = id >= 0 ? this.slot(id, false) : null;
    if (!s) return null;
    const { page, at } = s;
    const state = page[at]!;
    if (state === NONE) return null;
    const origin = this.origins[page[at + 1]!]!;
    if (state !== SPATIAL) return { axes: [], global: state === GLOBAL, input: origin.name, inputSize: origin.size };
    const axes = [];
    for (let k = 0; k < page[at + 2]!; k++) axes.push({ size: page[at + 3 + 3 * k]!, stride: page[at + 4 + 3 * k]!, centre: page[at + 5 + 3 * k]! });
    return { axes, global: false, input: origin.name, inputSize: origin.size };
  }

  setField(id: number, field: BlobField | null): void {
    this.generation++;
    if (!field || field.axes.length > MAX_RANK) {
      const s = this.slot(id, false);
      if (s) s.page[s.at] = NONE;
      return;
    }
    const { page, at } = this.slot(id, true)!;
    page[at] = field.global ? GLOBAL : field.axes.length === 0 ? POSITIONLESS : SPATIAL;
    page[at + 1] = this.origin(field.input, field.inputSize);
    page[at + 2] = field.axes.length;
    field.axes.forEach((a, k) => {
      page[at + 3 + 3 * k] = a.size;
      page[at + 4 + 3 * k] = a.stride;
      page[at + 5 + 3 * k] = a.centre;
    });
  }

  /**
   * The field of `to`, the output of a single-input spatial map applied to `from`, computed
   * in the typed storage (the same per-axis rules as applyMap, without an object per blob).
   */
  through(map: SpatialMap, from: number, to: number): void {
    if (map.kind === 'pointwise' && from === to) return;
    this.generation++;
    const src = from >= 0 ? this.slot(from, false) : null;
    const state = src ? src.page[src.at]! : NONE;
    if (state === NONE || map.kind === 'unknown' || map.kind === 'merge') {
      this.setField(to, null);
      return;
    }
    this.copyField(from, to);
    const { page, at } = this.slot(to, true)!;
    switch (map.kind) {
      case 'pointwise':
        return;
      case 'none':
        if (state === SPATIAL) page[at] = POSITIONLESS;
        return;
      case 'global':
        page[at] = GLOBAL;
        return;
      case 'shift':
      case 'window':
      case 'upsample': {
        if (state === GLOBAL) return;
        if (state === POSITIONLESS) {
          if (map.kind !== 'shift') page[at] = NONE;
          return;
        }
        const rank = page[at + 2]!;
        const n = map.kind === 'shift' ? map.offset.length : map.kernel.length;
        if (n !== rank) {
          if (map.kind !== 'shift') page[at] = NONE;
          return;
        }
        for (let k = 0; k < rank; k++) {
          const base = at + 3 + 3 * k;
          scratch.size = page[base]!;
          scratch.stride = page[base + 1]!;
          scratch.centre = page[base + 2]!;
          if (map.kind === 'shift') shiftAxis(scratch, map.offset[k]!);
          else windowAxis(scratch, map.kind, map.kernel[k]!, map.stride[k]!, map.pad_begin[k]!);
          page[base] = scratch.size;
          page[base + 1] = scratch.stride;
          page[base + 2] = scratch.centre;
        }
      }
    }
  }

  /** The output of a position-wise operation: the same field as its input. */
  copyField(from: number, to: number): void {
    if (from === to) return;
    this.generation++;
    const src = from >= 0 ? this.slot(from, false) : null;
    if (!src || src.page[src.at] === NONE) {
      this.setField(to, null);
      return;
    }
    const dst = this.slot(to, true)!;
    dst.page.set(src.page.subarray(src.at, src.at + SLOTS), dst.at);
  }

  private origin(name: string, size: number[] | null): number {
    let index = this.originIndex.get(name);
    if (index === undefined) {
      index = this.origins.length;
      this.origins.push({ name, size });
      this.originIndex.set(name, index);
    }
    return index;
  }
}
