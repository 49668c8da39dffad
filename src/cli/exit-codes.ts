/** ESLint's convention, which CI systems expect. */
export const EXIT_OK = 0;
/** The inputs have problems (errors; syntax errors included). */
export const EXIT_PROBLEMS = 1;
/** Bad usage, unreadable files, or an internal failure. */
export const EXIT_USAGE = 2;

/** A failure the user can fix from the message alone (bad flag, missing file): no stack trace. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
