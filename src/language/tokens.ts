/**
 * The vocabulary of the text format, as chevrotain tokens. The fast parser scans the same
 * vocabulary by hand; tests hold the two to the same language.
 */
import { createToken, Lexer, type TokenType } from 'chevrotain';
import { NUMBER_PATTERN } from './numbers.js';

export const WhiteSpace = createToken({
  name: 'WhiteSpace',
  pattern: /[ \t\n\r\f\v\uFEFF]+/,
  group: Lexer.SKIPPED,
  line_breaks: true,
});
/** Comments are kept in their own token group: the formatter puts them back where they were. */
export const Comment = createToken({ name: 'Comment', pattern: /#[^\n\r]*/, group: 'comments' });
export const StringLiteral = createToken({
  name: 'StringLiteral',
  pattern: /"(?:[^"\\\n\r]|\\[^\n\r])*"|'(?:[^'\\\n\r]|\\[^\n\r])*'/,
});
export const NumberLiteral = createToken({ name: 'NumberLiteral', pattern: NUMBER_PATTERN, start_chars_hint: [...'0123456789.'] });
export const Identifier = createToken({ name: 'Identifier', pattern: /[A-Za-z_][A-Za-z0-9_]*/ });
export const Reference = createToken({ name: 'Reference', pattern: /\$[A-Za-z_][A-Za-z0-9_]*/ });
export const LCurly = createToken({ name: 'LCurly', pattern: '{', label: "'{'" });
export const RCurly = createToken({ name: 'RCurly', pattern: '}', label: "'}'" });
export const LAngle = createToken({ name: 'LAngle', pattern: '<', label: "'<'" });
export const RAngle = createToken({ name: 'RAngle', pattern: '>', label: "'>'" });
export const LBracket = createToken({ name: 'LBracket', pattern: '[', label: "'['" });
export const RBracket = createToken({ name: 'RBracket', pattern: ']', label: "']'" });
export const LParen = createToken({ name: 'LParen', pattern: '(', label: "'('" });
export const RParen = createToken({ name: 'RParen', pattern: ')', label: "')'" });
export const Colon = createToken({ name: 'Colon', pattern: ':', label: "':'" });
export const Comma = createToken({ name: 'Comma', pattern: ',', label: "','" });
export const Semicolon = createToken({ name: 'Semicolon', pattern: ';', label: "';'" });
export const Plus = createToken({ name: 'Plus', pattern: '+', label: "'+'" });
export const Minus = createToken({ name: 'Minus', pattern: '-', label: "'-'" });
export const Star = createToken({ name: 'Star', pattern: '*', label: "'*'" });
export const Slash = createToken({ name: 'Slash', pattern: '/', label: "'/'" });

export const allTokens: TokenType[] = [
  WhiteSpace,
  Comment,
  StringLiteral,
  NumberLiteral,
  Identifier,
  Reference,
  LCurly,
  RCurly,
  LAngle,
  RAngle,
  LBracket,
  RBracket,
  LParen,
  RParen,
  Colon,
  Comma,
  Semicolon,
  Plus,
  Minus,
  Star,
  Slash,
];

export const OPENERS: ReadonlySet<TokenType> = new Set([LCurly, LAngle, LBracket, LParen]);
export const CLOSERS: ReadonlySet<TokenType> = new Set([RCurly, RAngle, RBracket, RParen]);

export const textFormatLexer = new Lexer(allTokens, {
  positionTracking: 'onlyOffset',
  ensureOptimizations: true,
});
