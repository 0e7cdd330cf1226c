import { randomBytes } from 'node:crypto';
import { Observable } from 'rxjs';
import type { Subscriber } from 'rxjs';
import {
  cloneSpec,
  compileIdQuery,
  deepFreeze,
  matchesLabels,
  resourceEquals,
  tombstone,
  validateLabelQueries,
} from '@cosi-ts/resource';
import type { Kind, Labels, Metadata, Phase, Pointer, Recipe, Resource, Tombstone } from '@cosi-ts/resource';
import { STORE_ID_BYTES, bookmarkAt, bookmarkHeader, positionIn } from './bookmark.ts';
import {
  ConflictError,
  InvalidBookmarkError,
  NotFoundError,
  OverrunError,
  OwnerConflictError,
  PhaseConflictError,
} from './errors.ts';
import type {
  Bookmark,
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
} from './state.ts';
import { wrapCore } from './wrap-core.ts';

export interface InMemoryStateOptions {
  /** Events kept per kind (a ring, grown lazily). At least 2. Default 1024. */
  readonly historyCapacity?: number;
  /** Margin kept free for a starting resume: resume and tail reach back `capacity − gap`. Default 32. */
  readonly historyGap?: number;
  /** The clock for `created`/`updated`. Default `() => new Date()`. */
  readonly now?: () => Date;
}

type WriteType = 'created' | 'updated' | 'destroyed';
type AnyEvent = StateEvent<unknown>;
type Matcher = (r: Resource) => boolean;

const resolved = Promise.resolve();

const ptrOf = (p: Pointer): Pointer => ({ namespace: p.namespace, type: p.type, id: p.id });

function frozenLabels(l: Labels | undefined): Labels {
  if (l === undefined) return emptyLabels;
  return Object.isFrozen(l) ? l : Object.freeze({ ...l });
}
const emptyLabels: Labels = Object.freeze({});

function frozenFinalizers(f: readonly string[] | undefined): readonly string[] {
  if (f === undefined || f.length === 0) return emptyFinalizers;
  if (Object.isFrozen(f) && new Set(f).size === f.length) return f;
  return Object.freeze([...new Set(f)]);
}
const emptyFinalizers: readonly string[] = Object.freeze([]);

function frozenSpec<S>(spec: S): S {
  // Resources from `newResource` are already deeply frozen: share them. Anything else is copied
  // first, so that the caller's objects are never frozen under its feet.
  return Object.isFrozen(spec) ? spec : deepFreeze(cloneSpec(spec, 'spec'), 'spec');
}

/** One watch of one kind (a single watch is a kind watch with an id filter). */
class Watcher {
  /** Last history position consumed. */
  cursor = 0;
  closed = false;
  /** Events to deliver before the history (initial state, bootstrap), as one batch. */
  pending: AnyEvent[] | undefined;
  /** After `pending`, complete instead of reading history (an invalid bookmark). */
  endAfterPending = false;
  /** id → last delivered resource; only for `bootstrapContents` watches, which resync on overrun. */
  view: Map<string, Resource> | undefined;
  detach: () => void = () => {};

  constructor(
    readonly subscriber: Subscriber<AnyEvent> | Subscriber<readonly AnyEvent[]>,
    readonly aggregated: boolean,
    /** Single watch: only this id. */
    readonly id: string | undefined,
    /** watchKind label/id filter. */
    readonly match: Matcher | undefined,
  ) {}

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.detach();
  }
}

/** Everything kept for one kind: resources by id, the history ring and its watchers. */
class KindStore {
  readonly items = new Map<string, Resource>();
  /** Sorted ids, rebuilt lazily after a create or destroy. */
  sortedIds: string[] | undefined;
  /** Number of events ever written; event p (1-based) lives in slot (p − 1) % capacity. */
  head = 0;
  readonly types: WriteType[] = [];
  readonly resources: Resource[] = [];
  readonly olds: (Resource | undefined)[] = [];
  /** Event objects made on first delivery and shared by every watcher. */
  readonly events: (AnyEvent | undefined)[] = [];
  /** Copy-on-write, so that delivery can iterate while watchers come and go. */
  watchers: readonly Watcher[] = [];
  scheduled = false;
  /** The kind's delivery task, made once (queued at most once at a time). */
  drain: () => void = () => {};
  #header: Uint8Array | undefined;
  #tombstone: Tombstone | undefined;

  constructor(
    readonly kind: Kind,
    readonly storeId: Uint8Array,
    /** This kind's number in its store, unique per instance: the bookmark's kind key. */
    readonly index: number,
    readonly capacity: number,
  ) {}

  get header(): Uint8Array {
    if (this.#header === undefined) {
      // The kind's number in this store: short bookmarks are small on-heap allocations.
      const key = new Uint8Array(4);
      new DataView(key.buffer).setUint32(0, this.index);
      this.#header = bookmarkHeader(this.storeId, key);
    }
    return this.#header;
  }

  get tombstone(): Tombstone {
    return (this.#tombstone ??= tombstone(this.kind));
  }

  bookmark(position: number): Bookmark {
    return bookmarkAt(this.header, position);
  }

  push(type: WriteType, resource: Resource, old: Resource | undefined): void {
    const slot = this.head % this.capacity;
    this.head++;
    // Slots are appended in order until the ring is full, so the arrays grow lazily and stay packed.
    this.types[slot] = type;
    this.resources[slot] = resource;
    this.olds[slot] = old;
    this.events[slot] = undefined;
  }

  /** The shared event at position p (which must still be in the ring). */
  event(p: number): AnyEvent {
    const slot = (p - 1) % this.capacity;
    let ev = this.events[slot];
    if (ev === undefined) {
      const type = this.types[slot]!;
      const resource = this.resources[slot]!;
      const bookmark = this.bookmark(p);
      ev =
        type === 'updated'
          ? Object.freeze({ type, resource, old: this.olds[slot]!, bookmark })
          : Object.freeze({ type, resource, bookmark });
      this.events[slot] = ev;
    }
    return ev;
  }

  typeAt(p: number): WriteType {
    return this.types[(p - 1) % this.capacity]!;
  }

  resourceAt(p: number): Resource {
    return this.resources[(p - 1) % this.capacity]!;
  }

  oldAt(p: number): Resource | undefined {
    return this.olds[(p - 1) % this.capacity];
  }

  sorted(): string[] {
    return (this.sortedIds ??= [...this.items.keys()].sort());
  }

  snapshot(match: Matcher | undefined): Resource[] {
    const out: Resource[] = [];
    for (const id of this.sorted()) {
      const r = this.items.get(id)!;
      if (match === undefined || match(r)) out.push(r);
    }
    return out;
  }
}

function checkWatchOptions(opts: WatchKindOptions, single: boolean): void {
  const { tailEvents, startFromBookmark, bootstrapContents } = opts;
  if (tailEvents !== undefined && startFromBookmark !== undefined) {
    throw new TypeError('watch options tailEvents and startFromBookmark are exclusive');
  }
  if (!single && bootstrapContents === true && (tailEvents !== undefined || startFromBookmark !== undefined)) {
    throw new TypeError('watch option bootstrapContents excludes tailEvents and startFromBookmark');
  }
  if (tailEvents !== undefined && (!Number.isSafeInteger(tailEvents) || tailEvents < 0)) {
    throw new TypeError(`watch option tailEvents must be an integer >= 0, got ${String(tailEvents)}`);
  }
  if (startFromBookmark !== undefined && !(startFromBookmark instanceof Uint8Array)) {
    throw new TypeError('watch option startFromBookmark must be a Uint8Array');
  }
}

function compileFilter(opts: WatchKindOptions | ListOptions): Matcher | undefined {
  const { labels, idQuery } = opts;
  validateLabelQueries(labels);
  const idMatch = compileIdQuery(idQuery);
  const hasLabels = labels !== undefined && labels.length > 0 && labels.every((q) => q.length > 0);
  if (!hasLabels && idMatch === undefined) return undefined;
  if (!hasLabels) return (r) => idMatch!(r.metadata.id);
  if (idMatch === undefined) return (r) => matchesLabels(r.metadata.labels, labels);
  return (r) => idMatch(r.metadata.id) && matchesLabels(r.metadata.labels, labels);
}

interface WatchSpec {
  readonly id: string | undefined;
  readonly match: Matcher | undefined;
  readonly opts: WatchKindOptions;
}

/**
 * The in-memory backend: one Map per kind, one history ring per kind, watches that read the ring by
 * cursor. Writes apply synchronously inside the call (so racing writers are ordered by call order);
 * watchers are fed from a microtask, never inside a writer's call.
 */
export class InMemoryState implements State {
  readonly #capacity: number;
  readonly #gap: number;
  readonly #now: (() => Date) | undefined;
  readonly #storeId: Uint8Array = new Uint8Array(randomBytes(STORE_ID_BYTES));
  readonly #kinds = new Map<string, Map<string, KindStore>>();
  #kindCount = 0;
  #lastMs = Number.NaN;
  #lastDate = new Date(0);
  /** The last kind used: writes come in runs on one kind, so this skips two Map lookups. */
  #lastKind: KindStore | undefined;
  readonly #derived: State;

  constructor(opts: InMemoryStateOptions = {}) {
    const { historyCapacity = 1024, historyGap = 32, now } = opts;
    if (!Number.isSafeInteger(historyCapacity) || historyCapacity < 2) {
      throw new TypeError(`InMemoryState: historyCapacity must be an integer >= 2, got ${String(historyCapacity)}`);
    }
    if (!Number.isSafeInteger(historyGap) || historyGap < 0 || historyGap >= historyCapacity) {
      throw new TypeError(
        `InMemoryState: historyGap must be an integer with 0 <= gap < historyCapacity (${historyCapacity}), got ${String(historyGap)}`,
      );
    }
    this.#capacity = historyCapacity;
    this.#gap = historyGap;
    this.#now = now;
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
  }

  #store(kind: Kind): KindStore | undefined {
    const last = this.#lastKind;
    if (last !== undefined && last.kind.type === kind.type && last.kind.namespace === kind.namespace) return last;
    const ks = this.#kinds.get(kind.namespace)?.get(kind.type);
    if (ks !== undefined) this.#lastKind = ks;
    return ks;
  }

  #storeFor(kind: Kind): KindStore {
    const known = this.#store(kind);
    if (known !== undefined) return known;
    let byType = this.#kinds.get(kind.namespace);
    if (byType === undefined) {
      byType = new Map();
      this.#kinds.set(kind.namespace, byType);
    }
    let ks = byType.get(kind.type);
    if (ks === undefined) {
      const store = new KindStore(
        { namespace: kind.namespace, type: kind.type },
        this.#storeId,
        this.#kindCount++,
        this.#capacity,
      );
      store.drain = () => this.#drain(store);
      ks = store;
      byType.set(kind.type, ks);
    }
    return ks;
  }

  #clock(): Date {
    // Writes within one millisecond share one Date: they carry the same time, and stored resources
    // are immutable by contract. The injected clock is copied, as it may hand out a shared Date.
    const ms = this.#now === undefined ? Date.now() : this.#now().getTime();
    if (ms !== this.#lastMs) {
      this.#lastMs = ms;
      this.#lastDate = new Date(ms);
    }
    return this.#lastDate;
  }

  // ---- core: reads -------------------------------------------------------------------------

  async get<S = unknown>(ptr: Pointer, opts?: SignalOptions): Promise<Resource<S>> {
    opts?.signal?.throwIfAborted();
    const r = this.#store(ptr)?.items.get(ptr.id);
    if (r === undefined) throw new NotFoundError(ptrOf(ptr));
    return r as Resource<S>;
  }

  async list<S = unknown>(kind: Kind, opts: ListOptions = {}): Promise<readonly Resource<S>[]> {
    opts.signal?.throwIfAborted();
    const match = compileFilter(opts);
    const ks = this.#store(kind);
    if (ks === undefined) return [];
    return ks.snapshot(match) as Resource<S>[];
  }

  // ---- core: writes (synchronous inside the call; the first failing check decides) ---------

  async create<S>(resource: Resource<S>, opts?: OwnerOptions): Promise<Resource<S>> {
    opts?.signal?.throwIfAborted();
    const md = resource.metadata;
    const owner = opts?.owner ?? '';
    if (md.phase !== 'running') {
      throw new PhaseConflictError(ptrOf(md), 'running', md.phase, `resource ${describe(md)} must be created running, not ${md.phase}`);
    }
    if (md.owner !== '' && md.owner !== owner) throw new OwnerConflictError(ptrOf(md), owner, md.owner);
    const ks = this.#storeFor(md);
    if (ks.items.has(md.id)) throw new ConflictError(ptrOf(md), 'exists');
    const now = this.#clock();
    const stored = freezeResource(
      {
        namespace: md.namespace,
        type: md.type,
        id: md.id,
        version: 1,
        owner,
        phase: 'running',
        finalizers: frozenFinalizers(md.finalizers),
        labels: frozenLabels(md.labels),
        annotations: frozenLabels(md.annotations),
        created: now,
        updated: now,
      },
      frozenSpec(resource.spec),
    );
    ks.items.set(md.id, stored);
    ks.sortedIds = undefined;
    this.#record(ks, 'created', stored, undefined);
    return stored;
  }

  async update<S>(resource: Resource<S>, opts?: UpdateOptions): Promise<Resource<S>> {
    opts?.signal?.throwIfAborted();
    const md = resource.metadata;
    const ks = this.#store(md);
    const cur = ks?.items.get(md.id);
    if (ks === undefined || cur === undefined) throw new NotFoundError(ptrOf(md));
    const c = cur.metadata;
    const owner = opts?.owner ?? '';
    if (c.owner !== owner) throw new OwnerConflictError(ptrOf(md), owner, c.owner);
    if (md.version !== c.version) {
      throw new ConflictError(ptrOf(md), 'version', undefined, { expectedVersion: md.version, actualVersion: c.version });
    }
    const expected = opts?.expectedPhase ?? 'running';
    if (expected !== 'any' && c.phase !== expected) throw new PhaseConflictError(ptrOf(md), expected, c.phase);
    if (c.phase === 'tearingDown' && md.phase !== 'tearingDown') {
      throw new PhaseConflictError(
        ptrOf(md),
        'tearingDown',
        md.phase,
        `resource ${describe(md)} is tearing down: it cannot go back to ${md.phase}`,
      );
    }
    const stored = freezeResource(
      {
        namespace: c.namespace,
        type: c.type,
        id: c.id,
        version: c.version + 1,
        owner: c.owner,
        phase: md.phase,
        finalizers: frozenFinalizers(md.finalizers),
        labels: frozenLabels(md.labels),
        annotations: frozenLabels(md.annotations),
        created: c.created,
        updated: this.#clock(),
      },
      frozenSpec(resource.spec),
    );
    ks.items.set(c.id, stored);
    this.#record(ks, 'updated', stored, cur);
    return stored;
  }

  async destroy(ptr: Pointer, opts?: OwnerOptions): Promise<void> {
    opts?.signal?.throwIfAborted();
    const ks = this.#store(ptr);
    const cur = ks?.items.get(ptr.id);
    if (ks === undefined || cur === undefined) throw new NotFoundError(ptrOf(ptr));
    const owner = opts?.owner ?? '';
    if (cur.metadata.owner !== owner) throw new OwnerConflictError(ptrOf(ptr), owner, cur.metadata.owner);
    if (cur.metadata.finalizers.length > 0) throw new ConflictError(ptrOf(ptr), 'finalizers');
    ks.items.delete(ptr.id);
    ks.sortedIds = undefined;
    this.#record(ks, 'destroyed', cur, undefined);
  }

  #record(ks: KindStore, type: WriteType, resource: Resource, old: Resource | undefined): void {
    ks.push(type, resource, old);
    if (ks.watchers.length > 0) this.#schedule(ks);
  }

  // ---- core: watches ---------------------------------------------------------------------------

  watch<S = unknown>(ptr: Pointer, opts: WatchOptions = {}): Observable<StateEvent<S>> {
    checkWatchOptions(opts, true);
    const spec: WatchSpec = { id: ptr.id, match: undefined, opts };
    const kind = { namespace: ptr.namespace, type: ptr.type };
    return new Observable<StateEvent<S>>((subscriber) =>
      this.#attach(kind, spec, subscriber as Subscriber<AnyEvent>, false),
    );
  }

  watchKind<S = unknown>(kind: Kind, opts: WatchKindOptions = {}): Observable<StateEvent<S>> {
    checkWatchOptions(opts, false);
    const spec: WatchSpec = { id: undefined, match: compileFilter(opts), opts };
    const k = { namespace: kind.namespace, type: kind.type };
    return new Observable<StateEvent<S>>((subscriber) => this.#attach(k, spec, subscriber as Subscriber<AnyEvent>, false));
  }

  watchKindAggregated<S = unknown>(kind: Kind, opts: WatchKindOptions = {}): Observable<readonly StateEvent<S>[]> {
    checkWatchOptions(opts, false);
    const spec: WatchSpec = { id: undefined, match: compileFilter(opts), opts };
    const k = { namespace: kind.namespace, type: kind.type };
    return new Observable<readonly StateEvent<S>[]>((subscriber) =>
      this.#attach(k, spec, subscriber as Subscriber<readonly AnyEvent[]>, true),
    );
  }

  /** Subscribe: position the cursor, queue the initial events, join the kind's watchers. */
  #attach(
    kind: Kind,
    spec: WatchSpec,
    subscriber: Subscriber<AnyEvent> | Subscriber<readonly AnyEvent[]>,
    aggregated: boolean,
  ): () => void {
    const { opts, id, match } = spec;
    const signal = opts.signal;
    if (signal?.aborted) {
      subscriber.complete();
      return () => {};
    }
    const ks = this.#storeFor(kind);
    const w = new Watcher(subscriber, aggregated, id, match);
    const head = ks.head;
    const reach = this.#capacity - this.#gap;

    if (opts.startFromBookmark !== undefined) {
      const b = opts.startFromBookmark;
      const pos = positionIn(b, ks.header);
      if (pos < 0 || pos > head || head - pos > reach) {
        w.pending = [Object.freeze({ type: 'errored', error: new InvalidBookmarkError() })];
        w.endAfterPending = true;
      } else {
        w.cursor = pos;
      }
    } else if (opts.tailEvents !== undefined) {
      const oldest = Math.max(head - reach, 0); // last position outside the window
      if (id === undefined) {
        w.cursor = Math.max(head - opts.tailEvents, oldest);
      } else {
        // The last n events of this id inside the window: start just before the first of them.
        let found = 0;
        let start = head;
        for (let p = head; p > oldest && found < opts.tailEvents; p--) {
          if (ks.resourceAt(p).metadata.id === id) {
            found++;
            start = p - 1;
          }
        }
        w.cursor = start;
      }
    } else if (id !== undefined) {
      w.cursor = head;
      const cur = ks.items.get(id);
      const bookmark = ks.bookmark(head);
      w.pending = [
        cur === undefined
          ? Object.freeze({ type: 'destroyed', resource: tombstone({ ...kind, id }) as unknown as Resource, bookmark })
          : Object.freeze({ type: 'created', resource: cur, bookmark }),
      ];
    } else if (opts.bootstrapContents === true) {
      w.cursor = head;
      const snapshot = ks.snapshot(match);
      w.view = new Map();
      const pending: AnyEvent[] = [];
      for (const r of snapshot) {
        w.view.set(r.metadata.id, r);
        pending.push(Object.freeze({ type: 'created', resource: r }));
      }
      pending.push(Object.freeze({ type: 'bootstrapped', resource: ks.tombstone, bookmark: ks.bookmark(head) }));
      w.pending = pending;
    } else {
      w.cursor = head;
      if (opts.bootstrapBookmark === true) {
        w.pending = [Object.freeze({ type: 'noop', resource: ks.tombstone, bookmark: ks.bookmark(head) })];
      }
    }

    const onAbort = () => {
      w.close();
      subscriber.complete();
    };
    w.detach = () => {
      ks.watchers = ks.watchers.filter((x) => x !== w);
      signal?.removeEventListener('abort', onAbort);
    };
    ks.watchers = [...ks.watchers, w];
    signal?.addEventListener('abort', onAbort, { once: true });
    if (w.pending !== undefined || w.cursor < ks.head) this.#schedule(ks);
    return () => w.close();
  }

  #schedule(ks: KindStore): void {
    if (ks.scheduled) return;
    ks.scheduled = true;
    // A resolved promise's then() is a cheaper microtask than Node's queueMicrotask (no AsyncResource).
    void resolved.then(ks.drain);
  }

  #drain(ks: KindStore): void {
    ks.scheduled = false;
    const watchers = ks.watchers;
    for (let i = 0; i < watchers.length; i++) {
      const w = watchers[i]!;
      if (!w.closed) this.#pump(ks, w);
    }
  }

  /** Everything the watcher has not seen yet: its pending events, then the ring from its cursor. */
  #pump(ks: KindStore, w: Watcher): void {
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
    const { id, match, view } = w;
    while (!w.closed && w.cursor < ks.head) {
      if (ks.head - w.cursor > this.#capacity) {
        if (batch !== undefined && batch.length > 0) this.#emitBatch(w, batch.splice(0));
        this.#overrun(ks, w);
        continue;
      }
      const p = ++w.cursor;
      let ev: AnyEvent | undefined;
      if (id !== undefined) {
        if (ks.resourceAt(p).metadata.id !== id) continue;
        ev = ks.event(p);
      } else if (match === undefined) {
        ev = ks.event(p);
      } else {
        ev = filtered(ks, p, match);
        if (ev === undefined) continue;
      }
      if (view !== undefined) {
        const r = (ev as { resource: Resource }).resource;
        if (ev.type === 'destroyed') view.delete(r.metadata.id);
        else view.set(r.metadata.id, r);
      }
      if (batch !== undefined) batch.push(ev);
      else (w.subscriber as Subscriber<AnyEvent>).next(ev);
    }
    if (batch !== undefined && batch.length > 0 && !w.closed) this.#emitBatch(w, batch);
  }

  #emitAll(w: Watcher, events: AnyEvent[]): void {
    if (w.aggregated) this.#emitBatch(w, events);
    else for (const ev of events) if (!w.closed) (w.subscriber as Subscriber<AnyEvent>).next(ev);
  }

  #emitBatch(w: Watcher, events: AnyEvent[]): void {
    if (!w.closed && events.length > 0) (w.subscriber as Subscriber<readonly AnyEvent[]>).next(Object.freeze(events));
  }

  /** §6.5–6.7: a bootstrapped watch resyncs from its view; any other watch fails once. */
  #overrun(ks: KindStore, w: Watcher): void {
    const view = w.view;
    if (view === undefined) {
      const error = new OverrunError(ks.kind.namespace, ks.kind.type);
      this.#emitAll(w, [Object.freeze({ type: 'errored', error })]);
      w.close();
      w.subscriber.complete();
      return;
    }
    const head = ks.head;
    const snapshot = ks.snapshot(w.match);
    const events = resyncDiff(view, snapshot);
    events.push(Object.freeze({ type: 'bootstrapped', resource: ks.tombstone, bookmark: ks.bookmark(head) }));
    view.clear();
    for (const r of snapshot) view.set(r.metadata.id, r);
    w.cursor = head;
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

const describe = (p: Pointer) => `${p.namespace}/${p.type}/${p.id}`;

function freezeResource<S>(
  metadata: {
    namespace: string;
    type: string;
    id: string;
    version: number;
    owner: string;
    phase: Phase;
    finalizers: readonly string[];
    labels: Labels;
    annotations: Labels;
    created: Date;
    updated: Date;
  },
  spec: S,
): Resource<S> {
  return Object.freeze({ metadata: Object.freeze(metadata) as Metadata, spec });
}

/** §5.7: the event at p as a filtered watch sees it, or undefined when it does not see it. */
function filtered(ks: KindStore, p: number, match: Matcher): AnyEvent | undefined {
  const type = ks.typeAt(p);
  const resource = ks.resourceAt(p);
  if (type !== 'updated') return match(resource) ? ks.event(p) : undefined;
  const was = match(ks.oldAt(p)!);
  const is = match(resource);
  if (was && is) return ks.event(p);
  if (!was && !is) return undefined;
  const { bookmark } = ks.event(p) as { readonly bookmark: Bookmark };
  return Object.freeze({ type: was ? 'destroyed' : 'created', resource, bookmark });
}

/** §6.6: what turns a watcher's view into the snapshot, ids ascending; no bookmarks. */
function resyncDiff(view: ReadonlyMap<string, Resource>, snapshot: readonly Resource[]): AnyEvent[] {
  const events: AnyEvent[] = [];
  const viewIds = [...view.keys()].sort();
  let i = 0;
  let j = 0;
  while (i < viewIds.length || j < snapshot.length) {
    const vid = viewIds[i];
    const now = snapshot[j];
    if (now === undefined || (vid !== undefined && vid < now.metadata.id)) {
      events.push(Object.freeze({ type: 'destroyed', resource: view.get(vid!)! }));
      i++;
    } else if (vid === undefined || now.metadata.id < vid) {
      events.push(Object.freeze({ type: 'created', resource: now }));
      j++;
    } else {
      const seen = view.get(vid)!;
      if (seen.metadata.created.getTime() !== now.metadata.created.getTime()) {
        // Another incarnation: it was destroyed and created again while the watcher was away.
        events.push(Object.freeze({ type: 'destroyed', resource: seen }));
        events.push(Object.freeze({ type: 'created', resource: now }));
      } else if (seen !== now && !resourceEquals(seen, now)) {
        events.push(Object.freeze({ type: 'updated', resource: now, old: seen }));
      }
      i++;
      j++;
    }
  }
  return events;
}
