import type { Logger } from 'pino';

/**
 * Warnings about misbehaving clients, at most one line per kind per interval, so a flood of refused
 * calls cannot flood the log. The next line of a kind carries how many were left out (`suppressed`).
 */
export class ProblemLog {
  readonly #logger: Logger;
  readonly #intervalMs: number;
  readonly #now: () => number;
  readonly #last = new Map<string, { at: number; suppressed: number }>();

  constructor(logger: Logger, options: { intervalMs?: number; now?: () => number } = {}) {
    this.#logger = logger;
    this.#intervalMs = options.intervalMs ?? 60_000;
    this.#now = options.now ?? Date.now;
  }

  warn(kind: string, fields: Record<string, unknown>, message: string): void {
    const now = this.#now();
    const last = this.#last.get(kind);
    if (last !== undefined && now - last.at < this.#intervalMs) {
      last.suppressed++;
      return;
    }
    this.#logger.warn({ ...fields, problem: kind, suppressed: last?.suppressed ?? 0 }, message);
    this.#last.set(kind, { at: now, suppressed: 0 });
  }
}
