/**
 * Property tests on generated files: any layout of fields, messages, lists, arithmetic,
 * comments and blank lines formats to text with the same syntax tree (comments included, in
 * order), and formatting that text again changes nothing, whatever the width and indentation.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { document } from './arbitraries.js';
import { format, normalisedTree } from './helpers.js';

const options = fc.record({ printWidth: fc.integer({ min: 20, max: 120 }), tabWidth: fc.constantFrom(2, 4), useTabs: fc.boolean() });

describe('formatting generated files', () => {
  test.prop([document, options], { numRuns: 300 })('keeps the syntax tree and comments, and is stable', async (text, opts) => {
    const once = await format(text, 'nnspec', opts);
    expect(await normalisedTree(once)).toEqual(await normalisedTree(text));
    expect(await format(once, 'nnspec', opts)).toBe(once);
  });

  test.prop([document])('gives a file that was already formatted back unchanged', async (text) => {
    const once = await format(text, 'prototxt');
    const twice = await format(once, 'prototxt');
    expect(twice).toBe(once);
  });
});
