/**
 * The reconnect backoff of spec §6.5: 500 ms ×1.5 up to 60 s, each wait the interval ×(0.5…1.5) at
 * random, reset after a successful refresh. (`@cosi-ts/runtime` has one too, but this package must
 * not depend on the runtime.)
 */
export interface ReconnectBackoffPolicy {
  readonly initialMs?: number;
  readonly maxMs?: number;
  readonly random?: () => number;
}

export class ReconnectBackoff {
  readonly #initial: number;
  readonly #max: number;
  readonly #random: () => number;
  #interval: number;

  constructor(p: ReconnectBackoffPolicy = {}) {
    this.#initial = p.initialMs ?? 500;
    this.#max = p.maxMs ?? 60_000;
    this.#random = p.random ?? Math.random;
    this.#interval = this.#initial;
  }

  next(): number {
    const d = this.#interval * (0.5 + this.#random());
    this.#interval = Math.min(this.#interval * 1.5, this.#max);
    return d;
  }

  reset(): void {
    this.#interval = this.#initial;
  }
}
