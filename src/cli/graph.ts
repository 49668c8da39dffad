/** Placeholder until the command lands (being written now). */
import { EXIT_USAGE } from './exit-codes.js';

export async function runGraph(_arg: unknown, _flags: unknown): Promise<number> {
  process.stderr.write('nnspec: graph is not available yet\n');
  return EXIT_USAGE;
}
