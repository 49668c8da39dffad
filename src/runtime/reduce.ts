// Sum and Mean accumulated in float64, for the wasm backend. Its own kernels (4.22) add
// float32 values one after another, so the error of a sum grows with its length and with
// the size of the values; tfjs-cpu accumulates in JavaScript numbers (float64) and PyTorch
// sums pairwise. Train-mode BatchNorm subtracts that mean from values whose spread can be
// far smaller than the mean itself, which turns the mean's rounding into a relative error
// of the normalised values (and of every gradient through them): on mobilenet_v2 it put
// tfjs-wasm's gradients 1e-2 away from float64 where tfjs-cpu and PyTorch were 1e-4.

export interface ReductionRun {
  size: number;
  reduced: boolean;
}

/**
 * Runs of adjacent axes that are all kept or all reduced (size-1 axes dropped), outermost
 * first, and how many values each output sums.
 */
export function reductionRuns(shape: readonly number[], axes: readonly number[]): { runs: ReductionRun[]; count: number } {
  const reduced = new Set(axes);
  const runs: ReductionRun[] = [];
  shape.forEach((d, i) => {
    if (d === 1) return;
    const r = reduced.has(i);
    const last = runs[runs.length - 1];
    if (last && last.reduced === r) last.size *= d;
    else runs.push({ size: d, reduced: r });
  });
  const count = shape.reduce((p, d, i) => (reduced.has(i) ? p * d : p), 1);
  return { runs, count };
}

/**
 * Reduces `x` (row-major, `shape`) over `axes` into `out`, summing in float64 and dividing
 * by the count when `mean`. `out` holds the kept axes in order (keepDims does not change
 * the layout). Axes are grouped into runs of kept and reduced ones, so the inner loop runs
 * along the longest contiguous stretch.
 */
export function reduceInto(out: Float32Array, x: ArrayLike<number>, shape: readonly number[], axes: readonly number[], mean: boolean): void {
  const { runs, count } = reductionRuns(shape, axes);
  const total = shape.reduce((p, d) => p * d, 1);
  const acc = new Float64Array(out.length);
  if (total > 0) {
    const inner = runs.pop() ?? { size: 1, reduced: false };
    // Output stride of each outer run (0 for reduced runs), innermost last.
    const strides = new Array<number>(runs.length);
    let stride = inner.reduced ? 1 : inner.size;
    for (let i = runs.length - 1; i >= 0; i--) {
      strides[i] = runs[i]!.reduced ? 0 : stride;
      if (!runs[i]!.reduced) stride *= runs[i]!.size;
    }
    const index = new Array<number>(runs.length).fill(0);
    const n = inner.size;
    let outAt = 0;
    for (let inAt = 0; inAt < total; inAt += n) {
      if (inner.reduced) {
        let s = 0;
        for (let j = 0; j < n; j++) s += x[inAt + j]!;
        acc[outAt] = acc[outAt]! + s;
      } else {
        for (let j = 0; j < n; j++) acc[outAt + j] = acc[outAt + j]! + x[inAt + j]!;
      }
      // Advance the odometer over the outer runs.
      for (let i = runs.length - 1; i >= 0; i--) {
        outAt += strides[i]!;
        if (++index[i]! < runs[i]!.size) break;
        outAt -= strides[i]! * runs[i]!.size;
        index[i] = 0;
      }
    }
  }
  for (let i = 0; i < out.length; i++) out[i] = mean ? acc[i]! / count : acc[i]!;
}
