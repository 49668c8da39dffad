/**
 * Layer names are arbitrary text. Whatever a name holds (quotes, backslashes that Graphviz
 * would read as `\N` or `\l`, newlines, markup), the drawing shows it literally: the DOT is
 * parsed by Graphviz itself and the text it draws compared with the names.
 */
import { test } from '@fast-check/vitest';
import fc from 'fast-check';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { quote } from '../../src/backends/graph/dot.js';
import { renderSvg } from '../../src/backends/graph/svg.js';
import { draw, FIXTURES, svgNodes } from './graph-helpers.js';

/** What a label shows for a name: control characters as escapes, everything else as is. */
function shown(name: string): string {
  return name.replace(/\n/g, '\\n').replace(/\t/g, '\\t').replace(/\r/g, '\\r');
}

/** A prototxt string literal. */
function protoString(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\t/g, '\\t').replace(/\r/g, '\\r')}"`;
}

function net(names: string[]): string {
  const lines = ['name: "n"', 'input: "x"', 'input_shape { dim: 1 dim: 3 dim: 4 dim: 4 }'];
  names.forEach((name, i) => lines.push(`layer { name: ${protoString(name)} type: "ReLU" bottom: "${i === 0 ? 'x' : `b${i - 1}`}" top: "b${i}" }`));
  return `${lines.join('\n')}\n`;
}

describe('quote', () => {
  it('escapes quotes and backslashes and shows control characters as escapes', () => {
    expect(quote('a"b')).toBe('"a\\"b"');
    expect(quote('a\\N')).toBe('"a\\\\N"');
    expect(quote('two\nlines')).toBe('"two\\\\nlines"');
    expect(quote('x', 'y')).toBe('"x\\ny"');
    expect(quote('\u0007')).toBe('"\\\\u0007"');
  });
});

describe('hostile names', () => {
  it('are drawn literally (fixture with quotes, backslashes, a newline, markup, a script end tag)', async () => {
    const { input, dot } = await draw(join(FIXTURES, 'hostile.prototxt'));
    const svg = await renderSvg(dot);
    const drawn = svgNodes(svg).map((n) => n.texts[0]);
    expect(drawn).toEqual(input.model.graph.nodes.map((n) => shown(n.name)));
    expect(drawn).toContain('back\\slash \\N \\l');
    expect(drawn).toContain('two\\nlines');
    expect(drawn).toContain('</script><script>alert(1)</script>');
  });

  const nameChars = fc.oneof(
    fc.constantFrom('"', '\\', '\n', '<', '>', '&', "'", '{', '}', '[', ']', ';', '-', '/', '.', 'N', 'G', 'l', 'r', 'n', '×', 'é', '→'),
    fc.string({ minLength: 1, maxLength: 1, unit: 'grapheme-ascii' }),
  );
  const name = fc
    .array(nameChars, { minLength: 1, maxLength: 12 })
    .map((cs) => cs.join(''))
    // A blank label draws no text element at all.
    .filter((s) => s.trim().length > 0);

  test.prop([fc.uniqueArray(name, { minLength: 1, maxLength: 4 })], { numRuns: 100 })('any names round-trip through Graphviz', async (names) => {
    const { dot } = await draw('names.prototxt', {}, net(names));
    const svg = await renderSvg(dot);
    // By box id: boxes inside a cluster (names such as `a/b`, `a/c`) come first in the SVG.
    const drawn = svgNodes(svg)
      .sort((a, b) => Number(a.id.slice(1)) - Number(b.id.slice(1)))
      // Graphviz keeps runs of spaces visible as space + no-break spaces.
      .map((n) => n.texts[0]!.replace(/\u00a0/g, ' '));
    expect(drawn).toEqual(['input', ...names.map(shown)]);
  });
});
