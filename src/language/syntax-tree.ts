/**
 * The syntax tree shared by both parsers (the chevrotain grammar and the fast path).
 *
 * One tree for protobuf text format as Caffe files use it plus what nnspec adds (list values,
 * `$name` references and arithmetic). Every node carries [start, end) UTF-16 offsets into its
 * source; lines and columns are derived from them on demand (see source.ts).
 */

export interface Span {
  start: number;
  end: number;
}

export interface Field extends Span {
  name: string;
  /** Whether a `:` was written between the name and the value (the formatter keeps it). */
  colon: boolean;
  value: Value;
}

export interface Message extends Span {
  kind: 'message';
  fields: Field[];
  /** `<` … `>` delimiters instead of braces (legal protobuf text format, never seen in Caffe files). */
  angle?: true;
}

export interface NumberLiteral extends Span {
  kind: 'number';
  value: number;
  /** Written without a fraction or an exponent, so it may bind to an integer field. */
  integer: boolean;
}

export interface StringLiteral extends Span {
  kind: 'string';
  /** The unescaped value; adjacent literals ("a" "b") are joined as protobuf does. */
  value: string;
}

/** A bare identifier: an enum value, `true`/`false`, `inf`/`nan`, or (in nnspec) a name. */
export interface Identifier extends Span {
  kind: 'ident';
  name: string;
}

export interface ListValue extends Span {
  kind: 'list';
  items: Value[];
}

/** `$name`: a block argument (nnspec only). */
export interface Reference extends Span {
  kind: 'ref';
  name: string;
}

export type BinaryOperator = '+' | '-' | '*' | '/';

export interface BinaryExpression extends Span {
  kind: 'binary';
  op: BinaryOperator;
  left: Value;
  right: Value;
}

/** Unary minus on something other than a literal (literals fold the sign in). */
export interface NegateExpression extends Span {
  kind: 'negate';
  operand: Value;
}

/** Placeholder left by error recovery where a value was expected; binders skip it silently. */
export interface MissingValue extends Span {
  kind: 'missing';
}

export type Scalar = NumberLiteral | StringLiteral | Identifier;
export type Expression = Reference | BinaryExpression | NegateExpression;
export type Value = Scalar | Message | ListValue | Expression | MissingValue;

export interface Comment extends Span {
  /** The text after `#`, without the line break. */
  text: string;
}

export interface Document {
  fields: Field[];
  comments: Comment[];
}

export function isScalar(value: Value): value is Scalar {
  return value.kind === 'number' || value.kind === 'string' || value.kind === 'ident';
}

/** Whether a value contains `$` references or arithmetic, which only nnspec blocks may use. */
export function isExpression(value: Value): value is Expression {
  return value.kind === 'ref' || value.kind === 'binary' || value.kind === 'negate';
}
