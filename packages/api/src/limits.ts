/** Bounds of the resource API server (spec §5: every size, count and buffer from the network). */
export interface ApiLimits {
  /** Largest request or response message. */
  readonly maxMessageBytes: number;
  /** HTTP/2 streams one connection may have open. */
  readonly maxConcurrentStreams: number;
  /** Open watches per caller (per token, or per peer host without tokens). */
  readonly maxWatchesPerCaller: number;
  /** Encoded bytes a watch stream may hold that the client has not taken; past it: RESOURCE_EXHAUSTED. */
  readonly maxUnsentWatchBytes: number;
  /** Length of an ID query's regular expression. */
  readonly maxIdQueryLength: number;
  /** Label queries per request and terms per query. */
  readonly maxLabelQueries: number;
  readonly maxLabelTerms: number;
  /** TeardownAndDestroy waits at most this long for finalizers to go. */
  readonly teardownAndDestroyTimeoutMs: number;
}

export const DEFAULT_API_LIMITS: ApiLimits = {
  maxMessageBytes: 4 * 1024 * 1024,
  maxConcurrentStreams: 2048,
  maxWatchesPerCaller: 2048,
  maxUnsentWatchBytes: 8 * 1024 * 1024,
  maxIdQueryLength: 1024,
  maxLabelQueries: 32,
  maxLabelTerms: 32,
  teardownAndDestroyTimeoutMs: 60_000,
};
