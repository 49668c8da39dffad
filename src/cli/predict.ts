/**
 * `nnspec predict SPEC --weights W INPUT…`: the top-K classes of each input with their
 * probabilities. INPUTs are PNG/JPEG images or .npy arrays ([C,H,W] or [N,C,H,W]); both hold
 * pixel values as the training data does (0–255) and go through the model's own preprocessing,
 * in eval mode, as validation data does in `nnspec train`.
 *
 * Images are fitted to the net's input as torchvision's eval transform does: the shorter side is
 * resized to N (bilinear, torch's interpolate without antialiasing; N is --resize, by default
 * the larger of the input's height and width, so a square image is not cut), then the centre
 * H×W is cropped with torchvision's CenterCrop offsets.
 */
import { readFileSync } from 'node:fs';
import type { Tensor } from '../backends/tfjs/types.js';
import type { Image } from '../data/image-ops.js';
import { EXIT_OK, UsageError } from './exit-codes.js';
import { openNet, type RunNetFlags } from './eval.js';
import { guarded, number, positiveInt, STDIO, type CommandIo } from './model-command.js';

export interface PredictFlags extends RunNetFlags {
  top?: string | number;
  labels?: string;
  resize?: string | number;
  /** The net was trained on BGR images (Caffe's ImageNet models): swap the image channels. */
  bgr?: boolean;
  batchSize?: string | number;
}

export interface Prediction {
  /** The file as given. */
  input: string;
  /** The example's index in a batched .npy ([N,C,H,W]); null for an image or a single [C,H,W] array. */
  index: number | null;
  top: { class: number; label: string | null; probability: number }[];
}

export interface PredictResult {
  spec: string;
  weights: string;
  backend: string;
  threads: number;
  classes: number;
  /** The blob whose softmax the probabilities are (the scores before the net's own final Softmax, if it has one). */
  scores: string;
  predictions: Prediction[];
}

export async function runPredict(path: string, inputs: string[], flags: PredictFlags, io: CommandIo = STDIO): Promise<number> {
  return guarded(io, path, () => predict(path, inputs, flags, io));
}

/** One example to classify, CHW in pixel units (0–255). */
interface Item {
  input: string;
  index: number | null;
  image: Float32Array;
}

async function predict(path: string, inputs: string[], flags: PredictFlags, io: CommandIo): Promise<number> {
  if (inputs.length === 0) throw new UsageError('predict needs at least one INPUT (a PNG/JPEG image or a .npy array)');
  const topFlag = number('--top', flags.top, positiveInt, 'a whole number ≥ 1') ?? 5;
  const resize = number('--resize', flags.resize, positiveInt, 'a whole number ≥ 1');
  const batchSize = number('--batch-size', flags.batchSize, positiveInt, 'a whole number ≥ 1') ?? 32;
  const json = flags.format === 'json';

  const net = await openNet(path, flags, io, 'predict');
  if (typeof net === 'number') return net;
  const { tf, lowered, wiring, numClasses, modelData } = net;
  try {
    const labels = flags.labels ? readLabels(flags.labels, numClasses) : null;
    const shape = modelData.inputShape;
    const items: Item[] = [];
    for (const file of inputs) items.push(...(await readInput(file, shape, resize, flags.bgr ?? false)));

    const data = await import('../data/index.js');
    const per = shape[0] * shape[1] * shape[2];
    const images = new Float32Array(items.length * per);
    items.forEach((it, i) => images.set(it.image, i * per));
    const dataset = new data.ArrayDataset(shape, images, new Int32Array(items.length), numClasses, 255);
    const loader = new data.BatchLoader(await data.DataPipeline.create(dataset, { ...modelData, seed: 0 }), { batchSize, mode: 'eval' });
    const k = Math.min(topFlag, numClasses);
    const predictions: Prediction[] = [];
    try {
      for await (const batch of loader.epoch(0)) {
        const n = batch.shape[0];
        const probs = tf.tidy(() => {
          const feeds: Record<string, Tensor> = { [wiring.imageInput]: tf.tensor(batch.images, [...batch.shape], 'float32') };
          for (const name of wiring.labelInputs) feeds[name] = tf.zeros([n]);
          const out = lowered.forward(feeds, 'inference', { outputs: [wiring.logits] });
          return tf.softmax(tf.reshape(out[wiring.logits]!, [n, -1])).dataSync() as Float32Array;
        });
        for (let i = 0; i < n; i++) {
          const item = items[batch.indices[i]!]!;
          const row = probs.subarray(i * numClasses, (i + 1) * numClasses);
          const order = Array.from(row.keys()).sort((a, b) => row[b]! - row[a]! || a - b);
          predictions.push({ input: item.input, index: item.index, top: order.slice(0, k).map((c) => ({ class: c, label: labels?.[c] ?? null, probability: row[c]! })) });
        }
      }
    } finally {
      await loader.close();
    }

    if (json) {
      const result: PredictResult = { spec: path, weights: flags.weights!, backend: net.backend.name, threads: net.backend.threads, classes: numClasses, scores: wiring.logits, predictions };
      io.out(JSON.stringify(result, null, 2));
    } else {
      io.out(net.backendLine);
      for (const p of predictions) {
        io.out(p.index === null ? p.input : `${p.input}[${p.index}]`);
        for (const t of p.top) io.out(`  ${(100 * t.probability).toFixed(2).padStart(6)}%  ${String(t.class).padStart(String(numClasses - 1).length)}${t.label !== null ? `  ${t.label}` : ''}`);
      }
    }
    return EXIT_OK;
  } finally {
    lowered.dispose();
  }
}

/** One class name per line (Caffe's synset_words.txt: `n01440764 tench, Tinca tinca`). */
function readLabels(file: string, numClasses: number): string[] {
  const lines = readFileSync(file, 'utf8').split(/\r?\n/).map((l) => l.trim());
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  if (lines.length !== numClasses) throw new UsageError(`${file}: --labels has ${lines.length} line${lines.length === 1 ? '' : 's'} but the net scores ${numClasses} classes (one name per line, in class order)`);
  return lines;
}

async function readInput(file: string, shape: [number, number, number], resize: number | undefined, bgr: boolean): Promise<Item[]> {
  const bytes = readFileSync(file);
  if (file.toLowerCase().endsWith('.npy')) return readNpy(file, bytes, shape);
  const { decodeImage } = await import('../data/index.js');
  const [c, h, w] = shape;
  if (![1, 3, 4].includes(c)) throw new UsageError(`${file}: images can be read as 1, 3 or 4 channels, but the net takes ${c}; give a .npy array instead`);
  const decoded = decodeImage(bytes, c, file);
  const fitted = await fitImage(decoded, h, w, resize ?? Math.max(h, w), file);
  if (bgr && c >= 3) {
    const n = h * w;
    const red = fitted.data.slice(0, n);
    fitted.data.copyWithin(0, 2 * n, 3 * n);
    fitted.data.set(red, 2 * n);
  }
  return [{ input: file, index: null, image: fitted.data }];
}

/** Python's round() (half to even), which torchvision's CenterCrop offsets use. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** torchvision's Resize(short) then CenterCrop((h, w)). */
async function fitImage(img: Image, h: number, w: number, short: number, file: string): Promise<Image> {
  const { resizeBilinear, crop } = await import('../data/image-ops.js');
  // Resize(int): the shorter side becomes `short`, the longer keeps the aspect ratio (truncated, as torchvision does).
  const [oh, ow] = img.h <= img.w ? [short, Math.trunc((short * img.w) / img.h)] : [Math.trunc((short * img.h) / img.w), short];
  if (oh < h || ow < w) throw new UsageError(`${file}: resized to ${ow}×${oh} it is smaller than the net's ${w}×${h} input; give a larger --resize`);
  const resized = resizeBilinear(img, oh, ow);
  if (oh === h && ow === w) return resized;
  return crop(resized, roundHalfEven((oh - h) / 2), roundHalfEven((ow - w) / 2), h, w);
}

type NumberReader = { bytes: number; get: (v: DataView, at: number) => number };
const NPY_DTYPES: Record<string, NumberReader> = {
  u1: { bytes: 1, get: (v, at) => v.getUint8(at) },
  i1: { bytes: 1, get: (v, at) => v.getInt8(at) },
  u2: { bytes: 2, get: (v, at) => v.getUint16(at, true) },
  i2: { bytes: 2, get: (v, at) => v.getInt16(at, true) },
  i4: { bytes: 4, get: (v, at) => v.getInt32(at, true) },
  f4: { bytes: 4, get: (v, at) => v.getFloat32(at, true) },
  f8: { bytes: 8, get: (v, at) => v.getFloat64(at, true) },
};

/** A .npy of one example [C,H,W] or a batch [N,C,H,W], exactly the net's input size (arrays are not resized). */
async function readNpy(file: string, bytes: Uint8Array, shape: [number, number, number]): Promise<Item[]> {
  const { MemoryBytes } = await import('../data/byte-source.js');
  const { readNpyHeader } = await import('../data/sources/npy.js');
  const { DataError } = await import('../data/index.js');
  const header = await readNpyHeader(new MemoryBytes(file, bytes));
  const m = /^[<|=]([uif]\d)$/.exec(header.descr);
  const reader = m ? NPY_DTYPES[m[1]!] : undefined;
  if (!reader) throw new DataError(`dtype '${header.descr}' is not supported here (little-endian ${Object.keys(NPY_DTYPES).join(', ')})`, file);
  if (header.fortranOrder) throw new DataError('is stored in Fortran order; save it C-contiguous (np.ascontiguousarray)', file);
  const s = header.shape;
  const batched = s.length === 4;
  const chw = batched ? s.slice(1) : s;
  if ((s.length !== 3 && !batched) || chw.some((d, i) => d !== shape[i])) {
    throw new DataError(`holds an array of shape (${s.join(', ')}) but the net takes [C,H,W] = (${shape.join(', ')}) or a batch (N, ${shape.join(', ')})`, file);
  }
  const n = batched ? s[0]! : 1;
  const per = shape[0] * shape[1] * shape[2];
  if (bytes.length - header.dataOffset < n * per * reader.bytes) throw new DataError(`.npy data is truncated: shape (${s.join(', ')}) needs ${n * per * reader.bytes} bytes`, file);
  const view = new DataView(bytes.buffer, bytes.byteOffset + header.dataOffset, n * per * reader.bytes);
  const items: Item[] = [];
  for (let e = 0; e < n; e++) {
    const image = new Float32Array(per);
    for (let i = 0; i < per; i++) image[i] = reader.get(view, (e * per + i) * reader.bytes);
    items.push({ input: file, index: batched ? e : null, image });
  }
  if (n === 0) throw new DataError('holds no examples (N = 0)', file);
  return items;
}
