import { randomBytes } from 'node:crypto';
import { Observable } from 'rxjs';
import type { Subscriber } from 'rxjs';
import { checkOptions, formatPointer, knownOptions, pointerOf, tombstone } from '@cosi-ts/resource';
import type { Kind, Pointer, Recipe, Resource } from '@cosi-ts/resource';
import { STORE_ID_BYTES, positionIn } from './bookmark.ts';
import {
  ConflictError,
  InvalidBookmarkError,
  NotFoundError,
  OverrunError,
  OwnerConflictError,
  PhaseConflictError,
} from './errors.ts';
import { filterEvent } from './event-filter.ts';
import { GET_OPTIONS, LIST_OPTIONS, OWNER_OPTIONS, UPDATE_OPTIONS } from './option-names.ts';
import { KindStore, Watcher } from './kind-store.ts';
import type { AnyEvent, Matcher, WriteType } from './kind-store.ts';
import { resyncDiff } from './resync-diff.ts';
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
} from './state.ts';
import {
  checkKind,
  checkPointer,
  checkResource,
  expectedPhaseOption,
  freezeResource,
  ownerOption,
  storedFinalizers,
  storedLabels,
  storedSpec,
} from './stored-resource.ts';
import { checkWatchOptions, compileFilter } from './watch-options.ts';
import { wrapCore } from './wrap-core.ts';

export interface InMemoryStateOptions {
  /** Events kept per kind (a ring, grown lazily). At least 2. Default 1024. */
  readonly historyCapacity?: number;
  /** Margin kept free for a starting resume: resume and tail reach back `capacity − gap`. Default 32. */
  readonly historyGap?: number;
  /** The clock for `created`/`updated`. Default `() => new Date()`. */
  readonly now?: () => Date;
}

const resolved = Promise.resolve();

const CONSTRUCTOR_OPTIONS = knownOptions('historyCapacity', 'historyGap', 'now');

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
    checkOptions('InMemoryState', opts, CONSTRUCTOR_OPTIONS);
    const { historyCapacity = 1024, historyGap = 32, now } = opts;
    if (!Number.isSafeInteger(historyCapacity) || historyCapacity < 2) {
      throw new TypeError(`InMemoryState: historyCapacity must be an integer >= 2, got ${String(historyCapacity)}`);
    }
    if (!Number.isSafeInteger(historyGap) || historyGap < 0 || historyGap >= historyCapacity) {
      throw new TypeError(
        `InMemoryState: historyGap must be an integer with 0 <= gap < historyCapacity (${historyCapacity}), got ${String(historyGap)}`,
      );
    }
    if (now !== undefined && typeof now !== 'function') throw new TypeError('InMemoryState: now must be a function returning a Date');
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
    const ms = this.#now === undefined ? Date.now() : this.#injectedMs(this.#now);
    if (ms !== this.#lastMs) {
      this.#lastMs = ms;
      this.#lastDate = new Date(ms);
    }
    return this.#lastDate;
  }

  #injectedMs(now: () => Date): number {
    const d: unknown = now();
    const ms = d instanceof Date ? d.getTime() : Number.NaN;
    if (!Number.isFinite(ms)) throw new TypeError(`InMemoryState: the injected clock returned ${String(d)}, not a valid Date`);
    return ms;
  }

  // ---- core: reads -------------------------------------------------------------------------

  async get<S = unknown>(ptr: Pointer, opts?: SignalOptions): Promise<Resource<S>> {
    checkPointer('get', ptr);
    if (opts !== undefined) checkOptions(() => `get ${formatPointer(ptr)}`, opts, GET_OPTIONS);
    opts?.signal?.throwIfAborted();
    const r = this.#store(ptr)?.items.get(ptr.id);
    if (r === undefined) throw new NotFoundError(pointerOf(ptr));
    return r as Resource<S>;
  }

  async list<S = unknown>(kind: Kind, opts: ListOptions = {}): Promise<readonly Resource<S>[]> {
    checkKind('list', kind);
    checkOptions(() => `list ${formatPointer(kind)}`, opts, LIST_OPTIONS);
    opts.signal?.throwIfAborted();
    const match = compileFilter(opts, kind);
    const ks = this.#store(kind);
    if (ks === undefined) return [];
    return ks.snapshot(match) as Resource<S>[];
  }

  // ---- core: writes (synchronous inside the call; the first failing check decides) ---------

  // The writes are plain methods returning a settled promise rather than async functions: they run
  // synchronously anyway, and skipping the async-function machinery is measurably cheaper per write.

  create<S>(resource: Resource<S>, opts?: OwnerOptions): Promise<Resource<S>> {
    try {
      return Promise.resolve(this.#create(resource, opts));
    } catch (e) {
      return Promise.reject(e as Error);
    }
  }

  update<S>(resource: Resource<S>, opts?: UpdateOptions): Promise<Resource<S>> {
    try {
      return Promise.resolve(this.#update(resource, opts));
    } catch (e) {
      return Promise.reject(e as Error);
    }
  }

  destroy(ptr: Pointer, opts?: OwnerOptions): Promise<void> {
    try {
      this.#destroy(ptr, opts);
      return resolved;
    } catch (e) {
      return Promise.reject(e as Error);
    }
  }

  #create<S>(resource: Resource<S>, opts: OwnerOptions | undefined): Resource<S> {
    checkResource('create', resource);
    if (opts !== undefined) checkOptions(() => `create ${formatPointer(resource.metadata)}`, opts, OWNER_OPTIONS);
    opts?.signal?.throwIfAborted();
    const md = resource.metadata;
    const owner = ownerOption('create', md, opts?.owner);
    // Every argument is checked (and copied where needed) before the first write, so a bad one leaves no trace.
    const finalizers = storedFinalizers('create', md, md.finalizers);
    const labels = storedLabels('create', md, 'labels', md.labels);
    const annotations = storedLabels('create', md, 'annotations', md.annotations);
    const spec = storedSpec(md, resource.spec);
    if (md.phase !== 'running') {
      throw new PhaseConflictError(pointerOf(md), 'running', md.phase, `resource ${formatPointer(md)} must be created running, not ${md.phase}`);
    }
    if (md.owner !== '' && md.owner !== owner) throw new OwnerConflictError(pointerOf(md), owner, md.owner);
    const known = this.#store(md);
    if (known?.items.has(md.id) === true) throw new ConflictError(pointerOf(md), 'exists');
    const now = this.#clock();
    const ks = known ?? this.#storeFor(md);
    const stored = freezeResource(
      {
        namespace: md.namespace,
        type: md.type,
        id: md.id,
        version: 1,
        owner,
        phase: 'running',
        finalizers,
        labels,
        annotations,
        created: now,
        updated: now,
      },
      spec,
    );
    ks.items.set(md.id, stored);
    ks.added(md.id);
    this.#record(ks, 'created', stored, undefined);
    return stored;
  }

  #update<S>(resource: Resource<S>, opts: UpdateOptions | undefined): Resource<S> {
    checkResource('update', resource);
    if (opts !== undefined) checkOptions(() => `update ${formatPointer(resource.metadata)}`, opts, UPDATE_OPTIONS);
    opts?.signal?.throwIfAborted();
    const md = resource.metadata;
    const owner = ownerOption('update', md, opts?.owner);
    const expected = expectedPhaseOption('update', md, opts?.expectedPhase);
    const finalizers = storedFinalizers('update', md, md.finalizers);
    const labels = storedLabels('update', md, 'labels', md.labels);
    const annotations = storedLabels('update', md, 'annotations', md.annotations);
    const ks = this.#store(md);
    const cur = ks?.items.get(md.id);
    // The stored spec (withMetadata of a read, a plain re-write) is known good: no walk over it.
    const spec = cur !== undefined && resource.spec === cur.spec ? resource.spec : storedSpec(md, resource.spec);
    if (ks === undefined || cur === undefined) throw new NotFoundError(pointerOf(md));
    const c = cur.metadata;
    if (c.owner !== owner) throw new OwnerConflictError(pointerOf(md), owner, c.owner);
    if (md.version !== c.version) {
      throw new ConflictError(pointerOf(md), 'version', undefined, { expectedVersion: md.version, actualVersion: c.version });
    }
    if (expected !== 'any' && c.phase !== expected) throw new PhaseConflictError(pointerOf(md), expected, c.phase);
    if (c.phase === 'tearingDown' && md.phase !== 'tearingDown') {
      throw new PhaseConflictError(
        pointerOf(md),
        'tearingDown',
        md.phase,
        `resource ${formatPointer(md)} is tearing down: it cannot go back to ${md.phase}`,
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
        finalizers,
        labels,
        annotations,
        created: c.created,
        updated: this.#clock(),
      },
      spec,
    );
    ks.items.set(c.id, stored);
    this.#record(ks, 'updated', stored, cur);
    return stored;
  }

  #destroy(ptr: Pointer, opts: OwnerOptions | undefined): void {
    checkPointer('destroy', ptr);
    if (opts !== undefined) checkOptions(() => `destroy ${formatPointer(ptr)}`, opts, OWNER_OPTIONS);
    opts?.signal?.throwIfAborted();
    const owner = ownerOption('destroy', ptr, opts?.owner);
    const ks = this.#store(ptr);
    const cur = ks?.items.get(ptr.id);
    if (ks === undefined || cur === undefined) throw new NotFoundError(pointerOf(ptr));
    if (cur.metadata.owner !== owner) throw new OwnerConflictError(pointerOf(ptr), owner, cur.metadata.owner);
    if (cur.metadata.finalizers.length > 0) throw new ConflictError(pointerOf(ptr), 'finalizers');
    ks.items.delete(ptr.id);
    ks.removed(ptr.id);
    this.#record(ks, 'destroyed', cur, undefined);
  }

  #record(ks: KindStore, type: WriteType, resource: Resource, old: Resource | undefined): void {
    ks.push(type, resource, old);
    if (ks.watchers.length > 0 || ks.singleCount > 0) this.#schedule(ks);
  }

  // ---- core: watches ---------------------------------------------------------------------------

  watch<S = unknown>(ptr: Pointer, opts: WatchOptions = {}): Observable<StateEvent<S>> {
    checkPointer('watch', ptr);
    checkWatchOptions(opts, true, ptr);
    const spec: WatchSpec = { id: ptr.id, match: undefined, opts };
    const kind = { namespace: ptr.namespace, type: ptr.type };
    return new Observable<StateEvent<S>>((subscriber) =>
      this.#attach(kind, spec, subscriber as Subscriber<AnyEvent>, false),
    );
  }

  watchKind<S = unknown>(kind: Kind, opts: WatchKindOptions = {}): Observable<StateEvent<S>> {
    checkKind('watchKind', kind);
    checkWatchOptions(opts, false, kind);
    const spec: WatchSpec = { id: undefined, match: compileFilter(opts, kind), opts };
    const k = { namespace: kind.namespace, type: kind.type };
    return new Observable<StateEvent<S>>((subscriber) => this.#attach(k, spec, subscriber as Subscriber<AnyEvent>, false));
  }

  watchKindAggregated<S = unknown>(kind: Kind, opts: WatchKindOptions = {}): Observable<readonly StateEvent<S>[]> {
    checkKind('watchKindAggregated', kind);
    checkWatchOptions(opts, false, kind, 'watchKindAggregated');
    const spec: WatchSpec = { id: undefined, match: compileFilter(opts, kind), opts };
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
      signal?.removeEventListener('abort', onAbort);
      if (id === undefined) {
        ks.watchers = ks.watchers.filter((x) => x !== w);
        return;
      }
      ks.singleCount--;
      const set = ks.singles.get(id);
      if (set?.delete(w)) {
        if (set.size === 0) ks.singles.delete(id);
      } else {
        ks.fresh = ks.fresh.filter((x) => x !== w);
      }
    };
    if (id === undefined) {
      ks.watchers = [...ks.watchers, w];
    } else {
      ks.fresh = [...ks.fresh, w];
      ks.singleCount++;
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    // A single watch is always visited once: that drain catches it up and indexes it.
    if (id !== undefined || w.pending !== undefined || w.cursor < ks.head) this.#schedule(ks);
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
    const from = ks.drainedTo;
    const to = ks.head;
    ks.drainedTo = to;
    const watchers = ks.watchers;
    for (let i = 0; i < watchers.length; i++) {
      const w = watchers[i]!;
      if (!w.closed) this.#pump(ks, w);
    }
    if (ks.singles.size > 0 && to > from) this.#drainSingles(ks, from, to);
    if (ks.fresh.length > 0) {
      const fresh = ks.fresh;
      ks.fresh = [];
      for (const w of fresh) {
        if (w.closed) continue;
        this.#pump(ks, w);
        if (w.closed) continue;
        let set = ks.singles.get(w.id!);
        if (set === undefined) ks.singles.set(w.id!, (set = new Set()));
        set.add(w);
      }
    }
    ks.forgetEvents(from, to);
  }

  /** Indexed single watchers whose id was written in (from, to]. */
  #drainSingles(ks: KindStore, from: number, to: number): void {
    if (to - from > this.#capacity) {
      // The ids written in the lost part of the ring are unknown: every single watch has overrun.
      for (const set of [...ks.singles.values()]) {
        for (const w of set) {
          w.cursor = Math.max(w.cursor, from);
          if (!w.closed) this.#pump(ks, w);
        }
      }
      return;
    }
    for (let p = from + 1; p <= to; p++) {
      const set = ks.singles.get(ks.resourceAt(p).metadata.id);
      if (set === undefined) continue;
      for (const w of set) {
        if (w.closed || w.cursor >= p) continue;
        // No event of its id lies between its cursor and p: earlier ones were delivered by earlier drains.
        w.cursor = Math.max(w.cursor, p - 1);
        this.#pump(ks, w);
      }
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
        ev = filterEvent(ks.event(p), match);
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
