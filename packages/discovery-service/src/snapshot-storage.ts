import { Snapshot, type SnapshotCluster } from '@cosi-ts/discovery-api';
import { open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import type { ClusterStore } from './cluster-store.ts';
import { MAX_AFFILIATE_DATA_BYTES, MAX_AFFILIATE_ID_BYTES, MAX_CLUSTER_ID_BYTES, MAX_ENDPOINT_BYTES, MAX_TTL_NANOS } from './limits.ts';
import { SnapshotError, isSnapshotError } from './snapshot-error.ts';
import { openSnapshot, sealSnapshot } from './snapshot-file-format.ts';
import type { ServiceMetrics, StorageOperationFigures } from './service-metrics.ts';

export interface SnapshotStorageOptions {
  readonly path: string;
  readonly key: Buffer;
  readonly logger: Logger;
  readonly metrics: ServiceMetrics;
  readonly now?: () => number;
}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Encrypted, checksummed snapshots of a ClusterStore (spec R4). Saves are atomic (tmp, fsync,
 * rename, fsync dir) and keep the previous good file as `<path>.prev`; loads fall back to it and put
 * bad files aside as `<path>.corrupt-<unix seconds>` so no later save overwrites the last good one.
 */
export class SnapshotStorage {
  readonly #o: SnapshotStorageOptions;
  readonly #now: () => number;
  #saving: Promise<unknown> = Promise.resolve();

  constructor(options: SnapshotStorageOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  get path(): string {
    return this.#o.path;
  }

  /** Saves now; concurrent calls run one after the other. Rejects (and leaves earlier files) on failure. */
  save(store: ClusterStore): Promise<StorageOperationFigures> {
    const run = this.#saving.then(() => this.#save(store));
    this.#saving = run.catch(() => undefined);
    return run;
  }

  async #save(store: ClusterStore): Promise<StorageOperationFigures> {
    const started = performance.now();
    try {
      const figures = { clusters: 0, affiliates: 0, endpoints: 0 };
      const clusters: SnapshotCluster[] = [];
      for (const id of store.clusterIds()) {
        // One cluster at a time, copied atomically; other calls run between clusters.
        const records = store.inspect(id);
        const now = this.#now();
        if (records !== undefined) {
          const affiliates = [];
          for (const a of records) {
            const endpoints = a.endpoints
              .map((blob, i) => ({ blob, ttlMs: BigInt(Math.ceil((a.endpointExpiries[i] ?? 0) - now)) }))
              .filter((e) => e.ttlMs > 0n);
            const touchTtl = Math.ceil(a.touchExpiry - now);
            if (touchTtl <= 0 && endpoints.length === 0) continue;
            affiliates.push({ id: a.id, data: a.data, ttlMs: BigInt(Math.max(0, touchTtl)), endpoints });
            figures.affiliates++;
            figures.endpoints += endpoints.length;
          }
          if (affiliates.length > 0) {
            clusters.push({ id, affiliates });
            figures.clusters++;
          }
        }
        await nextTurn();
      }
      const plaintext = Snapshot.encode({ takenAtUnixMs: BigInt(this.#now()), clusters }).finish();
      const sealed = sealSnapshot(plaintext, this.#o.key);
      await this.#writeAtomically(sealed);
      const result = { ...figures, sizeBytes: sealed.length, durationSeconds: (performance.now() - started) / 1000 };
      this.#o.metrics.storage('save', result);
      return result;
    } catch (e) {
      this.#o.metrics.storage('save', e as Error);
      throw e;
    }
  }

  async #writeAtomically(bytes: Buffer): Promise<void> {
    const path = this.#o.path;
    const tmp = `${path}.tmp`;
    const handle = await open(tmp, 'w', 0o600);
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await rename(path, `${path}.prev`);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    await rename(tmp, path);
    await fsyncDir(dirname(path));
  }

  /**
   * Loads `<path>`, else `<path>.prev`, into the (empty) store. Returns undefined when nothing was
   * loadable: the service starts empty and clients republish after reconnecting.
   */
  async load(store: ClusterStore): Promise<(StorageOperationFigures & { file: string }) | undefined> {
    for (const file of [this.#o.path, `${this.#o.path}.prev`]) {
      const started = performance.now();
      let bytes: Buffer;
      try {
        bytes = await readFile(file);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
        this.#o.logger.error({ file, err: e }, 'snapshot cannot be read');
        this.#o.metrics.storage('load', e as Error);
        continue;
      }
      let snapshot: Snapshot;
      try {
        const plaintext = openSnapshot(bytes, this.#o.key, file);
        try {
          snapshot = Snapshot.decode(plaintext);
        } catch (e) {
          throw new SnapshotError('invalid-content', file, (e as Error).message);
        }
      } catch (e) {
        const err = isSnapshotError(e) ? e : new SnapshotError('invalid-content', file, String(e));
        const aside = `${file}.corrupt-${Math.floor(Date.now() / 1000)}`;
        this.#o.logger.error({ file, cause: err.message, movedTo: aside }, 'snapshot not loaded');
        this.#o.metrics.storage('load', err);
        await rename(file, aside).catch((renameErr: unknown) => this.#o.logger.error({ file, err: renameErr }, 'cannot move the bad snapshot aside'));
        continue;
      }
      const figures = this.#restore(store, snapshot);
      const result = { ...figures, file, sizeBytes: bytes.length, durationSeconds: (performance.now() - started) / 1000 };
      this.#o.metrics.storage('load', result);
      this.#o.logger.info({ file, clusters: figures.clusters, affiliates: figures.affiliates, endpoints: figures.endpoints }, 'snapshot loaded');
      return result;
    }
    return undefined;
  }

  #restore(store: ClusterStore, snapshot: Snapshot): { clusters: number; affiliates: number; endpoints: number } {
    const now = this.#now();
    const figures = { clusters: 0, affiliates: 0, endpoints: 0 };
    let dropped = 0;
    const maxTtl = MAX_TTL_NANOS / 1_000_000n;
    for (const c of snapshot.clusters) {
      if (c.id.length === 0 || Buffer.byteLength(c.id) > MAX_CLUSTER_ID_BYTES) {
        dropped += c.affiliates.length;
        continue;
      }
      let kept = 0;
      for (const a of c.affiliates) {
        // Expired endpoints are simply gone; anything over a §2 limit drops the whole entry (R4.5).
        const endpoints = a.endpoints.filter((e) => e.ttlMs > 0n);
        const ok =
          a.id.length > 0 &&
          Buffer.byteLength(a.id) <= MAX_AFFILIATE_ID_BYTES &&
          a.data.length <= MAX_AFFILIATE_DATA_BYTES &&
          a.ttlMs <= maxTtl &&
          endpoints.every((e) => e.blob.length <= MAX_ENDPOINT_BYTES && e.ttlMs <= maxTtl) &&
          store.restore(c.id, {
            id: a.id,
            data: a.data,
            touchExpiry: a.ttlMs > 0n ? now + Number(a.ttlMs) : now,
            endpoints: endpoints.map((e) => e.blob),
            endpointExpiries: endpoints.map((e) => now + Number(e.ttlMs)),
          });
        if (!ok) {
          dropped++;
          continue;
        }
        kept++;
        figures.affiliates++;
        figures.endpoints += endpoints.length;
      }
      if (kept > 0) figures.clusters++;
    }
    if (dropped > 0) this.#o.logger.warn({ dropped }, 'snapshot entries over the protocol limits were dropped');
    return figures;
  }
}
