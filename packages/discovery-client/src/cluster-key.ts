import { DiscoveryClientError } from './discovery-client-error.ts';

export const CLUSTER_KEY_BYTES = 32;

const STD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * The AES-256 key from the cluster secret (spec §6.1): standard base64 of exactly 32 bytes, no KDF.
 * Node's decoder silently skips bad characters, so the text is checked first.
 */
export function parseClusterKey(secret: string): Buffer {
  if (!STD_BASE64.test(secret)) throw new DiscoveryClientError('DISCOVERY_CLIENT_BAD_KEY', 'cluster key: not standard base64');
  const key = Buffer.from(secret, 'base64');
  checkKey(key);
  return key;
}

export function checkKey(key: Uint8Array): void {
  if (key.length !== CLUSTER_KEY_BYTES) {
    throw new DiscoveryClientError('DISCOVERY_CLIENT_BAD_KEY', `cluster key: must be ${CLUSTER_KEY_BYTES} bytes (got ${key.length})`);
  }
}
