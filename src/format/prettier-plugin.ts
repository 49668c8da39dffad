/**
 * The prettier plugin for nnspec and Caffe prototxt (protobuf text format):
 *
 *   prettier --plugin ./node_modules/nnspec/dist/format/prettier-plugin.js --write 'models/**'
 *
 * `nnspec fmt` formats through this same plugin, so both give the same text. Comments are
 * placed by our own layout pass (layout-tree.ts) rather than prettier's attachment: the
 * text format has one kind of comment and a handful of places for it.
 */
import type { Parser, Plugin, Printer, SupportLanguage } from 'prettier';
import { parseForFormat, type FormatDialect, type FormatRoot } from './parse.js';
import { massageRoot } from './massage.js';
import { printLayout } from './print.js';

function isRoot(node: unknown): node is FormatRoot {
  return typeof node === 'object' && node !== null && (node as { kind?: unknown }).kind === 'format-root';
}

export const AST_FORMAT = 'nnspec-text-format';

export const languages: SupportLanguage[] = [
  { name: 'nnspec', parsers: ['nnspec'], extensions: ['.nnspec'], vscodeLanguageIds: ['nnspec'] },
  { name: 'Protocol Buffer Text Format', aliases: ['prototxt', 'pbtxt'], parsers: ['prototxt'], extensions: ['.prototxt', '.pbtxt'], vscodeLanguageIds: ['prototxt'] },
];

function parser(dialect: FormatDialect): Parser<FormatRoot> {
  return {
    parse: (text, options) => parseForFormat(text, dialect, options.filepath),
    astFormat: AST_FORMAT,
    locStart: (node) => node.start,
    locEnd: (node) => node.end,
  };
}

export const parsers: Record<FormatDialect, Parser<FormatRoot>> = { nnspec: parser('nnspec'), prototxt: parser('prototxt') };

export const printers: Record<string, Printer<FormatRoot>> = {
  [AST_FORMAT]: {
    print: (path) => printLayout(path.node.layout),
    // The root is printed in one piece; prettier has nothing to walk into.
    getVisitorKeys: () => [],
    massageAstNode: (original: FormatRoot | unknown) => (isRoot(original) ? massageRoot(original) : undefined),
  },
};

const plugin: Plugin<FormatRoot> = { languages, parsers, printers };
export default plugin;
