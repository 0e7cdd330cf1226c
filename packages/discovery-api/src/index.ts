// Public API of @cosi-ts/discovery-api: generated messages of the three proto packages.
// Server messages keep their proto names; client and snapshot ones are prefixed where names clash.

// sidero.discovery.server — the wire protocol (service Cluster).
export {
  Affiliate,
  AffiliateDeleteRequest,
  AffiliateDeleteResponse,
  AffiliateUpdateRequest,
  AffiliateUpdateResponse,
  ClusterClient,
  ClusterService,
  HelloRequest,
  HelloResponse,
  ListRequest,
  ListResponse,
  RedirectMessage,
  WatchRequest,
  WatchResponse,
} from './gen/sidero/discovery/server/cluster.ts';
export type { ClusterServer, MessageFns } from './gen/sidero/discovery/server/cluster.ts';

// sidero.discovery.client — plaintext inside the encrypted blobs.
export {
  Affiliate as ClientAffiliate,
  ControlPlane,
  Endpoint,
  IPPrefix,
  KubeSpan,
} from './gen/sidero/discovery/client/affiliate.ts';

// cosi.discovery.snapshot.v1 — plaintext of a discovery-service snapshot.
export {
  Affiliate as SnapshotAffiliate,
  Cluster as SnapshotCluster,
  Endpoint as SnapshotEndpoint,
  Snapshot,
} from './gen/cosi/discovery/snapshot/v1/snapshot.ts';

// google.protobuf.Duration as used by AffiliateUpdateRequest.ttl.
export { Duration } from './gen/google/protobuf/duration.ts';

export { CLUSTER_SERVICE_NAME, clusterMethodPath } from './method-path.ts';
export type { ClusterMethod } from './method-path.ts';
export { StrictClusterService, malformedRequest } from './strict-cluster-service.ts';
export { MalformedRequestError } from './wire-format-check.ts';
