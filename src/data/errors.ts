/**
 * A problem with a data source the user pointed at (a file that is not what it claims, a
 * folder without images, a shape that does not fit). The CLI prints `message` on one line and
 * exits with code 2; anything else thrown from src/data is a bug.
 */
export class DataError extends Error {
  override readonly name = 'DataError';
  constructor(
    message: string,
    /** The file or folder concerned, when there is one. */
    readonly path?: string,
  ) {
    super(path && !message.includes(path) ? `${path}: ${message}` : message);
  }
}

export const isDataError = (e: unknown): e is DataError => e instanceof DataError;
