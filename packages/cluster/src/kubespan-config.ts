import { defineResourceType } from '@cosi-ts/resource';
import { CONFIG_NAMESPACE } from './namespaces.ts';

export interface KubeSpanConfigSpec {
  readonly enabled: boolean;
  /** Advertise the node's pod CIDRs as KubeSpan additional addresses. */
  readonly advertiseKubernetesNetworks: boolean;
  /** `CIDR` includes, `!CIDR` excludes, applied in order; `null` = no filtering. */
  readonly endpointFilters: readonly string[] | null;
  /** `ip:port` endpoints advertised in addition to the discovered ones. */
  readonly extraEndpoints: readonly string[];
  readonly excludeAdvertisedNetworks: readonly string[];
}

export const KUBESPAN_CONFIG_ID = 'kubespan';

/** `config/KubeSpanConfigs/kubespan`. */
export const KubeSpanConfig = defineResourceType<KubeSpanConfigSpec>({
  type: 'KubeSpanConfigs.kubespan.talos.dev',
  defaultNamespace: CONFIG_NAMESPACE,
});
