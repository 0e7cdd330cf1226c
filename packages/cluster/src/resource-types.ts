import type { ResourceType } from '@cosi-ts/resource';
import { AddressStatus } from './address-status.ts';
import { Affiliate } from './affiliate.ts';
import { APIServerConfig } from './api-server-config.ts';
import { DiscoveryConfig } from './discovery-config.ts';
import { HostnameStatus } from './hostname-status.ts';
import { Identity } from './identity.ts';
import { Info } from './info.ts';
import { KubeSpanConfig } from './kubespan-config.ts';
import { KubeSpanEndpoint } from './kubespan-endpoint.ts';
import { KubeSpanIdentity } from './kubespan-identity.ts';
import { MachineConfig } from './machine-config.ts';
import { MachineResetSignal } from './machine-reset-signal.ts';
import { MachineTypeResource } from './machine-type-resource.ts';
import { Member } from './member.ts';
import { NodeAddress } from './node-address.ts';
import { NodeStatus } from './node-status.ts';
import { Nodename } from './nodename.ts';

/** Every type of cluster discovery, for registering definitions (`cosictl get` name resolution). */
export const CLUSTER_RESOURCE_TYPES: readonly Pick<ResourceType<unknown>, 'type' | 'defaultNamespace' | 'sensitive' | 'definition'>[] = [
  Affiliate,
  Member,
  Identity,
  DiscoveryConfig,
  Info,
  MachineConfig,
  HostnameStatus,
  NodeAddress,
  Nodename,
  MachineTypeResource,
  APIServerConfig,
  AddressStatus,
  MachineResetSignal,
  KubeSpanIdentity,
  KubeSpanConfig,
  NodeStatus,
  KubeSpanEndpoint,
];
