import { isIPv4, isIPv6 } from 'node:net';

/** An IP address as its family and numeric value (Go's `netip.Addr`, without zones). */
export interface IpAddr {
  readonly family: 4 | 6;
  readonly value: bigint;
}

/** A network: address masked to `bits` leading bits (Go's `netip.Prefix`). */
export interface IpPrefix {
  readonly addr: IpAddr;
  readonly bits: number;
}

const bitsOf = (family: 4 | 6): number => (family === 4 ? 32 : 128);

function parseV4(s: string): bigint {
  let v = 0n;
  for (const part of s.split('.')) v = (v << 8n) | BigInt(Number(part));
  return v;
}

function parseV6(s: string): bigint {
  let text = s;
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.', lastColon)) {
    // Embedded IPv4 tail (`::ffff:1.2.3.4`) → two hex groups.
    const v4 = parseV4(text.slice(lastColon + 1));
    text = `${text.slice(0, lastColon + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const groups = (x: string): bigint[] => (x === '' ? [] : x.split(':').map((g) => BigInt(`0x${g}`)));
  const [head = '', rest] = text.split('::');
  const left = groups(head);
  const right = rest === undefined ? [] : groups(rest);
  const zeros = rest === undefined ? 0 : 8 - left.length - right.length;
  let v = 0n;
  for (const g of [...left, ...Array.from({ length: zeros }, () => 0n), ...right]) v = (v << 16n) | g;
  return v;
}

/** Parses a bare IPv4 or IPv6 address (no zone, no port); `undefined` when invalid. */
export function parseIp(s: string): IpAddr | undefined {
  if (isIPv4(s)) return { family: 4, value: parseV4(s) };
  if (isIPv6(s) && !s.includes('%')) return { family: 6, value: parseV6(s) };
  return undefined;
}

/** Canonical text: dotted quad, or RFC 5952 IPv6 (lower case, longest zero run compressed). */
export function formatIp(ip: IpAddr): string {
  if (ip.family === 4) {
    return [24n, 16n, 8n, 0n].map((sh) => String((ip.value >> sh) & 0xffn)).join('.');
  }
  if (ip.value >> 32n === 0xffffn) {
    // IPv4-mapped addresses print their tail dotted, as Go's netip does.
    return `::ffff:${formatIp({ family: 4, value: ip.value & 0xffffffffn })}`;
  }
  const groups = Array.from({ length: 8 }, (_, i) => Number((ip.value >> BigInt(112 - 16 * i)) & 0xffffn));
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** Parses `ip/bits`; a bare IP is a /32 or /128. The address keeps its host bits (as `netip.ParsePrefix`). */
export function parsePrefix(s: string): IpPrefix | undefined {
  const slash = s.indexOf('/');
  const addr = parseIp(slash < 0 ? s : s.slice(0, slash));
  if (addr === undefined) return undefined;
  if (slash < 0) return { addr, bits: bitsOf(addr.family) };
  const bitsText = s.slice(slash + 1);
  if (!/^(0|[1-9][0-9]{0,2})$/.test(bitsText)) return undefined;
  const bits = Number(bitsText);
  if (bits > bitsOf(addr.family)) return undefined;
  return { addr, bits };
}

export function prefixContains(prefix: IpPrefix, ip: IpAddr): boolean {
  if (prefix.addr.family !== ip.family) return false;
  const shift = BigInt(bitsOf(ip.family) - prefix.bits);
  return prefix.addr.value >> shift === ip.value >> shift;
}

/** `ip/bits` with the canonical address text. */
export function formatPrefix(p: IpPrefix): string {
  return `${formatIp(p.addr)}/${p.bits}`;
}

/** The address of a CIDR (or bare IP) in canonical text; `undefined` when invalid. */
export function addressOfCidr(cidr: string): string | undefined {
  const p = parsePrefix(cidr);
  return p === undefined ? undefined : formatIp(p.addr);
}

/** `ip:port`, or `[ip]:port` for IPv6. */
export function formatEndpoint(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** The host-only prefix of an IP: `/32` or `/128`. */
export function hostPrefix(ip: string): string | undefined {
  const addr = parseIp(ip);
  return addr === undefined ? undefined : `${formatIp(addr)}/${bitsOf(addr.family)}`;
}
