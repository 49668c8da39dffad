import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseFast } from '../../src/language/fast-parser.js';
import { parseDocument } from '../../src/language/parse.js';
import { recover } from '../../src/language/recover.js';
import type { Comment, Field, Value } from '../../src/language/syntax-tree.js';
import { bag, CORPUS, CORPUS_SKIP_REASON, corpusFiles, HAS_CORPUS, ROOT, specFiles } from '../helpers.js';

/** Parses with the chevrotain grammar alone (the error-recovering path), from the start. */
function grammarParse(text: string) {
  const fields: Field[] = [];
  const comments: Comment[] = [];
  const diagnostics = bag(text);
  recover(text, 0, (f) => fields.push(f), diagnostics, comments);
  return { fields, comments, diagnostics: diagnostics.items };
}

function fastParse(text: string) {
  const fields: Field[] = [];
  const r = parseFast(text, (f) => fields.push(f));
  return { fields, comments: r.comments, failedAt: r.failedAt };
}

async function parse(text: string) {
  const diagnostics = bag(text);
  const doc = await parseDocument(text, diagnostics);
  return { ...doc, diagnostics: diagnostics.items };
}

function scalar(v: Value): unknown {
  switch (v.kind) {
    case 'number':
      return v.value;
    case 'string':
      return v.value;
    case 'ident':
      return v.name;
    default:
      return v.kind;
  }
}

describe('the text-format grammar', () => {
  it('reads what real Caffe files contain', async () => {
    const text = [
      'name: "net" # trailing comment',
      "type: 'single' # single quotes",
      'a: 5e-05 b: 1. c: .5 d: -3 e: 0x1F f: 017 g: 1.5f h: -inf i: nan',
      'pool: MAX',
      'shape { dim: 1 dim: 3 }',
      'input_param: { shape: { dim: 64 } }',
      'list: [1, 2, 3]',
      'esc: "a\\"b\\n\\x41\\101\\u00e9"',
      'joined: "ab" \'cd\'',
      'angle < x: 1 >',
      'sep: 1, sep2: 2; sep3: 3',
    ].join('\r\n');
    const { fields, comments, diagnostics } = await parse(text);
    expect(diagnostics).toEqual([]);
    const flat = Object.fromEntries(fields.filter((f) => f.value.kind !== 'message' && f.value.kind !== 'list').map((f) => [f.name, scalar(f.value)]));
    expect(flat).toMatchObject({ name: 'net', type: 'single', a: 5e-5, b: 1, c: 0.5, d: -3, e: 31, f: 15, g: 1.5, h: -Infinity, pool: 'MAX', esc: 'a"b\nAAé', joined: 'abcd' });
    // `nan` and `inf` stay names in the tree; float fields read them as numbers.
    expect(flat.i).toBe('nan');
    expect(comments.map((c) => c.text)).toEqual([' trailing comment', ' single quotes']);
    const shape = fields.find((f) => f.name === 'shape')!;
    expect(shape.colon).toBe(false);
    expect(fields.find((f) => f.name === 'input_param')!.colon).toBe(true);
    const list = fields.find((f) => f.name === 'list')!.value;
    expect(list.kind === 'list' && list.items.map(scalar)).toEqual([1, 2, 3]);
    expect(fields.find((f) => f.name === 'angle')!.value).toMatchObject({ kind: 'message', angle: true });
  });

  it('marks which numbers were written as integers', async () => {
    const { fields } = await parse('a: 3 b: 3.0 c: 3e0 d: -7');
    expect(fields.map((f) => (f.value.kind === 'number' ? f.value.integer : null))).toEqual([true, false, false, true]);
  });

  it('reads nnspec references and arithmetic with the usual precedence', async () => {
    const { fields, diagnostics } = await parse('out: $planes * 4 + 1  k: -($a - 2) / 3  c: -$x');
    expect(diagnostics).toEqual([]);
    const out = fields[0]!.value;
    expect(out).toMatchObject({ kind: 'binary', op: '+', left: { kind: 'binary', op: '*', left: { kind: 'ref', name: 'planes' } } });
    expect(fields[1]!.value).toMatchObject({ kind: 'binary', op: '/', left: { kind: 'negate' } });
    expect(fields[2]!.value).toMatchObject({ kind: 'negate', operand: { kind: 'ref', name: 'x' } });
  });

  it('gives every node a span that covers exactly its text', async () => {
    const text = 'layer {\n  name: "conv1"\n  kernel_size: [3, 5]\n}\n';
    const { fields } = await parse(text);
    const layer = fields[0]!;
    expect(text.slice(layer.start, layer.end)).toBe(text.trim());
    const inner = layer.value.kind === 'message' ? layer.value.fields : [];
    expect(inner.map((f) => text.slice(f.start, f.end))).toEqual(['name: "conv1"', 'kernel_size: [3, 5]']);
    expect(inner.map((f) => text.slice(f.value.start, f.value.end))).toEqual(['"conv1"', '[3, 5]']);
  });

  it('accepts empty files, comment-only files and files without a final newline', async () => {
    expect((await parse('')).fields).toEqual([]);
    expect((await parse('# nothing\n# here')).comments).toHaveLength(2);
    expect((await parse('a: 1')).fields).toHaveLength(1);
    expect((await parse('\uFEFFa: 1')).fields).toHaveLength(1);
  });
});

describe('syntax errors', () => {
  it('reports every error of a file in one run, with positions', async () => {
    const text = ['layer { name: "a" top: }', 'layer { kernel: 1.2.3 }', 'layer { bad ] }', 'name: "unterminated', 'x: 1'].join('\n');
    const { diagnostics, fields } = await parse(text);
    const codes = diagnostics.map((d) => d.code);
    expect(codes).toContain('syntax/unexpected-token');
    expect(codes).toContain('syntax/malformed-number');
    expect(codes).toContain('syntax/unterminated-string');
    // Lines 1 to 4 each have an error.
    const lines = new Set(diagnostics.map((d) => text.slice(0, d.span.start).split('\n').length));
    expect([...lines].sort()).toEqual([1, 2, 3, 4]);
    // What could be read is still there.
    expect(fields.map((f) => f.name)).toContain('x');
  });

  it('says what was expected and what was found', async () => {
    const { diagnostics } = await parse('layer { name "x" }');
    expect(diagnostics[0]!.message).toBe("expected ':', '{' or '[' after the field name but found the string \"x\"");
  });

  it('stops nesting at 100 levels instead of overflowing the stack', async () => {
    const deep = 'a '.repeat(10_000).split(' ').join('{ ') + '}'.repeat(10_000);
    const { diagnostics } = await parse(deep);
    expect(diagnostics.some((d) => d.code === 'syntax/too-deep')).toBe(true);
    const parens = `x: ${'('.repeat(10_000)}1${')'.repeat(10_000)}`;
    expect((await parse(parens)).diagnostics.some((d) => d.code === 'syntax/too-deep')).toBe(true);
    const fine = `${'a { '.repeat(99)}${'} '.repeat(99)}`;
    expect((await parse(fine)).diagnostics).toEqual([]);
  });

  it('survives binary garbage with a bounded number of diagnostics', async () => {
    let seed = 7;
    const bytes = Array.from({ length: 200_000 }, () => String.fromCharCode((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % 256));
    const { diagnostics } = await parse(bytes.join(''));
    expect(diagnostics.length).toBeGreaterThan(0);
    expect(diagnostics.length).toBeLessThanOrEqual(1000);
  });
});

describe('the fast parser and the chevrotain grammar', () => {
  const samples = [...specFiles().map((f) => join(ROOT, f)), ...corpusFiles().map((f) => join(CORPUS, f))];

  it.each(samples)('read %s to the same tree', (file) => {
    const text = readFileSync(file, 'utf8');
    const fast = fastParse(text);
    expect(fast.failedAt).toBe(-1);
    const slow = grammarParse(text);
    expect(slow.diagnostics).toEqual([]);
    expect(fast.fields).toEqual(slow.fields);
    expect(fast.comments).toEqual(slow.comments);
  });

  it.skipIf(!HAS_CORPUS)('cover the whole corpus', () => {
    expect(corpusFiles().length).toBeGreaterThan(40);
  });
  if (!HAS_CORPUS) it.skip(CORPUS_SKIP_REASON, () => undefined);
});
