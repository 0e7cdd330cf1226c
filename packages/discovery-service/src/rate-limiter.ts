import { DiscoveryError } from './discovery-error.ts';

export interface RateLimitOptions {
  /** Tokens per second. Default 15. */
  readonly ratePerSecond?: number;
  /** Bucket size. Default 60. */
  readonly burst?: number;
  /** Calls of one key waiting for a token at once; more are refused at once. Default 1024. */
  readonly maxWaiting?: number;
  readonly now?: () => number;
}

interface Bucket {
  /** Tokens at `at`; negative while callers wait for reserved tokens. */
  tokens: number;
  at: number;
  /** Calls waiting for a reserved token now. */
  waiting: number;
}

/**
 * A token bucket per client IP (spec R6). A call without a token waits its turn: reservations are
 * taken in arrival order, so waiters are served FIFO. A call whose wait would pass its deadline
 * fails at once with ResourceExhausted and takes no token. So does a call without a deadline when
 * `maxWaiting` calls of its key already wait (about 68 s of tokens at 15/s): no client can pile up
 * an unbounded queue of parked calls, each holding a stream, a timer and a listener.
 */
export class RateLimiter {
  readonly #rate: number;
  readonly #burst: number;
  readonly #maxWaiting: number;
  readonly #now: () => number;
  readonly #buckets = new Map<string, Bucket>();

  constructor(options: RateLimitOptions = {}) {
    this.#rate = options.ratePerSecond ?? 15;
    this.#burst = options.burst ?? 60;
    this.#maxWaiting = options.maxWaiting ?? 1024;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Resolves when the call may proceed. `deadline` is unix ms (Infinity: wait as long as needed).
   * Rejects with DiscoveryError('rate-limited') if the wait would pass it, or with the signal's
   * reason if aborted while waiting (the reserved token is given back).
   */
  async acquire(key: string, deadline: number, signal?: AbortSignal): Promise<void> {
    const now = this.#now();
    const bucket = this.#refill(key, now);
    const waitMs = bucket.tokens >= 1 ? 0 : ((1 - bucket.tokens) / this.#rate) * 1000;
    if (now + waitMs > deadline || (waitMs > 0 && bucket.waiting >= this.#maxWaiting)) throw new DiscoveryError('rate-limited');
    bucket.tokens -= 1;
    if (waitMs === 0) return;
    bucket.waiting++;
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        clearTimeout(timer);
        bucket.tokens += 1;
        bucket.waiting--;
        reject(signal?.reason instanceof Error ? signal.reason : new Error('rate limit wait aborted'));
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        bucket.waiting--;
        resolve();
      }, Math.ceil(waitMs));
      if (signal?.aborted === true) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Drops buckets that are full again, so idle clients cost nothing. Run every minute. */
  prune(): number {
    const now = this.#now();
    let dropped = 0;
    for (const [key] of this.#buckets) {
      if (this.#refill(key, now).tokens >= this.#burst) {
        this.#buckets.delete(key);
        dropped++;
      }
    }
    return dropped;
  }

  get size(): number {
    return this.#buckets.size;
  }

  #refill(key: string, now: number): Bucket {
    let b = this.#buckets.get(key);
    if (b === undefined) {
      b = { tokens: this.#burst, at: now, waiting: 0 };
      this.#buckets.set(key, b);
      return b;
    }
    if (now > b.at) {
      b.tokens = Math.min(this.#burst, b.tokens + ((now - b.at) / 1000) * this.#rate);
      b.at = now;
    }
    return b;
  }
}
