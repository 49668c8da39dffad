/**
 * A folder of images per class, as torchvision's ImageFolder reads it: each subfolder of the
 * root is a class (sorted by name, so class k is the k-th name), each .png/.jpg/.jpeg in it an
 * example (sorted). Images are decoded when read (pngjs, jpeg-js), converted to the wanted
 * channels (1: luma, 3: RGB, 4: RGBA; alpha is dropped otherwise) and resized bilinearly
 * to the wanted height and width.
 */
import { readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { checkIndex, type Dataset, type Example, type ImageShape } from '../dataset.js';
import { DataError } from '../errors.js';
import { resizeBilinear, rgbaToPlanes, type Image } from '../image-ops.js';

const EXTENSIONS = new Set(['.png', '.jpg', '.jpeg']);

/** Decodes PNG or JPEG bytes (by their magic bytes) into `channels` planes at the image's own size. */
export function decodeImage(bytes: Uint8Array, channels: number, path: string): Image {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    if (bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) {
      const png = PNG.sync.read(buffer);
      return rgbaToPlanes(png.data, png.height, png.width, channels);
    }
    if (bytes[0] === 0xff && bytes[1] === 0xd8) {
      const img = jpeg.decode(buffer, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 1024 });
      return rgbaToPlanes(img.data, img.height, img.width, channels);
    }
  } catch (e) {
    throw new DataError(`cannot decode the image (${(e as Error).message})`, path);
  }
  throw new DataError('is neither a PNG nor a JPEG file (by its first bytes)', path);
}

export class ImageFolderDataset implements Dataset {
  readonly size: number;
  readonly numClasses: number;
  readonly pixelMax = 255;

  private constructor(
    readonly shape: ImageShape,
    readonly classNames: readonly string[],
    private readonly files: { path: string; label: number }[],
  ) {
    this.size = files.length;
    this.numClasses = classNames.length;
  }

  /** `shape` is the [C, H, W] every image is converted to (the model's input). */
  static open(root: string, shape: ImageShape): ImageFolderDataset {
    if (![1, 3, 4].includes(shape[0])) throw new DataError(`images can be read as 1, 3 or 4 channels, not ${shape[0]}`, root);
    let entries: string[];
    try {
      entries = readdirSync(root).sort();
    } catch (e) {
      throw new DataError(`cannot read the folder: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, root);
    }
    const classNames = entries.filter((n) => !n.startsWith('.') && statSync(join(root, n)).isDirectory());
    if (classNames.length === 0) throw new DataError('has no class subfolders (expected ROOT/<class>/<image>.png|jpg)', root);
    const files: { path: string; label: number }[] = [];
    classNames.forEach((name, label) => {
      for (const f of readdirSync(join(root, name)).sort()) {
        if (EXTENSIONS.has(extname(f).toLowerCase())) files.push({ path: join(root, name, f), label });
      }
    });
    if (files.length === 0) throw new DataError('holds no .png, .jpg or .jpeg files in its class subfolders', root);
    return new ImageFolderDataset(shape, classNames, files);
  }

  async get(index: number): Promise<Example> {
    checkIndex(index, this.size);
    const { path, label } = this.files[index]!;
    let bytes: Uint8Array;
    try {
      bytes = await readFile(path);
    } catch (e) {
      throw new DataError(`cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, path);
    }
    const [c, h, w] = this.shape;
    const img = resizeBilinear(decodeImage(bytes, c, path), h, w);
    return { image: img.data, label };
  }
}
