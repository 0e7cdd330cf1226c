import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { STORE_ID_BYTES } from '@cosi-ts/state';
import { SqliteStateError } from './errors.ts';

/** Bumped when the tables change incompatibly; a file of another version is refused. */
export const SCHEMA_VERSION = 1;

export type Synchronous = 'full' | 'normal';

export interface OpenedDatabase {
  readonly db: Database.Database;
  readonly storeId: Uint8Array;
}

const tables = `
  CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
  -- each kind gets a small number on its first write: the keys of the other tables stay short
  -- floor: every event of the kind with seq > floor is still in the log (per-kind trim)
  CREATE TABLE IF NOT EXISTS kinds (
    kind INTEGER PRIMARY KEY, namespace TEXT NOT NULL, type TEXT NOT NULL, floor INTEGER NOT NULL DEFAULT 0,
    UNIQUE (namespace, type)
  );
  CREATE TABLE IF NOT EXISTS resources (
    kind INTEGER NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (kind, id)
  ) WITHOUT ROWID;
  -- seq is the bookmark position: global, increasing, never reused (meta 'floor' remembers compactions)
  CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY, kind INTEGER NOT NULL, id TEXT NOT NULL,
    op INTEGER NOT NULL, body TEXT NOT NULL, old TEXT, at INTEGER NOT NULL
  );
  CREATE INDEX IF NOT EXISTS events_by_kind ON events (kind, seq);
`;

function isBusy(e: unknown): boolean {
  const code = (e as { code?: unknown }).code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED';
}

/**
 * Opens (creating if needed) the database file: WAL journal, exclusive locking (one process per
 * file: a second opener is refused with `SqliteStateLocked`), the tables, and the store id made
 * with the database (bookmarks carry it, so they stay valid across restarts of this file only).
 */
export function openDatabase(path: string, synchronous: Synchronous): OpenedDatabase {
  let db: Database.Database;
  try {
    // timeout 0: a file held by another process is refused at once instead of waiting for it.
    db = new Database(path, { timeout: 0 });
  } catch (e) {
    throw new SqliteStateError('SqliteStateForeignFile', path, `SqliteState: cannot open ${path}: ${(e as Error).message}`, { cause: e });
  }
  try {
    // EXCLUSIVE before the first WAL access: the WAL index lives in this process (no -shm file), and
    // the write below takes the file lock for as long as this connection lives.
    db.pragma('locking_mode = EXCLUSIVE');
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    db.exec(tables);
    const storeId = db.transaction(() => {
      const version = db.prepare<[string], { value: Buffer }>('SELECT value FROM meta WHERE key = ?').get('schema');
      if (version === undefined) {
        db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('schema', Buffer.from(String(SCHEMA_VERSION)));
        const id = randomBytes(STORE_ID_BYTES);
        db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('store', id);
        db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('floor', Buffer.from('0'));
      } else if (version.value.toString() !== String(SCHEMA_VERSION)) {
        throw new SqliteStateError(
          'SqliteStateForeignFile',
          path,
          `SqliteState: ${path} has schema version ${version.value.toString()}, this build reads ${SCHEMA_VERSION}`,
        );
      }
      const row = db.prepare<[string], { value: Buffer }>('SELECT value FROM meta WHERE key = ?').get('store');
      if (row?.value.length !== STORE_ID_BYTES) {
        throw new SqliteStateError('SqliteStateForeignFile', path, `SqliteState: ${path} has no valid store id`);
      }
      return new Uint8Array(row.value);
    }).immediate();
    return { db, storeId };
  } catch (e) {
    db.close();
    if (e instanceof SqliteStateError) throw e;
    if (isBusy(e)) {
      throw new SqliteStateError(
        'SqliteStateLocked',
        path,
        `SqliteState: ${path} is open in another process (the file is locked); one process owns a state file at a time`,
        { cause: e },
      );
    }
    throw new SqliteStateError('SqliteStateForeignFile', path, `SqliteState: ${path} is not a usable state database: ${(e as Error).message}`, {
      cause: e,
    });
  }
}
