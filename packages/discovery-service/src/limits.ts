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
