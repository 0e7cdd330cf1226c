import type { Duration } from '@cosi-ts/discovery-api';
import { DiscoveryError } from './discovery-error.ts';
import {
  MAX_AFFILIATE_DATA_BYTES,
  MAX_AFFILIATE_ID_BYTES,
  MAX_CLUSTER_ID_BYTES,
  MAX_ENDPOINT_BYTES,
  MAX_TTL_NANOS,
} from './limits.ts';

export function validateClusterId(id: string): void {
  if (id.length === 0) throw new DiscoveryError('cluster-id-empty');
  if (Buffer.byteLength(id, 'utf8') > MAX_CLUSTER_ID_BYTES) throw new DiscoveryError('cluster-id-too-long');
}

export function validateAffiliateId(id: string): void {
  if (id.length === 0) throw new DiscoveryError('affiliate-id-empty');
  if (Buffer.byteLength(id, 'utf8') > MAX_AFFILIATE_ID_BYTES) throw new DiscoveryError('affiliate-id-too-long');
}

export function validateAffiliateData(data: Uint8Array | undefined): void {
  if (data !== undefined && data.length > MAX_AFFILIATE_DATA_BYTES) throw new DiscoveryError('affiliate-data-too-big');
}

export function validateEndpoints(endpoints: readonly Uint8Array[]): void {
  for (const e of endpoints) {
    if (e.length > MAX_ENDPOINT_BYTES) throw new DiscoveryError('endpoint-too-big');
  }
}

/**
 * Returns the TTL in milliseconds. A missing TTL counts as 0; zero and negative TTLs are accepted
 * (spec §2) and expire at the next GC. Only a TTL above 30 minutes, exact to the nanosecond, is refused.
 */
export function validateTtl(ttl: Duration | undefined): number {
  if (ttl === undefined) return 0;
  const nanos = BigInt(ttl.seconds) * 1_000_000_000n + BigInt(ttl.nanos);
  if (nanos > MAX_TTL_NANOS) throw new DiscoveryError('ttl-too-large');
  return Number(nanos / 1_000_000n);
}
