/**
 * A set of names with dense integer ids, held in typed arrays instead of a JS Set or Map.
 *
 * Why: a deep net has hundreds of thousands of layer and blob names that must be remembered for
 * the whole run (to find duplicates and dangling inputs). As keys of a Map they are long-lived
 * heap objects created at a high rate, which makes V8 grow its young generation to the maximum;
 * checking a 35 MB prototxt then took 30 MB more memory than protoc. Here a name costs two
 * bytes a character plus four integers, outside the garbage-collected heap.
 */
const IDS_PER_PAGE = 1 << 12;
const CHARS_PER_PAGE = 1 << 16;

export class NameTable {
  /**
   * Storage grows by adding pages, never by copying: a replaced typed array is freed only when
   * the collector finds its (by then old) wrapper, so grow-and-copy would hold every past size.
   */
  private readonly charPages: Uint16Array[] = [];
  private charPos = CHARS_PER_PAGE;
  /** Per id, four integers: its character page, offset, length and hash. */
  private readonly idPages: Int32Array[] = [];
  /** Open addressing: id + 1, or 0 for an empty slot; at most half full. */
  private slots = new Int32Array(1 << 10);
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** The id of `name`, or -1 when it is not in the table. */
  find(name: string): number {
    const hash = hashOf(name);
    const mask = this.slots.length - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const entry = this.slots[slot]!;
      if (entry === 0) return -1;
      if (this.matches(entry - 1, name, hash)) return entry - 1;
    }
  }

  /** The id of `name`, added when new (a new name gets id `size - 1`). */
  add(name: string): number {
    const hash = hashOf(name);
    const mask = this.slots.length - 1;
    let slot = hash & mask;
    for (; ; slot = (slot + 1) & mask) {
      const entry = this.slots[slot]!;
      if (entry === 0) break;
      if (this.matches(entry - 1, name, hash)) return entry - 1;
    }
    const length = name.length;
    let chars = this.charPages[this.charPages.length - 1];
    if (!chars || this.charPos + length > chars.length) {
      chars = new Uint16Array(Math.max(CHARS_PER_PAGE, length));
      this.charPages.push(chars);
      this.charPos = 0;
    }
    const offset = this.charPos;
    for (let i = 0; i < length; i++) chars[offset + i] = name.charCodeAt(i);
    this.charPos += length;
    const id = this.count++;
    if ((id & (IDS_PER_PAGE - 1)) === 0) this.idPages.push(new Int32Array(IDS_PER_PAGE * 4));
    const meta = this.idPages[id >>> 12]!;
    const k = (id & (IDS_PER_PAGE - 1)) * 4;
    meta[k] = this.charPages.length - 1;
    meta[k + 1] = offset;
    meta[k + 2] = length;
    meta[k + 3] = hash;
    this.slots[slot] = id + 1;
    if (this.count * 2 > this.slots.length) this.rehash();
    return id;
  }

  /** The name with this id. */
  name(id: number): string {
    const meta = this.idPages[id >>> 12]!;
    const k = (id & (IDS_PER_PAGE - 1)) * 4;
    const chars = this.charPages[meta[k]!]!;
    const start = meta[k + 1]!;
    const end = start + meta[k + 2]!;
    let out = '';
    for (let i = start; i < end; i += 4096) out += String.fromCharCode(...chars.subarray(i, Math.min(end, i + 4096)));
    return out;
  }

  private matches(id: number, name: string, hash: number): boolean {
    const meta = this.idPages[id >>> 12]!;
    const k = (id & (IDS_PER_PAGE - 1)) * 4;
    if (meta[k + 3] !== hash || meta[k + 2] !== name.length) return false;
    const chars = this.charPages[meta[k]!]!;
    const start = meta[k + 1]!;
    for (let i = 0; i < name.length; i++) if (chars[start + i] !== name.charCodeAt(i)) return false;
    return true;
  }

  private rehash(): void {
    const slots = new Int32Array(this.slots.length * 2);
    const mask = slots.length - 1;
    for (let id = 0; id < this.count; id++) {
      let slot = this.idPages[id >>> 12]![(id & (IDS_PER_PAGE - 1)) * 4 + 3]! & mask;
      while (slots[slot] !== 0) slot = (slot + 1) & mask;
      slots[slot] = id + 1;
    }
    this.slots = slots;
  }
}

/** FNV-1a over UTF-16 code units, with a final mix so that the low bits (the slot) vary. */
function hashOf(name: string): number {
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619);
  h ^= h >>> 15;
  return Math.imul(h, 0x2c1b3c6d) ^ (h >>> 12);
}
