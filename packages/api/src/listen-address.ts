import { isIP } from 'node:net';

/** Splits `host:port`, `[v6]:port` or `:port` (every interface). */
export function parseListenAddress(addr: string): { host: string; port: number } {
  const colon = addr.lastIndexOf(':');
  if (colon < 0) throw new TypeError(`listen address "${addr}" has no port (expected host:port)`);
  let host = addr.slice(0, colon);
  const portText = addr.slice(colon + 1);
  const port = Number(portText);
  if (portText === '' || !Number.isInteger(port) || port < 0 || port > 65535) throw new TypeError(`listen address "${addr}" has an invalid port`);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return { host: host === '' ? '::' : host, port };
}

export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** 127.0.0.0/8, ::1 and localhost; `::` and `0.0.0.0` (every interface) are not. */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1' || host === '0:0:0:0:0:0:0:1' || /^::ffff:127\./i.test(host);
  return false;
}
