/** The data side of `nnspec train`: sources, splits, augmentation, normalisation and batches. */
export { ArrayDataset, SubsetDataset, type Dataset, type Example, type ImageShape } from './dataset.js';
export { DataError, isDataError } from './errors.js';
export { Rng } from './random.js';
export { splitDataset, type Split } from './split.js';
export { DataPipeline, type PipelineOptions } from './pipeline.js';
export { BatchLoader, type Batch, type BatchOptions } from './batcher.js';
export { computeChannelStats, readMeanFile, Normalizer, type ChannelStats, type MeanImage } from './preprocess.js';
export { SyntheticDataset, type SyntheticOptions } from './sources/synthetic.js';
export { IdxDataset, mnistFiles } from './sources/idx.js';
export { CifarDataset, cifarFiles } from './sources/cifar.js';
export { NpyDataset, type NpyOptions } from './sources/npy.js';
export { ImageFolderDataset, decodeImage } from './sources/image-folder.js';
export { openDataset, type DataSpec } from './open.js';
export { dataOptionsFromModel, type ModelData } from './from-model.js';
