import type { DiscoveryConfigSpec } from './discovery-config.ts';
import type { NodeConfig } from './node-config.ts';
import { NodeConfigError } from './node-config-error.ts';

export const DEFAULT_DISCOVERY_SERVICE_ENDPOINT = 'https://discovery.talos.dev/';

const DISABLED: DiscoveryConfigSpec = {
  discoveryEnabled: false,
  registryKubernetesEnabled: false,
  registryServiceEnabled: false,
  serviceEndpoint: '',
  serviceEndpointInsecure: false,
  serviceEncryptionKey: '',
  serviceClusterID: '',
};

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Standard (padded) base64 of exactly 32 bytes, re-encoded canonically. */
function encryptionKey(secret: string | undefined, file: string | undefined): string {
  const key = 'cluster.secret';
  if (secret === undefined || secret === '') {
    throw new NodeConfigError(key, 'required when the service registry is enabled', file);
  }
  if (!BASE64.test(secret)) throw new NodeConfigError(key, 'must be base64 of 32 bytes (not valid base64)', file);
  const bytes = Buffer.from(secret, 'base64');
  if (bytes.length !== 32) throw new NodeConfigError(key, `must be base64 of 32 bytes (got ${bytes.length})`, file);
  return bytes.toString('base64');
}

/** `{ endpoint: host:port, insecure }` from the service URL, per the spec's URL rules. */
function serviceEndpoint(raw: string, file: string | undefined): { endpoint: string; insecure: boolean } {
  const key = 'cluster.discovery.registries.service.endpoint';
  const fail = (rule: string): never => {
    throw new NodeConfigError(key, `${rule} (got ${JSON.stringify(raw)})`, file);
  };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return fail('must be an http or https URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') fail('scheme must be http or https');
  if (url.hostname === '') fail('must have a host');
  if (url.username !== '' || url.password !== '') fail('must not contain user info');
  if (url.pathname !== '' && url.pathname !== '/') fail('path must be empty or "/"');
  // URL drops a bare "?" or "#": look at the raw text too.
  if (url.search !== '' || raw.includes('?')) fail('must not have a query');
  if (url.hash !== '' || raw.includes('#')) fail('must not have a fragment');
  const insecure = url.protocol === 'http:';
  // WHATWG URL omits the scheme's default port; an explicit one means the same thing.
  const port = url.port === '' ? (insecure ? 80 : 443) : Number(url.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) fail('port must be 1-65535');
  // `hostname` keeps IPv6 brackets, which is what host:port needs.
  return { endpoint: `${url.hostname}:${port}`, insecure };
}

/**
 * `node.yaml` → DiscoveryConfig spec (spec §3.1). `null` when there is no `cluster` section.
 * Throws NodeConfigError naming the key (and file) on invalid values.
 */
export function deriveDiscoveryConfig(config: NodeConfig, file?: string): DiscoveryConfigSpec | null {
  const cluster = config.cluster;
  if (cluster === undefined) return null;
  const discovery = cluster.discovery;
  if (discovery?.enabled !== true) return DISABLED;
  const registries = discovery.registries;
  const registryKubernetesEnabled = !(registries?.kubernetes?.disabled ?? true);
  const registryServiceEnabled = !(registries?.service?.disabled ?? false);
  if (!registryServiceEnabled) return { ...DISABLED, discoveryEnabled: true, registryKubernetesEnabled };

  const { endpoint, insecure } = serviceEndpoint(registries?.service?.endpoint ?? DEFAULT_DISCOVERY_SERVICE_ENDPOINT, file);
  const serviceEncryptionKey = encryptionKey(cluster.secret, file);
  const id = cluster.id;
  if (id === undefined || id === '') throw new NodeConfigError('cluster.id', 'required when the service registry is enabled', file);
  const idBytes = Buffer.byteLength(id, 'utf8');
  if (idBytes > 256) throw new NodeConfigError('cluster.id', `must be 1-256 bytes (got ${idBytes})`, file);
  return {
    discoveryEnabled: true,
    registryKubernetesEnabled,
    registryServiceEnabled: true,
    serviceEndpoint: endpoint,
    serviceEndpointInsecure: insecure,
    serviceEncryptionKey,
    serviceClusterID: id,
  };
}
