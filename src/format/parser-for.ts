/** Which of the plugin's parsers reads a file: by extension, else by content (or the editor's language). */
import { extname } from 'node:path';
import { detectDialect } from '../dialects/detect.js';
import type { Dialect } from '../ir/graph.js';

export function parserFor(path: string, text: string, dialect?: Dialect): 'nnspec' | 'prototxt' {
  const ext = extname(path).toLowerCase();
  if (ext === '.nnspec') return 'nnspec';
  if (ext === '.prototxt' || ext === '.pbtxt') return 'prototxt';
  return (dialect ?? detectDialect(path, text)) === 'nnspec' ? 'nnspec' : 'prototxt';
}
