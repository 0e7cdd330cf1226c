import { defineResourceType } from '@cosi-ts/resource';
import { CONFIG_NAMESPACE } from './namespaces.ts';

export interface DiscoveryConfigSpec {
  readonly discoveryEnabled: boolean;
  readonly registryKubernetesEnabled: boolean;
  readonly registryServiceEnabled: boolean;
  /** `host:port`, IPv6 hosts bracketed; `""` when the service registry is off. */
  readonly serviceEndpoint: string;
  readonly serviceEndpointInsecure: boolean;
  /** AES-256 key, 32 bytes, standard base64; `""` when the service registry is off. */
  readonly serviceEncryptionKey: string;
  readonly serviceClusterID: string;
}

export const DISCOVERY_CONFIG_ID = 'cluster';

/** `config/DiscoveryConfigs/cluster`: how this node discovers its cluster. Sensitive: holds the key. */
export const DiscoveryConfig = defineResourceType<DiscoveryConfigSpec>({
  type: 'DiscoveryConfigs.cluster.talos.dev',
  defaultNamespace: CONFIG_NAMESPACE,
  sensitive: true,
});
