export type MachineType = 'unknown' | 'init' | 'controlplane' | 'worker';

export const MACHINE_TYPES: readonly MachineType[] = ['unknown', 'init', 'controlplane', 'worker'];

export interface KubeSpanAffiliateSpec {
  /** WireGuard public key, base64. */
  readonly publicKey: string;
  /** KubeSpan IP, or `""`. */
  readonly address: string;
  /** CIDRs routed to this node over KubeSpan (e.g. pod CIDRs). */
  readonly additionalAddresses: readonly string[];
  /** `ip:port`, `[ip]:port` for IPv6. */
  readonly endpoints: readonly string[];
  /** CIDRs this node asks peers not to route over KubeSpan. */
  readonly excludeAdvertisedNetworks: readonly string[];
}

export interface ControlPlaneSpec {
  /** The local kube-apiserver port. */
  readonly port: number;
}

/**
 * A cluster member as one registry (raw) or all registries (merged) see it. `nodename`, `kubespan`
 * and `controlPlane` are omitted when empty, zero or absent, as in Talos' YAML.
 */
export interface AffiliateSpec {
  readonly nodeId: string;
  /** IP strings, in the order the node advertises them. */
  readonly addresses: readonly string[];
  /** FQDN. */
  readonly hostname: string;
  readonly nodename?: string;
  readonly operatingSystem: string;
  readonly machineType: MachineType;
  readonly kubespan?: KubeSpanAffiliateSpec;
  readonly controlPlane?: ControlPlaneSpec;
}

export function isZeroKubeSpan(k: KubeSpanAffiliateSpec | undefined): boolean {
  return (
    k === undefined ||
    (k.publicKey === '' &&
      k.address === '' &&
      k.additionalAddresses.length === 0 &&
      k.endpoints.length === 0 &&
      k.excludeAdvertisedNetworks.length === 0)
  );
}

/** Drops an empty `nodename` and a zero `kubespan`, so equal affiliates have equal shapes. */
export function normalizeAffiliate(spec: AffiliateSpec): AffiliateSpec {
  const { nodename, kubespan, controlPlane, ...rest } = spec;
  return {
    ...rest,
    ...(nodename !== undefined && nodename !== '' ? { nodename } : {}),
    ...(kubespan !== undefined && !isZeroKubeSpan(kubespan) ? { kubespan } : {}),
    ...(controlPlane !== undefined ? { controlPlane } : {}),
  };
}
