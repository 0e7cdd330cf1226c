// Public API of @cosi-ts/discovery-client (spec discovery-protocol.md §6).
export { DiscoveryClient } from './discovery-client.ts';
export type { AffiliateUpdates, DiscoveryClientOptions, OtherAffiliateEndpoints } from './discovery-client.ts';
export type { DiscoveredAffiliate } from './affiliate-cache.ts';
export type { ReconnectBackoffPolicy } from './backoff.ts';
export { encryptAffiliate, decryptAffiliate, MAX_AFFILIATE_PLAINTEXT_BYTES } from './affiliate-blob.ts';
export { encryptEndpoint, decryptEndpoint } from './endpoint-blob.ts';
export { parseClusterKey, CLUSTER_KEY_BYTES } from './cluster-key.ts';
export { DiscoveryBlobError, DiscoveryClientError, isDiscoveryBlobError, isDiscoveryClientError } from './discovery-client-error.ts';
export type { BlobErrorReason, DiscoveryClientErrorCode } from './discovery-client-error.ts';
