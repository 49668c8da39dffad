/** Generated text-format files: any layout of fields, messages, lists, arithmetic, comments and blank lines. */
import { fc } from '@fast-check/vitest';

const join = (parts: string[]) => parts.join('');

const spaces = fc.constantFrom(' ', '  ', '\t', '\n', '\n  ', '\n\n', '\n\n\n    ', ' \r\n');
const commentText = fc.string({ unit: fc.constantFrom('a', 'b', ' ', '#', '{', '}', '"', "'", '$', '-', '[', 'é'), maxLength: 12 });
/** What may stand between two tokens: white space, or a comment with white space around it. */
const gap = fc.oneof({ weight: 4, arbitrary: spaces }, { weight: 1, arbitrary: fc.tuple(fc.constantFrom('', ' ', '\n'), commentText, spaces).map(([a, t, b]) => `${a}#${t}\n${b}`) });

const name = fc.constantFrom('name', 'top', 'bottom', 'kernel', 'Conv', 'layer', 'param', 'a_b', 'x1');
const number = fc
  .tuple(fc.constantFrom('', '-', '- '), fc.constantFrom('0', '1', '42', '1.5', '.5', '1.', '1e-4', '5E+3', '0x1F', '017', '2.5f', 'inf', 'nan'))
  .map(([sign, digits]) => sign + digits);
const stringPiece = fc.constantFrom('a', ' ', '#', '{', '\\n', '\\"', "\\'", '\\\\', '\\x41', '\\101', 'é', '$x');
const literal = fc.tuple(fc.constantFrom('"', "'"), fc.array(stringPiece, { maxLength: 5 })).map(([q, pieces]) => q + pieces.join('') + q);
const string = fc.tuple(literal, fc.array(fc.tuple(gap, literal).map(join), { maxLength: 2 })).map(([first, rest]) => first + rest.join(''));
const ident = fc.constantFrom('true', 'false', 'relu', 'MAX', 'N', 'kaiming');
const ref = fc.constantFrom('$a', '$channels', '$k');

export const { document } = fc.letrec<{ expr: string; term: string; value: string; message: string; list: string; field: string; fields: string; document: string }>((tie) => ({
  term: fc.oneof(
    { maxDepth: 4, depthIdentifier: 'expr' },
    fc.oneof(number, ref, ident),
    fc.tuple(gap, tie('expr'), gap).map(([a, e, b]) => `(${a}${e}${b})`),
    fc.tuple(gap, tie('term')).map(([g, t]) => `-${g}${t}`),
  ),
  expr: fc.oneof(
    { maxDepth: 4, depthIdentifier: 'expr' },
    tie('term'),
    fc.tuple(tie('expr'), gap, fc.constantFrom('+', '-', '*', '/'), gap, tie('term')).map(join),
  ),
  value: fc.oneof({ maxDepth: 3, depthIdentifier: 'value' }, number, string, ident, tie('expr'), tie('message'), tie('list')),
  message: fc
    .tuple(fc.constantFrom(['{', '}'], ['<', '>']), gap, tie('fields'), gap)
    .map(([[open, close], a, fields, b]) => `${open}${a}${fields}${b}${close}`),
  list: fc
    .tuple(gap, fc.array(fc.oneof(tie('expr'), tie('message')), { maxLength: 6 }), fc.array(fc.tuple(gap, gap), { minLength: 6, maxLength: 6 }), gap)
    .map(([a, items, gaps, b]) => `[${a}${items.map((item, i) => (i === 0 ? item : `${gaps[i]![0]},${gaps[i]![1]}${item}`)).join('')}${b}]`),
  field: fc.oneof(
    { maxDepth: 3, depthIdentifier: 'value' },
    fc.tuple(name, gap, gap, fc.oneof(number, string, ident, tie('expr'), tie('list'))).map(([n, a, b, v]) => `${n}${a}:${b}${v}`),
    fc.tuple(name, gap, fc.constantFrom('', ':'), gap, fc.oneof(tie('message'), tie('list'))).map(([n, a, colon, b, v]) => (colon ? `${n}${a}:${b}${v}` : `${n}${a}${v}`)),
  ),
  fields: fc
    .array(fc.tuple(tie('field'), fc.constantFrom('', '', ',', ';'), gap), { maxLength: 5 })
    .map((fs) => fs.map(([f, sep, g], i) => `${f}${i < fs.length - 1 || sep === '' ? sep : ''}${g}`).join('')),
  document: fc.tuple(fc.constantFrom('', '\n', '# header\n\n'), tie('fields'), gap).map(join),
}));

