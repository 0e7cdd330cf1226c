/**
 * Splits a Go-style listen address (`:3000`, `127.0.0.1:3000`, `[::1]:3000`) into host and port.
 * An empty host means every interface, dual-stack (`::`).
 */
export function parseListenAddress(addr: string): { host: string; port: number } {
  const colon = addr.lastIndexOf(':');
  if (colon < 0) throw new Error(`listen address "${addr}" has no port (expected host:port or :port)`);
  let host = addr.slice(0, colon);
  const portText = addr.slice(colon + 1);
  const port = Number(portText);
  if (portText === '' || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`listen address "${addr}" has an invalid port`);
  }
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return { host: host === '' ? '::' : host, port };
}

/** `host:port` with IPv6 hosts bracketed, as grpc-js and HTTP clients expect. */
export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
