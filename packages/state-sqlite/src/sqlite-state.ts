import type Database from 'better-sqlite3';
import { Observable } from 'rxjs';
import type { Subscriber } from 'rxjs';
import { decodeResource, formatPointer, kindOf, pointerOf, resourceToPlain, tombstone } from '@cosi-ts/resource';
import type { Kind, Pointer, Recipe, Resource, Tombstone } from '@cosi-ts/resource';
import {
  ConflictError,
  InvalidBookmarkError,
  NotFoundError,
  OverrunError,
  OwnerConflictError,
  PhaseConflictError,
  bookmarkAt,
  bookmarkHeader,
  checkKind,
  checkPointer,
  checkResource,
  checkWatchOptions,
  compileFilter,
  expectedPhaseOption,
  filterEvent,
  freezeResource,
  kindKeyOf,
  ownerOption,
  positionIn,
  resyncDiff,
  storedFinalizers,
  storedLabels,
  storedSpec,
  wrapCore,
} from '@cosi-ts/state';
import type {
  Bookmark,
  CoreState,
  FinalizerArgs,
  ListOptions,
  OwnerOptions,
  ResourceMatcher,
  SignalOptions,
  State,
  StateEvent,
  UpdateOptions,
  WatchForOptions,
  WatchKindOptions,
  WatchOptions,
} from '@cosi-ts/state';
import { SqliteStateError } from './errors.ts';
import { LogWatcher } from './log-watcher.ts';
import type { AnyEvent } from './log-watcher.ts';
import { openDatabase } from './schema.ts';
import type { Synchronous } from './schema.ts';
import { opCodes, opTypes } from './stored-event.ts';
import type { LoggedEvent, WriteType } from './stored-event.ts';

export interface SqliteHistoryOptions {
  /** Compaction keeps at least this many of the newest events (all kinds together). Default 1000. */
  readonly keepEvents?: number;
  /** Compaction keeps every event younger than this. Default one hour. */
  readonly keepAgeMs?: number;
  /** How often compaction runs; 0 turns the timer off (call `compact()` yourself). Default 30 minutes. */
  readonly compactIntervalMs?: number;
  /**
   * Also trim each kind's log to its newest n events on every write (n ≥ 2). Off by default; tests use
   * it to make overrun reachable.
   */
  readonly maxEventsPerKind?: number;
}

export interface SqliteStateOptions {
  /** The database file (created if missing); `-wal` beside it while open. */
  readonly path: string;
  readonly history?: SqliteHistoryOptions;
  /**
   * `full` (default): a resolved write is on disk, even across power loss. `normal`: a resolved write
   * survives a process crash (kill -9) but the last ones may be lost on power loss; faster.
   */
  readonly synchronous?: Synchronous;
  /** The clock for `created`/`updated` and for the age of log entries. Default `() => new Date()`. */
  readonly now?: () => Date;
}

export interface CompactOptions {
  readonly keepEvents?: number;
  readonly keepAgeMs?: number;
}

export interface CompactResult {
  /** Log entries removed. */
  readonly removed: number;
  /** Every event after this position is still in the log. */
  readonly floor: number;
}

const resolved = Promise.resolve();
/** Events kept in memory between two deliveries of a kind; beyond, watchers read them back from the log. */
const RECENT_LIMIT = 4096;
/** Log rows read per query when a watcher catches up. */
const PAGE = 512;

interface Statements {
  readonly findKind: Database.Statement<[string, string], { kind: number; floor: number }>;
  readonly addKind: Database.Statement<[string, string]>;
  readonly kindRows: Database.Statement<[number], { body: string }>;
  readonly insert: Database.Statement<[number, string, string]>;
  readonly replace: Database.Statement<[string, number, string]>;
  readonly remove: Database.Statement<[number, string]>;
  readonly append: Database.Statement<[number, number, string, number, string, string | null, number]>;
  readonly page: Database.Statement<[number, number, number, number], { seq: number; id: string; op: number; body: string; old: string | null }>;
  readonly nthNewest: Database.Statement<[number, number, number], { seq: number }>;
  readonly nthNewestOfId: Database.Statement<[number, string, number, number], { seq: number }>;
  readonly setKindFloor: Database.Statement<[number, number]>;
  readonly trimKind: Database.Statement<[number, number]>;
  readonly head: Database.Statement<[], { seq: number | null }>;
  readonly globalFloor: Database.Statement<[], { value: Buffer }>;
  readonly setGlobalFloor: Database.Statement<[Buffer]>;
  readonly newestOlderThan: Database.Statement<[number, number], { seq: number | null }>;
  readonly compact: Database.Statement<[number]>;
}

/** Everything kept in memory for one kind: its resources (the file is ours alone) and its watchers. */
interface KindEntry {
  readonly kind: Kind;
  /** Its number in the file; -1 until its first write. */
  kindId: number;
  readonly items: Map<string, Resource>;
  sortedIds: string[] | undefined;
  readonly header: Uint8Array;
  readonly tombstone: Tombstone;
  /** Per-kind trim floor (maxEventsPerKind). */
  floor: number;
  watchers: readonly LogWatcher[];
  /** Events of this kind after `memFrom`, not yet delivered. */
  recent: LoggedEvent[];
  /** Every event of the kind after this position is in `recent`. */
  memFrom: number;
  scheduled: boolean;
  readonly drain: () => void;
}

/** One write's rows, for the prepared transaction. */
interface PendingWrite {
  readonly type: WriteType;
  /** The kind's number, or -1 before its first write. */
  readonly kind: number;
  readonly namespace: string;
  readonly rtype: string;
  readonly id: string;
  readonly seq: number;
  readonly body: string;
  readonly oldBody: string | null;
  readonly at: number;
  readonly max: number | undefined;
}

interface WatchSpec {
  readonly id: string | undefined;
  readonly match: ResourceMatcher | undefined;
  readonly opts: WatchKindOptions;
}

function positiveInteger(name: string, v: unknown, min: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
    throw new TypeError(`SqliteState: ${name} must be an integer >= ${min}, got ${String(v)}`);
  }
  return v;
}

const encode = (r: Resource): string => JSON.stringify(resourceToPlain(r));
const decode = (text: string): Resource => decodeResource(text, 'json');

/**
 * The SQLite backend: resources and an event log in one WAL database. Writes commit synchronously
 * inside the call (one transaction: resource row + log entry), then update the in-memory copy of the
 * kind; watchers are fed in a microtask from the events just written, or from the log when they are
 * behind (resumed from a bookmark, also one taken before a restart).
 */
export class SqliteState implements State {
  readonly path: string;
  readonly #db: Database.Database;
  readonly #stmt: Statements;
  readonly #header: (kind: Kind) => Uint8Array;
  readonly #now: (() => Date) | undefined;
  readonly #keepEvents: number;
  readonly #keepAgeMs: number;
  readonly #maxPerKind: number | undefined;
  readonly #kinds = new Map<string, KindEntry>();
  readonly #derived: State;
  readonly #timer: NodeJS.Timeout | undefined;
  readonly #write: (w: PendingWrite) => { kind: number; cut: number | undefined };
  /** The JSON of stored resources written by this instance (it is the next write's `old`). */
  readonly #bodies = new WeakMap<Resource, string>();
  #head: number;
  #globalFloor: number;
  #closed = false;
  #lastMs = Number.NaN;
  #lastDate = new Date(0);

  constructor(opts: SqliteStateOptions) {
    if (typeof opts !== 'object' || opts === null || typeof opts.path !== 'string' || opts.path === '') {
      throw new TypeError('SqliteState: option path must be a non-empty string (the database file)');
    }
    const h = opts.history ?? {};
    this.#keepEvents = positiveInteger('history.keepEvents', h.keepEvents ?? 1000, 0);
    this.#keepAgeMs = positiveInteger('history.keepAgeMs', h.keepAgeMs ?? 3_600_000, 0);
    const interval = positiveInteger('history.compactIntervalMs', h.compactIntervalMs ?? 1_800_000, 0);
    this.#maxPerKind = h.maxEventsPerKind === undefined ? undefined : positiveInteger('history.maxEventsPerKind', h.maxEventsPerKind, 2);
    if (opts.synchronous !== undefined && opts.synchronous !== 'full' && opts.synchronous !== 'normal') {
      throw new TypeError(`SqliteState: option synchronous must be 'full' or 'normal', got ${String(opts.synchronous)}`);
    }
    if (opts.now !== undefined && typeof opts.now !== 'function') throw new TypeError('SqliteState: now must be a function returning a Date');
    this.#now = opts.now;
    this.path = opts.path;
    const { db, storeId } = openDatabase(opts.path, opts.synchronous ?? 'full');
    this.#db = db;
    this.#header = (kind) => bookmarkHeader(storeId, kindKeyOf(kind));
    this.#stmt = {
      findKind: db.prepare('SELECT kind, floor FROM kinds WHERE namespace = ? AND type = ?'),
      addKind: db.prepare('INSERT INTO kinds (namespace, type) VALUES (?, ?)'),
      kindRows: db.prepare('SELECT body FROM resources WHERE kind = ?'),
      insert: db.prepare('INSERT INTO resources (kind, id, body) VALUES (?, ?, ?)'),
      replace: db.prepare('UPDATE resources SET body = ? WHERE kind = ? AND id = ?'),
      remove: db.prepare('DELETE FROM resources WHERE kind = ? AND id = ?'),
      append: db.prepare('INSERT INTO events (seq, kind, id, op, body, old, at) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      page: db.prepare('SELECT seq, id, op, body, old FROM events WHERE kind = ? AND seq > ? AND seq <= ? ORDER BY seq LIMIT ?'),
      nthNewest: db.prepare('SELECT seq FROM events WHERE kind = ? AND seq <= ? ORDER BY seq DESC LIMIT 1 OFFSET ?'),
      // single tails scan the kind's events newest first; tails are rare and bounded by the log
      nthNewestOfId: db.prepare('SELECT seq FROM events WHERE kind = ? AND id = ? AND seq <= ? ORDER BY seq DESC LIMIT 1 OFFSET ?'),
      setKindFloor: db.prepare('UPDATE kinds SET floor = ? WHERE kind = ?'),
      trimKind: db.prepare('DELETE FROM events WHERE kind = ? AND seq <= ?'),
      head: db.prepare('SELECT max(seq) AS seq FROM events'),
      globalFloor: db.prepare("SELECT value FROM meta WHERE key = 'floor'"),
      setGlobalFloor: db.prepare("UPDATE meta SET value = ? WHERE key = 'floor'"),
      newestOlderThan: db.prepare('SELECT max(seq) AS seq FROM events WHERE seq <= ? AND at < ?'),
      compact: db.prepare('DELETE FROM events WHERE seq <= ?'),
    };
    const stmt = this.#stmt;
    this.#write = db.transaction((w: PendingWrite): { kind: number; cut: number | undefined } => {
      // A kind's first write gives it its number (kept only if the transaction commits).
      const kind = w.kind >= 0 ? w.kind : Number(stmt.addKind.run(w.namespace, w.rtype).lastInsertRowid);
      if (w.type === 'created') stmt.insert.run(kind, w.id, w.body);
      else if (w.type === 'updated') stmt.replace.run(w.body, kind, w.id);
      else stmt.remove.run(kind, w.id);
      stmt.append.run(w.seq, kind, w.id, opCodes[w.type], w.body, w.oldBody, w.at);
      if (w.max === undefined) return { kind, cut: undefined };
      const cut = stmt.nthNewest.get(kind, w.seq, w.max)?.seq;
      if (cut === undefined) return { kind, cut };
      stmt.trimKind.run(kind, cut);
      stmt.setKindFloor.run(cut, kind);
      return { kind, cut };
    });
    this.#globalFloor = Number(this.#stmt.globalFloor.get()?.value.toString() ?? '0');
    this.#head = Math.max(this.#stmt.head.get()?.seq ?? 0, this.#globalFloor);
    const core: CoreState = {
      get: (ptr, o) => this.get(ptr, o),
      list: (kind, o) => this.list(kind, o),
      create: (res, o) => this.create(res, o),
      update: (res, o) => this.update(res, o),
      destroy: (ptr, o) => this.destroy(ptr, o),
      watch: (ptr, o) => this.watch(ptr, o),
      watchKind: (kind, o) => this.watchKind(kind, o),
      watchKindAggregated: (kind, o) => this.watchKindAggregated(kind, o),
    };
    this.#derived = wrapCore(core);
    if (interval > 0) {
      this.#timer = setInterval(() => {
        if (!this.#closed) this.compact();
      }, interval);
      this.#timer.unref();
    }
  }

  /** Every event after this position is still in the log (raised by compaction). */
  get floor(): number {
    return this.#globalFloor;
  }

  /** The newest log position (0 for a new file). */
  get head(): number {
    return this.#head;
  }

  /**
   * Removes old log entries, keeping at least `keepEvents` of the newest and every entry younger than
   * `keepAgeMs` (defaults: the constructor's). Watchers that still needed a removed entry overrun;
   * bookmarks before the new floor become invalid.
   */
  compact(opts: CompactOptions = {}): CompactResult {
    this.#open('compact');
    const keepEvents = positiveInteger('compact keepEvents', opts.keepEvents ?? this.#keepEvents, 0);
    const keepAgeMs = positiveInteger('compact keepAgeMs', opts.keepAgeMs ?? this.#keepAgeMs, 0);
    const byCount = this.#head - keepEvents;
    if (byCount <= this.#globalFloor) return { removed: 0, floor: this.#globalFloor };
    const ageLimit = this.#clockMs() - keepAgeMs + (keepAgeMs === 0 ? 1 : 0);
    const upTo = this.#stmt.newestOlderThan.get(byCount, ageLimit)?.seq ?? null;
    // Entries are appended in time order, so the newest old-enough entry bounds what may go.
    if (upTo === null || upTo <= this.#globalFloor) return { removed: 0, floor: this.#globalFloor };
    const removed = this.#db
      .transaction(() => {
        const n = this.#stmt.compact.run(upTo).changes;
        this.#stmt.setGlobalFloor.run(Buffer.from(String(upTo)));
        return n;
      })
      .immediate();
    this.#globalFloor = upTo;
    for (const ke of this.#kinds.values()) if (ke.watchers.length > 0) this.#schedule(ke);
    return { removed, floor: upTo };
  }

  /** Stops compaction, ends every watch (complete) and closes the file; idempotent. */
  close(): Promise<void> {
    if (this.#closed) return resolved;
    this.#closed = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    for (const ke of this.#kinds.values()) {
      for (const w of ke.watchers) {
        w.close();
        w.subscriber.complete();
      }
    }
    this.#db.close();
    return resolved;
  }

  #open(op: string): void {
    if (this.#closed) throw new SqliteStateError('SqliteStateClosed', this.path, `SqliteState ${this.path}: ${op} after close()`);
  }

  #clockMs(): number {
    if (this.#now === undefined) return Date.now();
    const d: unknown = this.#now();
    const ms = d instanceof Date ? d.getTime() : Number.NaN;
    if (!Number.isFinite(ms)) throw new TypeError(`SqliteState: the injected clock returned ${String(d)}, not a valid Date`);
    return ms;
  }

  #clock(): Date {
    const ms = this.#clockMs();
    if (ms !== this.#lastMs) {
      this.#lastMs = ms;
      this.#lastDate = new Date(ms);
    }
    return this.#lastDate;
  }

  /** The kind's entry, loading its resources from the file on first use. */
  #entry(kind: Kind): KindEntry {
    const key = `${kind.namespace}\u0000${kind.type}`;
    let ke = this.#kinds.get(key);
    if (ke !== undefined) return ke;
    const known = this.#stmt.findKind.get(kind.namespace, kind.type);
    const items = new Map<string, Resource>();
    if (known !== undefined) {
      for (const row of this.#stmt.kindRows.iterate(known.kind)) {
        const r = decode(row.body);
        items.set(r.metadata.id, r);
      }
    }
    const k = { namespace: kind.namespace, type: kind.type };
    const entry: KindEntry = {
      kind: k,
      kindId: known?.kind ?? -1,
      items,
      sortedIds: undefined,
      header: this.#header(k),
      tombstone: tombstone(k),
      floor: known?.floor ?? 0,
      watchers: [],
      recent: [],
      memFrom: this.#head,
      scheduled: false,
      drain: () => this.#drain(entry),
    };
    ke = entry;
    this.#kinds.set(key, ke);
    return ke;
  }

  #floorOf(ke: KindEntry): number {
    return Math.max(ke.floor, this.#globalFloor);
  }

  #snapshot(ke: KindEntry, match: ResourceMatcher | undefined): Resource[] {
    const ids = (ke.sortedIds ??= [...ke.items.keys()].sort());
    const out: Resource[] = [];
    for (const id of ids) {
      const r = ke.items.get(id)!;
      if (match === undefined || match(r)) out.push(r);
    }
    return out;
  }

  // ---- core: reads -------------------------------------------------------------------------

  async get<S = unknown>(ptr: Pointer, opts?: SignalOptions): Promise<Resource<S>> {
    checkPointer('get', ptr);
    opts?.signal?.throwIfAborted();
    this.#open('get');
    const r = this.#entry(ptr).items.get(ptr.id);
    if (r === undefined) throw new NotFoundError(pointerOf(ptr));
    return r as Resource<S>;
  }

  async list<S = unknown>(kind: Kind, opts: ListOptions = {}): Promise<readonly Resource<S>[]> {
    checkKind('list', kind);
    opts.signal?.throwIfAborted();
    const match = compileFilter(opts, kind);
    this.#open('list');
    return this.#snapshot(this.#entry(kind), match) as Resource<S>[];
  }

  // ---- core: writes (committed inside the call; the first failing check decides) -----------

  async create<S>(resource: Resource<S>, opts?: OwnerOptions): Promise<Resource<S>> {
    checkResource('create', resource);
    opts?.signal?.throwIfAborted();
    const md = resource.metadata;
    const owner = ownerOption('create', md, opts?.owner);
    const finalizers = storedFinalizers('create', md, md.finalizers);
    const labels = storedLabels('create', md, 'labels', md.labels);
    const annotations = storedLabels('create', md, 'annotations', md.annotations);
    const spec = storedSpec(md, resource.spec);
    this.#open('create');
    if (md.phase !== 'running') {
      throw new PhaseConflictError(pointerOf(md), 'running', md.phase, `resource ${formatPointer(md)} must be created running, not ${md.phase}`);
    }
    if (md.owner !== '' && md.owner !== owner) throw new OwnerConflictError(pointerOf(md), owner, md.owner);
    const ke = this.#entry(md);
    if (ke.items.has(md.id)) throw new ConflictError(pointerOf(md), 'exists');
    const now = this.#clock();
    const stored = freezeResource(
      { namespace: md.namespace, type: md.type, id: md.id, version: 1, owner, phase: 'running', finalizers, labels, annotations, created: now, updated: now },
      spec,
    );
    this.#commit(ke, 'created', stored, undefined);
    const ids = ke.sortedIds;
    if (ids !== undefined) {
      const last = ids[ids.length - 1];
      if (last === undefined || last < md.id) ids.push(md.id);
      else ke.sortedIds = undefined;
    }
    return stored;
  }

  async update<S>(resource: Resource<S>, opts?: UpdateOptions): Promise<Resource<S>> {
    checkResource('update', resource);
    opts?.signal?.throwIfAborted();
    const md = resource.metadata;
    const owner = ownerOption('update', md, opts?.owner);
    const expected = expectedPhaseOption('update', md, opts?.expectedPhase);
    const finalizers = storedFinalizers('update', md, md.finalizers);
    const labels = storedLabels('update', md, 'labels', md.labels);
    const annotations = storedLabels('update', md, 'annotations', md.annotations);
    this.#open('update');
    const ke = this.#entry(md);
    const cur = ke.items.get(md.id);
    const spec = cur !== undefined && resource.spec === cur.spec ? resource.spec : storedSpec(md, resource.spec);
    if (cur === undefined) throw new NotFoundError(pointerOf(md));
    const c = cur.metadata;
    if (c.owner !== owner) throw new OwnerConflictError(pointerOf(md), owner, c.owner);
    if (md.version !== c.version) {
      throw new ConflictError(pointerOf(md), 'version', undefined, { expectedVersion: md.version, actualVersion: c.version });
    }
    if (expected !== 'any' && c.phase !== expected) throw new PhaseConflictError(pointerOf(md), expected, c.phase);
    if (c.phase === 'tearingDown' && md.phase !== 'tearingDown') {
      throw new PhaseConflictError(pointerOf(md), 'tearingDown', md.phase, `resource ${formatPointer(md)} is tearing down: it cannot go back to ${md.phase}`);
    }
    const stored = freezeResource(
      {
        namespace: c.namespace,
        type: c.type,
        id: c.id,
        version: c.version + 1,
        owner: c.owner,
        phase: md.phase,
        finalizers,
        labels,
        annotations,
        created: c.created,
        updated: this.#clock(),
      },
      spec,
    );
    this.#commit(ke, 'updated', stored, cur);
    return stored;
  }

  async destroy(ptr: Pointer, opts?: OwnerOptions): Promise<void> {
    checkPointer('destroy', ptr);
    opts?.signal?.throwIfAborted();
    const owner = ownerOption('destroy', ptr, opts?.owner);
    this.#open('destroy');
    const ke = this.#entry(ptr);
    const cur = ke.items.get(ptr.id);
    if (cur === undefined) throw new NotFoundError(pointerOf(ptr));
    if (cur.metadata.owner !== owner) throw new OwnerConflictError(pointerOf(ptr), owner, cur.metadata.owner);
    if (cur.metadata.finalizers.length > 0) throw new ConflictError(pointerOf(ptr), 'finalizers');
    this.#commit(ke, 'destroyed', cur, undefined);
    const ids = ke.sortedIds;
    if (ids !== undefined) {
      if (ids[ids.length - 1] === ptr.id) ids.pop();
      else ke.sortedIds = undefined;
    }
  }

  /** One transaction: resource row, log entry, per-kind trim. Memory changes only after the commit. */
  #commit(ke: KindEntry, type: WriteType, resource: Resource, old: Resource | undefined): void {
    const { namespace, type: rtype, id } = resource.metadata;
    const seq = this.#head + 1;
    // A destroyed resource and an update's old value were encoded when they were written.
    const body = this.#bodies.get(resource) ?? encode(resource);
    const oldBody = old === undefined ? null : (this.#bodies.get(old) ?? encode(old));
    const at = this.#clockMs();
    const max = this.#maxPerKind;
    // (one prepared transaction function, made once: making it per write costs a measurable share)
    const written = this.#write({ type, kind: ke.kindId, namespace, rtype, id, seq, body, oldBody, at, max });
    this.#head = seq;
    ke.kindId = written.kind;
    if (written.cut !== undefined) ke.floor = written.cut;
    if (type === 'destroyed') ke.items.delete(id);
    else {
      ke.items.set(id, resource);
      this.#bodies.set(resource, body);
    }
    if (ke.watchers.length === 0) {
      ke.memFrom = seq;
      return;
    }
    const bookmark = bookmarkAt(ke.header, seq);
    const event = Object.freeze(
      type === 'updated' ? { type, resource, old: old!, bookmark } : { type, resource, bookmark },
    ) as LoggedEvent['event'];
    if (ke.recent.length >= RECENT_LIMIT) {
      // A long synchronous burst: let the watchers read these back from the log instead.
      ke.recent = [];
      ke.memFrom = seq;
    } else {
      ke.recent.push({ seq, id, event });
    }
    this.#schedule(ke);
  }

  // ---- core: watches ---------------------------------------------------------------------------

  watch<S = unknown>(ptr: Pointer, opts: WatchOptions = {}): Observable<StateEvent<S>> {
    checkPointer('watch', ptr);
    checkWatchOptions(opts, true, ptr);
    const spec: WatchSpec = { id: ptr.id, match: undefined, opts };
    const kind = kindOf(ptr);
    return new Observable<StateEvent<S>>((subscriber) => this.#attach(kind, spec, subscriber as Subscriber<AnyEvent>, false));
  }

  watchKind<S = unknown>(kind: Kind, opts: WatchKindOptions = {}): Observable<StateEvent<S>> {
    checkKind('watchKind', kind);
    checkWatchOptions(opts, false, kind);
    const spec: WatchSpec = { id: undefined, match: compileFilter(opts, kind), opts };
    const k = kindOf(kind);
    return new Observable<StateEvent<S>>((subscriber) => this.#attach(k, spec, subscriber as Subscriber<AnyEvent>, false));
  }

  watchKindAggregated<S = unknown>(kind: Kind, opts: WatchKindOptions = {}): Observable<readonly StateEvent<S>[]> {
    checkKind('watchKindAggregated', kind);
    checkWatchOptions(opts, false, kind);
    const spec: WatchSpec = { id: undefined, match: compileFilter(opts, kind), opts };
    const k = kindOf(kind);
    return new Observable<readonly StateEvent<S>[]>((subscriber) =>
      this.#attach(k, spec, subscriber as Subscriber<readonly AnyEvent[]>, true),
    );
  }

  #attach(kind: Kind, spec: WatchSpec, subscriber: Subscriber<AnyEvent> | Subscriber<readonly AnyEvent[]>, aggregated: boolean): () => void {
    const { opts, id, match } = spec;
    const signal = opts.signal;
    if (signal?.aborted || this.#closed) {
      subscriber.complete();
      return () => {};
    }
    const ke = this.#entry(kind);
    const w = new LogWatcher(subscriber, aggregated, id, match);
    const head = this.#head;
    const floor = this.#floorOf(ke);
    if (opts.startFromBookmark !== undefined) {
      const pos = positionIn(opts.startFromBookmark, ke.header);
      if (pos < 0 || pos > head || pos < floor) {
        w.pending = [Object.freeze({ type: 'errored', error: new InvalidBookmarkError() })];
        w.endAfterPending = true;
      } else {
        w.cursor = pos;
      }
    } else if (opts.tailEvents !== undefined) {
      const n = opts.tailEvents;
      if (n === 0) w.cursor = head;
      else {
        const row =
          id === undefined
            ? this.#stmt.nthNewest.get(ke.kindId, head, n - 1)
            : this.#stmt.nthNewestOfId.get(ke.kindId, id, head, n - 1);
        // Fewer than n retained: all of them, from the floor on.
        w.cursor = row === undefined ? floor : Math.max(row.seq - 1, floor);
      }
    } else if (id !== undefined) {
      w.cursor = head;
      const cur = ke.items.get(id);
      const bookmark = bookmarkAt(ke.header, head);
      w.pending = [
        cur === undefined
          ? Object.freeze({ type: 'destroyed', resource: tombstone({ ...kind, id }) as unknown as Resource, bookmark })
          : Object.freeze({ type: 'created', resource: cur, bookmark }),
      ];
    } else if (opts.bootstrapContents === true) {
      w.cursor = head;
      w.view = new Map();
      const pending: AnyEvent[] = [];
      for (const r of this.#snapshot(ke, match)) {
        w.view.set(r.metadata.id, r);
        pending.push(Object.freeze({ type: 'created', resource: r }));
      }
      pending.push(Object.freeze({ type: 'bootstrapped', resource: ke.tombstone, bookmark: bookmarkAt(ke.header, head) }));
      w.pending = pending;
    } else {
      w.cursor = head;
      if (opts.bootstrapBookmark === true) {
        w.pending = [Object.freeze({ type: 'noop', resource: ke.tombstone, bookmark: bookmarkAt(ke.header, head) })];
      }
    }
    const onAbort = () => {
      w.close();
      subscriber.complete();
    };
    w.detach = () => {
      signal?.removeEventListener('abort', onAbort);
      ke.watchers = ke.watchers.filter((x) => x !== w);
    };
    if (ke.watchers.length === 0) {
      // Nobody was watching, so nothing was kept in memory: start afresh at the head.
      ke.recent = [];
      ke.memFrom = head;
    }
    ke.watchers = [...ke.watchers, w];
    signal?.addEventListener('abort', onAbort, { once: true });
    this.#schedule(ke);
    return () => w.close();
  }

  #schedule(ke: KindEntry): void {
    if (ke.scheduled) return;
    ke.scheduled = true;
    void resolved.then(ke.drain);
  }

  #drain(ke: KindEntry): void {
    ke.scheduled = false;
    if (this.#closed) return;
    const recent = ke.recent;
    const memFrom = ke.memFrom;
    const to = this.#head;
    ke.recent = [];
    ke.memFrom = to;
    for (const w of ke.watchers) if (!w.closed) this.#pump(ke, w, recent, memFrom, to);
  }

  /** Delivers what `w` has not seen: pending, then the log up to `memFrom`, then `recent`. */
  #pump(ke: KindEntry, w: LogWatcher, recent: readonly LoggedEvent[], memFrom: number, to: number): void {
    const batch: AnyEvent[] | undefined = w.aggregated ? [] : undefined;
    if (w.pending !== undefined) {
      const pending = w.pending;
      w.pending = undefined;
      this.#emitAll(w, pending);
      if (w.endAfterPending) {
        w.close();
        w.subscriber.complete();
        return;
      }
    }
    const deliver = (seq: number, id: string, ev: AnyEvent) => {
      w.cursor = seq;
      if (w.id !== undefined && id !== w.id) return;
      const out = w.match === undefined ? ev : filterEvent(ev, w.match);
      if (out === undefined) return;
      if (w.view !== undefined && out.type !== 'errored') {
        const r = (out as { resource: Resource }).resource;
        if (out.type === 'destroyed') w.view.delete(r.metadata.id);
        else w.view.set(r.metadata.id, r);
      }
      if (batch !== undefined) batch.push(out);
      else (w.subscriber as Subscriber<AnyEvent>).next(out);
    };
    while (!w.closed && w.cursor < to) {
      if (w.cursor < this.#floorOf(ke)) {
        if (batch !== undefined && batch.length > 0) this.#emitBatch(w, batch.splice(0));
        this.#overrun(ke, w, to);
        continue;
      }
      if (w.cursor < memFrom) {
        const rows = this.#stmt.page.all(ke.kindId, w.cursor, memFrom, PAGE);
        for (const row of rows) {
          if (w.closed) break;
          deliver(row.seq, row.id, this.#rowEvent(ke, row));
        }
        if (rows.length < PAGE && !w.closed) w.cursor = memFrom;
        continue;
      }
      for (const e of recent) {
        if (w.closed) break;
        if (e.seq > w.cursor) deliver(e.seq, e.id, e.event);
      }
      if (!w.closed) w.cursor = to;
    }
    if (batch !== undefined && batch.length > 0 && !w.closed) this.#emitBatch(w, batch);
  }

  #rowEvent(ke: KindEntry, row: { seq: number; op: number; body: string; old: string | null }): AnyEvent {
    const type = opTypes[row.op] ?? 'updated';
    const resource = decode(row.body);
    const bookmark: Bookmark = bookmarkAt(ke.header, row.seq);
    return Object.freeze(
      type === 'updated' && row.old !== null ? { type, resource, old: decode(row.old), bookmark } : { type, resource, bookmark },
    ) as AnyEvent;
  }

  #emitAll(w: LogWatcher, events: AnyEvent[]): void {
    if (w.aggregated) this.#emitBatch(w, events);
    else for (const ev of events) if (!w.closed) (w.subscriber as Subscriber<AnyEvent>).next(ev);
  }

  #emitBatch(w: LogWatcher, events: AnyEvent[]): void {
    if (!w.closed && events.length > 0) (w.subscriber as Subscriber<readonly AnyEvent[]>).next(Object.freeze(events));
  }

  /** §6.5–6.7: a bootstrapped watch resyncs from its view to the head; any other watch fails once. */
  #overrun(ke: KindEntry, w: LogWatcher, to: number): void {
    const view = w.view;
    if (view === undefined) {
      this.#emitAll(w, [Object.freeze({ type: 'errored', error: new OverrunError(ke.kind.namespace, ke.kind.type) })]);
      w.close();
      w.subscriber.complete();
      return;
    }
    // The in-memory copy is the state at the head: no write runs between a commit and this drain.
    const snapshot = this.#snapshot(ke, w.match);
    const events = resyncDiff(view, snapshot);
    events.push(Object.freeze({ type: 'bootstrapped', resource: ke.tombstone, bookmark: bookmarkAt(ke.header, to) }));
    view.clear();
    for (const r of snapshot) view.set(r.metadata.id, r);
    w.cursor = to;
    this.#emitAll(w, events);
  }

  // ---- derived operations (shared with every backend through wrapCore) ----------------------

  teardown(ptr: Pointer, opts?: OwnerOptions): Promise<boolean> {
    return this.#derived.teardown(ptr, opts);
  }

  addFinalizer(ptr: Pointer, ...args: FinalizerArgs): Promise<Resource> {
    return this.#derived.addFinalizer(ptr, ...args);
  }

  removeFinalizer(ptr: Pointer, ...args: FinalizerArgs): Promise<Resource> {
    return this.#derived.removeFinalizer(ptr, ...args);
  }

  updateWithConflicts<S>(ptr: Pointer, recipe: Recipe<S>, opts?: UpdateOptions): Promise<Resource<S>> {
    return this.#derived.updateWithConflicts(ptr, recipe, opts);
  }

  modify<S>(target: Pointer | Resource<S>, recipe: Recipe<S>, opts?: UpdateOptions): Promise<Resource<S>> {
    return this.#derived.modify(target, recipe, opts);
  }

  teardownAndDestroy(ptr: Pointer, opts?: OwnerOptions): Promise<void> {
    return this.#derived.teardownAndDestroy(ptr, opts);
  }

  watchFor<S = unknown>(ptr: Pointer, opts?: WatchForOptions): Promise<StateEvent<S>> {
    return this.#derived.watchFor(ptr, opts);
  }

  signalWithTeardown(ptr: Pointer, opts?: SignalOptions): Promise<AbortSignal> {
    return this.#derived.signalWithTeardown(ptr, opts);
  }
}
