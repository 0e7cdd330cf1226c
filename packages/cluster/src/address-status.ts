import { defineResourceType } from '@cosi-ts/resource';
import { CLUSTER_NAMESPACE } from './namespaces.ts';

export interface AddressStatusSpec {
  /** CIDR, e.g. `1.2.3.4/32`. */
  readonly address: string;
}

/** The public IP the discovery service saw this node connect from. */
export const SERVICE_ADDRESS_STATUS_ID = 'service';

/** `cluster/AddressStatuses/<source>`: this node's public IPs as others see them. */
export const AddressStatus = defineResourceType<AddressStatusSpec>({
  type: 'AddressStatuses.net.talos.dev',
  defaultNamespace: CLUSTER_NAMESPACE,
  printColumns: [{ name: 'ADDRESS', jsonPath: '{.address}' }],
});
