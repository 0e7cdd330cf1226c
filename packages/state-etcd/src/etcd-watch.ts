import type { Etcd3, IEvent, IWatchResponse, Watcher } from 'etcd3';
import type { Subscriber } from 'rxjs';
import { tombstone } from '@cosi-ts/resource';
import type { Kind, Resource, Tombstone } from '@cosi-ts/resource';
import { InvalidBookmarkError, OverrunError, UnsupportedError, bookmarkAt, filterEvent, positionIn, resyncDiff } from '@cosi-ts/state';
import type { ResourceMatcher, StateEvent, WatchKindOptions } from '@cosi-ts/state';
import { EtcdStateError } from './errors.ts';

export type AnyEvent = StateEvent<unknown>;

/** What a watch needs from its EtcdState. */
export interface WatchHost {
  readonly client: Etcd3;
  /** The bookmark header of a kind (store id + kind key); waits for the cluster id once. */
  header(kind: Kind): Promise<Uint8Array>;
  /** The kind's resources (ascending id) at one revision. */
  list(kind: Kind): Promise<{ revision: number; resources: Resource[] }>;
  /** One resource (or none) at one revision. */
  getOne(kind: Kind, id: string): Promise<{ revision: number; resource: Resource | undefined }>;
  /** The current revision. */
  revision(): Promise<number>;
  /** The event of one etcd change (shared by every watch that sees it); undefined when it has no value to report. */
  event(ev: IEvent, header: Uint8Array, revision: number): AnyEvent | undefined;
  /** Delay before attempt n (0-based) to re-establish a broken watch. */
  retryDelay(attempt: number): number;
  /** Called when the watch ends, so the state forgets it. */
  forget(watch: EtcdWatch): void;
}

export interface WatchTarget {
  readonly kind: Kind;
  readonly kindPrefix: string;
  /** A single watch: only this id (and key). */
  readonly id: string | undefined;
  readonly key: string | undefined;
  readonly match: ResourceMatcher | undefined;
  readonly opts: WatchKindOptions;
}

/**
 * One subscription: an initial read (state, bootstrap or position), then an etcd watch from the
 * next revision with previous values. The cursor is the revision of the last event consumed, so a
 * broken stream is re-created from exactly there (no loss, no duplicate); compaction past the
 * cursor resyncs a bootstrapped watch and fails any other (a resumed one before its first event
 * gets InvalidBookmark: its bookmark is older than the history).
 */
export class EtcdWatch {
  #cursor = 0;
  #closed = false;
  #header: Uint8Array | undefined;
  #watcher: Watcher | undefined;
  #timer: NodeJS.Timeout | undefined;
  #attempt = 0;
  /** Resumed from a bookmark and nothing consumed yet: compaction means the bookmark is too old. */
  #unconfirmedResume = false;
  #view: Map<string, Resource> | undefined;
  readonly #tombstone: Tombstone;

  constructor(
    private readonly host: WatchHost,
    private readonly target: WatchTarget,
    private readonly subscriber: Subscriber<AnyEvent> | Subscriber<readonly AnyEvent[]>,
    private readonly aggregated: boolean,
  ) {
    this.#tombstone = tombstone(target.kind);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Positions the watch and sends its initial events; resolves once later writes are sure to be seen. Never rejects. */
  async start(): Promise<void> {
    const { opts, id, kind } = this.target;
    try {
      const header = await this.host.header(kind);
      this.#header = header;
      if (this.#closed) return;
      if (opts.startFromBookmark !== undefined) {
        const pos = positionIn(opts.startFromBookmark, header);
        const head = pos < 0 ? -1 : await this.host.revision();
        if (pos < 0 || pos > head) return this.#fail(new InvalidBookmarkError());
        this.#cursor = pos;
        this.#unconfirmedResume = true;
      } else if (opts.tailEvents !== undefined) {
        // etcd keeps one history for all keys: the last n events of one kind cannot be found cheaply.
        return this.#fail(new UnsupportedError('tailEvents'));
      } else if (id !== undefined) {
        const { revision, resource } = await this.host.getOne(kind, id);
        if (this.#closed) return;
        const bookmark = bookmarkAt(header, revision);
        this.#cursor = revision;
        this.#emit([
          resource === undefined
            ? Object.freeze({ type: 'destroyed', resource: tombstone({ ...kind, id }) as unknown as Resource, bookmark })
            : Object.freeze({ type: 'created', resource, bookmark }),
        ]);
      } else if (opts.bootstrapContents === true) {
        await this.#bootstrap(false);
      } else {
        const revision = await this.host.revision();
        this.#cursor = revision;
        if (opts.bootstrapBookmark === true) {
          this.#emit([Object.freeze({ type: 'noop', resource: this.#tombstone, bookmark: bookmarkAt(header, revision) })]);
        }
      }
      if (!this.#closed) this.#watch();
    } catch (e) {
      if (!this.#closed) this.#fail(new EtcdStateError('EtcdWatchFailed', `etcd watch of ${describe(this.target)} could not start: ${(e as Error).message}`, { cause: e }));
    }
  }

  /** Unsubscribe: cancels the etcd watch; no more events. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#dropWatcher();
    this.host.forget(this);
  }

  /** The state closed: end the stream. */
  end(): void {
    if (this.#closed) return;
    this.close();
    this.subscriber.complete();
  }

  /** List at one revision and send the bootstrap (first time) or the §6.6 resync diff (after compaction). */
  async #bootstrap(resync: boolean): Promise<void> {
    const { revision, resources } = await this.host.list(this.target.kind);
    if (this.#closed) return;
    const match = this.target.match;
    const snapshot = match === undefined ? resources : resources.filter(match);
    const events: AnyEvent[] = resync
      ? resyncDiff(this.#view ?? new Map(), snapshot)
      : snapshot.map((r) => Object.freeze({ type: 'created', resource: r }) as AnyEvent);
    events.push(Object.freeze({ type: 'bootstrapped', resource: this.#tombstone, bookmark: bookmarkAt(this.#header!, revision) }));
    this.#view = new Map(snapshot.map((r) => [r.metadata.id, r]));
    this.#cursor = revision;
    this.#emit(events);
  }

  #watch(): void {
    const builder = this.host.client.watch().startRevision(String(this.#cursor + 1)).withPreviousKV();
    // `watcher()` (not `create()`): the handlers are attached before the stream can deliver anything.
    const watcher = (this.target.key !== undefined ? builder.key(this.target.key) : builder.prefix(this.target.kindPrefix)).watcher();
    this.#watcher = watcher;
    watcher.on('connected', () => {
      this.#attempt = 0;
    });
    watcher.on('data', (res: IWatchResponse) => {
      if (this.#watcher === watcher) this.#onData(res);
    });
    watcher.on('disconnected', () => {
      // etcd3 would resume from the last header revision, which can skip events a catching-up
      // watch has not received yet: re-create it from our own cursor instead.
      if (this.#watcher === watcher) this.#rewatchLater();
    });
    watcher.on('error', () => {
      if (this.#watcher !== watcher) return;
      this.#watcher = undefined;
      // A watch canceled by the server ("Watcher canceled"): with etcd 3.4 that means compacted.
      void this.#compacted();
    });
  }

  #dropWatcher(): void {
    const w = this.#watcher;
    this.#watcher = undefined;
    if (w !== undefined) {
      w.removeAllListeners('data');
      w.on('error', () => {}); // late cancel errors of an abandoned watcher are of no interest
      w.cancel().catch(() => {});
    }
  }

  #rewatchLater(): void {
    this.#dropWatcher();
    if (this.#closed || this.#timer !== undefined) return;
    const delay = this.host.retryDelay(this.#attempt++);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (!this.#closed) this.#watch();
    }, delay);
  }

  async #compacted(): Promise<void> {
    this.#dropWatcher();
    if (this.#closed) return;
    if (this.#unconfirmedResume) return this.#fail(new InvalidBookmarkError());
    if (this.#view === undefined) return this.#fail(new OverrunError(this.target.kind.namespace, this.target.kind.type));
    for (;;) {
      try {
        await this.#bootstrap(true);
        if (!this.#closed) this.#watch();
        return;
      } catch {
        if (this.#closed) return;
        // etcd unreachable while relisting: try again later (bounded delay), the view is kept.
        await new Promise<void>((resolve) => {
          this.#timer = setTimeout(() => {
            this.#timer = undefined;
            resolve();
          }, this.host.retryDelay(this.#attempt++));
        });
        if (this.#closed) return;
      }
    }
  }

  #onData(res: IWatchResponse): void {
    const out: AnyEvent[] = [];
    for (const ev of res.events) {
      const e = this.#event(ev);
      if (e !== undefined) out.push(e);
    }
    if (out.length > 0) this.#emit(out);
  }

  #event(ev: IEvent): AnyEvent | undefined {
    const revision = Number(ev.kv.mod_revision);
    if (!(revision > this.#cursor)) return undefined; // already consumed (a re-created watch)
    this.#cursor = revision;
    this.#unconfirmedResume = false;
    const { match } = this.target;
    const e = this.host.event(ev, this.#header!, revision);
    if (e === undefined) return undefined;
    const filtered = match === undefined ? e : filterEvent(e, match);
    if (filtered === undefined) return undefined;
    const view = this.#view;
    if (view !== undefined && filtered.type !== 'errored') {
      const r = (filtered as { resource: Resource }).resource;
      if (filtered.type === 'destroyed') view.delete(r.metadata.id);
      else view.set(r.metadata.id, r);
    }
    return filtered;
  }

  #emit(events: AnyEvent[]): void {
    if (this.#closed || events.length === 0) return;
    if (this.aggregated) (this.subscriber as Subscriber<readonly AnyEvent[]>).next(Object.freeze(events));
    else for (const e of events) if (!this.#closed) (this.subscriber as Subscriber<AnyEvent>).next(e);
  }

  #fail(error: Error): void {
    if (this.#closed) return;
    this.#emit([Object.freeze({ type: 'errored', error })]);
    this.close();
    this.subscriber.complete();
  }
}

const describe = (t: WatchTarget) => `${t.kind.namespace}/${t.kind.type}${t.id === undefined ? '' : `/${t.id}`}`;
