/**
 * Lines of text kept as UTF-8 bytes in large buffers, outside the JS heap. A summary of a net
 * with 200,000 layers holds 200,000 rows until the column widths are known; as strings they
 * would be long-lived heap objects that make V8 grow its young generation (see NameTable).
 */
const PAGE = 1 << 20;

export class RowStore {
  private readonly pages: Buffer[] = [];
  private page: Buffer = Buffer.allocUnsafe(0);
  private used = 0;
  /** Per row: page index and [start, end) within it. */
  private where = new Int32Array(3 * 1024);
  private count = 0;

  get size(): number {
    return this.count;
  }

  push(row: string): void {
    const bytes = Buffer.byteLength(row);
    if (this.used + bytes > this.page.length) {
      this.page = Buffer.allocUnsafe(Math.max(PAGE, bytes));
      this.pages.push(this.page);
      this.used = 0;
    }
    const written = this.page.write(row, this.used);
    if (3 * (this.count + 1) > this.where.length) {
      const grown = new Int32Array(this.where.length * 2);
      grown.set(this.where);
      this.where = grown;
    }
    const k = 3 * this.count++;
    this.where[k] = this.pages.length - 1;
    this.where[k + 1] = this.used;
    this.where[k + 2] = this.used + written;
    this.used += written;
  }

  get(i: number): string {
    const k = 3 * i;
    return this.pages[this.where[k]!]!.toString('utf8', this.where[k + 1], this.where[k + 2]);
  }
}
