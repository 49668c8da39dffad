/**
 * Property tests: broken inputs never make nnspec throw, every diagnostic points inside the
 * file, and the fast parser never accepts anything the grammar of record rejects (nor reads
 * it differently).
 */
import { fc, test } from '@fast-check/vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { compileText } from '../../src/compile.js';
import { parseFast } from '../../src/language/fast-parser.js';
import { recover } from '../../src/language/recover.js';
import type { Comment, Field } from '../../src/language/syntax-tree.js';
import { bag, CORPUS, corpusFiles, ROOT, specFiles } from '../helpers.js';

const sources = [
  ...specFiles().map((f) => ({ path: f, text: readFileSync(join(ROOT, f), 'utf8') })),
  ...corpusFiles()
    .filter((f) => !f.includes('ResNet-152'))
    .map((f) => ({ path: f, text: readFileSync(join(CORPUS, f), 'utf8') })),
  // Caffe nets of our own, so that the Caffe properties run without the shared corpus too.
  ...['tests/fixtures/caffe/all-layers.prototxt', 'tests/fixtures/weights/tiny.prototxt', 'tests/fixtures/broken/legacy.prototxt', 'tests/fixtures/broken/caffe-semantics.prototxt'].map((f) => ({
    path: f,
    text: readFileSync(join(ROOT, f), 'utf8'),
  })),
];

/** Rough tokens (enough to mutate text the way an editor or a bad merge would). */
function tokens(text: string): string[] {
  return text.match(/"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|#[^\n]*|[A-Za-z_][\w]*|\$\w+|[\d.][\w.+-]*|\s+|./g) ?? [];
}

type Mutation =
  | { kind: 'delete'; at: number }
  | { kind: 'duplicate'; at: number }
  | { kind: 'swap'; at: number; with: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'inject'; at: number; bytes: string };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('swap' as const), at: fc.nat(), with: fc.nat() }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('inject' as const),
    at: fc.nat(),
    bytes: fc.oneof(
      fc.string({ unit: 'binary', maxLength: 8 }),
      fc.constantFrom('{', '}', '[', ']', ':', '"', "'", '#', '$', '-', '\\', '\u0000', '\uFFFD', '\r', '<', '(', '1.2.3', '0x', 'inf'),
    ),
  }),
);

function mutate(text: string, ms: Mutation[]): string {
  const t = tokens(text);
  for (const m of ms) {
    if (t.length === 0) break;
    const i = m.at % t.length;
    switch (m.kind) {
      case 'delete':
        t.splice(i, 1);
        break;
      case 'duplicate':
        t.splice(i, 0, t[i]!);
        break;
      case 'swap': {
        const j = m.with % t.length;
        [t[i], t[j]] = [t[j]!, t[i]!];
        break;
      }
      case 'truncate':
        t.length = i;
        break;
      case 'inject':
        t.splice(i, 0, m.bytes);
        break;
    }
  }
  return t.join('');
}

function grammarParse(text: string) {
  const fields: Field[] = [];
  const comments: Comment[] = [];
  const diagnostics = bag(text);
  recover(text, 0, (f) => fields.push(f), diagnostics, comments);
  return { fields, comments, diagnostics: diagnostics.items };
}

describe('on mutated real files', () => {
  test.prop([fc.constantFrom(...sources), fc.array(mutation, { minLength: 1, maxLength: 6 })], { numRuns: 250 })(
    'nnspec never throws and every diagnostic has a valid position',
    async (source, ms) => {
      const text = mutate(source.text, ms);
      const result = await compileText(source.path, text, { keepNodes: true });
      for (const d of result.diagnostics) {
        expect(d.span.start).toBeGreaterThanOrEqual(0);
        expect(d.span.end).toBeGreaterThanOrEqual(d.span.start);
        expect(d.span.end).toBeLessThanOrEqual(text.length);
        const p = d.source.position(d.span.start);
        expect(p.line).toBeGreaterThanOrEqual(1);
        expect(p.line).toBeLessThanOrEqual(d.source.lineCount);
        expect(p.column).toBeGreaterThanOrEqual(1);
        expect(d.message.length).toBeGreaterThan(0);
      }
    },
  );

  test.prop([fc.constantFrom(...sources), fc.array(mutation, { minLength: 1, maxLength: 4 })], { numRuns: 250 })(
    'what the fast parser accepts, the grammar accepts and reads the same way',
    (source, ms) => {
      const text = mutate(source.text, ms);
      const fields: Field[] = [];
      const fast = parseFast(text, (f) => fields.push(f));
      if (fast.failedAt >= 0) return;
      const slow = grammarParse(text);
      expect(slow.diagnostics).toEqual([]);
      expect(fields).toEqual(slow.fields);
      expect(fast.comments).toEqual(slow.comments);
    },
  );
});

describe('the fast Caffe path', () => {
  const caffe = sources.filter((s) => s.path.endsWith('.prototxt'));
  const outcome = async (path: string, text: string, fastPath: boolean) => {
    const r = await compileText(path, text, { keepNodes: true, fastPath });
    return {
      nodes: JSON.parse(JSON.stringify(r.model.graph?.nodes ?? [])) as unknown,
      diagnostics: r.diagnostics.map((d) => [d.code, d.span.start, d.span.end, d.message, d.hint]),
    };
  };

  test.prop([fc.constantFrom(...caffe), fc.array(mutation, { maxLength: 3 })], { numRuns: 150 })(
    'binds and reports exactly what the careful path does',
    async (source, ms) => {
      const text = mutate(source.text, ms);
      expect(await outcome(source.path, text, true)).toEqual(await outcome(source.path, text, false));
    },
  );
});

describe('on arbitrary text', () => {
  const alphabet = fc.constantFrom('a', 'b', ':', '{', '}', '[', ']', ',', '"', "'", '#', '\n', ' ', '1', '.', 'e', '-', '$', '*', '(', ')', '<', '>', ';', '\\');
  test.prop([fc.array(alphabet, { maxLength: 40 }).map((a) => a.join(''))], { numRuns: 2000 })('the parsers agree on small strings of the grammar’s own characters', (text) => {
    const fields: Field[] = [];
    const fast = parseFast(text, (f) => fields.push(f));
    const slow = grammarParse(text);
    if (fast.failedAt < 0) {
      expect(slow.diagnostics).toEqual([]);
      expect(fields).toEqual(slow.fields);
    } else {
      // The fast parser stops at the first field it cannot read; the grammar reports why.
      expect(slow.diagnostics.length).toBeGreaterThan(0);
    }
  });
});
