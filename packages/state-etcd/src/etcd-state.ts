import { createHash } from 'node:crypto';
import { Etcd3 } from 'etcd3';
import type { IEvent, IKeyValue, IRangeResponse } from 'etcd3';
import { Observable } from 'rxjs';
import type { Subscriber } from 'rxjs';
import { decodeResource, formatPointer, kindOf, pointerOf, resourceToPlain } from '@cosi-ts/resource';
import type { Kind, Pointer, Recipe, Resource } from '@cosi-ts/resource';
import {
  ConflictError,
  NotFoundError,
  OwnerConflictError,
  PhaseConflictError,
  STORE_ID_BYTES,
  bookmarkAt,
  bookmarkHeader,
  checkKind,
  checkPointer,
  checkResource,
  checkWatchOptions,
  compileFilter,
  expectedPhaseOption,
  freezeResource,
  kindKeyOf,
  ownerOption,
  storedFinalizers,
  storedLabels,
  storedSpec,
  wrapCore,
} from '@cosi-ts/state';
import type {
  CoreState,
  FinalizerArgs,
  ListOptions,
  OwnerOptions,
  SignalOptions,
  State,
  StateEvent,
  UpdateOptions,
  WatchForOptions,
  WatchKindOptions,
  WatchOptions,
} from '@cosi-ts/state';
import { EtcdStateError } from './errors.ts';
import { EtcdWatch } from './etcd-watch.ts';
import type { AnyEvent, WatchHost, WatchTarget } from './etcd-watch.ts';
import { KeyLayout } from './keys.ts';

export interface EtcdStateOptions {
  /** Client URLs of the cluster's members, e.g. `['http://127.0.0.1:2379']`. */
  readonly endpoints: readonly string[];
  /**
   * Every key of this state lives under it (e.g. `/cosi/`); states with different prefixes are
   * different stores, also on one etcd. Bookmarks name the cluster id and the prefix.
   */
  readonly prefix: string;
  /** Deadline of each unary etcd call. Default 10 s. */
  readonly callTimeoutMs?: number;
  /** The clock for `created`/`updated`. Default `() => new Date()`. */
  readonly now?: () => Date;
}

/** Last value seen per key (our writes and reads): lets an update try its compare-and-swap in one round trip. */
const CACHE_LIMIT = 10_000;

/** Recent change events, shared by the watches that see them. */
const EVENT_CACHE_LIMIT = 4096;

interface Seen {
  readonly mod: number;
  readonly resource: Resource;
}

const encode = (r: Resource): string => JSON.stringify(resourceToPlain(r));

/**
 * The etcd backend. Each resource is one key; its etcd `version` (writes since creation, reset by a
 * delete) is the resource version, and every write is a transaction comparing the key's
 * `mod_revision` with the value the checks ran on, so racing writers from any process settle
 * exactly as in memory. Watches read etcd's history from a revision with previous values; a
 * bookmark is the revision of its event, valid until etcd compacts past it.
 */
export class EtcdState implements State {
  readonly prefix: string;
  readonly #client: Etcd3;
  readonly #keys: KeyLayout;
  readonly #now: (() => Date) | undefined;
  readonly #derived: State;
  readonly #watches = new Set<EtcdWatch>();
  /** Watches still taking their starting revision: writes issued after `subscribe` wait for them. */
  readonly #starting = new Set<Promise<void>>();
  readonly #seen = new Map<string, Seen>();
  readonly #events = new Map<string, AnyEvent>();
  readonly #host: WatchHost;
  #storeId: Promise<Uint8Array> | undefined;
  #closed = false;
  #lastMs = Number.NaN;
  #lastDate = new Date(0);

  constructor(opts: EtcdStateOptions) {
    if (typeof opts !== 'object' || opts === null) throw new TypeError('EtcdState: options { endpoints, prefix } are required');
    const { endpoints, prefix, callTimeoutMs = 10_000, now } = opts;
    if (!Array.isArray(endpoints) || endpoints.length === 0 || !endpoints.every((e) => typeof e === 'string' && /^https?:\/\//.test(e))) {
      throw new TypeError('EtcdState: option endpoints must be a non-empty array of http(s):// URLs');
    }
    if (typeof prefix !== 'string' || prefix === '') throw new TypeError('EtcdState: option prefix must be a non-empty string');
    if (!Number.isSafeInteger(callTimeoutMs) || callTimeoutMs <= 0) throw new TypeError('EtcdState: option callTimeoutMs must be a positive integer');
    if (now !== undefined && typeof now !== 'function') throw new TypeError('EtcdState: now must be a function returning a Date');
    this.prefix = prefix;
    this.#now = now;
    this.#keys = new KeyLayout(prefix);
    this.#client = new Etcd3({
      hosts: [...endpoints],
      // Unary calls get a deadline; the watch stream must not.
      defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: new Date(Date.now() + callTimeoutMs) }),
    });
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
    this.#host = {
      client: this.#client,
      header: async (kind) => bookmarkHeader(await this.#store(), kindKeyOf(kind)),
      list: async (kind) => {
        const res = await this.#client.getAll().prefix(this.#keys.kindPrefix(kind)).exec();
        return { revision: Number(res.header.revision), resources: this.#decodeAll(res) };
      },
      getOne: async (kind, id) => {
        const key = this.#keys.key({ ...kind, id });
        const res = await this.#client.get(key).exec();
        const kv = res.kvs[0];
        return { revision: Number(res.header.revision), resource: kv === undefined ? undefined : this.#remember(key, kv).resource };
      },
      revision: async () => Number((await this.#client.get(`${prefix}revision`).exec()).header.revision),
      event: (ev, header, revision) => this.#event(ev, header, revision),
      retryDelay: (attempt) => Math.min(100 * 2 ** Math.min(attempt, 10), 2000),
      forget: (w) => void this.#watches.delete(w),
    };
  }

  /** Ends every watch (complete) and closes the client; idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const w of [...this.#watches]) w.end();
    this.#client.close();
  }

  /** The store id: a hash of the cluster id and the prefix, asked once (again after a failure). */
  #store(): Promise<Uint8Array> {
    this.#storeId ??= this.#client
      .get(`${this.prefix}revision`)
      .exec()
      .then((res) => {
        const hash = createHash('sha256').update(`${res.header.cluster_id}\u0000${this.prefix}`).digest();
        return new Uint8Array(hash.subarray(0, STORE_ID_BYTES));
      });
    this.#storeId.catch(() => (this.#storeId = undefined));
    return this.#storeId;
  }

  #open(op: string): void {
    if (this.#closed) throw new EtcdStateError('EtcdStateClosed', `EtcdState ${this.prefix}: ${op} after close()`);
  }

  #clock(): Date {
    let ms: number;
    if (this.#now === undefined) ms = Date.now();
    else {
      const d: unknown = this.#now();
      ms = d instanceof Date ? d.getTime() : Number.NaN;
      if (!Number.isFinite(ms)) throw new TypeError(`EtcdState: the injected clock returned ${String(d)}, not a valid Date`);
    }
    if (ms !== this.#lastMs) {
      this.#lastMs = ms;
      this.#lastDate = new Date(ms);
    }
    return this.#lastDate;
  }

  #decode(value: Buffer, where: string): Resource {
    try {
      return decodeResource(value.toString('utf8'), 'json');
    } catch (e) {
      throw new EtcdStateError('EtcdBadValue', `EtcdState ${this.prefix}: the value of ${where} is not a stored resource: ${(e as Error).message}`, {
        cause: e,
      });
    }
  }

  /**
   * The event of one change, made once for all watches (a thousand watchers of a kind decode each
   * value once): a small cache by revision and key.
   */
  #event(ev: IEvent, header: Uint8Array, revision: number): AnyEvent | undefined {
    const key = ev.kv.key.toString('utf8');
    const cacheKey = `${revision}\u0000${key}`;
    const known = this.#events.get(cacheKey);
    if (known !== undefined) return known;
    const where = `${key} at revision ${revision}`;
    const bookmark = bookmarkAt(header, revision);
    const prev = ev.prev_kv ?? undefined;
    let e: AnyEvent;
    if (ev.type === 'Delete') {
      if (prev === undefined) return undefined; // no last value to report (compacted away)
      e = Object.freeze({ type: 'destroyed', resource: this.#decode(prev.value, where), bookmark });
    } else {
      const resource = this.#decode(ev.kv.value, where);
      e =
        ev.kv.version === '1' || prev === undefined
          ? Object.freeze({ type: 'created', resource, bookmark })
          : Object.freeze({ type: 'updated', resource, old: this.#decode(prev.value, where), bookmark });
    }
    this.#events.set(cacheKey, e);
    if (this.#events.size > EVENT_CACHE_LIMIT) {
      const oldest = this.#events.keys().next().value;
      if (oldest !== undefined) this.#events.delete(oldest);
    }
    return e;
  }

  #decodeAll(res: IRangeResponse): Resource[] {
    const out = res.kvs.map((kv) => this.#remember(kv.key.toString('utf8'), kv).resource);
    return out.sort((a, b) => (a.metadata.id < b.metadata.id ? -1 : a.metadata.id > b.metadata.id ? 1 : 0));
  }

  #remember(key: string, kv: IKeyValue): Seen {
    const seen: Seen = { mod: Number(kv.mod_revision), resource: this.#decode(kv.value, key) };
    this.#cacheSet(key, seen);
    return seen;
  }

  #cacheSet(key: string, seen: Seen | undefined): void {
    this.#seen.delete(key);
    if (seen === undefined) return;
    this.#seen.set(key, seen);
    if (this.#seen.size > CACHE_LIMIT) {
      const oldest = this.#seen.keys().next().value;
      if (oldest !== undefined) this.#seen.delete(oldest);
    }
  }

  /** The key's value now (linearizable read), or null when absent. */
  async #read(key: string): Promise<Seen | null> {
    const res = await this.#client.get(key).exec();
    const kv = res.kvs[0];
    if (kv === undefined) {
      this.#cacheSet(key, undefined);
      return null;
    }
    return this.#remember(key, kv);
  }

  /** The value returned by a failed transaction's `else` read. */
  #fromElse(key: string, res: { responses: { response_range?: IRangeResponse | null }[] }): Seen | null {
    const kv = res.responses[0]?.response_range?.kvs[0];
    if (kv === undefined) {
      this.#cacheSet(key, undefined);
      return null;
    }
    return this.#remember(key, kv);
  }

  async #gate(): Promise<void> {
    if (this.#starting.size > 0) await Promise.all([...this.#starting]);
  }

  // ---- core: reads -------------------------------------------------------------------------

  async get<S = unknown>(ptr: Pointer, opts?: SignalOptions): Promise<Resource<S>> {
    checkPointer('get', ptr);
    opts?.signal?.throwIfAborted();
    this.#open('get');
    const seen = await this.#read(this.#keys.key(ptr));
    if (seen === null) throw new NotFoundError(pointerOf(ptr));
    return seen.resource as Resource<S>;
  }

  async list<S = unknown>(kind: Kind, opts: ListOptions = {}): Promise<readonly Resource<S>[]> {
    checkKind('list', kind);
    opts.signal?.throwIfAborted();
    const match = compileFilter(opts, kind);
    this.#open('list');
    const res = await this.#client.getAll().prefix(this.#keys.kindPrefix(kind)).exec();
    const all = this.#decodeAll(res);
    return (match === undefined ? all : all.filter(match)) as Resource<S>[];
  }

  // ---- core: writes (compare-and-swap transactions; the first failing check decides) --------

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
    await this.#gate();
    opts?.signal?.throwIfAborted();
    const key = this.#keys.key(md);
    const now = this.#clock();
    const stored = freezeResource(
      { namespace: md.namespace, type: md.type, id: md.id, version: 1, owner, phase: 'running', finalizers, labels, annotations, created: now, updated: now },
      spec,
    );
    const c = this.#client;
    const res = await c.if(key, 'Create', '==', 0).then(c.put(key).value(encode(stored))).else(c.get(key)).commit();
    if (!res.succeeded) {
      this.#fromElse(key, res);
      throw new ConflictError(pointerOf(md), 'exists');
    }
    this.#cacheSet(key, { mod: Number(res.header.revision), resource: stored });
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
    const key = this.#keys.key(md);
    // The checks run on the value the transaction compares against: a cached value is only trusted
    // when the transaction confirms it; a failed check on it is re-run on a fresh read.
    let cur: Seen | null | undefined = this.#seen.get(key);
    let confirmed = false;
    const spec = cur !== undefined && resource.spec === cur.resource.spec ? resource.spec : storedSpec(md, resource.spec);
    await this.#gate();
    for (;;) {
      opts?.signal?.throwIfAborted();
      if (cur === undefined) {
        cur = await this.#read(key);
        confirmed = true;
      }
      let stored: Resource<S>;
      try {
        if (cur === null) throw new NotFoundError(pointerOf(md));
        const c = cur.resource.metadata;
        if (c.owner !== owner) throw new OwnerConflictError(pointerOf(md), owner, c.owner);
        if (md.version !== c.version) {
          throw new ConflictError(pointerOf(md), 'version', undefined, { expectedVersion: md.version, actualVersion: c.version });
        }
        if (expected !== 'any' && c.phase !== expected) throw new PhaseConflictError(pointerOf(md), expected, c.phase);
        if (c.phase === 'tearingDown' && md.phase !== 'tearingDown') {
          throw new PhaseConflictError(pointerOf(md), 'tearingDown', md.phase, `resource ${formatPointer(md)} is tearing down: it cannot go back to ${md.phase}`);
        }
        stored = freezeResource(
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
      } catch (e) {
        if (!confirmed) {
          cur = undefined;
          continue;
        }
        throw e;
      }
      const x = this.#client;
      const res = await x.if(key, 'Mod', '==', cur!.mod).then(x.put(key).value(encode(stored))).else(x.get(key)).commit();
      if (res.succeeded) {
        this.#cacheSet(key, { mod: Number(res.header.revision), resource: stored });
        return stored;
      }
      cur = this.#fromElse(key, res);
      confirmed = true;
    }
  }

  async destroy(ptr: Pointer, opts?: OwnerOptions): Promise<void> {
    checkPointer('destroy', ptr);
    opts?.signal?.throwIfAborted();
    const owner = ownerOption('destroy', ptr, opts?.owner);
    this.#open('destroy');
    const key = this.#keys.key(ptr);
    let cur: Seen | null | undefined = this.#seen.get(key);
    let confirmed = false;
    await this.#gate();
    for (;;) {
      opts?.signal?.throwIfAborted();
      if (cur === undefined) {
        cur = await this.#read(key);
        confirmed = true;
      }
      try {
        if (cur === null) throw new NotFoundError(pointerOf(ptr));
        if (cur.resource.metadata.owner !== owner) throw new OwnerConflictError(pointerOf(ptr), owner, cur.resource.metadata.owner);
        if (cur.resource.metadata.finalizers.length > 0) throw new ConflictError(pointerOf(ptr), 'finalizers');
      } catch (e) {
        if (!confirmed) {
          cur = undefined;
          continue;
        }
        throw e;
      }
      const x = this.#client;
      const res = await x.if(key, 'Mod', '==', cur.mod).then(x.delete().key(key)).else(x.get(key)).commit();
      if (res.succeeded) {
        this.#cacheSet(key, undefined);
        return;
      }
      cur = this.#fromElse(key, res);
      confirmed = true;
    }
  }

  // ---- core: watches ---------------------------------------------------------------------------

  watch<S = unknown>(ptr: Pointer, opts: WatchOptions = {}): Observable<StateEvent<S>> {
    checkPointer('watch', ptr);
    checkWatchOptions(opts, true, ptr);
    const kind = kindOf(ptr);
    const target: WatchTarget = { kind, kindPrefix: this.#keys.kindPrefix(kind), id: ptr.id, key: this.#keys.key(ptr), match: undefined, opts };
    return new Observable<StateEvent<S>>((subscriber) => this.#attach(target, subscriber as Subscriber<AnyEvent>, false));
  }

  watchKind<S = unknown>(kind: Kind, opts: WatchKindOptions = {}): Observable<StateEvent<S>> {
    checkKind('watchKind', kind);
    checkWatchOptions(opts, false, kind);
    const k = kindOf(kind);
    const target: WatchTarget = { kind: k, kindPrefix: this.#keys.kindPrefix(k), id: undefined, key: undefined, match: compileFilter(opts, kind), opts };
    return new Observable<StateEvent<S>>((subscriber) => this.#attach(target, subscriber as Subscriber<AnyEvent>, false));
  }

  watchKindAggregated<S = unknown>(kind: Kind, opts: WatchKindOptions = {}): Observable<readonly StateEvent<S>[]> {
    checkKind('watchKindAggregated', kind);
    checkWatchOptions(opts, false, kind);
    const k = kindOf(kind);
    const target: WatchTarget = { kind: k, kindPrefix: this.#keys.kindPrefix(k), id: undefined, key: undefined, match: compileFilter(opts, kind), opts };
    return new Observable<readonly StateEvent<S>[]>((subscriber) => this.#attach(target, subscriber as Subscriber<readonly AnyEvent[]>, true));
  }

  #attach(target: WatchTarget, subscriber: Subscriber<AnyEvent> | Subscriber<readonly AnyEvent[]>, aggregated: boolean): () => void {
    const signal = target.opts.signal;
    if (signal?.aborted || this.#closed) {
      subscriber.complete();
      return () => {};
    }
    const w = new EtcdWatch(this.#host, target, subscriber, aggregated);
    this.#watches.add(w);
    const onAbort = () => w.end();
    signal?.addEventListener('abort', onAbort, { once: true });
    const started = w.start();
    this.#starting.add(started);
    void started.finally(() => this.#starting.delete(started));
    return () => {
      signal?.removeEventListener('abort', onAbort);
      w.close();
    };
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
