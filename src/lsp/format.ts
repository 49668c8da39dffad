/**
 * `textDocument/formatting`: the text `nnspec fmt` would write, through the same prettier
 * plugin and the user's prettier configuration (so the editor and `nnspec fmt --check` in
 * CI agree). The editor's tab size and spaces setting are not used for the same reason.
 */
import { isAbsolute } from 'node:path';
import type { TextEdit } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { Dialect } from '../ir/graph.js';
import { parserFor } from '../format/parser-for.js';

export class FormatProblem extends Error {}

/**
 * One edit replacing the whole document, none when it is already formatted or has syntax
 * errors (the diagnostics show those); a FormatProblem for a broken prettier configuration.
 */
export async function formatDocument(doc: TextDocument, path: string, dialect: Dialect | undefined): Promise<TextEdit[]> {
  const prettier = await import('prettier');
  const { default: plugin } = await import('../format/prettier-plugin.js');
  const { FormatSyntaxError } = await import('../format/parse.js');
  const text = doc.getText();
  let formatted: string;
  try {
    const config = (isAbsolute(path) ? await prettier.resolveConfig(path, { editorconfig: true }) : null) ?? {};
    formatted = await prettier.format(text, { ...config, filepath: path, parser: parserFor(path, text, dialect), plugins: [...(config.plugins ?? []), plugin] });
  } catch (e) {
    if (e instanceof FormatSyntaxError) return [];
    throw new FormatProblem(`cannot format ${path}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  }
  if (formatted === text) return [];
  return [{ range: { start: { line: 0, character: 0 }, end: doc.positionAt(text.length) }, newText: formatted }];
}
