/**
 * The grammar of record: protobuf text format as Caffe files use it, plus nnspec's list
 * values, `$name` references and arithmetic. Chevrotain builds the syntax tree directly
 * (embedded actions) with error recovery on, so one run reports every syntax error of a file.
 * The railroad diagrams in grammar/ are generated from this class.
 */
import { EmbeddedActionsParser, type IToken, type TokenType } from 'chevrotain';
import { numberValue, specialFloat } from './numbers.js';
import { unescapeString, type EscapeProblem } from './escapes.js';
import type {
  BinaryOperator,
  Field,
  ListValue,
  Message,
  MissingValue,
  StringLiteral as StringNode,
  Value,
} from './syntax-tree.js';
import * as T from './tokens.js';
import { errorMessages } from './syntax-errors.js';

export interface StringProblem extends EscapeProblem {
  /** Absolute offset of the literal in the file. */
  base: number;
}

function start(tok: IToken, fallback: number): number {
  return Number.isFinite(tok.startOffset) ? tok.startOffset : fallback;
}

function end(tok: IToken, fallback: number): number {
  return tok.endOffset !== undefined && Number.isFinite(tok.endOffset) ? tok.endOffset + 1 : fallback;
}

function missing(at: number): MissingValue {
  return { kind: 'missing', start: at, end: at };
}

export class TextFormatParser extends EmbeddedActionsParser {
  /** Problems found inside string literals (bad escapes); the driver turns them into diagnostics. */
  stringProblems: StringProblem[] = [];
  /** A `{` closed by `>` or a `<` closed by `}`. */
  delimiterProblems: { start: number; end: number; message: string }[] = [];

  constructor() {
    super(T.allTokens, { recoveryEnabled: true, maxLookahead: 2, errorMessageProvider: errorMessages });
    this.performSelfAnalysis();
  }

  /** Top-level fields land here as they are read, so a failed run still keeps what it parsed. */
  collected: Field[] = [];

  readonly document = this.RULE('document', (): void => {
    this.MANY(() => {
      const f = this.SUBRULE(this.field);
      this.ACTION(() => {
        if (f) this.collected.push(f);
      });
      this.OPTION(() => this.SUBRULE(this.separator));
    });
  });

  readonly separator = this.RULE('separator', () => {
    this.OR([{ ALT: () => this.CONSUME(T.Comma) }, { ALT: () => this.CONSUME(T.Semicolon) }]);
  });

  readonly field = this.RULE(
    'field',
    (): Field | undefined => {
      const name = this.CONSUME(T.Identifier);
      let colon = false;
      let value: Value | undefined;
      this.OR([
        {
          ALT: () => {
            this.CONSUME(T.Colon);
            colon = true;
            value = this.SUBRULE(this.value);
          },
        },
        { ALT: () => (value = this.SUBRULE(this.message)) },
        { ALT: () => (value = this.SUBRULE(this.list)) },
      ]);
      return this.ACTION(() => {
        const s = start(name, 0);
        const nameEnd = end(name, s);
        let v = value && value.start >= 0 ? value : missing(nameEnd);
        if (!Number.isFinite(v.start)) v = missing(nameEnd);
        return { name: name.image, colon, value: v, start: s, end: Math.max(nameEnd, v.end) };
      });
    },
    { recoveryValueFunc: () => undefined },
  );

  readonly value = this.RULE(
    'value',
    (): Value =>
      this.OR([
        { ALT: () => this.SUBRULE(this.message) },
        { ALT: () => this.SUBRULE(this.list) },
        { ALT: () => this.SUBRULE(this.expression) },
      ]),
    { recoveryValueFunc: () => missing(-1) },
  );

  readonly message = this.RULE(
    'message',
    (): Message => {
      const fields: Field[] = [];
      const open = this.OR([{ ALT: () => this.CONSUME(T.LCurly) }, { ALT: () => this.CONSUME(T.LAngle) }]);
      this.MANY(() => {
        const f = this.SUBRULE(this.field);
        this.ACTION(() => {
          if (f) fields.push(f);
        });
        this.OPTION(() => this.SUBRULE(this.separator));
      });
      const close = this.OR2([{ ALT: () => this.CONSUME(T.RCurly) }, { ALT: () => this.CONSUME(T.RAngle) }]);
      return this.ACTION(() => {
        const s = start(open, -1);
        const lastField = fields[fields.length - 1];
        const e = end(close, lastField ? lastField.end : s + 1);
        const angle = open.tokenType === T.LAngle;
        if (Number.isFinite(close.startOffset) && angle !== (close.tokenType === T.RAngle)) {
          this.delimiterProblems.push({ start: close.startOffset, end: e, message: `expected '${angle ? '>' : '}'}' to close the '${open.image}' but found '${close.image}'` });
        }
        const m: Message = { kind: 'message', fields, start: s, end: e };
        if (angle) m.angle = true;
        return m;
      });
    },
    { recoveryValueFunc: (): Message => ({ kind: 'message', fields: [], start: -1, end: -1 }) },
  );

  readonly list = this.RULE(
    'list',
    (): ListValue => {
      const items: Value[] = [];
      const open = this.CONSUME(T.LBracket);
      this.OPTION(() => {
        items.push(this.SUBRULE(this.listItem));
        this.MANY(() => {
          this.CONSUME(T.Comma);
          items.push(this.SUBRULE2(this.listItem));
        });
      });
      const close = this.CONSUME(T.RBracket);
      return this.ACTION(() => {
        const s = start(open, -1);
        const last = items[items.length - 1];
        return { kind: 'list', items: items.filter((i) => i.start >= 0), start: s, end: end(close, last ? last.end : s + 1) };
      });
    },
    { recoveryValueFunc: (): ListValue => ({ kind: 'list', items: [], start: -1, end: -1 }) },
  );

  readonly listItem = this.RULE(
    'listItem',
    (): Value => this.OR([{ ALT: () => this.SUBRULE(this.message) }, { ALT: () => this.SUBRULE(this.expression) }]),
    { recoveryValueFunc: () => missing(-1) },
  );

  readonly expression = this.RULE(
    'expression',
    (): Value => {
      let left = this.SUBRULE(this.term);
      this.MANY(() => {
        const op = this.OR([{ ALT: () => this.CONSUME(T.Plus) }, { ALT: () => this.CONSUME(T.Minus) }]);
        const right = this.SUBRULE2(this.term);
        left = this.ACTION(() => this.binary(op, left, right));
      });
      return left;
    },
    { recoveryValueFunc: () => missing(-1) },
  );

  readonly term = this.RULE(
    'term',
    (): Value => {
      let left = this.SUBRULE(this.unary);
      this.MANY(() => {
        const op = this.OR([{ ALT: () => this.CONSUME(T.Star) }, { ALT: () => this.CONSUME(T.Slash) }]);
        const right = this.SUBRULE2(this.unary);
        left = this.ACTION(() => this.binary(op, left, right));
      });
      return left;
    },
    { recoveryValueFunc: () => missing(-1) },
  );

  readonly unary = this.RULE(
    'unary',
    (): Value =>
      this.OR([
        {
          ALT: () => {
            const minus = this.CONSUME(T.Minus);
            const next = this.LA(1);
            const operand = this.SUBRULE(this.unary);
            return this.ACTION((): Value => {
              const s = start(minus, operand.start);
              const literal = next.tokenType === T.NumberLiteral || next.tokenType === T.Identifier;
              if (literal && operand.kind === 'number') {
                return { kind: 'number', value: -operand.value, integer: operand.integer, start: s, end: operand.end };
              }
              if (literal && operand.kind === 'ident') {
                const special = specialFloat(operand.name);
                if (special !== undefined) return { kind: 'number', value: -special, integer: false, start: s, end: operand.end };
              }
              return { kind: 'negate', operand, start: s, end: Math.max(operand.end, s + 1) };
            });
          },
        },
        { ALT: () => this.SUBRULE(this.primary) },
      ]),
    { recoveryValueFunc: () => missing(-1) },
  );

  readonly primary = this.RULE(
    'primary',
    (): Value =>
      this.OR([
        {
          ALT: () => {
            const tok = this.CONSUME(T.NumberLiteral);
            return this.ACTION((): Value => {
              const { value, integer } = numberValue(tok.image);
              return { kind: 'number', value, integer, start: tok.startOffset, end: end(tok, tok.startOffset) };
            });
          },
        },
        { ALT: () => this.SUBRULE(this.strings) },
        {
          ALT: () => {
            const tok = this.CONSUME(T.Identifier);
            return this.ACTION((): Value => ({ kind: 'ident', name: tok.image, start: tok.startOffset, end: end(tok, tok.startOffset) }));
          },
        },
        {
          ALT: () => {
            const tok = this.CONSUME(T.Reference);
            return this.ACTION((): Value => ({ kind: 'ref', name: tok.image.slice(1), start: tok.startOffset, end: end(tok, tok.startOffset) }));
          },
        },
        {
          ALT: () => {
            this.CONSUME(T.LParen);
            const inner = this.SUBRULE(this.expression);
            this.CONSUME(T.RParen);
            return inner;
          },
        },
      ]),
    { recoveryValueFunc: () => missing(-1) },
  );

  /** Adjacent string literals are one value ("a" "b" is "ab"), as in protobuf. */
  readonly strings = this.RULE(
    'strings',
    (): StringNode => {
      const toks: IToken[] = [];
      this.AT_LEAST_ONE(() => toks.push(this.CONSUME(T.StringLiteral)));
      return this.ACTION((): StringNode => {
        let value = '';
        for (const tok of toks) {
          const problems: EscapeProblem[] = [];
          value += unescapeString(tok.image, problems);
          for (const p of problems) this.stringProblems.push({ ...p, base: tok.startOffset });
        }
        const first = toks[0]!;
        const last = toks[toks.length - 1]!;
        return { kind: 'string', value, start: first.startOffset, end: end(last, first.startOffset) };
      });
    },
    { recoveryValueFunc: (): StringNode => ({ kind: 'string', value: '', start: -1, end: -1 }) },
  );

  private binary(op: IToken, left: Value, right: Value): Value {
    const s = left.start >= 0 ? left.start : op.startOffset;
    const e = right.end >= 0 ? right.end : end(op, s);
    return { kind: 'binary', op: op.image as BinaryOperator, left, right, start: s, end: e };
  }
}

export type { TokenType };

/** One instance: chevrotain's self-analysis is the expensive part and the parser is reusable. */
let instance: TextFormatParser | undefined;
export function textFormatParser(): TextFormatParser {
  instance ??= new TextFormatParser();
  return instance;
}
