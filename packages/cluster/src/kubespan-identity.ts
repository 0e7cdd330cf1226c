import { defineResourceType } from '@cosi-ts/resource';
import { KUBESPAN_NAMESPACE } from './namespaces.ts';

export interface KubeSpanIdentitySpec {
  /** CIDR, e.g. `fd50:8d60:4238:6302:f857:23ff:fe21:d1e0/128`. */
  readonly address: string;
  /** WireGuard public key, base64. The private key stays in the state dir. */
  readonly publicKey: string;
}

export const KUBESPAN_IDENTITY_ID = 'local';

/** `kubespan/KubeSpanIdentities/local`. */
export const KubeSpanIdentity = defineResourceType<KubeSpanIdentitySpec>({
  type: 'KubeSpanIdentities.kubespan.talos.dev',
  defaultNamespace: KUBESPAN_NAMESPACE,
  printColumns: [
    { name: 'ADDRESS', jsonPath: '{.address}' },
    { name: 'PUBLIC KEY', jsonPath: '{.publicKey}' },
  ],
});
