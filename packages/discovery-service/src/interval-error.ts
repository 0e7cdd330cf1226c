/** Longest delay a Node timer takes; a longer one fires after 1 ms, turning an interval into a busy loop. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** An interval option (`--gc-interval`, `--snapshot-interval`) that is not a usable timer period. */
export class IntervalError extends Error {
  readonly code = 'interval-invalid';
  readonly option: string;

  constructor(option: string, ms: number, min = 1) {
    super(`${option} must be between ${min} ms and ${MAX_TIMER_MS} ms (about 24 days), got ${ms} ms`);
    this.name = 'IntervalError';
    this.option = option;
  }
}

/** Throws IntervalError unless `ms` is a period a Node timer honours (at least `min`, default 1 ms). */
export function checkInterval(option: string, ms: number, min = 1): void {
  if (!Number.isFinite(ms) || ms < min || ms > MAX_TIMER_MS) throw new IntervalError(option, ms, min);
}
