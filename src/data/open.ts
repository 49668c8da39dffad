/**
 * Opens the dataset a `--data` argument names: `synthetic` (or `synthetic:N` examples), or a
 * folder recognised by its files — MNIST IDX files, CIFAR-10 binary batches, x.npy + y.npy, or
 * one subfolder of images per class. A prefix (`mnist:`, `cifar10:`, `npy:`, `folder:`) forces
 * the kind.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Dataset, ImageShape } from './dataset.js';
import { DataError } from './errors.js';
import { CifarDataset, cifarFiles } from './sources/cifar.js';
import { IdxDataset, mnistFiles } from './sources/idx.js';
import { ImageFolderDataset } from './sources/image-folder.js';
import { NpyDataset } from './sources/npy.js';
import { SyntheticDataset } from './sources/synthetic.js';

export type DataSpec = string;

export interface OpenOptions {
  /** The model's input [C, H, W]: what synthetic data and image folders produce. */
  shape: ImageShape;
  /** The model's number of classes (synthetic data). */
  numClasses: number;
  /** Which part of a dataset with a fixed split (MNIST, CIFAR-10); default 'train'. */
  split?: 'train' | 'test';
  seed?: number;
}

const KINDS = ['synthetic', 'mnist', 'cifar10', 'npy', 'folder'] as const;
type Kind = (typeof KINDS)[number];

export async function openDataset(spec: DataSpec, options: OpenOptions): Promise<Dataset> {
  const split = options.split ?? 'train';
  const m = /^([a-z0-9]+):(.*)$/.exec(spec);
  let kind: Kind | undefined;
  let path = spec;
  if (m && (KINDS as readonly string[]).includes(m[1]!)) {
    kind = m[1] as Kind;
    path = m[2]!;
  } else if (spec === 'synthetic') kind = 'synthetic';
  if (kind === 'synthetic') {
    const size = path && path !== 'synthetic' ? Number(path) : undefined;
    if (size !== undefined && !(Number.isInteger(size) && size > 0)) throw new DataError(`'${spec}': the synthetic size must be a positive integer`);
    return new SyntheticDataset({ shape: options.shape, numClasses: options.numClasses, seed: options.seed ?? 0, split, ...(size ? { size } : {}) });
  }
  if (!existsSync(path)) throw new DataError(`no such file or folder (expected 'synthetic' or a dataset folder: ${KINDS.slice(1).join(', ')})`, path);
  if (!statSync(path).isDirectory()) throw new DataError('a dataset is named by its folder, not a file', path);
  const has = (name: string) => existsSync(join(path, name)) || existsSync(join(path, `${name}.gz`));
  kind ??= has('train-images-idx3-ubyte') || has('t10k-images-idx3-ubyte')
    ? 'mnist'
    : has('data_batch_1.bin') || has('test_batch.bin')
      ? 'cifar10'
      : has('x.npy')
        ? 'npy'
        : 'folder';
  switch (kind) {
    case 'mnist': {
      const f = mnistFiles(path, split);
      return IdxDataset.open(f.images, f.labels);
    }
    case 'cifar10': {
      const f = cifarFiles(path, split);
      return CifarDataset.open(f.files, f.classNames ? { classNames: f.classNames } : {});
    }
    case 'npy': {
      const prefix = split === 'test' && existsSync(join(path, 'x_test.npy')) ? '_test' : '';
      return NpyDataset.open(join(path, `x${prefix}.npy`), join(path, `y${prefix}.npy`));
    }
    case 'folder': {
      const sub = existsSync(join(path, split)) && statSync(join(path, split)).isDirectory() ? join(path, split) : path;
      return ImageFolderDataset.open(sub, options.shape);
    }
  }
}
