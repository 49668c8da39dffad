/**
 * The report's verdicts, with their thresholds in one place (documented in README.md next to this file).
 * Activation flags are read in forward order and name the first layer that shows them; gradient
 * flags are read backward from the loss and name the first layer met that way.
 */
import { isOpName, opDefinition } from '../../ir/ops/index.js';
import type { Flag, LayerStats } from './types.js';

export const THRESHOLDS = {
  /** Collapse: a layer's output std below this fraction of the first reported layer's. */
  collapseRatio: 1e-2,
  /** Vanishing gradients: a layer's output gradient norm below this fraction of the last layer's. */
  vanishRatio: 1e-2,
  /** Saturation: more than this fraction of a tanh/sigmoid layer's outputs saturated. */
  saturated: 0.1,
  /** Explosion: an output std this many times its input's, or a gradient this many times the one above. */
  growth: 10,
  /** Explosion: an output std (or gradient norm) above this, whatever the growth. */
  huge: 1e6,
} as const;

/** How each reported layer connects to the others (indices into the layer list). */
export interface LayerLinks {
  /** The largest std among the layer's inputs (null when unknown). */
  inputStd: number | null;
  /** Reported layers that read this layer's output. */
  consumers: number[];
}

/** Outputs whose scale is not the signal's (probabilities, indices): left out of the std comparisons. */
const SCALE_FREE: ReadonlySet<string> = new Set(['softmax', 'argmax']);

/** Normalisation resets the scale on purpose: its growth over a tiny input is no explosion. */
const rescales = (op: string) => isOpName(op) && opDefinition(op).category === 'normalization';

const fmt = (x: number) => (Number.isFinite(x) ? x.toPrecision(3) : String(x));

export function detectFlags(layers: readonly LayerStats[], links: readonly LayerLinks[]): Flag[] {
  const flags: Flag[] = [];
  const first = <T>(found: T | undefined, make: (x: T) => Flag) => {
    if (found !== undefined) flags.push(make(found));
  };
  const scaled = layers.filter((l) => !SCALE_FREE.has(l.op));
  const ref = scaled[0]?.std;

  first(
    ref === undefined || !Number.isFinite(ref)
      ? undefined
      : scaled.find((l) => Number.isFinite(l.std) && (ref === 0 ? l === scaled[0] : l.std < THRESHOLDS.collapseRatio * ref)),
    (l) => ({
      kind: 'collapse',
      layer: l.name,
      message: ref === 0 ? `'${l.name}' outputs one value for every input (std 0)` : `activations collapse towards zero: std ${fmt(l.std)} at '${l.name}' is below ${THRESHOLDS.collapseRatio} × the first layer's (${fmt(ref!)})`,
    }),
  );

  const graded = layers.filter((l) => l.grad_output_norm !== null && Number.isFinite(l.grad_output_norm));
  const top = graded[graded.length - 1];
  if (top && top.grad_output_norm! > 0) {
    first(
      [...graded].reverse().find((l) => l.grad_output_norm! < THRESHOLDS.vanishRatio * top.grad_output_norm!),
      (l) => ({
        kind: 'vanishing_gradient',
        layer: l.name,
        message: `gradients vanish on the way back: the gradient at '${l.name}' (norm ${fmt(l.grad_output_norm!)}) is below ${THRESHOLDS.vanishRatio} × the one at '${top.name}' (${fmt(top.grad_output_norm!)})`,
      }),
    );
  }

  first(
    layers.find((l) => l.saturated !== null && l.saturated > THRESHOLDS.saturated),
    (l) => ({ kind: 'saturation', layer: l.name, message: `${(100 * l.saturated!).toFixed(1)}% of '${l.name}' outputs are saturated (flat ${l.op}: almost no gradient passes)` }),
  );

  const forward = layers.findIndex((l, i) => {
    if (SCALE_FREE.has(l.op)) return false;
    const input = links[i]?.inputStd;
    return !Number.isFinite(l.std) || l.std > THRESHOLDS.huge || (!rescales(l.op) && input !== null && input !== undefined && input > 0 && l.std > THRESHOLDS.growth * input);
  });
  let backward = -1;
  for (let i = layers.length - 1; i >= 0 && backward < 0; i--) {
    const g = layers[i]!.grad_output_norm;
    const gp = layers[i]!.grad_norm;
    if ((g !== null && (!Number.isFinite(g) || g > THRESHOLDS.huge)) || (gp !== null && !Number.isFinite(gp))) backward = i;
    else if (g !== null) {
      const above = Math.max(0, ...links[i]!.consumers.map((c) => layers[c]!.grad_output_norm ?? 0));
      if (above > 0 && g > THRESHOLDS.growth * above) backward = i;
    }
  }
  if (forward >= 0) {
    const l = layers[forward]!;
    const input = links[forward]!.inputStd;
    flags.push({
      kind: 'explosion',
      layer: l.name,
      message: !Number.isFinite(l.std)
        ? `'${l.name}' outputs non-finite values`
        : input !== null && input > 0 && l.std > THRESHOLDS.growth * input
          ? `activations explode: std ${fmt(l.std)} at '${l.name}' is ${fmt(l.std / input)} × its input's (${fmt(input)})`
          : `activations explode: std ${fmt(l.std)} at '${l.name}'`,
    });
  } else if (backward >= 0) {
    const l = layers[backward]!;
    flags.push({ kind: 'explosion', layer: l.name, message: `gradients explode on the way back: the gradient at '${l.name}' (norm ${fmt(l.grad_output_norm ?? l.grad_norm ?? NaN)}) is over ${THRESHOLDS.growth} × the one above it, or not finite` });
  }
  return flags;
}
