import { Snapshot, type SnapshotCluster } from '@cosi-ts/discovery-api';
import { open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import type { ClusterStore } from './cluster-store.ts';
import { MAX_AFFILIATE_DATA_BYTES, MAX_AFFILIATE_ID_BYTES, MAX_CLUSTER_ID_BYTES, MAX_ENDPOINT_BYTES, MAX_TTL_NANOS } from './limits.ts';
import { SnapshotError, SnapshotKeyError, isSnapshotError } from './snapshot-error.ts';
import { openSnapshot, sealSnapshot } from './snapshot-file-format.ts';
import type { ServiceMetrics, StorageOperationFigures } from './service-metrics.ts';

export interface SnapshotStorageOptions {
  readonly path: string;
  readonly key: Buffer;
  /** Where the key came from, named in errors. */
  readonly keyFile: string;
  /**
   * A snapshot that is whole (its checksum matches) but that the key does not decrypt is renamed
   * `<file>.undecryptable-<unix seconds>` and loading goes on; without this, load() rejects.
   */
  readonly discardUndecryptable?: boolean;
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

function kindOf(st: { isDirectory(): boolean; isFIFO(): boolean; isSocket(): boolean }): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a named pipe';
  if (st.isSocket()) return 'a socket';
  return 'a device';
}

/** The snapshot files at `path`: the snapshot itself, its previous version and the temp file of a save. */
export function snapshotFiles(path: string): { readonly current: string; readonly prev: string; readonly tmp: string } {
  return { current: path, prev: `${path}.prev`, tmp: `${path}.tmp` };
}

/**
 * Which of `<path>` and `<path>.prev` exist. Throws SnapshotError `not-a-file` if any of them or
 * `<path>.tmp` is (or links to) something other than a regular file: saving would fail at every
 * interval (after writing the whole temp file), and rotating it could lose the last good snapshot.
 */
export async function existingSnapshots(path: string): Promise<string[]> {
  const { current, prev, tmp } = snapshotFiles(path);
  const found: string[] = [];
  for (const file of [current, prev, tmp]) {
    let st;
    try {
      st = await stat(file); // a symbolic link to a file is fine: saves replace the link
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw new SnapshotError('unreadable', file, (e as Error).message);
    }
    if (!st.isFile()) throw new SnapshotError('not-a-file', file, `it is ${kindOf(st)}; move it away or choose another snapshot path`);
    if (file !== tmp) found.push(file);
  }
  return found;
}

/**
 * Encrypted, checksummed snapshots of a ClusterStore (spec R4). Saves are atomic (tmp, fsync,
 * rename, fsync dir) and keep the previous good file as `<path>.prev`; loads fall back to it and put
 * bad files aside as `<path>.corrupt-<unix seconds>` so no later save overwrites the last good one.
 * A whole snapshot that the key does not decrypt is a key problem, not corruption: load() refuses
 * it and leaves it in place (unless `discardUndecryptable`).
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
    const { prev, tmp } = snapshotFiles(path);
    // A directory (say) in the way would make the renames fail after the whole file is written.
    await existingSnapshots(path);
    const handle = await open(tmp, 'w', 0o600);
    let renamed = false;
    try {
      try {
        await handle.writeFile(bytes);
        await handle.sync();
      } finally {
        await handle.close();
      }
      try {
        await rename(path, prev);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
      await rename(tmp, path);
      renamed = true;
    } finally {
      // A failed save leaves no temp file behind (it can be as large as the registry).
      if (!renamed) await unlink(tmp).catch(() => undefined);
    }
    await fsyncDir(dirname(path));
  }

  /**
   * Loads `<path>`, else `<path>.prev`, into the (empty) store. Returns undefined when nothing was
   * loadable: the service starts empty and clients republish after reconnecting.
   *
   * A corrupt or foreign file is put aside as `<file>.corrupt-<unix seconds>` and the next one is
   * tried. Rejects, leaving every file in place, with SnapshotError `unreadable` when a file exists
   * but cannot be read, and with SnapshotKeyError `snapshot-key-wrong` when a file's checksum
   * matches but the key does not decrypt it: the SHA-256 over the whole file rules out a damaged
   * file, so the key is not the one it was saved with (with `discardUndecryptable` the file is
   * renamed `<file>.undecryptable-<unix seconds>` instead, and loading goes on).
   */
  async load(store: ClusterStore): Promise<(StorageOperationFigures & { file: string }) | undefined> {
    const { current, prev } = snapshotFiles(this.#o.path);
    for (const file of [current, prev]) {
      const started = performance.now();
      let bytes: Buffer;
      try {
        bytes = await readFile(file);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
        const err = new SnapshotError('unreadable', file, (e as Error).message);
        this.#o.metrics.storage('load', err);
        throw err;
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
        this.#o.metrics.storage('load', err);
        if (err.code === 'decryption-failed') {
          if (this.#o.discardUndecryptable !== true) throw this.#wrongKey(file);
          const aside = `${file}.undecryptable-${Math.floor(Date.now() / 1000)}`;
          await rename(file, aside);
          this.#o.logger.error({ file, keyFile: this.#o.keyFile, movedTo: aside }, 'snapshot set aside: the key cannot decrypt it');
          continue;
        }
        const aside = `${file}.corrupt-${Math.floor(Date.now() / 1000)}`;
        this.#o.logger.error({ file, cause: err.message, movedTo: aside }, 'snapshot not loaded');
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

  #wrongKey(file: string): SnapshotKeyError {
    return new SnapshotKeyError(
      this.#o.keyFile,
      `does not decrypt snapshot ${file}, which is whole (its checksum matches), so it was saved with another key. ` +
        'Nothing was changed. Put the key it was saved with back in place (or name it with --snapshot-key-file) and start again; ' +
        'or, to give up that state, start once with --snapshot-discard-undecryptable: the snapshot is renamed <file>.undecryptable-<unix seconds> and the service starts without it',
      'snapshot-key-wrong',
      file,
    );
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
