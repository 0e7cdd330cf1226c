import type { AffiliateSpec, KubeSpanAffiliateSpec } from './affiliate-spec.ts';
import { normalizeAffiliate } from './affiliate-spec.ts';

const ZERO_KUBESPAN: KubeSpanAffiliateSpec = {
  publicKey: '',
  address: '',
  additionalAddresses: [],
  endpoints: [],
  excludeAdvertisedNetworks: [],
};

/** `base` followed by the items of `other` not already present; order kept, never sorted. */
function appendMissing(base: readonly string[], other: readonly string[]): readonly string[] {
  if (other.length === 0) return base;
  const seen = new Set(base);
  const out = [...base];
  for (const item of other) {
    if (!seen.has(item)) {
      seen.add(item);
      out.push(item);
    }
  }
  return out;
}

function mergeKubeSpan(base: KubeSpanAffiliateSpec | undefined, other: KubeSpanAffiliateSpec | undefined): KubeSpanAffiliateSpec | undefined {
  if (other === undefined) return base;
  const b = base ?? ZERO_KUBESPAN;
  return {
    publicKey: other.publicKey !== '' ? other.publicKey : b.publicKey,
    address: other.address !== '' ? other.address : b.address,
    additionalAddresses: appendMissing(b.additionalAddresses, other.additionalAddresses),
    endpoints: appendMissing(b.endpoints, other.endpoints),
    excludeAdvertisedNetworks: appendMissing(b.excludeAdvertisedNetworks, other.excludeAdvertisedNetworks),
  };
}

/**
 * Talos' affiliate merge: `other`'s view of a node folded into `base`'s (a new object; both
 * arguments untouched). Lists gain `other`'s missing items in order; scalars take `other`'s value
 * when it is set; `nodeId` and `operatingSystem` stay `base`'s.
 */
export function mergeAffiliates(base: AffiliateSpec, other: AffiliateSpec): AffiliateSpec {
  const nodename = other.nodename !== undefined && other.nodename !== '' ? other.nodename : base.nodename;
  const kubespan = mergeKubeSpan(base.kubespan, other.kubespan);
  const controlPlane = other.controlPlane ?? base.controlPlane;
  return normalizeAffiliate({
    nodeId: base.nodeId,
    addresses: appendMissing(base.addresses, other.addresses),
    hostname: other.hostname !== '' ? other.hostname : base.hostname,
    ...(nodename !== undefined ? { nodename } : {}),
    operatingSystem: base.operatingSystem,
    machineType: other.machineType !== 'unknown' ? other.machineType : base.machineType,
    ...(kubespan !== undefined ? { kubespan } : {}),
    ...(controlPlane !== undefined ? { controlPlane } : {}),
  });
}
