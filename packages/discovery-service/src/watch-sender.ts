import type { WatchResponse } from '@cosi-ts/discovery-api';
import type { AffiliateView, ClusterWatcher, Subscription, WatchNotice } from './cluster-store.ts';
import { DEFAULT_WATCH_STALL_TIMEOUT_MS, MAX_PENDING_WATCH_IDS } from './limits.ts';
import type { WatchTicket } from './watch-quota.ts';

/** Where a watcher writes: a grpc-js server stream in production, a fake in unit tests. */
export interface WatchSink {
  /**
   * Returns false when the stream's buffer is full: stop and wait for `onDrain`. `written` is called
   * once the transport has taken the message (never, if the stream is torn down first).
   */
  write(message: WatchResponse, written: () => void): boolean;
  onDrain(listener: () => void): void;
  /** The watcher fell too far behind (R3): end the stream with Aborted. */
  abort(): void;
  /** Nothing buffered was taken by the transport for the stall timeout: the client stopped reading. */
  stalled(): void;
}

export interface WatchSenderOptions {
  /** R3: distinct pending IDs before the stream is aborted. Default 2048. */
  readonly maxPending?: number;
  readonly onSent?: () => void;
  /** How long unwritten messages may wait without any being taken before `sink.stalled()`. */
  readonly stallTimeoutMs?: number;
  /** Byte accounting of the Watch's unsent messages; the snapshot may be refused by it. */
  readonly ticket?: WatchTicket;
}

/** About the encoded size of a message (within a few bytes per field): what it pins while unsent. */
export function watchMessageBytes(m: WatchResponse): number {
  let n = 2;
  for (const a of m.affiliates) {
    n += 8 + Buffer.byteLength(a.id) + a.data.length;
    for (const e of a.endpoints) n += 2 + e.length;
  }
  return n;
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
  readonly #stallTimeoutMs: number;
  readonly #ticket: WatchTicket | undefined;
  #stallTimer: NodeJS.Timeout | undefined;
  /** Messages handed to the sink that the transport has not yet taken. */
  #unwritten = 0;

  constructor(sink: WatchSink, options: WatchSenderOptions = {}) {
    this.#sink = sink;
    this.#maxPending = options.maxPending ?? MAX_PENDING_WATCH_IDS;
    this.#onSent = options.onSent ?? (() => undefined);
    this.#stallTimeoutMs = options.stallTimeoutMs ?? DEFAULT_WATCH_STALL_TIMEOUT_MS;
    this.#ticket = options.ticket;
  }

  /**
   * Sends the snapshot (even when empty: it tells the client the snapshot is complete), then changes.
   * Throws DiscoveryError, having unsubscribed, when the ticket's byte budget refuses the snapshot.
   */
  start(subscription: Subscription): void {
    this.#subscription = subscription;
    const snapshot: WatchResponse = {
      affiliates: subscription.snapshot.map((a) => ({ id: a.id, data: a.data, endpoints: [...a.endpoints] })),
      deleted: false,
    };
    try {
      this.#ticket?.charge(watchMessageBytes(snapshot), true);
    } catch (e) {
      this.close();
      throw e;
    }
    this.#write(snapshot, false);
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
    clearTimeout(this.#stallTimer);
    this.#stallTimer = undefined;
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
      this.#write(current === undefined ? { affiliates: [{ id, data: Buffer.alloc(0), endpoints: [] }], deleted: true } : toMessage(current), true);
    }
  }

  #write(message: WatchResponse, charge: boolean): void {
    this.#sent++;
    this.#onSent();
    const bytes = watchMessageBytes(message);
    if (charge) this.#ticket?.charge(bytes, false);
    // grpc-js buffers up to 16 messages (whatever their size) before write() returns false, so a
    // client that stops reading pins a snapshot without ever blocking us: watch for unwritten
    // messages that make no progress rather than for back-pressure.
    // The clock starts when output starts waiting, not at an earlier, long since taken write.
    if (++this.#unwritten === 1) {
      if (this.#stallTimer === undefined) this.#armStallTimer();
      else this.#stallTimer.refresh();
    }
    const written = (): void => {
      this.#unwritten--;
      this.#ticket?.written(bytes);
      // Progress: the client is reading, however slowly.
      this.#stallTimer?.refresh();
    };
    if (this.#sink.write(message, written)) return;
    this.#blocked = true;
    this.#sink.onDrain(() => {
      this.#blocked = false;
      this.#pump();
    });
  }

  #armStallTimer(): void {
    if (this.#stallTimer !== undefined || this.#closed) return;
    const fire = (): void => {
      this.#stallTimer = undefined;
      if (this.#closed || this.#unwritten === 0) return; // all taken: re-armed by the next write
      this.close();
      this.#sink.stalled();
    };
    // One timer per Watch, refreshed on progress rather than recreated per message (fan-out cost).
    this.#stallTimer = setTimeout(fire, this.#stallTimeoutMs);
    this.#stallTimer.unref();
  }
}
