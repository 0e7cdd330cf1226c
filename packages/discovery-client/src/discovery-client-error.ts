/** Why a blob from the service was not used; also the `reason` label of the skipped-blob metric. */
export type BlobErrorReason =
  | 'data-too-short'
  | 'data-decrypt-failed'
  | 'data-parse-failed'
  | 'endpoint-bad-length'
  | 'endpoint-bad-length-byte'
  | 'endpoint-parse-failed'
  | 'endpoint-bad-ip';

/** A blob that does not decrypt or parse (spec discovery-protocol §6.3, §6.6). Never fatal to the client. */
export class DiscoveryBlobError extends Error {
  readonly code = 'DISCOVERY_BLOB_INVALID';
  readonly reason: BlobErrorReason;

  constructor(reason: BlobErrorReason, detail: string) {
    super(`discovery blob rejected (${reason}): ${detail}`);
    this.name = 'DiscoveryBlobError';
    this.reason = reason;
  }
}

export type DiscoveryClientErrorCode =
  | 'DISCOVERY_CLIENT_BAD_KEY'
  | 'DISCOVERY_CLIENT_BAD_OPTION'
  | 'DISCOVERY_CLIENT_AFFILIATE_TOO_BIG'
  | 'DISCOVERY_CLIENT_ALREADY_RUNNING';

/** A programming or configuration error: the only kind `DiscoveryClient` throws or `run()` rejects with. */
export class DiscoveryClientError extends Error {
  readonly code: DiscoveryClientErrorCode;

  constructor(code: DiscoveryClientErrorCode, message: string) {
    super(message);
    this.name = 'DiscoveryClientError';
    this.code = code;
  }
}

export function isDiscoveryBlobError(e: unknown): e is DiscoveryBlobError {
  return e instanceof DiscoveryBlobError;
}

export function isDiscoveryClientError(e: unknown): e is DiscoveryClientError {
  return e instanceof DiscoveryClientError;
}
