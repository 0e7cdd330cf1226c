import { abortReason, type Clock } from './clock.ts';

export interface ChangeRateLimit {
  readonly perSecond: number;
  readonly burst: number;
}

/** Token bucket shared by all controllers' writes: callers wait for their token, never fail (§2). */
export class RateLimiter {
  private tokens: number;
  private last: number;

  constructor(
    private readonly limit: ChangeRateLimit,
    private readonly clock: Clock,
  ) {
    if (!(limit.perSecond > 0) || !(limit.burst >= 1)) {
      throw new RangeError(`changeRateLimit needs perSecond > 0 and burst >= 1, got ${JSON.stringify(limit)}`);
    }
    this.tokens = limit.burst;
    this.last = clock.now();
  }

  /** Reserves one token (the balance may go negative: later callers queue behind) and waits for it. */
  take(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.reject(abortReason(signal));
    const now = this.clock.now();
    this.tokens = Math.min(this.limit.burst, this.tokens + ((now - this.last) * this.limit.perSecond) / 1000);
    this.last = now;
    this.tokens -= 1;
    if (this.tokens >= 0) return Promise.resolve();
    const wait = (-this.tokens * 1000) / this.limit.perSecond;
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.clock.clearTimeout(handle);
        this.tokens += 1; // give the reservation back
        reject(abortReason(signal));
      };
      const handle = this.clock.setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, wait);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
