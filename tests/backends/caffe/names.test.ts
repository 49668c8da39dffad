/**
 * Names are strings in Caffe and must survive byte for byte: any graph, layer or blob name
 * (quotes, backslashes, newlines, control characters, non-ASCII, lone surrogates) printed by
 * the backend reads back as the same name.
 */
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { emitCaffe } from '../../../src/backends/caffe/index.js';
import { quoteString } from '../../../src/backends/caffe/proto-text.js';
import { unescapeString } from '../../../src/language/escapes.js';
import { emitFile, readBack } from './roundtrip.js';

const TEMPLATE = 'name: "t"\nlayer { name: "in" type: "Input" top: "a" input_param { shape { dim: 1 dim: 2 } } }\nlayer { name: "r" type: "ReLU" bottom: "a" top: "b" }\n';

const anyString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.string({ unit: fc.constantFrom('"', "'", '\\', '\n', '\r', '\t', '\0', '\x7f', '?', '0', '7', 'x', 'u', '#', ' ', '{', '}', ':', 'é', '😀', '\ud800'), maxLength: 12 }),
);

test('quoteString is undone by the reader’s unescaping', () => {
  fc.assert(
    fc.property(anyString, (s) => {
      expect(unescapeString(quoteString(s))).toBe(s);
    }),
    { numRuns: 1000 },
  );
});

test('graph, layer and blob names round-trip through the printer and the Caffe reader', async () => {
  await fc.assert(
    fc.asyncProperty(anyString, anyString.filter((s) => s.length > 0), anyString, anyString, anyString, async (graphName, n1, n2, b1, b2) => {
      fc.pre(n1 !== n2 && b1 !== b2);
      const e = await emitFile('t.prototxt', {}, TEMPLATE);
      const [input, relu] = e.input!.model.graph.nodes;
      e.input!.model.graph.name = graphName;
      input!.name = n1;
      input!.outputs = [b1];
      relu!.name = n2;
      relu!.inputs = [b1];
      relu!.outputs = [b2];
      const text = emitCaffe(e.input!);
      expect(text).not.toBeNull();
      const back = await readBack(text!);
      const [i2, r2] = back.model.graph.nodes;
      expect(back.model.graph.name).toBe(graphName);
      expect([i2!.name, i2!.outputs, r2!.name, r2!.inputs, r2!.outputs]).toEqual([n1, [b1], n2, [b1], [b2]]);
    }),
    { numRuns: 300 },
  );
});
