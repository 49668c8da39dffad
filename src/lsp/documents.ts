/**
 * Where an open document's text comes from and which dialect it is read as. Editors send
 * `file:` URIs for saved files and `untitled:` ones for new buffers; the latter have no
 * extension to detect the dialect from, so the editor's language id decides.
 */
import { fileURLToPath } from 'node:url';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { Dialect } from '../ir/graph.js';

/** The path diagnostics and prettier's configuration lookup see; a URI for buffers not on disk. */
export function documentPath(uri: string): string {
  if (uri.startsWith('file:')) {
    try {
      return fileURLToPath(uri);
    } catch {
      return uri;
    }
  }
  return uri;
}

/** The dialect the editor says the document is in, when it names one of ours. */
export function documentDialect(doc: TextDocument): Dialect | undefined {
  if (doc.languageId === 'nnspec') return 'nnspec';
  if (doc.languageId === 'prototxt') return 'caffe';
  return undefined;
}
