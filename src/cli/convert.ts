/** Placeholder until the command lands (being written now). */
import { EXIT_USAGE } from './exit-codes.js';

export async function runConvert(_arg: unknown, _flags: unknown): Promise<number> {
  process.stderr.write('nnspec: convert is not available yet\n');
  return EXIT_USAGE;
}
