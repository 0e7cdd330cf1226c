export { DiscoveryService } from './discovery-service.ts';
export type { DiscoveryServiceOptions, SnapshotOptions, TransportOptions, WatchLimitOptions } from './discovery-service.ts';
export { ClusterStore } from './cluster-store.ts';
export type { AffiliateRecord, AffiliateUpdate, AffiliateView, ClusterWatcher, GcResult, StoreStats, Subscription, WatchNotice } from './cluster-store.ts';
export { DiscoveryError, isDiscoveryError } from './discovery-error.ts';
export type { DiscoveryErrorCode } from './discovery-error.ts';
export { SnapshotError, SnapshotKeyError, isSnapshotError, isSnapshotKeyError } from './snapshot-error.ts';
export type { SnapshotErrorCode, SnapshotKeyErrorCode } from './snapshot-error.ts';
export { TlsConfigError } from './tls-certificate-provider.ts';
export { IntervalError } from './interval-error.ts';
export { parseGoDuration } from './duration.ts';
export { normalizeClientVersion } from './version-label.ts';
export {
  DEFAULT_MAX_CONCURRENT_STREAMS,
  DEFAULT_MAX_CONNECTION_IDLE_MS,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_CONNECTIONS_PER_IP,
  DEFAULT_MAX_WATCH_BACKLOG_BYTES,
  DEFAULT_MAX_WATCH_BACKLOG_BYTES_PER_IP,
  DEFAULT_MAX_WATCHES,
  DEFAULT_MAX_WATCHES_PER_IP,
  DEFAULT_WATCH_STALL_TIMEOUT_MS,
  MAX_AFFILIATE_DATA_BYTES,
  MAX_AFFILIATE_ID_BYTES,
  MAX_AFFILIATES_PER_CLUSTER,
  MAX_CLUSTER_ID_BYTES,
  MAX_ENDPOINT_BYTES,
  MAX_ENDPOINTS_PER_AFFILIATE,
  MAX_PENDING_WATCH_IDS,
  MAX_TTL_NANOS,
} from './limits.ts';
