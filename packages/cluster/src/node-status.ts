import { defineResourceType } from '@cosi-ts/resource';
import { K8S_NAMESPACE } from './namespaces.ts';

export interface NodeStatusSpec {
  readonly podCIDRs: readonly string[];
}

/** `k8s/NodeStatuses/<nodename>`: what Kubernetes reports about a node. */
export const NodeStatus = defineResourceType<NodeStatusSpec>({
  type: 'NodeStatuses.kubernetes.talos.dev',
  defaultNamespace: K8S_NAMESPACE,
  printColumns: [{ name: 'POD CIDRS', jsonPath: '{.podCIDRs}' }],
});
