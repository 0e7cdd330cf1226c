import { status } from '@grpc/grpc-js';

/** Stable codes of the ways a request can be refused; each maps to one gRPC status (spec §2). */
export type DiscoveryErrorCode =
  | 'cluster-id-empty'
  | 'cluster-id-too-long'
  | 'affiliate-id-empty'
  | 'affiliate-id-too-long'
  | 'affiliate-data-too-big'
  | 'endpoint-too-big'
  | 'ttl-too-large'
  | 'too-many-affiliates'
  | 'too-many-endpoints'
  | 'rate-limited'
  | 'lost-update'
  | 'too-many-watches-per-ip'
  | 'too-many-watches'
  | 'watch-backlog-per-ip'
  | 'watch-backlog'
  | 'shutting-down'
  | 'malformed-request';

const grpcCodes: Record<DiscoveryErrorCode, status> = {
  'cluster-id-empty': status.INVALID_ARGUMENT,
  'cluster-id-too-long': status.INVALID_ARGUMENT,
  'affiliate-id-empty': status.INVALID_ARGUMENT,
  'affiliate-id-too-long': status.INVALID_ARGUMENT,
  'affiliate-data-too-big': status.INVALID_ARGUMENT,
  'endpoint-too-big': status.INVALID_ARGUMENT,
  'ttl-too-large': status.INVALID_ARGUMENT,
  'too-many-affiliates': status.RESOURCE_EXHAUSTED,
  'too-many-endpoints': status.RESOURCE_EXHAUSTED,
  'rate-limited': status.RESOURCE_EXHAUSTED,
  'lost-update': status.ABORTED,
  'too-many-watches-per-ip': status.RESOURCE_EXHAUSTED,
  'too-many-watches': status.RESOURCE_EXHAUSTED,
  'watch-backlog-per-ip': status.RESOURCE_EXHAUSTED,
  'watch-backlog': status.RESOURCE_EXHAUSTED,
  'shutting-down': status.UNAVAILABLE,
  // Go's gRPC server answers Internal ("error unmarshalling request"); the fault is the client's.
  'malformed-request': status.INVALID_ARGUMENT,
};

// The messages are those of the Go server (spec §2): clients and operators match on them.
const messages: Record<DiscoveryErrorCode, string> = {
  'cluster-id-empty': "cluster ID can't be empty",
  'cluster-id-too-long': 'cluster ID is too long',
  'affiliate-id-empty': "affiliate ID can't be empty",
  'affiliate-id-too-long': 'affiliate ID is too long',
  'affiliate-data-too-big': 'affiliate data is too big',
  'endpoint-too-big': 'affiliate endpoint is too big',
  'ttl-too-large': 'ttl is too large',
  'too-many-affiliates': 'too many affiliates in the cluster',
  'too-many-endpoints': 'too many endpoints in the affiliate',
  'rate-limited': 'rate limit exceeds request timeout',
  'lost-update': 'subscription canceled: lost update',
  // Our own bounds (not in the Go server); the limit is appended: "(limit 1024)".
  'too-many-watches-per-ip': 'too many watches from this client IP',
  'too-many-watches': 'too many watches on this server',
  'watch-backlog-per-ip': 'too much unsent watch data for this client IP',
  'watch-backlog': 'too much unsent watch data on this server',
  // Calls still waiting for a rate-limit token when the server stops; clients retry elsewhere.
  'shutting-down': 'server is shutting down',
  // The reason and its byte offset are appended: "…: field number 0 at byte 12".
  'malformed-request': 'request is not valid protobuf',
};

/** A request refused by a rule of the protocol; `grpcCode` is the status the caller receives. */
export class DiscoveryError extends Error {
  readonly code: DiscoveryErrorCode;
  readonly grpcCode: status;

  /**
   * `limit`: appended to the message as `(limit <n>)`, for our own configurable bounds; `detail`:
   * appended as `: <detail>`.
   */
  constructor(code: DiscoveryErrorCode, limit?: number, detail?: string) {
    const base = limit === undefined ? messages[code] : `${messages[code]} (limit ${limit})`;
    super(detail === undefined ? base : `${base}: ${detail}`);
    this.name = 'DiscoveryError';
    this.code = code;
    this.grpcCode = grpcCodes[code];
  }
}

export function isDiscoveryError(e: unknown): e is DiscoveryError {
  return e instanceof DiscoveryError;
}
