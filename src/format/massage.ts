/**
 * What `prettier --debug-check` compares between a file and its formatted text: the syntax
 * tree without positions, and the comments in order. Layout (where a comment sits, blank
 * lines, one line or several) is exactly what formatting changes, so it is left out.
 */
import type { Field, Value } from '../language/syntax-tree.js';
import type { FormatRoot } from './parse.js';

export function massageRoot(root: FormatRoot): unknown {
  const text = root.layout.text;
  const field = (f: Field): unknown => ({ name: f.name, colon: f.colon, value: value(f.value) });
  const value = (v: Value): unknown => {
    switch (v.kind) {
      case 'message':
        return { kind: v.kind, fields: v.fields.map(field), angle: v.angle === true };
      case 'list':
        return { kind: v.kind, items: v.items.map(value) };
      case 'number':
        return { kind: v.kind, value: String(v.value), integer: v.integer, written: text.slice(v.start, v.end).replace(/#[^\n\r]*|\s+/g, '') };
      case 'binary':
        return { kind: v.kind, op: v.op, left: value(v.left), right: value(v.right) };
      case 'negate':
        return { kind: v.kind, operand: value(v.operand) };
      default: {
        const { start: _start, end: _end, ...rest } = v;
        return rest;
      }
    }
  };
  return { fields: root.document.fields.map(field), comments: root.document.comments.map((c) => c.text.trimEnd()) };
}
