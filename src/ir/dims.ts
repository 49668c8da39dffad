/**
 * Tensor dimensions that may be symbolic. A dimension is a number, or a product of named
 * symbols with a numeric factor written as a string ("N", "N*3"): the batch size is often
 * left open, and flattening or reshaping over it must keep it open rather than guess.
 * Only products are needed: shape rules multiply (flatten), divide (reshape's −1) and add
 * known sizes (concat); a sum involving a symbol is not a product and is reported unknown.
 */
export type Dim = number | string;
export type Shape = Dim[];

/** A size that depends on a symbol in a way a product cannot say (a convolution over H). */
export const UNKNOWN_DIM = '?';

/** A shape rule found its inputs inconsistent; the shape pass turns this into a diagnostic. */
export class ShapeError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function fail(code: string, message: string): never {
  throw new ShapeError(code, message);
}

interface Monomial {
  factor: number;
  /** Symbol names, sorted, repeated for powers. */
  symbols: string[];
}

function monomial(d: Dim): Monomial {
  if (typeof d === 'number') return { factor: d, symbols: [] };
  let factor = 1;
  const symbols: string[] = [];
  for (const part of d.split('*')) {
    const n = Number(part);
    if (part !== '' && Number.isInteger(n)) factor *= n;
    else symbols.push(part);
  }
  return { factor, symbols: symbols.sort() };
}

function fromMonomial(m: Monomial): Dim {
  if (m.symbols.length === 0 || m.factor === 0) return m.factor;
  return m.factor === 1 ? m.symbols.join('*') : `${m.symbols.join('*')}*${m.factor}`;
}

export function isKnown(d: Dim): d is number {
  return typeof d === 'number';
}

/** The product of some dimensions (1 for none). */
export function product(dims: readonly Dim[]): Dim {
  if (dims.includes(UNKNOWN_DIM)) return dims.includes(0) ? 0 : UNKNOWN_DIM;
  let factor = 1;
  const symbols: string[] = [];
  for (const d of dims) {
    if (typeof d === 'number') factor *= d;
    else {
      const m = monomial(d);
      factor *= m.factor;
      symbols.push(...m.symbols);
    }
  }
  return fromMonomial({ factor, symbols: symbols.sort() });
}

/** a / b when it is exact (symbols cancel and the factor divides); null otherwise. */
export function divide(a: Dim, b: Dim): Dim | null {
  if (a === UNKNOWN_DIM || b === UNKNOWN_DIM) return null;
  const x = monomial(a);
  const y = monomial(b);
  if (y.factor === 0 || x.factor % y.factor !== 0) return null;
  const rest = [...x.symbols];
  for (const s of y.symbols) {
    const i = rest.indexOf(s);
    if (i < 0) return null;
    rest.splice(i, 1);
  }
  return fromMonomial({ factor: x.factor / y.factor, symbols: rest });
}

/** a + b; unknown when a symbol makes the sum not a product. */
export function add(a: Dim, b: Dim): Dim {
  if (typeof a === 'number' && typeof b === 'number') return a + b;
  if (a === 0) return b;
  if (b === 0) return a;
  return UNKNOWN_DIM;
}

/** Equal, or not known to differ (an unknown size matches anything). */
export function sameDim(a: Dim, b: Dim): boolean {
  if (a === UNKNOWN_DIM || b === UNKNOWN_DIM) return true;
  if (typeof a === 'number' || typeof b === 'number') return a === b;
  const x = monomial(a);
  const y = monomial(b);
  return x.factor === y.factor && x.symbols.join('*') === y.symbols.join('*');
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => sameDim(d, b[i]!));
}

/** `1×3×224×224`, `N×3×224×224`; a scalar is `scalar`. */
export function formatShape(shape: Shape): string {
  return shape.length === 0 ? 'scalar' : shape.join('×');
}

/** An axis in [−rank, rank) made non-negative; null when out of range. */
export function canonicalAxis(axis: number, rank: number): number | null {
  const a = axis < 0 ? axis + rank : axis;
  return a >= 0 && a < rank ? a : null;
}

/** canonicalAxis, or a shape error naming the layer's field. */
export function axisOf(axis: number, shape: Shape, what = 'axis'): number {
  const a = canonicalAxis(axis, shape.length);
  if (a === null) fail('shape/axis', `${what} ${axis} is out of range for a ${shape.length}-axis input (${formatShape(shape)})`);
  return a;
}

/** The known number of elements per example (axis 0 excluded), or null when a symbol remains. */
export function perExample(shape: Shape): number | null {
  const p = product(shape.slice(1));
  return typeof p === 'number' ? p : null;
}
