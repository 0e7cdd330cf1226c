import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { ClientAffiliate } from '@cosi-ts/discovery-api';
import { checkKey } from './cluster-key.ts';
import { DiscoveryBlobError, DiscoveryClientError } from './discovery-client-error.ts';

const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** The server refuses data over 2048 bytes; the nonce and tag take 28 (spec §6.2). */
export const MAX_AFFILIATE_PLAINTEXT_BYTES = 2048 - NONCE_BYTES - TAG_BYTES;

/** `nonce(12, random) ‖ AES-256-GCM ciphertext ‖ tag(16)` over the canonical encoding, no AAD. */
export function encryptAffiliate(key: Uint8Array, affiliate: ClientAffiliate): Buffer {
  checkKey(key);
  const plain = ClientAffiliate.encode(affiliate).finish();
  if (plain.length > MAX_AFFILIATE_PLAINTEXT_BYTES) {
    throw new DiscoveryClientError(
      'DISCOVERY_CLIENT_AFFILIATE_TOO_BIG',
      `affiliate ${affiliate.nodeId}: encoded plaintext is ${plain.length} bytes, at most ${MAX_AFFILIATE_PLAINTEXT_BYTES} fit the service's 2048-byte limit`,
    );
  }
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  const ct = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([nonce, ct, cipher.getAuthTag()]);
}

/** Decrypts and parses a data blob; throws `DiscoveryBlobError` for anything that is not one. */
export function decryptAffiliate(key: Uint8Array, blob: Uint8Array): ClientAffiliate {
  checkKey(key);
  if (blob.length < NONCE_BYTES + TAG_BYTES) throw new DiscoveryBlobError('data-too-short', `${blob.length} bytes`);
  const nonce = blob.subarray(0, NONCE_BYTES);
  const tag = blob.subarray(blob.length - TAG_BYTES);
  let plain: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, nonce);
    decipher.setAuthTag(tag);
    plain = Buffer.concat([decipher.update(blob.subarray(NONCE_BYTES, blob.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw new DiscoveryBlobError('data-decrypt-failed', 'authentication failed (another key?)');
  }
  try {
    return ClientAffiliate.decode(plain);
  } catch (e) {
    throw new DiscoveryBlobError('data-parse-failed', e instanceof Error ? e.message : String(e));
  }
}
