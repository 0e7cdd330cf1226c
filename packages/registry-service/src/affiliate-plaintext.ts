import {
  MACHINE_TYPES,
  formatEndpoint,
  formatIp,
  normalizeAffiliate,
  parseIp,
  parsePrefix,
  type AffiliateSpec,
  type IpAddr,
  type MachineType,
} from '@cosi-ts/cluster';
import type { ClientAffiliate, Endpoint, IPPrefix } from '@cosi-ts/discovery-api';
import type { DiscoveredAffiliate } from '@cosi-ts/discovery-client';

/** An IP as 4 or 16 bytes in network order; IPv4-mapped IPv6 as 4 (spec protocol §1.2). */
export function ipToBytes(ip: IpAddr): Buffer {
  const mapped = ip.family === 6 && ip.value >> 32n === 0xffffn;
  const len = ip.family === 4 || mapped ? 4 : 16;
  const out = Buffer.alloc(len);
  let v = mapped ? ip.value & 0xffffffffn : ip.value;
  for (let i = len - 1; i >= 0; i--, v >>= 8n) out[i] = Number(v & 0xffn);
  return out;
}

/** 4 or 16 bytes → an address; any other length → `undefined` (skipped by the caller). */
export function ipFromBytes(b: Uint8Array): IpAddr | undefined {
  if (b.length !== 4 && b.length !== 16) return undefined;
  let v = 0n;
  for (const x of b) v = (v << 8n) | BigInt(x);
  return { family: b.length === 4 ? 4 : 6, value: v };
}

function ipText(b: Uint8Array): string | undefined {
  const ip = ipFromBytes(b);
  return ip === undefined ? undefined : formatIp(ip);
}

function textIp(s: string): Buffer | undefined {
  const ip = parseIp(s);
  return ip === undefined ? undefined : ipToBytes(ip);
}

/** `ip:port` or `[ip]:port` → an Endpoint; `undefined` when it is not one. */
export function parseEndpoint(s: string): Endpoint | undefined {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(s);
  if (m === null) return undefined;
  const ip = textIp(m[1] ?? m[2]!);
  const port = Number(m[3]);
  if (ip === undefined || port < 1 || port > 65535) return undefined;
  return { ip, port };
}

function defined<T>(x: T | undefined): x is T {
  return x !== undefined;
}

/** What `setLocalData` is given for the local affiliate (spec §3.4 "Spec → plaintext"). */
export function affiliateToPlaintext(spec: AffiliateSpec): { affiliate: ClientAffiliate; endpoints: Endpoint[] } {
  const ks = spec.kubespan !== undefined && spec.kubespan.publicKey !== '' ? spec.kubespan : undefined;
  const affiliate: ClientAffiliate = {
    nodeId: spec.nodeId,
    addresses: spec.addresses.map(textIp).filter(defined),
    hostname: spec.hostname,
    nodename: spec.nodename ?? '',
    machineType: spec.machineType,
    operatingSystem: spec.operatingSystem,
    // excludeAdvertisedNetworks is not sent: its field number is unconfirmed (spec protocol §1.2).
    kubespan:
      ks === undefined
        ? undefined
        : {
            publicKey: ks.publicKey,
            address: (ks.address === '' ? undefined : textIp(ks.address)) ?? Buffer.alloc(0),
            additionalAddresses: ks.additionalAddresses
              .map(parsePrefix)
              .filter(defined)
              .map((p): IPPrefix => ({ ip: ipToBytes(p.addr), bits: p.bits })),
          },
    controlPlane: spec.controlPlane === undefined ? undefined : { apiServerPort: spec.controlPlane.port },
  };
  return { affiliate, endpoints: ks === undefined ? [] : ks.endpoints.map(parseEndpoint).filter(defined) };
}

function machineTypeOf(s: string): MachineType {
  if (s === '') return 'worker';
  return (MACHINE_TYPES as readonly string[]).includes(s) ? (s as MachineType) : 'unknown';
}

function endpointText(e: Endpoint): string | undefined {
  const ip = ipText(e.ip);
  return ip === undefined || e.port < 1 || e.port > 65535 ? undefined : formatEndpoint(ip, e.port);
}

/** A discovered affiliate as a raw `AffiliateSpec` (spec §3.4 "Back"): bad IPs and prefixes skipped. */
export function discoveredToSpec(d: DiscoveredAffiliate): AffiliateSpec {
  const a = d.affiliate;
  const ks = a.kubespan;
  return normalizeAffiliate({
    nodeId: a.nodeId,
    addresses: a.addresses.map(ipText).filter(defined),
    hostname: a.hostname,
    nodename: a.nodename,
    operatingSystem: a.operatingSystem,
    machineType: machineTypeOf(a.machineType),
    ...(ks === undefined
      ? {}
      : {
          kubespan: {
            publicKey: ks.publicKey,
            address: ipText(ks.address) ?? '',
            additionalAddresses: ks.additionalAddresses
              .map((p) => {
                const ip = ipFromBytes(p.ip);
                return ip === undefined || p.bits > (ip.family === 4 ? 32 : 128) ? undefined : `${formatIp(ip)}/${p.bits}`;
              })
              .filter(defined),
            endpoints: d.endpoints.map(endpointText).filter(defined),
            excludeAdvertisedNetworks: [],
          },
        }),
    ...(a.controlPlane === undefined ? {} : { controlPlane: { port: a.controlPlane.apiServerPort } }),
  });
}
