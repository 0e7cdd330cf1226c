import { defineResourceType } from '@cosi-ts/resource';
import type { AffiliateSpec } from './affiliate-spec.ts';
import { CLUSTER_NAMESPACE, CLUSTER_RAW_NAMESPACE } from './namespaces.ts';

/**
 * `cluster/Affiliates/<NodeID>`: the local affiliate and the merged view of every other node;
 * `cluster-raw/Affiliates/<registry>/<NodeID>`: one registry's view, before merging.
 */
export const Affiliate = defineResourceType<AffiliateSpec>({
  type: 'Affiliates.cluster.talos.dev',
  defaultNamespace: CLUSTER_NAMESPACE,
  // A typo in a namespace would silently make a kind nobody watches: refuse it where it is made.
  namespaces: [CLUSTER_RAW_NAMESPACE],
  printColumns: [
    { name: 'HOSTNAME', jsonPath: '{.hostname}' },
    { name: 'MACHINE TYPE', jsonPath: '{.machineType}' },
    { name: 'ADDRESSES', jsonPath: '{.addresses}' },
  ],
});

/** Raw affiliate IDs: `<registry>/<NodeID>`; `k8s` sorts before `service`, so the service registry wins on scalars. */
export function rawAffiliateId(registry: 'k8s' | 'service' | (string & {}), nodeId: string): string {
  return `${registry}/${nodeId}`;
}
