/** Plain CHW image operations shared by sources and augmentations. */

export interface Image {
  data: Float32Array;
  c: number;
  h: number;
  w: number;
}

/**
 * Bilinear resize with half-pixel centres and no antialiasing: torch's
 * interpolate(mode='bilinear', align_corners=False), which torchvision 0.14 uses on tensors.
 */
export function resizeBilinear(img: Image, oh: number, ow: number): Image {
  const { data, c, h, w } = img;
  if (oh === h && ow === w) return { data: data.slice(), c, h, w };
  const out = new Float32Array(c * oh * ow);
  const sy = h / oh;
  const sx = w / ow;
  const x0s = new Int32Array(ow);
  const x1s = new Int32Array(ow);
  const lx = new Float32Array(ow);
  for (let x = 0; x < ow; x++) {
    const src = Math.max(0, (x + 0.5) * sx - 0.5);
    const x0 = Math.min(Math.floor(src), w - 1);
    x0s[x] = x0;
    x1s[x] = Math.min(x0 + 1, w - 1);
    lx[x] = src - x0;
  }
  for (let y = 0; y < oh; y++) {
    const src = Math.max(0, (y + 0.5) * sy - 0.5);
    const y0 = Math.min(Math.floor(src), h - 1);
    const y1 = Math.min(y0 + 1, h - 1);
    const ly = src - y0;
    for (let k = 0; k < c; k++) {
      const r0 = (k * h + y0) * w;
      const r1 = (k * h + y1) * w;
      const o = (k * oh + y) * ow;
      for (let x = 0; x < ow; x++) {
        const a = data[r0 + x0s[x]!]! * (1 - lx[x]!) + data[r0 + x1s[x]!]! * lx[x]!;
        const b = data[r1 + x0s[x]!]! * (1 - lx[x]!) + data[r1 + x1s[x]!]! * lx[x]!;
        out[o + x] = a * (1 - ly) + b * ly;
      }
    }
  }
  return { data: out, c, h: oh, w: ow };
}

/** The window [top, top+oh) × [left, left+ow); parts outside the image are `fill`. */
export function crop(img: Image, top: number, left: number, oh: number, ow: number, fill = 0): Image {
  const { data, c, h, w } = img;
  const out = new Float32Array(c * oh * ow).fill(fill);
  for (let k = 0; k < c; k++) {
    for (let y = 0; y < oh; y++) {
      const sy = top + y;
      if (sy < 0 || sy >= h) continue;
      for (let x = 0; x < ow; x++) {
        const sx = left + x;
        if (sx >= 0 && sx < w) out[(k * oh + y) * ow + x] = data[(k * h + sy) * w + sx]!;
      }
    }
  }
  return { data: out, c, h: oh, w: ow };
}

export function flipHorizontal(img: Image): Image {
  const { data, c, h, w } = img;
  const out = new Float32Array(data.length);
  for (let r = 0; r < c * h; r++) for (let x = 0; x < w; x++) out[r * w + x] = data[r * w + w - 1 - x]!;
  return { data: out, c, h, w };
}

/** Converts interleaved 8-bit RGBA pixels to `channels` planes (1: luma as PIL's 'L', 3: RGB, 4: RGBA). */
export function rgbaToPlanes(rgba: Uint8Array | Buffer, h: number, w: number, channels: number): Image {
  const n = h * w;
  const out = new Float32Array(channels * n);
  for (let i = 0; i < n; i++) {
    const r = rgba[4 * i]!;
    const g = rgba[4 * i + 1]!;
    const b = rgba[4 * i + 2]!;
    if (channels === 1) out[i] = (r * 299 + g * 587 + b * 114) / 1000;
    else {
      out[i] = r;
      out[n + i] = g;
      out[2 * n + i] = b;
      if (channels === 4) out[3 * n + i] = rgba[4 * i + 3]!;
    }
  }
  return { data: out, c: channels, h, w };
}
