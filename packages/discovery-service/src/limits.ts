// Server limits of spec §2. Byte lengths; strings are measured in UTF-8.

export const MAX_CLUSTER_ID_BYTES = 256;
export const MAX_AFFILIATE_ID_BYTES = 256;
export const MAX_AFFILIATE_DATA_BYTES = 2048;
export const MAX_ENDPOINT_BYTES = 32;
export const MAX_TTL_NANOS = 30n * 60n * 1_000_000_000n;
export const MAX_AFFILIATES_PER_CLUSTER = 1024;
export const MAX_ENDPOINTS_PER_AFFILIATE = 64;
/** R3: a watcher with more distinct pending affiliate IDs than this is ended with Aborted. */
export const MAX_PENDING_WATCH_IDS = 2048;
/**
 * Largest request message accepted (grpc-js answers ResourceExhausted above it). A valid request is
 * under 5 KiB (two 256 B IDs, 2 KiB data, 64 × 32 B endpoints); Go's 4 MiB default would let one
 * request of a million empty endpoint blobs take seconds of CPU to decode.
 */
export const MAX_REQUEST_BYTES = 32 * 1024;
/**
 * Distinct `client_version` label values of the Hello counter. Versions are client-chosen text
 * (`v99999.1.0`): past this many series, new values count as `unknown`, so a client cannot grow the
 * registry without bound.
 */
export const MAX_CLIENT_VERSION_LABELS = 256;

// Defaults of the transport bounds (not in the Go server; see docs/discovery-service.md).

/**
 * Open Watch streams per client IP. A Talos node holds one; 1024 lets a full cluster (1024 nodes)
 * sit behind one NAT address, and is what a single IP can open in about a minute under the rate limit.
 */
export const DEFAULT_MAX_WATCHES_PER_IP = 1024;
/** Open Watch streams in total: 10× the benchmark's 10,000, about 1 GB of idle streams at worst. */
export const DEFAULT_MAX_WATCHES = 100_000;
/**
 * A Watch whose unsent output makes no progress for this long has its connection closed. 2 min lets a
 * 4.6 MB full-cluster snapshot through a ~320 kbit/s link; a client that stops reading is gone by then.
 */
export const DEFAULT_WATCH_STALL_TIMEOUT_MS = 120_000;
/**
 * Bytes of one Watch's output handed to grpc-js and not yet taken by the connection, past which the
 * Watch sends no more and changes wait, coalesced, in its pending map (R3). Our own bound, so what a
 * slow client pins does not depend on the buffer sizes of grpc-js or Node's HTTP/2 streams (which
 * changed between Node versions). A larger message (a snapshot) still goes out whole, on its own.
 */
export const WATCH_SEND_WINDOW_BYTES = 64 * 1024;
/** Watch bytes written but not yet taken by the transport, per client IP: 14 full-cluster snapshots. */
export const DEFAULT_MAX_WATCH_BACKLOG_BYTES_PER_IP = 64 * 1024 * 1024;
/** Watch bytes written but not yet taken by the transport, in total. */
export const DEFAULT_MAX_WATCH_BACKLOG_BYTES = 1024 * 1024 * 1024;
/** HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS per connection (Node's default is 2³² − 1). */
export const DEFAULT_MAX_CONCURRENT_STREAMS = 1024;
/**
 * A connection without any stream for this long is closed with GOAWAY. A Talos node always has a
 * Watch open, so this only ends abandoned connections; a client reconnects on its next call.
 */
export const DEFAULT_MAX_CONNECTION_IDLE_MS = 5 * 60_000;
/**
 * TCP connections to the gRPC port per remote address: two per Watch the per-IP Watch limit allows,
 * so a NAT of 1024 nodes still works while they reconnect.
 */
export const DEFAULT_MAX_CONNECTIONS_PER_IP = 2048;
/** TCP connections to the gRPC port in total (raise the process's `ulimit -n` to match). */
export const DEFAULT_MAX_CONNECTIONS = 200_000;
