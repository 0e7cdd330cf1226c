import { defineResourceType } from '@cosi-ts/resource';
import { K8S_NAMESPACE } from './namespaces.ts';

export interface NodeStatusSpec {
  readonly podCIDRs: readonly string[];
}

/**
 * `k8s/NodeStatuses/<nodename>`: what Kubernetes reports about a node. Aliases are declared, not
 * derived: the derived initials `ns` would make `cosictl get ns` (namespaces) ambiguous.
 */
export const NodeStatus = defineResourceType<NodeStatusSpec>({
  type: 'NodeStatuses.kubernetes.talos.dev',
  defaultNamespace: K8S_NAMESPACE,
  aliases: ['nodestatuses', 'nodestatuses.kubernetes', 'nodestatuses.kubernetes.talos', 'nodestatus'],
  skipAutomaticAliases: true,
  printColumns: [{ name: 'POD CIDRS', jsonPath: '{.podCIDRs}' }],
});
