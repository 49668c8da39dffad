/** What the formatter tests compare: the text through prettier, the syntax tree without positions, the IR. */
import * as prettier from 'prettier';
import { compileText } from '../../src/compile.js';
import plugin from '../../src/format/prettier-plugin.js';
import { parseDocument } from '../../src/language/parse.js';
import { textFormatLexer } from '../../src/language/tokens.js';
import type { Field, Value } from '../../src/language/syntax-tree.js';
import { bag } from '../helpers.js';

export function parserFor(path: string): 'nnspec' | 'prototxt' {
  return path.endsWith('.nnspec') ? 'nnspec' : 'prototxt';
}

export function format(text: string, parser: 'nnspec' | 'prototxt', options: prettier.Options = {}): Promise<string> {
  return prettier.format(text, { ...options, parser, plugins: [plugin] });
}

/** The syntax tree with what formatting may change taken out: positions, and spaces at the end of a comment. */
export async function normalisedTree(text: string): Promise<unknown> {
  const diagnostics = bag(text);
  const doc = await parseDocument(text, diagnostics);
  if (diagnostics.errorCount > 0) throw new Error(`syntax errors: ${diagnostics.sorted()[0]!.message}`);
  const field = (f: Field): unknown => [f.name, f.colon ? ':' : '', value(f.value)];
  const value = (v: Value): unknown => {
    switch (v.kind) {
      case 'message':
        return { message: v.fields.map(field), ...(v.angle ? { angle: true } : {}) };
      case 'list':
        return { list: v.items.map(value) };
      case 'number':
        // The spelling too: numbers are printed as written.
        return { number: String(v.value), integer: v.integer, written: text.slice(v.start, v.end).replace(/#[^\n\r]*|\s+/g, '') };
      case 'string':
        // Each literal as written too: quotes and escapes are kept byte for byte.
        return { string: v.value, written: textFormatLexer.tokenize(text.slice(v.start, v.end)).tokens.map((t) => t.image) };
      case 'ident':
        return { ident: v.name };
      case 'ref':
        return { ref: v.name };
      case 'binary':
        return { op: v.op, left: value(v.left), right: value(v.right) };
      case 'negate':
        return { negate: value(v.operand) };
      case 'missing':
        return { missing: true };
    }
  };
  return { fields: doc.fields.map(field), comments: doc.comments.map((c) => c.text.trimEnd()) };
}

/** The compiled model and its diagnostics, without anything that refers to a position in the text. */
export async function comparableIr(path: string, text: string): Promise<unknown> {
  const result = await compileText(path, text, { keepNodes: true });
  const strip = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(strip);
    if (typeof x !== 'object' || x === null) return typeof x === 'number' && Number.isNaN(x) ? 'NaN' : x;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(x)) {
      if (k === 'span' || k === 'instantiated_at' || k === 'source') continue;
      out[k] = strip(v);
    }
    return out;
  };
  return { model: strip(result.model), diagnostics: result.diagnostics.map((d) => `${d.severity} ${d.code}: ${d.message}`) };
}
