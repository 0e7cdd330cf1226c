// Only service and method names appear on the wire (spec §1.1); metrics and middleware key on them.

export const CLUSTER_SERVICE_NAME = 'sidero.discovery.server.Cluster';

export type ClusterMethod = 'Hello' | 'AffiliateUpdate' | 'AffiliateDelete' | 'List' | 'Watch';

export function clusterMethodPath(method: ClusterMethod): string {
  return `/${CLUSTER_SERVICE_NAME}/${method}`;
}
