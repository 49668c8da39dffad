/**
 * Caffe → IR → Caffe → IR is the identity on every corpus file, per phase: the emitted V2
 * text binds back to the same nodes (names, connections, attributes, parameter blobs), graph
 * name and phase. Files the compiler rejects are skipped, files the backend refuses must
 * be the known ones, and both lists are printed.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { CORPUS, CORPUS_SKIP_REASON, HAS_CORPUS, corpusFiles } from '../../helpers.js';
import { comparableIr, emitFile, errorsOf, readBack } from './roundtrip.js';

/** Refusals expected from the corpus, by file: features of forks that BVLC Caffe lacks. */
const EXPECTED_REFUSALS: Record<string, RegExp> = {
  // The Fast R-CNN fork's Dropout scale_train: false (scales at test time instead).
  'rbgirshick__py-faster-rcnn/ZF__faster_rcnn_end2end__test.prototxt': /scale_train false/,
};

const skipped: string[] = [];
const refused: string[] = [];

/** Data layers upgraded from V0/V1 reach the IR without their written settings (`options`); see the report. */
function withoutLegacyOptions(ir: unknown, legacy: boolean): unknown {
  if (!legacy) return ir;
  const g = ir as { nodes: { op: string; attrs: Record<string, unknown> }[] };
  return { ...g, nodes: g.nodes.map((n) => (n.op === 'data' ? { ...n, attrs: { ...n.attrs, options: {} } } : n)) };
}

describe.skipIf(!HAS_CORPUS)('Caffe corpus round trip', () => {
  for (const file of corpusFiles()) {
    for (const phase of ['TRAIN', 'TEST'] as const) {
      test(`${file} (${phase})`, async () => {
        const first = await emitFile(join(CORPUS, file), { phase });
        if (!first.input) {
          skipped.push(`${file} (${phase}): ${errorsOf(first.diagnostics).map((d) => d.code).join(', ') || 'no network (a solver)'}`);
          return;
        }
        const expected = EXPECTED_REFUSALS[file];
        if (first.text === null) {
          const errors = errorsOf(first.diagnostics);
          expect(errors.length).toBeGreaterThan(0);
          expect(errors.every((d) => d.code === 'convert/unsupported')).toBe(true);
          expect(expected, `unexpected refusal: ${errors.map((d) => d.message).join('; ')}`).toBeDefined();
          for (const d of errors) expect(d.message).toMatch(expected!);
          refused.push(`${file} (${phase}): ${errors.map((d) => d.message).join('; ')}`);
          return;
        }
        expect(expected, 'a file listed as refused converted').toBeUndefined();
        const second = await readBack(first.text);
        const legacy = first.input.model.format !== 'caffe-v2';
        expect(second.model.format).toBe('caffe-v2');
        expect(withoutLegacyOptions(comparableIr(second), legacy)).toEqual(withoutLegacyOptions(comparableIr(first.input), legacy));
        // And the emitted text is a fixed point: emitting the read-back IR gives the same text.
        const again = await emitFile('again.prototxt', { dialect: 'caffe' }, first.text);
        expect(again.text).toBe(first.text);
      });
    }
  }
  afterAll(() => {
    console.log(`skipped (the compiler rejects them or they hold no net):\n  ${skipped.join('\n  ')}\nrefused by the backend:\n  ${refused.join('\n  ')}`);
  });
});

test.skipIf(HAS_CORPUS)('Caffe corpus round trip', () => {
  console.log(CORPUS_SKIP_REASON);
});
