/**
 * The canonical layout, as a prettier Doc.
 *
 * - Top-level fields one per line; a blank line between groups of fields is kept (several
 *   become one), blank lines at the start and end of a body are dropped.
 * - A message stays on one line when it was written without a line break after its `{` and
 *   fits; otherwise one field per line, indented. This is prettier's rule for object literals:
 *   the author's choice survives and formatting twice gives the same text.
 * - A list wraps when it does not fit: lists of scalars fill the lines, lists of messages
 *   take one item per line.
 * - Comments stay where they were written: on their own line, after a value on the same line,
 *   or after an opening `{`. Only comments written inside a value (between a field's name and
 *   its `{`, inside arithmetic) move, to the line before the field.
 * - Every token is printed as written: numbers keep their spelling (`1e-4`, `0x1F`, `.5`),
 *   strings their quotes and escapes, fields their `:` (or its absence), messages their
 *   delimiters. Separators (`,` `;` between fields) are dropped; protobuf does not need them.
 */
import { builders } from 'prettier/doc';
import type { BinaryExpression, Field, ListValue, Message, Value } from '../language/syntax-tree.js';
import type { Body, BodyItem, LayoutTree } from './layout-tree.js';

type Doc = builders.Doc;

const { breakParent, fill, group, hardline, indent, line, lineSuffix, softline } = builders;

function comment(text: string): Doc {
  return ['#', text, breakParent];
}

function trailing(item: BodyItem): Doc {
  return item.trailing === undefined ? '' : [lineSuffix([' #', item.trailing]), breakParent];
}

const PRECEDENCE: Record<BinaryExpression['op'], number> = { '+': 1, '-': 1, '*': 2, '/': 2 };

export class LayoutPrinter {
  constructor(private readonly layout: LayoutTree) {}

  document(): Doc {
    const body = this.layout.root;
    const lines = this.lines(body, (item) => [this.field(item.node as Field), trailing(item)], hardline);
    return lines.length === 0 ? '' : [lines, hardline];
  }

  /**
   * The items and own-line comments of a body in order, joined by `separator` (a line break
   * after a comment, two where the source had a blank line).
   */
  private lines(body: Body, item: (item: BodyItem, index: number) => Doc, separator: Doc): Doc[] {
    const out: Doc[] = [];
    let afterComment = false;
    const push = (doc: Doc, blankBefore: boolean, isComment: boolean) => {
      if (out.length > 0) out.push(blankBefore ? [hardline, hardline] : afterComment ? hardline : separator);
      out.push(doc);
      afterComment = isComment;
    };
    body.items.forEach((it, i) => {
      for (const c of it.before) push(comment(c.text), c.blankBefore, true);
      push(item(it, i), it.blankBefore, false);
    });
    for (const c of body.end) push(comment(c.text), c.blankBefore, true);
    return out;
  }

  /** Comments and blank lines need line breaks: such a body is never put on one line. */
  private mustBreak(body: Body): boolean {
    return body.open !== undefined || body.end.length > 0 || body.items.some((i) => i.before.length > 0 || i.trailing !== undefined || i.blankBefore);
  }

  field(f: Field): Doc {
    return [f.name, f.colon ? ':' : '', ' ', this.value(f.value)];
  }

  value(v: Value): Doc {
    switch (v.kind) {
      case 'message':
        return this.message(v);
      case 'list':
        return this.list(v);
      case 'number':
        // As written; a sign separated from its digits (`- 1`) closes up.
        return this.layout.text.slice(v.start, v.end).replace(/#[^\n\r]*/g, '').replace(/\s+/g, '');
      case 'string':
        return this.stringTokens(v.start, v.end).join(' ');
      case 'ident':
        return v.name;
      case 'ref':
        return `$${v.name}`;
      case 'binary': {
        const p = PRECEDENCE[v.op];
        const left = this.operand(v.left, (q) => q < p);
        const right = this.operand(v.right, (q) => q <= p);
        return [left, ' ', v.op, ' ', right];
      }
      case 'negate': {
        // `-(1)` is not the literal `-1` in the syntax tree: parentheses keep it so.
        const o = v.operand;
        const bare = o.kind === 'ref' || (o.kind === 'ident' && !/^(inf|infinity|nan)$/i.test(o.name));
        return ['-', bare ? this.value(o) : ['(', this.value(o), ')']];
      }
      case 'missing':
        return '';
    }
  }

  private operand(v: Value, needsParens: (precedence: number) => boolean): Doc {
    const doc = this.value(v);
    return v.kind === 'binary' && needsParens(PRECEDENCE[v.op]) ? ['(', doc, ')'] : doc;
  }

  /** The literals of a string value as written (adjacent literals stay adjacent, one space apart). */
  private stringTokens(start: number, end: number): string[] {
    const text = this.layout.text;
    const out: string[] = [];
    let i = start;
    while (i < end) {
      const c = text[i]!;
      if (c === '"' || c === "'") {
        let j = i + 1;
        while (j < end && text[j] !== c) j += text[j] === '\\' ? 2 : 1;
        out.push(text.slice(i, j + 1));
        i = j + 1;
      } else if (c === '#') {
        while (i < end && text[i] !== '\n' && text[i] !== '\r') i++;
      } else i++;
    }
    return out;
  }

  private body(node: Message | ListValue): Body {
    const body = this.layout.bodies.get(node);
    if (!body) throw new Error(`internal: no layout for the ${node.kind} at offset ${node.start}`);
    return body;
  }

  private message(m: Message): Doc {
    const [open, close] = m.angle ? ['<', '>'] : ['{', '}'];
    const body = this.body(m);
    if (body.items.length === 0 && !this.mustBreak(body)) return [open, close];
    const lines = this.lines(body, (item) => [this.field(item.node as Field), trailing(item)], line);
    // Only a comment after the `{`: the brace closes on the next line.
    if (lines.length === 0) return [open, this.open(body), hardline, close];
    return group([open, this.open(body), indent([line, lines]), line, close], { shouldBreak: body.expanded || this.mustBreak(body) });
  }

  private list(l: ListValue): Doc {
    const body = this.body(l);
    if (body.items.length === 0 && !this.mustBreak(body)) return '[]';
    const last = body.items.length - 1;
    const item = (it: BodyItem, i: number): Doc => [this.value(it.node as Value), i < last ? ',' : '', trailing(it)];
    const scalars = l.items.every((v) => v.kind !== 'message');
    if (scalars && !this.mustBreak(body)) {
      const parts: Doc[] = [];
      body.items.forEach((it, i) => {
        if (i > 0) parts.push(line);
        parts.push(item(it, i));
      });
      return group(['[', indent([softline, fill(parts)]), softline, ']']);
    }
    const lines = this.lines(body, item, line);
    if (lines.length === 0) return ['[', this.open(body), hardline, ']'];
    return group(['[', this.open(body), indent([softline, lines]), softline, ']'], { shouldBreak: this.mustBreak(body) || (!scalars && body.expanded) });
  }

  private open(body: Body): Doc {
    return body.open === undefined ? '' : [lineSuffix([' #', body.open]), breakParent];
  }
}

export function printLayout(layout: LayoutTree): Doc {
  return new LayoutPrinter(layout).document();
}
