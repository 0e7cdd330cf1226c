import { defineResourceType } from '@cosi-ts/resource';
import { CLUSTER_NAMESPACE } from './namespaces.ts';

export interface IdentitySpec {
  /** Persisted in `node-identity.yaml`; Talos-compatible base62. */
  readonly nodeId: string;
}

export const LOCAL_IDENTITY_ID = 'local';

/** `cluster/Identities/local`: this node's NodeID. */
export const Identity = defineResourceType<IdentitySpec>({
  type: 'Identities.cluster.talos.dev',
  defaultNamespace: CLUSTER_NAMESPACE,
  printColumns: [{ name: 'ID', jsonPath: '{.nodeId}' }],
});
