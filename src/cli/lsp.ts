/** Placeholder until the language server lands (being written now). */
import { EXIT_USAGE } from './exit-codes.js';

export async function runLsp(): Promise<number> {
  process.stderr.write('nnspec: lsp is not available yet\n');
  return EXIT_USAGE;
}
