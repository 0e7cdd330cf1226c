import {
  formatEndpoint,
  formatIp,
  formatPrefix,
  normalizeAffiliate,
  parseIp,
  parsePrefix,
  type AffiliateSpec,
  type KubeSpanAffiliateSpec,
} from '@cosi-ts/cluster';

const N = 'networking.talos.dev/';

/** The Node annotations the registry reads and writes (spec §3.5), in the order of the spec's table. */
export const ANNOTATIONS = {
  nodeId: 'cluster.talos.dev/node-id',
  selfIps: `${N}self-ips`,
  apiServerPort: `${N}api-server-port`,
  kubeSpanIp: `${N}kubespan-ip`,
  kubeSpanPublicKey: `${N}kubespan-public-key`,
  assignedPrefixes: `${N}assigned-prefixes`,
  kubeSpanEndpoints: `${N}kubespan-endpoints`,
  kubeSpanExcludeAdvertisedNetworks: `${N}kubespan-exclude-advertised-networks`,
} as const;

/** Every annotation key the registry owns. */
export const ANNOTATION_KEYS: readonly string[] = Object.values(ANNOTATIONS);

/**
 * The annotations that describe `affiliate` (its resource ID is the NodeID): one value per owned
 * key, comma-separated without spaces; `""` means "this key must not be on the Node".
 */
export function annotationsOf(nodeId: string, affiliate: AffiliateSpec): Record<string, string> {
  const k = affiliate.kubespan;
  return {
    [ANNOTATIONS.nodeId]: nodeId,
    [ANNOTATIONS.selfIps]: affiliate.addresses.join(','),
    [ANNOTATIONS.apiServerPort]: affiliate.controlPlane === undefined ? '' : String(affiliate.controlPlane.port),
    [ANNOTATIONS.kubeSpanIp]: k?.address ?? '',
    [ANNOTATIONS.kubeSpanPublicKey]: k?.publicKey ?? '',
    [ANNOTATIONS.assignedPrefixes]: (k?.additionalAddresses ?? []).join(','),
    [ANNOTATIONS.kubeSpanEndpoints]: (k?.endpoints ?? []).join(','),
    [ANNOTATIONS.kubeSpanExcludeAdvertisedNetworks]: (k?.excludeAdvertisedNetworks ?? []).join(','),
  };
}

/**
 * The `metadata.annotations` of a JSON merge patch (RFC 7386) taking `current` to `desired`: only
 * differing keys; an empty desired value deletes (`null`) a present key. `undefined` when nothing
 * differs, so the caller sends no request at all.
 */
export function annotationPatch(
  current: Readonly<Record<string, string>> | undefined,
  desired: Readonly<Record<string, string>>,
): Record<string, string | null> | undefined {
  const patch: Record<string, string | null> = {};
  for (const [key, value] of Object.entries(desired)) {
    const now = current?.[key];
    if (value === '') {
      if (now !== undefined) patch[key] = null;
    } else if (now !== value) {
      patch[key] = value;
    }
  }
  return Object.keys(patch).length === 0 ? undefined : patch;
}

const split = (v: string | undefined): string[] => (v === undefined || v === '' ? [] : v.split(',').map((s) => s.trim()).filter((s) => s !== ''));

function ips(v: string | undefined): string[] {
  const out: string[] = [];
  for (const s of split(v)) {
    const ip = parseIp(s);
    if (ip !== undefined) out.push(formatIp(ip));
  }
  return out;
}

function prefixes(v: string | undefined): string[] {
  const out: string[] = [];
  for (const s of split(v)) {
    const p = parsePrefix(s);
    // parsePrefix takes a bare IP as a host prefix; an annotation item must carry its length.
    if (p !== undefined && s.includes('/')) out.push(formatPrefix(p));
  }
  return out;
}

function endpoints(v: string | undefined): string[] {
  const out: string[] = [];
  for (const s of split(v)) {
    const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):([0-9]{1,5})$/.exec(s);
    if (m === null) continue;
    const ip = parseIp(m[1] ?? m[2] ?? '');
    const port = Number(m[3]);
    if (ip === undefined || (m[1] === undefined) !== (ip.family === 4) || port < 1 || port > 65535) continue;
    out.push(formatEndpoint(formatIp(ip), port));
  }
  return out;
}

/** The subset of a Kubernetes Node the mapping reads (a `V1Node` fits). */
export interface NodeLike {
  readonly metadata?: { readonly name?: string; readonly labels?: Readonly<Record<string, string>>; readonly annotations?: Readonly<Record<string, string>> };
  readonly status?: {
    readonly addresses?: readonly { readonly type: string; readonly address: string }[];
    readonly nodeInfo?: { readonly osImage?: string };
  };
}

const CONTROL_PLANE_LABELS = ['node-role.kubernetes.io/control-plane', 'node-role.kubernetes.io/master'];

/**
 * A Node → its raw affiliate (spec §3.5 mapping); `undefined` for a Node without the node-id
 * annotation. Unparsable list items are dropped; `controlPlane` only for a port that parses.
 */
export function affiliateOfNode(node: NodeLike): AffiliateSpec | undefined {
  const a = node.metadata?.annotations ?? {};
  const nodeId = a[ANNOTATIONS.nodeId];
  if (nodeId === undefined || nodeId === '') return undefined;
  const labels = node.metadata?.labels ?? {};
  const kubeSpanIp = parseIp(a[ANNOTATIONS.kubeSpanIp]?.trim() ?? '');
  const kubespan: KubeSpanAffiliateSpec = {
    publicKey: a[ANNOTATIONS.kubeSpanPublicKey] ?? '',
    address: kubeSpanIp === undefined ? '' : formatIp(kubeSpanIp),
    additionalAddresses: prefixes(a[ANNOTATIONS.assignedPrefixes]),
    endpoints: endpoints(a[ANNOTATIONS.kubeSpanEndpoints]),
    excludeAdvertisedNetworks: prefixes(a[ANNOTATIONS.kubeSpanExcludeAdvertisedNetworks]),
  };
  const portText = a[ANNOTATIONS.apiServerPort]?.trim() ?? '';
  const port = /^[0-9]{1,5}$/.test(portText) ? Number(portText) : NaN;
  return normalizeAffiliate({
    nodeId,
    addresses: ips(a[ANNOTATIONS.selfIps]),
    hostname: node.status?.addresses?.find((x) => x.type === 'Hostname')?.address ?? '',
    nodename: node.metadata?.name ?? '',
    operatingSystem: node.status?.nodeInfo?.osImage ?? '',
    machineType: CONTROL_PLANE_LABELS.some((l) => l in labels) ? 'controlplane' : 'worker',
    kubespan,
    ...(Number.isInteger(port) && port >= 1 && port <= 65535 ? { controlPlane: { port } } : {}),
  });
}
