import type { AffiliateSpec, KubeSpanAffiliateSpec, MachineType } from './affiliate-spec.ts';
import { normalizeAffiliate } from './affiliate-spec.ts';
import type { HostnameStatusSpec } from './hostname-status.ts';
import { fqdnOf } from './hostname-status.ts';
import type { KubeSpanConfigSpec } from './kubespan-config.ts';
import type { KubeSpanIdentitySpec } from './kubespan-identity.ts';
import { addressOfCidr, formatEndpoint, parseIp, parsePrefix, prefixContains } from './ip.ts';
import { OPERATING_SYSTEM } from './version.ts';

/** WireGuard's port, as every KubeSpan endpoint uses. */
export const KUBESPAN_PORT = 51820;

export interface LocalAffiliateInputs {
  readonly nodeId: string;
  readonly hostname: HostnameStatusSpec;
  readonly nodename: string;
  readonly machineType: MachineType;
  /** CIDRs of `current-no-k8s`. */
  readonly currentAddresses: readonly string[];
  /** CIDRs of `routed-no-k8s`. */
  readonly routedAddresses: readonly string[];
  readonly kubeSpanIdentity?: KubeSpanIdentitySpec;
  readonly kubeSpanConfig?: KubeSpanConfigSpec;
  /** NodeStatus `<nodename>` pod CIDRs, when that resource exists. */
  readonly podCIDRs?: readonly string[];
  /** CIDRs of every AddressStatus in `cluster` (public IPs), in ID order. */
  readonly publicAddresses?: readonly string[];
  /** APIServerConfig `localPort`, when that resource exists. */
  readonly apiServerPort?: number;
  readonly operatingSystem?: string;
}

/** IPs of CIDRs, canonical, deduplicated keeping first occurrences in order; invalid items skipped. */
export function uniqueIps(cidrs: readonly string[]): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const c of cidrs) {
    const ip = addressOfCidr(c);
    if (ip === undefined || seen.has(ip)) continue;
    seen.add(ip);
    out.push(ip);
  }
  return out;
}

/**
 * Spec §3.3 2c: with filters, the result starts empty; `CIDR` appends matching candidates (in
 * candidate order) not yet present, `!CIDR` removes matching ones. A bare IP is a /32 or /128;
 * unparsable filters are skipped.
 */
export function filterEndpointIps(candidates: readonly string[], filters: readonly string[] | null): string[] {
  if (filters === null) return [...candidates];
  const parsed = candidates.map((ip) => ({ ip, addr: parseIp(ip) }));
  let out: string[] = [];
  for (const raw of filters) {
    const negate = raw.startsWith('!');
    const prefix = parsePrefix(negate ? raw.slice(1) : raw);
    if (prefix === undefined) continue;
    if (negate) {
      out = out.filter((ip) => {
        const addr = parseIp(ip);
        return addr === undefined || !prefixContains(prefix, addr);
      });
    } else {
      for (const { ip, addr } of parsed) {
        if (addr !== undefined && prefixContains(prefix, addr) && !out.includes(ip)) out.push(ip);
      }
    }
  }
  return out;
}

function kubeSpanOf(inputs: LocalAffiliateInputs): KubeSpanAffiliateSpec | undefined {
  const identity = inputs.kubeSpanIdentity;
  const config = inputs.kubeSpanConfig;
  if (identity === undefined || config === undefined) return undefined;
  const address = addressOfCidr(identity.address) ?? '';
  // a. local IPs minus the KubeSpan address; b. then public IPs not yet present.
  const candidates = uniqueIps(inputs.currentAddresses).filter((ip) => ip !== address);
  for (const ip of uniqueIps(inputs.publicAddresses ?? [])) {
    if (!candidates.includes(ip)) candidates.push(ip);
  }
  const endpoints = filterEndpointIps(candidates, config.endpointFilters).map((ip) => formatEndpoint(ip, KUBESPAN_PORT));
  for (const extra of config.extraEndpoints) {
    if (!endpoints.includes(extra)) endpoints.push(extra);
  }
  return {
    publicKey: identity.publicKey,
    address,
    additionalAddresses: config.advertiseKubernetesNetworks && inputs.podCIDRs !== undefined ? [...inputs.podCIDRs] : [],
    endpoints,
    excludeAdvertisedNetworks: [...config.excludeAdvertisedNetworks],
  };
}

/** The local node's affiliate from its inputs (spec §3.3 step 2). Pure: the controller gathers inputs. */
export function buildLocalAffiliate(inputs: LocalAffiliateInputs): AffiliateSpec {
  const isControlPlane = inputs.machineType === 'controlplane' || inputs.machineType === 'init';
  const kubespan = kubeSpanOf(inputs);
  return normalizeAffiliate({
    nodeId: inputs.nodeId,
    addresses: uniqueIps(inputs.routedAddresses),
    hostname: fqdnOf(inputs.hostname),
    nodename: inputs.nodename,
    operatingSystem: inputs.operatingSystem ?? OPERATING_SYSTEM,
    machineType: inputs.machineType,
    ...(kubespan !== undefined ? { kubespan } : {}),
    ...(isControlPlane && inputs.apiServerPort !== undefined ? { controlPlane: { port: inputs.apiServerPort } } : {}),
  });
}

