import type { ClientAffiliate, Endpoint, WatchResponse } from '@cosi-ts/discovery-api';
import type { Logger } from 'pino';
import { decryptAffiliate } from './affiliate-blob.ts';
import { isDiscoveryBlobError, type BlobErrorReason } from './discovery-client-error.ts';
import { decryptEndpoint } from './endpoint-blob.ts';

/** One other member as this client sees it: its server ID, decrypted data and decodable endpoints. */
export interface DiscoveredAffiliate {
  readonly id: string;
  readonly affiliate: ClientAffiliate;
  readonly endpoints: readonly Endpoint[];
}

export interface CacheHooks {
  readonly logger: Logger;
  readonly skipped: (reason: BlobErrorReason) => void;
}

/**
 * The client's view of the cluster (spec §6.6): keyed by server affiliate ID, never expired by the
 * client, not cleared by a lost connection. A blob that does not decode is logged with the affiliate
 * ID (never its content), counted, and skipped; an entry already held is kept.
 */
export class AffiliateCache {
  readonly #entries = new Map<string, DiscoveredAffiliate>();
  readonly #ownId: string;
  readonly #key: Uint8Array;
  readonly #hooks: CacheHooks;
  #sorted: DiscoveredAffiliate[] | undefined = [];

  constructor(ownId: string, key: Uint8Array, hooks: CacheHooks) {
    this.#ownId = ownId;
    this.#key = key;
    this.#hooks = hooks;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(id: string): DiscoveredAffiliate | undefined {
    return this.#entries.get(id);
  }

  /**
   * Applies one Watch message; `first` = the snapshot that opens a Watch, which replaces the cache.
   * Returns the IDs the message named (other than our own).
   */
  apply(m: WatchResponse, first: boolean): string[] {
    const named: string[] = [];
    if (first) this.#entries.clear();
    this.#sorted = undefined;
    for (const a of m.affiliates) {
      if (a.id === this.#ownId) continue;
      named.push(a.id);
      if (m.deleted) {
        this.#entries.delete(a.id);
        continue;
      }
      if (a.data.length === 0) continue; // reported by peers before it registered: keep what we have
      let affiliate: ClientAffiliate;
      try {
        affiliate = decryptAffiliate(this.#key, a.data);
      } catch (e) {
        if (!isDiscoveryBlobError(e)) throw e;
        this.#hooks.skipped(e.reason);
        this.#hooks.logger.warn({ affiliateId: a.id, reason: e.reason }, 'skipped affiliate data that does not decrypt or parse');
        continue;
      }
      const endpoints: Endpoint[] = [];
      for (const blob of a.endpoints) {
        try {
          endpoints.push(decryptEndpoint(this.#key, blob));
        } catch (e) {
          if (!isDiscoveryBlobError(e)) throw e;
          this.#hooks.skipped(e.reason);
          this.#hooks.logger.warn({ affiliateId: a.id, reason: e.reason }, 'skipped an endpoint that does not decrypt or parse');
        }
      }
      this.#entries.set(a.id, { id: a.id, affiliate, endpoints });
    }
    return named;
  }

  /** Sorted by ID; the same array until the next change. */
  list(): readonly DiscoveredAffiliate[] {
    this.#sorted ??= [...this.#entries.values()].sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
    return this.#sorted;
  }
}
