import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileFile } from '../../../src/compile.js';
import { CORPUS, CORPUS_SKIP_REASON, corpusFiles, HAS_CORPUS } from '../../helpers.js';
import { asNnspecStates, compilePrinted, irOf, printNnspec } from './roundtrip.js';

/** Each corpus file in phase TEST, and in TRAIN too where include rules make the phases differ. */
async function cases(): Promise<[string, 'TEST' | 'TRAIN'][]> {
  const out: [string, 'TEST' | 'TRAIN'][] = [];
  for (const file of corpusFiles()) {
    out.push([file, 'TEST']);
    const r = await compileFile(join(CORPUS, file), { phase: 'TEST', analyze: false });
    if (r.ruleStages && r.ruleStages.size > 0) out.push([file, 'TRAIN']);
  }
  return out;
}

const CASES = HAS_CORPUS ? await cases() : [];

describe.skipIf(!HAS_CORPUS)('nnspec printer: the Caffe corpus', () => {
  if (!HAS_CORPUS) it.skip(CORPUS_SKIP_REASON, () => {});

  it.each(CASES)('%s (%s): prints as nnspec with the same IR, or is refused naming layer and feature', async (file, phase) => {
    const printed = await printNnspec(join(CORPUS, file), { phase });
    // Files that do not compile (or hold no network) have nothing to print.
    if (printed.inputErrors > 0 || !printed.model) return;
    const errors = printed.diagnostics.filter((d) => d.severity === 'error');
    if (printed.text === null) {
      expect(errors.length).toBeGreaterThan(0);
      for (const e of errors) {
        expect(e.code).toBe('convert/unsupported');
        expect(e.message).toMatch(/^(layer '.+' \(\w+\)|input '.+'|the training setup): nnspec cannot express .+/);
      }
      return;
    }
    expect(errors).toEqual([]);
    const back = await compilePrinted(printed.text);
    expect(back.errors.map((d) => d.message)).toEqual([]);
    const want = asNnspecStates(irOf(printed.model, printed.source!));
    expect(back.ir).toEqual(want);
    // The converted text is a fixed point of the printer from its second printing on.
    const again = await printNnspec('again.nnspec', {}, printed.text);
    const third = await printNnspec('again.nnspec', {}, again.text!);
    expect(third.text).toBe(again.text);
  });

  it('converts most of the corpus', async () => {
    let converted = 0;
    for (const [file, phase] of CASES) if ((await printNnspec(join(CORPUS, file), { phase })).text !== null) converted++;
    expect(converted).toBeGreaterThanOrEqual(CASES.length / 2);
  });
});
