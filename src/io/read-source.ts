/**
 * Reading input files. A pure-ASCII file (nearly every prototxt) is kept as its bytes: the
 * Caffe reader scans them directly, and the text becomes a JavaScript string (a second copy
 * of the file) only if something needs it, such as a diagnostic's code frame. Invalid UTF-8 is
 * not fatal: the text is decoded with replacement characters and the first bad byte becomes a
 * diagnostic. A byte-order mark stays in the text (offsets stay true) and the lexers skip it.
 */
import { readFileSync } from 'node:fs';
import { isAscii, isUtf8 } from 'node:buffer';

export interface DecodedText {
  /** The file's bytes when it is pure ASCII (then byte offsets are character offsets). */
  ascii: Buffer | null;
  /** The whole text (computed on first use for ASCII files). */
  text: () => string;
  /** Its first 64 KiB, for telling dialects apart. */
  head: string;
  /** UTF-16 offset in the text of the first byte that was not valid UTF-8, or -1. */
  invalidAt: number;
  invalidByte: number;
}

function once(make: () => string): () => string {
  let value: string | undefined;
  return () => (value ??= make());
}

export function decodedString(text: string): DecodedText {
  return { ascii: null, text: () => text, head: text.slice(0, 65536), invalidAt: -1, invalidByte: -1 };
}

export function decodeUtf8(buf: Buffer): DecodedText {
  if (isAscii(buf)) {
    return { ascii: buf, text: once(() => buf.toString('latin1')), head: buf.toString('latin1', 0, 65536), invalidAt: -1, invalidByte: -1 };
  }
  const text = buf.toString('utf8');
  if (isUtf8(buf)) return decodedString(text);
  const bad = firstInvalidUtf8(buf);
  const prefix = buf.subarray(0, bad).toString('utf8');
  return { ...decodedString(text), invalidAt: prefix.length, invalidByte: buf[bad] ?? 0 };
}

/** Byte index of the first byte that does not belong to a well-formed UTF-8 sequence. */
export function firstInvalidUtf8(buf: Uint8Array): number {
  let i = 0;
  while (i < buf.length) {
    const b = buf[i]!;
    let need: number;
    let min: number;
    if (b < 0x80) {
      i++;
      continue;
    } else if (b >= 0xc2 && b <= 0xdf) {
      need = 1;
      min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      min = 0x800;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      min = 0x10000;
    } else {
      return i;
    }
    let cp = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const c = buf[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return buf.length;
}

export function readSourceFile(path: string): DecodedText {
  return decodeUtf8(readFileSync(path));
}
