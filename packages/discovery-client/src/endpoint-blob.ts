import { createCipheriv, createDecipheriv } from 'node:crypto';
import { Endpoint } from '@cosi-ts/discovery-api';
import { checkKey } from './cluster-key.ts';
import { DiscoveryBlobError } from './discovery-client-error.ts';

const BLOCK = 16;

function ecb(key: Uint8Array, data: Uint8Array, encrypt: boolean): Buffer {
  const c = encrypt ? createCipheriv('aes-256-ecb', key, null) : createDecipheriv('aes-256-ecb', key, null);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(data), c.final()]);
}

/**
 * The deterministic endpoint blob (spec §6.3): `[len(pb)] ‖ pb`, zero-padded to a multiple of 16,
 * AES-256-ECB block by block. Deterministic on purpose: the server deduplicates endpoints by bytes.
 */
export function encryptEndpoint(key: Uint8Array, endpoint: Endpoint): Buffer {
  checkKey(key);
  if (endpoint.ip.length !== 4 && endpoint.ip.length !== 16) throw new RangeError(`endpoint IP must be 4 or 16 bytes (got ${endpoint.ip.length})`);
  // Only ip and port: unknown fields of a decoded endpoint would break deduplication.
  const pb = Endpoint.encode({ ip: endpoint.ip, port: endpoint.port }).finish();
  const padded = Math.ceil((pb.length + 1) / BLOCK) * BLOCK;
  const buf = Buffer.alloc(padded);
  buf[0] = pb.length;
  buf.set(pb, 1);
  return ecb(key, buf, true);
}

/** Decodes an endpoint blob with every bound checked; throws `DiscoveryBlobError` when it is not one. */
export function decryptEndpoint(key: Uint8Array, blob: Uint8Array): Endpoint {
  checkKey(key);
  if (blob.length === 0 || blob.length % BLOCK !== 0) throw new DiscoveryBlobError('endpoint-bad-length', `${blob.length} bytes`);
  const b = ecb(key, blob, false);
  const n = b[0]!;
  if (n > b.length - 1) throw new DiscoveryBlobError('endpoint-bad-length-byte', `length byte ${n} in ${b.length} bytes`);
  let ep: Endpoint;
  try {
    ep = Endpoint.decode(b.subarray(1, 1 + n));
  } catch (e) {
    throw new DiscoveryBlobError('endpoint-parse-failed', e instanceof Error ? e.message : String(e));
  }
  if (ep.ip.length !== 4 && ep.ip.length !== 16) throw new DiscoveryBlobError('endpoint-bad-ip', `IP of ${ep.ip.length} bytes`);
  return { ip: ep.ip, port: ep.port };
}
