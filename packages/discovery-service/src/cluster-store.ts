import { DiscoveryError } from './discovery-error.ts';
import { MAX_AFFILIATES_PER_CLUSTER, MAX_ENDPOINTS_PER_AFFILIATE } from './limits.ts';

/** What watchers and List see of an affiliate: the stored blobs, endpoints in arrival order. */
export interface AffiliateView {
  readonly id: string;
  readonly data: Buffer;
  readonly endpoints: readonly Buffer[];
}

/** One affiliate with its expirations, as /inspect and snapshots need them. */
export interface AffiliateRecord extends AffiliateView {
  /** Unix ms; the affiliate lives while this or any endpoint expiry is in the future. */
  readonly touchExpiry: number;
  readonly endpointExpiries: readonly number[];
}

export type WatchNotice = 'update' | 'delete';

/**
 * Receives changes of one cluster. Called synchronously inside the store's critical section: it must
 * only record the notice (the watcher reads the affiliate's current state when it sends).
 */
export interface ClusterWatcher {
  notify(affiliateId: string, notice: WatchNotice): void;
}

export interface AffiliateUpdate {
  readonly affiliateId: string;
  /** Absent or empty: data untouched (spec §3.2 step 6). */
  readonly data: Uint8Array | undefined;
  readonly endpoints: readonly Uint8Array[];
  readonly ttlMs: number;
}

export interface Subscription {
  /** All affiliates sorted by ID at the instant of registration. */
  readonly snapshot: AffiliateView[];
  /** The current state of an affiliate of the watched cluster, or undefined once deleted. */
  lookup(affiliateId: string): AffiliateView | undefined;
  unsubscribe(): void;
}

export interface StoreStats {
  clusters: number;
  affiliates: number;
  endpoints: number;
  subscriptions: number;
}

export interface GcResult {
  affiliates: number;
  clusters: number;
}

interface StoredEndpoint {
  readonly blob: Buffer;
  expiry: number;
}

interface StoredAffiliate {
  readonly id: string;
  data: Buffer;
  touchExpiry: number;
  endpoints: StoredEndpoint[];
}

interface Cluster {
  readonly affiliates: Map<string, StoredAffiliate>;
  readonly watchers: Set<ClusterWatcher>;
}

const EMPTY = Buffer.alloc(0);

function view(a: StoredAffiliate): AffiliateView {
  return { id: a.id, data: a.data, endpoints: a.endpoints.map((e) => e.blob) };
}

function record(a: StoredAffiliate): AffiliateRecord {
  return { ...view(a), touchExpiry: a.touchExpiry, endpointExpiries: a.endpoints.map((e) => e.expiry) };
}

/**
 * Orders IDs by their UTF-8 bytes, as Go sorts strings. JavaScript's `<` compares UTF-16 code units,
 * which puts characters past U+FFFF (surrogate pairs) before U+E000..U+FFFF; UTF-8 puts them after.
 */
function compareIds(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const xSurrogate = x >= 0xd800 && x <= 0xdfff;
    const ySurrogate = y >= 0xd800 && y <= 0xdfff;
    if (xSurrogate && y >= 0xe000) return 1;
    if (ySurrogate && x >= 0xe000) return -1;
    return x - y;
  }
  return a.length - b.length;
}

function byId(a: { id: string }, b: { id: string }): number {
  return compareIds(a.id, b.id);
}

/** A string equal for byte-equal blobs (one char per byte), to index endpoints by their bytes. */
function blobKey(blob: Uint8Array): string {
  return Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength).toString('latin1');
}

/**
 * The in-memory registry of clusters (spec §3). Every public method runs to completion without
 * awaiting, so each is atomic with respect to the others (R2): a cluster found by lookup-or-create
 * cannot be removed by GC before it is used.
 */
export class ClusterStore {
  readonly #clusters = new Map<string, Cluster>();
  readonly #now: () => number;

  constructor(options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
  }

  /** Applies an AffiliateUpdate (spec §3.2 steps 2–9). Returns whether watchers were notified. */
  update(clusterId: string, u: AffiliateUpdate): boolean {
    const existingCluster = this.#clusters.get(clusterId);
    const existing = existingCluster?.affiliates.get(u.affiliateId);
    if (existing === undefined && (existingCluster?.affiliates.size ?? 0) >= MAX_AFFILIATES_PER_CLUSTER) {
      throw new DiscoveryError('too-many-affiliates');
    }
    // Blobs are compared by bytes through a key map: a request may repeat one blob a million times
    // (4 MB of empty blobs), and each must cost O(1), not a scan of the stored list.
    const stored = new Map<string, StoredEndpoint>();
    for (const e of existing?.endpoints ?? []) stored.set(blobKey(e.blob), e);
    const submitted = new Map<string, Uint8Array>();
    const refreshed = new Set<StoredEndpoint>();
    for (const blob of u.endpoints) {
      const k = blobKey(blob);
      const old = stored.get(k);
      if (old !== undefined) {
        refreshed.add(old);
        continue;
      }
      if (submitted.has(k)) continue;
      submitted.set(k, blob);
      // Nothing changes on refusal (the Go server keeps a partial merge; spec §3.2 step 4).
      if (stored.size + submitted.size > MAX_ENDPOINTS_PER_AFFILIATE) throw new DiscoveryError('too-many-endpoints');
    }

    const cluster = existingCluster ?? this.#createCluster(clusterId);
    const exp = this.#now() + u.ttlMs;
    let changed = false;
    let affiliate = existing;
    if (affiliate === undefined) {
      affiliate = { id: u.affiliateId, data: EMPTY, touchExpiry: exp, endpoints: [] };
      cluster.affiliates.set(u.affiliateId, affiliate);
      changed = true;
    }
    if (u.data !== undefined && u.data.length > 0) {
      if (!affiliate.data.equals(u.data)) {
        affiliate.data = Buffer.from(u.data); // a copy: never pin the request's receive buffer
        changed = true;
      }
      affiliate.touchExpiry = exp;
    } else {
      affiliate.touchExpiry = Math.max(affiliate.touchExpiry, exp);
    }
    for (const e of refreshed) e.expiry = Math.max(e.expiry, exp);
    for (const blob of submitted.values()) {
      // Appended in arrival order (first occurrence); a copy, never the request's receive buffer.
      affiliate.endpoints.push({ blob: Buffer.from(blob), expiry: exp });
      changed = true;
    }
    if (changed) this.#broadcast(cluster, u.affiliateId, 'update');
    return changed;
  }

  /** Removes an affiliate; idempotent. Never creates a cluster. Returns whether it existed. */
  delete(clusterId: string, affiliateId: string): boolean {
    const cluster = this.#clusters.get(clusterId);
    if (cluster === undefined || !cluster.affiliates.delete(affiliateId)) return false;
    this.#broadcast(cluster, affiliateId, 'delete');
    return true;
  }

  /** All affiliates sorted by ID, empty-data ones included. Never creates a cluster. */
  list(clusterId: string): AffiliateView[] {
    const cluster = this.#clusters.get(clusterId);
    if (cluster === undefined) return [];
    return [...cluster.affiliates.values()].map(view).sort(byId);
  }

  /** Affiliates with expirations, sorted by ID; undefined when the cluster does not exist. */
  inspect(clusterId: string): AffiliateRecord[] | undefined {
    const cluster = this.#clusters.get(clusterId);
    if (cluster === undefined) return undefined;
    return [...cluster.affiliates.values()].map(record).sort(byId);
  }

  /** Looks up or creates the cluster, registers the watcher and takes the snapshot in one step (§3.4). */
  subscribe(clusterId: string, watcher: ClusterWatcher): Subscription {
    const cluster = this.#clusters.get(clusterId) ?? this.#createCluster(clusterId);
    cluster.watchers.add(watcher);
    const snapshot = [...cluster.affiliates.values()].map(view).sort(byId);
    return {
      snapshot,
      lookup: (id) => {
        const a = cluster.affiliates.get(id);
        return a === undefined ? undefined : view(a);
      },
      unsubscribe: () => {
        cluster.watchers.delete(watcher);
      },
    };
  }

  /** One GC pass over every cluster (spec §3.5, with R1 and R2). */
  gc(): GcResult {
    const now = this.#now();
    const result: GcResult = { affiliates: 0, clusters: 0 };
    for (const [clusterId, cluster] of this.#clusters) {
      for (const [id, a] of cluster.affiliates) {
        const before = a.endpoints.length;
        if (a.endpoints.some((e) => e.expiry <= now)) a.endpoints = a.endpoints.filter((e) => e.expiry > now);
        if (a.touchExpiry <= now && a.endpoints.length === 0) {
          cluster.affiliates.delete(id);
          result.affiliates++;
          this.#broadcast(cluster, id, 'delete');
        } else if (a.endpoints.length !== before) {
          // R1: the affiliate lives on; peers get its remaining endpoints, not a delete.
          this.#broadcast(cluster, id, 'update');
        }
      }
      if (cluster.affiliates.size === 0 && cluster.watchers.size === 0) {
        this.#clusters.delete(clusterId);
        result.clusters++;
      }
    }
    return result;
  }

  stats(): StoreStats {
    const s: StoreStats = { clusters: this.#clusters.size, affiliates: 0, endpoints: 0, subscriptions: 0 };
    for (const cluster of this.#clusters.values()) {
      s.affiliates += cluster.affiliates.size;
      s.subscriptions += cluster.watchers.size;
      for (const a of cluster.affiliates.values()) s.endpoints += a.endpoints.length;
    }
    return s;
  }

  /** IDs of the clusters that exist now; a snapshot copies them one at a time with `inspect`. */
  clusterIds(): string[] {
    return [...this.#clusters.keys()];
  }

  /**
   * Puts back an affiliate read from a snapshot, bypassing broadcast (nobody watches yet at load).
   * Returns false (and stores nothing) when it would break a §2 limit.
   */
  restore(clusterId: string, a: AffiliateRecord): boolean {
    const existing = this.#clusters.get(clusterId);
    if ((existing?.affiliates.size ?? 0) >= MAX_AFFILIATES_PER_CLUSTER || a.endpoints.length > MAX_ENDPOINTS_PER_AFFILIATE) {
      return false;
    }
    // A file may repeat a blob; the store holds each blob once (merges rely on it), the longest expiry kept.
    const endpoints = new Map<string, StoredEndpoint>();
    a.endpoints.forEach((blob, i) => {
      const expiry = a.endpointExpiries[i] ?? a.touchExpiry;
      const k = blobKey(blob);
      const e = endpoints.get(k);
      if (e === undefined) endpoints.set(k, { blob: Buffer.from(blob), expiry });
      else e.expiry = Math.max(e.expiry, expiry);
    });
    const cluster = existing ?? this.#createCluster(clusterId);
    cluster.affiliates.set(a.id, { id: a.id, data: Buffer.from(a.data), touchExpiry: a.touchExpiry, endpoints: [...endpoints.values()] });
    return true;
  }

  #createCluster(clusterId: string): Cluster {
    const cluster: Cluster = { affiliates: new Map(), watchers: new Set() };
    this.#clusters.set(clusterId, cluster);
    return cluster;
  }

  #broadcast(cluster: Cluster, affiliateId: string, notice: WatchNotice): void {
    for (const w of cluster.watchers) w.notify(affiliateId, notice);
  }
}
