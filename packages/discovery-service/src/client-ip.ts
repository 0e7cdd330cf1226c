import { isIPv4, isIPv6 } from 'node:net';

/**
 * Parses a textual IP (optionally `[v6]`, with a zone or a `::ffff:` v4-mapped prefix) into network
 * bytes: 4 for IPv4 (mapped ones unmapped), 16 for IPv6, zone dropped. Undefined if unparsable.
 */
export function ipToBytes(text: string): Buffer | undefined {
  let s = text.trim();
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  if (isIPv4(s)) return Buffer.from(s.split('.').map(Number));
  if (!isIPv6(s)) return undefined;
  const bytes = ipv6Bytes(s);
  if (bytes === undefined) return undefined;
  const mapped = bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  return mapped ? Buffer.from(bytes.subarray(12)) : bytes;
}

function ipv6Bytes(s: string): Buffer | undefined {
  // A trailing dotted quad (`::ffff:1.2.3.4`) stands for the last two groups.
  let text = s;
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    const q = tail.split('.').map(Number);
    text = `${text.slice(0, lastColon + 1)}${(((q[0] ?? 0) << 8) | (q[1] ?? 0)).toString(16)}:${(((q[2] ?? 0) << 8) | (q[3] ?? 0)).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] === '' ? [] : (halves[0] ?? '').split(':');
  const rest = halves.length === 2 ? (halves[1] === '' ? [] : (halves[1] ?? '').split(':')) : [];
  const fill = halves.length === 2 ? 8 - head.length - rest.length : 0;
  const groups = [...head, ...Array<string>(fill).fill('0'), ...rest];
  if (groups.length !== 8) return undefined;
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

/** The IP of a grpc-js peer string (`1.2.3.4:5`, `::ffff:1.2.3.4:5`, `[::1]:5`); undefined for unix sockets. */
export function peerToBytes(peer: string): Buffer | undefined {
  if (peer.startsWith('[')) {
    const end = peer.indexOf(']');
    return end < 0 ? undefined : ipToBytes(peer.slice(1, end));
  }
  // grpc-js appends `:port` to TCP peers without bracketing IPv6 (`::1:5000`), so the text before the
  // last colon is tried first; a peer without a port is tried whole.
  const colon = peer.lastIndexOf(':');
  return (colon < 0 ? undefined : ipToBytes(peer.slice(0, colon))) ?? ipToBytes(peer);
}

export interface ClientIpPolicy {
  /** R5: trust `x-real-ip`. Default false. */
  readonly trustXRealIp: boolean;
  /** R5: trust the first entry of `x-forwarded-for`. Default false. */
  readonly trustFirstXForwardedFor: boolean;
}

/**
 * The client IP as spec R5 defines it: proxy headers only when their flag is on, unparsable values
 * fall through to the next source, then the transport peer.
 */
export function resolveClientIp(policy: ClientIpPolicy, header: (name: string) => string | undefined, peer: string): Buffer | undefined {
  if (policy.trustXRealIp) {
    const v = header('x-real-ip');
    const ip = v === undefined ? undefined : ipToBytes(v);
    if (ip !== undefined) return ip;
  }
  if (policy.trustFirstXForwardedFor) {
    const v = header('x-forwarded-for');
    const ip = v === undefined ? undefined : ipToBytes(v.split(',')[0] ?? '');
    if (ip !== undefined) return ip;
  }
  return peerToBytes(peer);
}

/** The canonical text of IP bytes: a stable rate-limit key and a readable log field. */
export function ipBytesToString(ip: Uint8Array): string {
  if (ip.length === 4) return Array.from(ip).join('.');
  const groups: string[] = [];
  for (let i = 0; i < ip.length; i += 2) groups.push((((ip[i] ?? 0) << 8) | (ip[i + 1] ?? 0)).toString(16));
  return groups.join(':');
}
