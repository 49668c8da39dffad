/** Dropout: inverted (scaled while training) unless scale_train is false; the IR's drop_prob drops. */
import { same } from '../layout.js';
import type { Lower } from '../types.js';

export const dropout: Lower<'dropout'> = (node) => {
  const { drop_prob: p, scale_train } = node.attrs;
  return ([v], { tf, mode, seed, dropout }) => {
    const x = v!;
    if (mode === 'inference') return [scale_train || p === 0 ? x : same(x, tf.mul(x.t, 1 - p))];
    if (p === 0 || !dropout) return [x];
    const keep = tf.cast(tf.greaterEqual(tf.randomUniform(x.t.shape, 0, 1, 'float32', seed()), p), 'float32');
    const kept = tf.mul(x.t, keep);
    return [same(x, scale_train ? tf.div(kept, 1 - p) : kept)];
  };
};
