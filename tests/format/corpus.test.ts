/**
 * Every shipped spec and every file of the shared Caffe corpus: formatting twice changes
 * nothing, and neither the syntax tree (comments included) nor the compiled model changes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CORPUS, CORPUS_SKIP_REASON, corpusFiles, HAS_CORPUS, ROOT, specFiles } from '../helpers.js';
import { comparableIr, format, normalisedTree, parserFor } from './helpers.js';

async function checkFile(path: string, text: string) {
  const once = await format(text, parserFor(path));
  const twice = await format(once, parserFor(path));
  expect(twice, 'formatting twice changes nothing').toBe(once);
  expect(await normalisedTree(once), 'the syntax tree, comments included').toEqual(await normalisedTree(text));
  expect(await comparableIr(path, once), 'the compiled model').toEqual(await comparableIr(path, text));
}

describe('shipped specs', () => {
  it.each(specFiles())('%s', async (file) => {
    await checkFile(file, readFileSync(join(ROOT, file), 'utf8'));
  });
});

describe.skipIf(!HAS_CORPUS)(`the shared Caffe corpus${HAS_CORPUS ? '' : ` (${CORPUS_SKIP_REASON})`}`, () => {
  it('is there', () => expect(corpusFiles().length).toBeGreaterThan(0));

  it.each(corpusFiles())('%s', async (file) => {
    await checkFile(file, readFileSync(join(CORPUS, file), 'utf8'));
  });
});
