/** Failures of the etcd backend itself (not of the state contract), each with a stable `code`. */
export type EtcdStateErrorCode = 'EtcdStateClosed' | 'EtcdWatchFailed' | 'EtcdBadValue';

export class EtcdStateError extends Error {
  override readonly name = 'EtcdStateError';
  constructor(
    readonly code: EtcdStateErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** True for an {@link EtcdStateError} with that code; never throws. */
export function isEtcdStateError(e: unknown, code?: EtcdStateErrorCode): e is EtcdStateError {
  return e instanceof EtcdStateError && (code === undefined || e.code === code);
}
