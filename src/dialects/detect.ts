/**
 * Which dialect a file is written in: by extension first (.nnspec, .prototxt, …), then by a
 * look at the text for files named otherwise.
 */
import { extname } from 'node:path';
import type { Dialect } from '../ir/graph.js';

const CAFFE_EXTENSIONS = new Set(['.prototxt', '.pbtxt', '.pt', '.proto.txt', '.solver', '.caffe']);

export function detectDialect(path: string, text: string): Dialect {
  const ext = extname(path).toLowerCase();
  if (ext === '.nnspec') return 'nnspec';
  if (CAFFE_EXTENSIONS.has(ext)) return 'caffe';
  const head = text.slice(0, 64 * 1024);
  if (/^\s*nnspec\s*:/m.test(head)) return 'nnspec';
  if (/^\s*(layers?|input_dim|input_shape|base_lr|net|train_net)\s*[:{]/m.test(head)) return 'caffe';
  if (/^\s*[A-Z][A-Za-z0-9]*\s*\{/m.test(head) || /^\s*(block|seq|train|defaults)\s*\{/m.test(head)) return 'nnspec';
  return 'caffe';
}
