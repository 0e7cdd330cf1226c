import type { Logger } from 'pino';

/**
 * A warning logged the first time, then at most once per `intervalMs`; occurrences in between are
 * counted (and reported as `suppressed` with the next warning), never logged one by one.
 */
export class RateLimitedWarning {
  private last: number | undefined;
  private suppressed = 0;

  constructor(
    private readonly message: string,
    private readonly intervalMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** True when this occurrence was logged. */
  report(logger: Logger, fields: Record<string, unknown>): boolean {
    const t = this.now();
    if (this.last !== undefined && t - this.last < this.intervalMs) {
      this.suppressed++;
      return false;
    }
    logger.warn({ ...fields, ...(this.suppressed > 0 ? { suppressed: this.suppressed } : {}) }, this.message);
    this.last = t;
    this.suppressed = 0;
    return true;
  }

  /** Forgets the pending count (the condition ended); the interval since the last warning still holds. */
  clearPending(): void {
    this.suppressed = 0;
  }
}
