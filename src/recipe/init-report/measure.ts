/**
 * One pass of the experiment for one initialisation: a forward pass in training mode with dropout
 * off, one backward pass of the loss, and each reported layer's statistics read back. The caller
 * passes tfjs (`tf`) and the lowered, instrumented net: nothing here loads tfjs.
 */
import type { LoweredModel, Tf } from '../../backends/tfjs/index.js';
import type { Tensor } from '../../backends/tfjs/types.js';
import { detectFlags, type LayerLinks } from './flags.js';
import type { Entry } from './instrument.js';
import { deadFraction, histogram, l2, moments, saturatedFraction } from './stats.js';
import type { LayerStats } from './types.js';

export interface Wiring {
  logits: string;
  /** The net's own loss blobs and weights; empty: softmax cross-entropy on `logits`. */
  losses: { blob: string; weight: number }[];
}

export interface Batch {
  /** Every source blob's value (images and labels as the net takes them). */
  feeds: Record<string, Tensor>;
  /** N × classes one-hot targets, for the softmax cross-entropy when the net has no loss. */
  target: Tensor;
  size: number;
}

export interface Measured {
  loss: number;
  layers: LayerStats[];
  flags: ReturnType<typeof detectFlags>;
}

export function measure(tf: Tf, lowered: LoweredModel, entries: readonly Entry[], wiring: Wiring, batch: Batch): Measured {
  const trainable = [...lowered.params.entries()].filter((p) => p.trainable);
  const wanted = [...new Set([...entries.map((e) => e.act), wiring.logits, ...wiring.losses.map((l) => l.blob)])];
  const kept: Record<string, Tensor> = {};
  const { value, grads } = tf.variableGrads(() => {
    const out = lowered.forward(batch.feeds, 'train', { outputs: wanted, dropout: false });
    for (const e of entries) kept[e.act] ??= tf.keep(out[e.act]!);
    if (wiring.losses.length > 0) return tf.addN(wiring.losses.map((l) => tf.mul(tf.sum(out[l.blob]!), l.weight))) as ReturnType<Tf['scalar']>;
    const logits = tf.reshape(out[wiring.logits]!, [batch.size, -1]);
    return tf.neg(tf.mean(tf.sum(tf.mul(batch.target, tf.logSoftmax(logits)), 1))) as ReturnType<Tf['scalar']>;
  }, trainable.map((p) => p.variable));
  try {
    const gradOf = (name: string): Float32Array | null => (grads[name] ? (grads[name]!.dataSync() as Float32Array) : null);
    const layers = entries.map((e): LayerStats => {
      const t = kept[e.act]!;
      const values = t.dataSync() as Float32Array;
      const m = moments(values);
      const own = [...(lowered.params.byNode.get(e.node.name)?.values() ?? [])].filter((p) => p.trainable);
      const ownGrads = own.map((p) => gradOf(p.variable.name)).filter((g): g is Float32Array => g !== null);
      const probe = e.probe ? lowered.params.get(e.probe, 'value') : undefined;
      const probeGrad = probe ? gradOf(probe.variable.name) : null;
      const isDeadable = e.node.op === 'relu' && e.node.attrs.negative_slope === 0;
      return {
        name: e.name,
        op: e.node.op,
        shape: [...t.shape],
        mean: m.mean,
        std: m.std,
        min: m.min,
        max: m.max,
        saturated: saturatedFraction(e.node.op, values),
        dead: isDeadable ? deadFraction(values, t.shape[0] ?? 1) : null,
        grad_norm: ownGrads.length > 0 ? l2(ownGrads) : null,
        grad_output_norm: probeGrad ? l2([probeGrad]) : null,
        histogram: histogram(values, m.min, m.max),
      };
    });
    const sourceStd = new Map<string, number>();
    const stdOf = (r: Entry['reads'][number]): number | null => {
      if ('entry' in r) return layers[r.entry]!.std;
      const fed = batch.feeds[r.source];
      if (!fed) return null;
      if (!sourceStd.has(r.source)) sourceStd.set(r.source, moments(fed.dataSync() as Float32Array).std);
      return sourceStd.get(r.source)!;
    };
    const links: LayerLinks[] = entries.map((e) => {
      const stds = e.reads.map(stdOf).filter((s): s is number => s !== null && Number.isFinite(s));
      return { inputStd: stds.length ? Math.max(...stds) : null, consumers: e.consumers };
    });
    return { loss: value.dataSync()[0]!, layers, flags: detectFlags(layers, links) };
  } finally {
    value.dispose();
    for (const g of Object.values(grads)) g.dispose();
    for (const t of Object.values(kept)) t.dispose();
  }
}
