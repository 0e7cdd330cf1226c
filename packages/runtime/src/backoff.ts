/** Exponential backoff with jitter (specs/controllers.md §5.3). */
export interface BackoffPolicy {
  /** First interval; default 500 ms. */
  readonly initialMs?: number;
  /** Cap of both the interval and each delay; default 60 s. */
  readonly maxMs?: number;
  /** Growth of the interval per failure; default 1.5. */
  readonly multiplier?: number;
  /** Delay = interval × U(1 − jitter, 1 + jitter); default 0.5. */
  readonly jitter?: number;
  /** Uniform [0, 1) source; default Math.random. */
  readonly random?: () => number;
}

export class Backoff {
  private interval: number;
  private readonly initial: number;
  private readonly max: number;
  private readonly multiplier: number;
  private readonly jitter: number;
  private readonly random: () => number;

  constructor(policy: BackoffPolicy = {}) {
    this.initial = policy.initialMs ?? 500;
    this.max = policy.maxMs ?? 60_000;
    this.multiplier = policy.multiplier ?? 1.5;
    this.jitter = policy.jitter ?? 0.5;
    this.random = policy.random ?? Math.random;
    this.interval = this.initial;
  }

  /** The delay before the next attempt; grows the interval. */
  next(): number {
    const factor = 1 - this.jitter + 2 * this.jitter * this.random();
    const d = Math.min(this.max, this.interval * factor);
    this.interval = Math.min(this.interval * this.multiplier, this.max);
    return d;
  }

  reset(): void {
    this.interval = this.initial;
  }
}
