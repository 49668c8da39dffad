/**
 * Comment placement and layout, as reviewed goldens: golden/format/<case>.input.<ext> formats
 * to <case>.output.<ext> (regenerate with `npx vitest run tests/format -u`, then read the diff).
 * Each output is also stable and has the input's syntax tree.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers.js';
import { format, normalisedTree, parserFor } from './helpers.js';

const DIR = join(ROOT, 'golden/format');
const cases = readdirSync(DIR).filter((f) => f.includes('.input.')).sort();

describe('golden/format', () => {
  it('has cases', () => expect(cases.length).toBeGreaterThan(0));

  it.each(cases)('%s', async (input) => {
    const text = readFileSync(join(DIR, input), 'utf8');
    const out = await format(text, parserFor(input));
    await expect(out).toMatchFileSnapshot(join(DIR, input.replace('.input.', '.output.')));
    expect(await format(out, parserFor(input))).toBe(out);
    expect(await normalisedTree(out)).toEqual(await normalisedTree(text));
  });
});
