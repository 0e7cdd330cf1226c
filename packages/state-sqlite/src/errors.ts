/** Failures of the SQLite backend itself (not of the state contract), each with a stable `code`. */
export type SqliteStateErrorCode = 'SqliteStateLocked' | 'SqliteStateClosed' | 'SqliteStateForeignFile';

export class SqliteStateError extends Error {
  override readonly name = 'SqliteStateError';
  constructor(
    readonly code: SqliteStateErrorCode,
    readonly path: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** True for a {@link SqliteStateError} with that code; never throws. */
export function isSqliteStateError(e: unknown, code?: SqliteStateErrorCode): e is SqliteStateError {
  return e instanceof SqliteStateError && (code === undefined || e.code === code);
}
