import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { NameTable } from '../../src/ir/name-table.js';

describe('NameTable', () => {
  test.prop([fc.array(fc.string({ unit: 'binary', maxLength: 12 }), { maxLength: 400 })])('behaves like a Map from name to first-insertion index', (names) => {
    const table = new NameTable();
    const model = new Map<string, number>();
    for (const name of names) {
      const expected = model.get(name) ?? model.size;
      if (!model.has(name)) model.set(name, expected);
      expect(table.add(name)).toBe(expected);
      expect(table.size).toBe(model.size);
    }
    for (const [name, id] of model) {
      expect(table.find(name)).toBe(id);
      expect(table.name(id)).toBe(name);
    }
    expect(table.find('\u0000not-there\u0000')).toBe(model.get('\u0000not-there\u0000') ?? -1);
  });

  it('keeps names across page and table growth, including one longer than a page', () => {
    const table = new NameTable();
    const long = 'x'.repeat(70_000);
    for (let i = 0; i < 20_000; i++) table.add(`block${i}_conv`);
    expect(table.add(long)).toBe(20_000);
    for (let i = 0; i < 20_000; i += 997) expect(table.find(`block${i}_conv`)).toBe(i);
    expect(table.name(20_000)).toBe(long);
    expect(table.find('block20000_conv')).toBe(-1);
  });
});
