import type { WatchResponse } from '@cosi-ts/discovery-api';
import type { AffiliateView, ClusterWatcher, Subscription, WatchNotice } from './cluster-store.ts';
import { MAX_PENDING_WATCH_IDS } from './limits.ts';

/** Where a watcher writes: a grpc-js server stream in production, a fake in unit tests. */
export interface WatchSink {
  /** Returns false when the stream's buffer is full: stop and wait for `onDrain`. */
  write(message: WatchResponse): boolean;
  onDrain(listener: () => void): void;
  /** The watcher fell too far behind (R3): end the stream with Aborted. */
  abort(): void;
}

function toMessage(a: AffiliateView): WatchResponse {
  return { affiliates: [{ id: a.id, data: a.data, endpoints: [...a.endpoints] }], deleted: false };
}

/**
 * The sending side of one Watch (spec §3.4, R3). Changes are recorded as `affiliateId → latest
 * notice` (a newer notice replaces the older in place) and drained only while the stream accepts
 * writes, reading each affiliate's current state when it is sent. Memory is bounded by the number of
 * distinct pending IDs; past `maxPending` the stream ends with Aborted and the client resyncs.
 */
export class WatchSender implements ClusterWatcher {
  readonly #sink: WatchSink;
  readonly #maxPending: number;
  readonly #pending = new Map<string, WatchNotice>();
  #subscription: Subscription | undefined;
  #blocked = false;
  #scheduled = false;
  #closed = false;
  #sent = 0;
  readonly #onSent: () => void;

  constructor(sink: WatchSink, options: { maxPending?: number; onSent?: () => void } = {}) {
    this.#sink = sink;
    this.#maxPending = options.maxPending ?? MAX_PENDING_WATCH_IDS;
    this.#onSent = options.onSent ?? (() => undefined);
  }

  /** Sends the snapshot (even when empty: it tells the client the snapshot is complete), then changes. */
  start(subscription: Subscription): void {
    this.#subscription = subscription;
    const snapshot: WatchResponse = {
      affiliates: subscription.snapshot.map((a) => ({ id: a.id, data: a.data, endpoints: [...a.endpoints] })),
      deleted: false,
    };
    this.#write(snapshot);
    this.#pump();
  }

  notify(affiliateId: string, notice: WatchNotice): void {
    if (this.#closed) return;
    this.#pending.set(affiliateId, notice);
    if (this.#pending.size > this.#maxPending) {
      this.close();
      this.#sink.abort();
      return;
    }
    if (!this.#scheduled && !this.#blocked) {
      this.#scheduled = true;
      queueMicrotask(() => {
        this.#scheduled = false;
        this.#pump();
      });
    }
  }

  /** Stops sending and unregisters; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#pending.clear();
    this.#subscription?.unsubscribe();
  }

  get pendingCount(): number {
    return this.#pending.size;
  }

  get sentCount(): number {
    return this.#sent;
  }

  #pump(): void {
    while (!this.#closed && !this.#blocked && this.#subscription !== undefined) {
      const next = this.#pending.entries().next();
      if (next.done === true) return;
      const [id, notice] = next.value;
      this.#pending.delete(id);
      const current = notice === 'update' ? this.#subscription.lookup(id) : undefined;
      this.#write(current === undefined ? { affiliates: [{ id, data: Buffer.alloc(0), endpoints: [] }], deleted: true } : toMessage(current));
    }
  }

  #write(message: WatchResponse): void {
    this.#sent++;
    this.#onSent();
    if (this.#sink.write(message)) return;
    this.#blocked = true;
    this.#sink.onDrain(() => {
      this.#blocked = false;
      this.#pump();
    });
  }
}
