import { defineResourceType } from '@cosi-ts/resource';
import { NETWORK_NAMESPACE } from './namespaces.ts';

export interface NodeAddressSpec {
  /** CIDRs (`10.5.0.2/24`), in interface order. */
  readonly addresses: readonly string[];
}

/** Every non-loopback, non-link-local address, Kubernetes-owned ones excluded. */
export const NODE_ADDRESS_CURRENT_NO_K8S = 'current-no-k8s';
/** The routable subset of the node's addresses. */
export const NODE_ADDRESS_ROUTED_NO_K8S = 'routed-no-k8s';

/** `network/NodeAddresses/{current-no-k8s,routed-no-k8s}`. */
export const NodeAddress = defineResourceType<NodeAddressSpec>({
  type: 'NodeAddresses.net.talos.dev',
  defaultNamespace: NETWORK_NAMESPACE,
  printColumns: [{ name: 'ADDRESSES', jsonPath: '{.addresses}' }],
});
