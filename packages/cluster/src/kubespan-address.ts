import { createHash } from 'node:crypto';
import { formatIp } from './ip.ts';

/** Talos' ULA purpose byte for KubeSpan (`network.ULAPurposeKubeSpan`). */
const ULA_PURPOSE_KUBESPAN = 0x02;

/**
 * Talos' KubeSpan prefix: `fd` + bytes 1–6 of the last 16 bytes of sha256(cluster ID), byte 7 the
 * purpose (0x02), as a /64.
 */
export function kubeSpanPrefix(clusterId: string): Uint8Array {
  const hash = createHash('sha256').update(clusterId).digest();
  const prefix = new Uint8Array(16);
  prefix.set(hash.subarray(hash.length - 16, hash.length - 8));
  prefix[0] = 0xfd;
  prefix[7] = ULA_PURPOSE_KUBESPAN;
  return prefix;
}

/** The KubeSpan address `/128`: the cluster's ULA /64 with the EUI-64 interface ID of `mac`. */
export function kubeSpanAddress(clusterId: string, mac: Uint8Array): string {
  if (mac.length !== 6) throw new TypeError(`MAC address must be 6 bytes (got ${mac.length})`);
  const bytes = kubeSpanPrefix(clusterId);
  bytes.set([mac[0]! ^ 0x02, mac[1]!, mac[2]!, 0xff, 0xfe, mac[3]!, mac[4]!, mac[5]!], 8);
  let value = 0n;
  for (const b of bytes) value = (value << 8n) | BigInt(b);
  return `${formatIp({ family: 6, value })}/128`;
}

/** Parses `aa:bb:cc:dd:ee:ff`; `undefined` for anything else or the all-zero MAC. */
export function parseMac(s: string): Uint8Array | undefined {
  if (!/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(s)) return undefined;
  const mac = Uint8Array.from(s.split(':').map((h) => parseInt(h, 16)));
  return mac.every((b) => b === 0) ? undefined : mac;
}
