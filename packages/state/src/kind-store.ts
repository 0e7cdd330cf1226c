import type { Subscriber } from 'rxjs';
import { tombstone } from '@cosi-ts/resource';
import type { Kind, Resource, Tombstone } from '@cosi-ts/resource';
import { bookmarkAt, bookmarkHeader } from './bookmark.ts';
import type { ResourceMatcher } from './event-filter.ts';
import type { Bookmark, StateEvent } from './state.ts';

export type WriteType = 'created' | 'updated' | 'destroyed';
export type AnyEvent = StateEvent<unknown>;
export type Matcher = ResourceMatcher;

/** One watch of one kind (a single watch is a kind watch with an id filter). */
export class Watcher {
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
export class KindStore {
  readonly items = new Map<string, Resource>();
  /** Sorted ids; kept up to date by cheap appends and pops, else dropped and rebuilt on the next read. */
  sortedIds: string[] | undefined = [];
  /** Number of events ever written; event p (1-based) lives in slot (p − 1) % capacity. */
  head = 0;
  readonly types: WriteType[] = [];
  readonly resources: Resource[] = [];
  readonly olds: (Resource | undefined)[] = [];
  /**
   * Event objects made on first delivery and shared by the watchers of that drain, then dropped
   * (see {@link forgetEvents}): kept for the whole ring they would survive young-generation GCs and be
   * copied, which costs more than making one again for a rare late reader.
   */
  readonly events: (AnyEvent | undefined)[] = [];
  /** Kind watchers. Copy-on-write, so that delivery can iterate while watchers come and go. */
  watchers: readonly Watcher[] = [];
  /** Single watchers not yet delivered to (copy-on-write); the next drain catches them up, then indexes them. */
  fresh: readonly Watcher[] = [];
  /**
   * Caught-up single watchers by id: a drain visits only those whose id was written, so a thousand
   * single watches of one kind cost nothing per write to another id.
   */
  readonly singles = new Map<string, Set<Watcher>>();
  singleCount = 0;
  /** The head when the last drain started: every indexed single has seen its id's events up to here. */
  drainedTo = 0;
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

  /** Drops the shared event objects of positions (from, to]. */
  forgetEvents(from: number, to: number): void {
    for (let p = Math.max(from, to - this.capacity) + 1; p <= to; p++) this.events[(p - 1) % this.capacity] = undefined;
  }

  resourceAt(p: number): Resource {
    return this.resources[(p - 1) % this.capacity]!;
  }

  /** Keeps the sorted ids valid for the common cases (ids created in ascending order, newest destroyed). */
  added(id: string): void {
    const ids = this.sortedIds;
    if (ids === undefined) return;
    const last = ids[ids.length - 1];
    if (last === undefined || last < id) ids.push(id);
    else this.sortedIds = undefined;
  }

  removed(id: string): void {
    const ids = this.sortedIds;
    if (ids === undefined) return;
    if (ids[ids.length - 1] === id) ids.pop();
    else this.sortedIds = undefined;
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
