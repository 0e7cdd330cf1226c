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
