/**
 * The syntax tree as the formatter sees it: every body (the document, a message, a list) as a
 * sequence of items, each with the comments that belong to it and whether a blank line came
 * before it. The syntax tree keeps comments apart, as offsets; this is where each one is given
 * its place, so the printer never has to search for them.
 */
import type { Comment, Document, Field, ListValue, Message, Value } from '../language/syntax-tree.js';

/** A comment on a line of its own. */
export interface OwnLineComment {
  text: string;
  blankBefore: boolean;
}

export interface BodyItem {
  node: Field | Value;
  /** Own-line comments written before the item (and any written inside it that has no other place). */
  before: OwnLineComment[];
  blankBefore: boolean;
  /** A comment after the item on the same line. */
  trailing?: string;
}

export interface Body {
  items: BodyItem[];
  /** A comment on the same line as the opening `{` or `[`. */
  open?: string;
  /** Own-line comments after the last item. */
  end: OwnLineComment[];
  /** A line break between the opening delimiter and the first item: the author laid the body out one item per line. */
  expanded: boolean;
}

export interface LayoutTree {
  root: Body;
  bodies: Map<Message | ListValue, Body>;
  text: string;
}

function lineBreaks(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) n++;
    else if (c === 13 && text.charCodeAt(i + 1) !== 10) n++;
  }
  return n;
}

/** Comments keep their text as written, less trailing whitespace. */
export function commentText(c: Comment): string {
  return c.text.trimEnd();
}

/** The nested bodies of a body item: where its comments may go other than before it. */
function nestedBody(node: Field | Value): Message | ListValue | undefined {
  const value = 'kind' in node ? node : node.value;
  return value.kind === 'message' || value.kind === 'list' ? value : undefined;
}

export function buildLayout(doc: Document, text: string): LayoutTree {
  const comments = [...doc.comments].sort((a, b) => a.start - b.start);
  const bodies = new Map<Message | ListValue, Body>();
  let next = 0;

  /** Comments that start before `offset`, in order, taken from the queue. */
  const takeBefore = (offset: number): Comment[] => {
    const out: Comment[] = [];
    while (next < comments.length && comments[next]!.start < offset) out.push(comments[next++]!);
    return out;
  };

  /**
   * Lays out a body whose items lie between `open` (just after the opening delimiter, or 0)
   * and `close` (the closing delimiter, or the end of the text).
   */
  const layoutBody = (items: (Field | Value)[], open: number, close: number, delimited: boolean): Body => {
    const body: Body = { items: [], end: [], expanded: false };
    /** End of the last thing placed: the opener, an item, or a comment. */
    let last = open;
    let afterItem: BodyItem | null = null;
    let pending: OwnLineComment[] = [];

    const place = (found: Comment[]) => {
      for (const c of found) {
        const breaks = lineBreaks(text, last, c.start);
        if (breaks === 0 && afterItem && afterItem.trailing === undefined) afterItem.trailing = commentText(c);
        else if (breaks === 0 && delimited && !afterItem && pending.length === 0 && body.open === undefined) body.open = commentText(c);
        else pending.push({ text: commentText(c), blankBefore: breaks > 1 && (afterItem !== null || pending.length > 0) });
        last = c.end;
      }
    };

    /** Comments with no place inside an item go on the lines just before it, after any blank line that preceded it. */
    const hoist = (item: BodyItem, found: Comment[]) => {
      found.forEach((c, i) => item.before.push({ text: commentText(c), blankBefore: i === 0 && item.blankBefore }));
      if (found.length > 0) item.blankBefore = false;
    };

    const first = items[0];
    body.expanded = delimited && lineBreaks(text, open, first ? first.start : close) > 0;
    for (const node of items) {
      place(takeBefore(node.start));
      const item: BodyItem = { node, before: pending, blankBefore: (afterItem !== null || pending.length > 0) && lineBreaks(text, last, node.start) > 1 };
      pending = [];
      const nested = nestedBody(node);
      if (nested) {
        // Comments between a field's name and its `{` or `[` have no place there: they go before the field.
        hoist(item, takeBefore(nested.start));
        const inner = nested.kind === 'message' ? nested.fields : nested.items;
        bodies.set(nested, layoutBody(inner, nested.start + 1, nested.end - 1, true));
      }
      // Comments inside a value (between adjacent strings, inside arithmetic) go before the item too.
      hoist(item, takeBefore(node.end));
      body.items.push(item);
      afterItem = item;
      last = node.end;
    }
    place(takeBefore(close));
    body.end = pending;
    return body;
  };

  const root = layoutBody(doc.fields, 0, text.length, false);
  return { root, bodies, text };
}
