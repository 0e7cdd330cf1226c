/** Stable codes of the API's own errors (state errors keep their @cosi-ts/state codes). */
export type ApiErrorCode = 'Unauthorized' | 'Unauthenticated' | 'ApiConfig' | 'RemoteClosed';

const brand = Symbol.for('cosi-ts.ApiError');

export abstract class ApiError extends Error {
  readonly [brand] = true;
  abstract readonly code: ApiErrorCode;
}

/** The caller's role may not do this (spec §4: PERMISSION_DENIED with `cosi-ts-error: unauthorized`). */
export class UnauthorizedError extends ApiError {
  override readonly name = 'UnauthorizedError';
  readonly code = 'Unauthorized' as const;
}

/** No credentials, or unknown ones (UNAUTHENTICATED). */
export class UnauthenticatedError extends ApiError {
  override readonly name = 'UnauthenticatedError';
  readonly code = 'Unauthenticated' as const;
}

/** The server cannot start with this configuration; the message names the fix. */
export class ApiConfigError extends ApiError {
  override readonly name: string = 'ApiConfigError';
  readonly code = 'ApiConfig' as const;
}

/** The RemoteState was closed. */
export class RemoteClosedError extends ApiError {
  override readonly name = 'RemoteClosedError';
  readonly code = 'RemoteClosed' as const;
  constructor(what: string) {
    super(`${what}: the RemoteState is closed`);
  }
}

function hasCode(e: unknown, code: ApiErrorCode): boolean {
  try {
    return typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[brand] === true && (e as { code?: unknown }).code === code;
  } catch {
    return false;
  }
}

export const isUnauthorized = (e: unknown): e is UnauthorizedError => hasCode(e, 'Unauthorized');
export const isUnauthenticated = (e: unknown): e is UnauthenticatedError => hasCode(e, 'Unauthenticated');
export const isApiConfigError = (e: unknown): e is ApiConfigError => hasCode(e, 'ApiConfig');
export const isRemoteClosed = (e: unknown): e is RemoteClosedError => hasCode(e, 'RemoteClosed');
