import type { WatchResponse } from '@cosi-ts/discovery-api';
import type { AffiliateView, ClusterWatcher, Subscription, WatchNotice } from './cluster-store.ts';
import { DEFAULT_WATCH_STALL_TIMEOUT_MS, MAX_PENDING_WATCH_IDS, WATCH_SEND_WINDOW_BYTES } from './limits.ts';
import type { WatchTicket } from './watch-quota.ts';

/** Where a watcher writes: a grpc-js server stream in production, a fake in unit tests. */
export interface WatchSink {
  /**
   * `Writable.write`: returns false when the stream wants no more until `onDrain`. `written` is called
   * once the stream has taken the message (never, if the stream is torn down first).
   */
  write(message: WatchResponse, written: () => void): boolean;
  onDrain(listener: () => void): void;
  /**
   * The watcher fell too far behind (R3): end the stream with Aborted. What was already written is
   * still on its way; the sender keeps the stall clock on it.
   */
  abort(): void;
  /** Output waiting to be taken made no progress for the stall timeout: the client stopped reading. */
  stalled(): void;
}

export interface WatchSenderOptions {
  /** R3: distinct pending IDs before the stream is aborted. Default 2048. */
  readonly maxPending?: number;
  readonly onSent?: () => void;
  /** How long written messages may wait without any being taken before `sink.stalled()`. */
  readonly stallTimeoutMs?: number;
  /** Bytes written and not yet taken past which nothing more is written. Default 64 KiB. */
  readonly windowBytes?: number;
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
 *
 * What the client has not taken is measured here, with the stream's public contract only: a message
 * counts from `write()` until its write callback. The sender writes while fewer than `windowBytes` are
 * untaken and the stream has not asked to wait for 'drain', so changes wait coalesced in the pending
 * map rather than in transport buffers, whatever their sizes on this Node version; and if untaken
 * output makes no progress for the stall timeout, the sink is told (it closes the connection).
 */
export class WatchSender implements ClusterWatcher {
  readonly #sink: WatchSink;
  readonly #maxPending: number;
  readonly #pending = new Map<string, WatchNotice>();
  #subscription: Subscription | undefined;
  /** Between start and finish/abort: changes are being sent. */
  #sending = false;
  /** The stream asked to wait for 'drain'. */
  #blocked = false;
  #scheduled = false;
  /** The stream is gone or given up on: nothing more is tracked. */
  #closed = false;
  #sent = 0;
  readonly #onSent: () => void;
  readonly #stallTimeoutMs: number;
  readonly #windowBytes: number;
  readonly #ticket: WatchTicket | undefined;
  #stallTimer: NodeJS.Timeout | undefined;
  /** Messages, and their bytes, handed to the sink that the stream has not yet taken. */
  #unwritten = 0;
  #unwrittenBytes = 0;

  constructor(sink: WatchSink, options: WatchSenderOptions = {}) {
    this.#sink = sink;
    this.#maxPending = options.maxPending ?? MAX_PENDING_WATCH_IDS;
    this.#onSent = options.onSent ?? (() => undefined);
    this.#stallTimeoutMs = options.stallTimeoutMs ?? DEFAULT_WATCH_STALL_TIMEOUT_MS;
    this.#windowBytes = options.windowBytes ?? WATCH_SEND_WINDOW_BYTES;
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
    const bytes = watchMessageBytes(snapshot);
    try {
      this.#ticket?.charge(bytes, true);
    } catch (e) {
      this.close();
      throw e;
    }
    this.#sending = true;
    this.#write(snapshot, bytes);
    this.#pump();
  }

  notify(affiliateId: string, notice: WatchNotice): void {
    if (!this.#sending) return;
    this.#pending.set(affiliateId, notice);
    if (this.#pending.size > this.#maxPending) {
      this.#stopSending();
      this.#sink.abort();
      return;
    }
    this.#schedule();
  }

  /**
   * Stops sending (the stream is being ended) and unregisters; what was written stays tracked, with
   * the stall clock on it, until `close()`.
   */
  finish(): void {
    this.#stopSending();
  }

  /** The stream is gone: stops sending and tracking, and unregisters; idempotent. */
  close(): void {
    this.#stopSending();
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#stallTimer);
    this.#stallTimer = undefined;
  }

  get pendingCount(): number {
    return this.#pending.size;
  }

  get sentCount(): number {
    return this.#sent;
  }

  /** Bytes written that the stream has not yet taken. */
  get unwrittenBytes(): number {
    return this.#unwrittenBytes;
  }

  #stopSending(): void {
    if (!this.#sending && this.#subscription === undefined) return;
    this.#sending = false;
    this.#pending.clear();
    this.#subscription?.unsubscribe();
    this.#subscription = undefined;
  }

  #schedule(): void {
    if (this.#scheduled || !this.#canWrite()) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      this.#pump();
    });
  }

  #canWrite(): boolean {
    return this.#sending && !this.#closed && !this.#blocked && this.#unwrittenBytes < this.#windowBytes;
  }

  #pump(): void {
    while (this.#canWrite() && this.#subscription !== undefined) {
      const next = this.#pending.entries().next();
      if (next.done === true) return;
      const [id, notice] = next.value;
      this.#pending.delete(id);
      const current = notice === 'update' ? this.#subscription.lookup(id) : undefined;
      const message = current === undefined ? { affiliates: [{ id, data: Buffer.alloc(0), endpoints: [] }], deleted: true } : toMessage(current);
      const bytes = watchMessageBytes(message);
      this.#ticket?.charge(bytes, false);
      this.#write(message, bytes);
    }
  }

  #write(message: WatchResponse, bytes: number): void {
    this.#sent++;
    this.#onSent();
    // The clock starts when output starts waiting, not at an earlier, long since taken write.
    if (++this.#unwritten === 1) {
      if (this.#stallTimer === undefined) this.#armStallTimer();
      else this.#stallTimer.refresh();
    }
    this.#unwrittenBytes += bytes;
    const written = (): void => {
      if (this.#closed) return;
      this.#unwritten--;
      this.#unwrittenBytes -= bytes;
      this.#ticket?.written(bytes);
      // Progress: the client is reading, however slowly.
      this.#stallTimer?.refresh();
      if (this.#pending.size > 0) this.#schedule();
    };
    if (this.#sink.write(message, written)) return;
    this.#blocked = true;
    this.#sink.onDrain(() => {
      this.#blocked = false;
      this.#schedule();
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
