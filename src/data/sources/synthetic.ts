/**
 * A built-in image dataset that needs no download and that a small CNN learns in seconds. Each
 * class has a fixed smooth pattern — oriented stripes at a class-specific angle and frequency
 * plus two coloured blobs at class-specific places — derived from (seed, class); an example is
 * its class's pattern shifted by a few pixels, with a random brightness offset and Gaussian
 * noise, clamped to 0–255. Everything is a pure function of (seed, index), so the dataset is
 * deterministic, costs no memory, and adapts to any [C, H, W] and number of classes.
 */
import { checkIndex, type Dataset, type Example, type ImageShape } from '../dataset.js';
import { DataError } from '../errors.js';
import { Rng, STREAM } from '../random.js';

/** Memory for cached class patterns; beyond it (many classes of big images) they are recomputed. */
const TEMPLATE_CACHE_BYTES = 64 * 1024 * 1024;

export interface SyntheticOptions {
  shape: ImageShape;
  numClasses: number;
  /** Examples (default 4096). */
  size?: number;
  seed?: number;
  /** 'test' draws other examples of the same task (the same class patterns, other shifts and noise). */
  split?: 'train' | 'test';
  /** Standard deviation of the pixel noise in 0–255 units (default 24). */
  noise?: number;
  /** Largest shift in pixels, each way (default: a sixteenth of the smaller side, at least 1). */
  maxShift?: number;
}

interface ClassPattern {
  angle: number;
  frequency: number;
  phase: number;
  stripeAmp: Float32Array;
  blobs: { x: number; y: number; sigma: number; amp: Float32Array }[];
}

export class SyntheticDataset implements Dataset {
  readonly size: number;
  readonly shape: ImageShape;
  readonly numClasses: number;
  readonly classNames: readonly string[];
  readonly pixelMax = 255;
  private readonly seed: number;
  private readonly split: 'train' | 'test';
  private readonly noise: number;
  private readonly maxShift: number;
  private readonly patterns: ClassPattern[];

  constructor(options: SyntheticOptions) {
    const [c, h, w] = options.shape;
    if (![c, h, w].every((d) => Number.isInteger(d) && d >= 1)) throw new DataError(`synthetic data needs a positive [C, H, W] shape, not [${options.shape.join(', ')}]`);
    if (!Number.isInteger(options.numClasses) || options.numClasses < 2) throw new DataError(`synthetic data needs at least 2 classes, not ${options.numClasses}`);
    this.shape = [c, h, w];
    this.numClasses = options.numClasses;
    this.size = options.size ?? 4096;
    this.seed = options.seed ?? 0;
    this.split = options.split ?? 'train';
    this.noise = options.noise ?? 24;
    this.maxShift = options.maxShift ?? Math.max(1, Math.floor(Math.min(h, w) / 16));
    this.classNames = Array.from({ length: this.numClasses }, (_, k) => `class_${k}`);
    this.patterns = Array.from({ length: this.numClasses }, (_, k) => this.pattern(k));
  }

  private pattern(k: number): ClassPattern {
    const rng = new Rng(this.seed, STREAM.classPattern, k);
    const c = this.shape[0];
    const amp = () => Float32Array.from({ length: c }, () => (rng.bernoulli(0.5) ? 1 : -1) * rng.uniform(30, 70));
    return {
      // Angles spread evenly so neighbouring classes differ; low frequencies (under two cycles per
      // image) so that a shift of a few pixels keeps an example close to its class's pattern.
      angle: (Math.PI * k) / this.numClasses,
      frequency: 0.75 + 0.5 * (k % 3) + rng.uniform(0, 0.25),
      phase: rng.uniform(0, 2 * Math.PI),
      stripeAmp: amp(),
      blobs: [0, 1].map(() => ({ x: rng.uniform(0.2, 0.8), y: rng.uniform(0.2, 0.8), sigma: rng.uniform(0.12, 0.22), amp: amp() })),
    };
  }

  /** Class patterns on a grid padded by maxShift on each side, kept while they fit TEMPLATE_CACHE_BYTES. */
  private readonly templates = new Map<number, Float32Array>();

  /** The noise-free pattern of class `k`, for shifts −maxShift..maxShift. */
  private template(k: number): Float32Array {
    const hit = this.templates.get(k);
    if (hit) return hit;
    const p = this.patterns[k]!;
    const [c, h, w] = this.shape;
    const s = this.maxShift;
    const ph = h + 2 * s;
    const pw = w + 2 * s;
    const t = new Float32Array(c * ph * pw);
    const cos = Math.cos(p.angle);
    const sin = Math.sin(p.angle);
    const [b0, b1] = [p.blobs[0]!, p.blobs[1]!];
    for (let y = 0; y < ph; y++) {
      // Grid row y holds the pattern at image row y − s before shifting.
      const v = (y - s + 0.5) / h;
      for (let x = 0; x < pw; x++) {
        const u = (x - s + 0.5) / w;
        const stripe = Math.sin(2 * Math.PI * p.frequency * ((u - 0.5) * cos + (v - 0.5) * sin) + p.phase);
        const g0 = Math.exp(-((u - b0.x) ** 2 + (v - b0.y) ** 2) / (2 * b0.sigma ** 2));
        const g1 = Math.exp(-((u - b1.x) ** 2 + (v - b1.y) ** 2) / (2 * b1.sigma ** 2));
        for (let ch = 0; ch < c; ch++) t[(ch * ph + y) * pw + x] = 128 + p.stripeAmp[ch]! * stripe + b0.amp[ch]! * g0 + b1.amp[ch]! * g1;
      }
    }
    if ((this.templates.size + 1) * t.byteLength <= TEMPLATE_CACHE_BYTES) this.templates.set(k, t);
    return t;
  }

  get(index: number): Promise<Example> {
    checkIndex(index, this.size);
    const label = index % this.numClasses;
    // The test split keys its examples apart; the training stream stays as it always was.
    const rng = this.split === 'test' ? new Rng(this.seed, STREAM.synthetic, index, 1) : new Rng(this.seed, STREAM.synthetic, index);
    const [c, h, w] = this.shape;
    const s = this.maxShift;
    const dx = rng.int(2 * s + 1) - s;
    const dy = rng.int(2 * s + 1) - s;
    const offset = rng.uniform(-15, 15);
    const t = this.template(label);
    const ph = h + 2 * s;
    const pw = w + 2 * s;
    const image = new Float32Array(c * h * w);
    for (let ch = 0; ch < c; ch++) {
      for (let y = 0; y < h; y++) {
        // Shifted by (dx, dy): image pixel (y, x) shows the pattern at (y − dy, x − dx).
        const row = (ch * ph + y - dy + s) * pw - dx + s;
        for (let x = 0; x < w; x++) {
          const value = t[row + x]! + offset + this.noise * rng.normal();
          image[(ch * h + y) * w + x] = value < 0 ? 0 : value > 255 ? 255 : value;
        }
      }
    }
    return Promise.resolve({ image, label });
  }
}
