/**
 * Chevrotain's default messages list every token sequence it could have accepted. People
 * want one line: what was expected and what was found.
 */
import type { IParserErrorMessageProvider, IToken, TokenType } from 'chevrotain';
import { EOF } from 'chevrotain';

export function describeToken(tok: IToken | undefined): string {
  if (!tok || tok.tokenType === EOF) return 'the end of the file';
  const image = tok.image.length > 24 ? `${tok.image.slice(0, 24)}…` : tok.image;
  switch (tok.tokenType.name) {
    case 'Identifier':
      return `'${image}'`;
    case 'NumberLiteral':
      return `the number ${image}`;
    case 'StringLiteral':
      return `the string ${image}`;
    case 'Reference':
      return `the reference ${image}`;
    default:
      return `'${image}'`;
  }
}

function label(t: TokenType): string {
  switch (t.name) {
    case 'Identifier':
      return 'a name';
    case 'NumberLiteral':
      return 'a number';
    case 'StringLiteral':
      return 'a string';
    case 'Reference':
      return 'a $reference';
    default:
      return t.LABEL ?? t.name;
  }
}

function oneOf(labels: string[]): string {
  const unique = [...new Set(labels)];
  if (unique.length <= 1) return unique[0] ?? 'something else';
  return `${unique.slice(0, -1).join(', ')} or ${unique[unique.length - 1]}`;
}

const RULE_EXPECTATIONS: Record<string, string> = {
  document: "a field name (such as 'layer' or 'name')",
  field: "':', '{' or '[' after the field name",
  value: "a value (a number, a string, a name, '{' or '[')",
  listItem: 'a list item (a value or a message)',
  expression: 'a value',
  term: 'a value',
  unary: 'a value',
  primary: 'a value',
  message: "'{'",
  separator: "',' or ';'",
};

export const errorMessages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage({ expected, actual }) {
    return `expected ${label(expected)} but found ${describeToken(actual)}`;
  },
  buildNotAllInputParsedMessage({ firstRedundant }) {
    return `expected a field name but found ${describeToken(firstRedundant)}`;
  },
  buildNoViableAltMessage({ actual, ruleName, expectedPathsPerAlt }) {
    // Inside a message, after its last field: either another field or the closing brace.
    const closing = expectedPathsPerAlt.some((alt) => alt.some((path) => path[0]?.name === 'RCurly'));
    const what = closing ? "a field name or '}'" : (RULE_EXPECTATIONS[ruleName] ?? 'something else');
    return `expected ${what} but found ${describeToken(actual[0])}`;
  },
  buildEarlyExitMessage({ expectedIterationPaths, actual }) {
    const firsts = expectedIterationPaths.map((p) => (p[0] ? label(p[0]) : 'something'));
    return `expected ${oneOf(firsts)} but found ${describeToken(actual[0])}`;
  },
};
