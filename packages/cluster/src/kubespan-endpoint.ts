import { defineResourceType } from '@cosi-ts/resource';
import { KUBESPAN_NAMESPACE } from './namespaces.ts';

export interface KubeSpanEndpointSpec {
  /** The NodeID of the peer this endpoint was observed for. */
  readonly affiliateID: string;
  /** `ip:port`, `[ip]:port` for IPv6. */
  readonly endpoint: string;
}

/** `kubespan/KubeSpanEndpoints/<key>`: a peer endpoint observed to work. */
export const KubeSpanEndpoint = defineResourceType<KubeSpanEndpointSpec>({
  type: 'KubeSpanEndpoints.kubespan.talos.dev',
  defaultNamespace: KUBESPAN_NAMESPACE,
  printColumns: [
    { name: 'AFFILIATE', jsonPath: '{.affiliateID}' },
    { name: 'ENDPOINT', jsonPath: '{.endpoint}' },
  ],
});
