/** A seeded train/validation split by fraction. */
import { SubsetDataset, type Dataset } from './dataset.js';
import { DataError } from './errors.js';
import { Rng, STREAM } from './random.js';

export interface Split {
  train: SubsetDataset;
  validation: SubsetDataset;
}

/**
 * Holds out round(size·fraction) examples, chosen by a permutation seeded with `seed`; both parts
 * keep the parent's order (so disk reads stay sequential) and together hold every example once.
 */
export function splitDataset(dataset: Dataset, fraction: number, seed = 0): Split {
  if (!(fraction > 0 && fraction < 1)) throw new DataError(`the validation fraction must be between 0 and 1, not ${fraction}`);
  const n = dataset.size;
  const held = Math.round(n * fraction);
  if (held === 0 || held === n) throw new DataError(`a validation fraction of ${fraction} of ${n} examples leaves ${held === 0 ? 'no validation' : 'no training'} examples`);
  const perm = new Rng(seed, STREAM.split).permutation(n);
  const validation = perm.slice(0, held).sort();
  const train = perm.slice(held).sort();
  return { train: new SubsetDataset(dataset, train), validation: new SubsetDataset(dataset, validation) };
}
