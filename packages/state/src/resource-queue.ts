import type { Pointer } from '@cosi-ts/resource';

/** The calls waiting behind the one running for a resource, in order. */
interface Line {
  readonly waiting: (() => void)[];
}

/**
 * One FIFO per resource: the read-modify-writes of one resource made through one State run one after
 * another. Without it, n racing writers all read the same version, one wins, n−1 retry, and the
 * recipes run n(n+1)/2 times in all; queued, each runs once, and again only when a writer outside
 * this State (another process, a plain `update`) got in between its read and its write.
 *
 * A waiting call whose signal aborts leaves the line at once and rejects with the signal's reason.
 * A call holding the line must not wait for another queued call on the same resource (a recipe that
 * modifies the resource it is modifying would wait for itself).
 *
 * The uncontended path allocates one small record and hands back the call's own promise, so that a
 * lone writer pays no extra promise hops for the line.
 */
export class ResourceQueue {
  readonly #lines = new Map<string, Line>();

  /** How many resources have calls running or waiting (an idle queue holds nothing). */
  get size(): number {
    return this.#lines.size;
  }

  run<T>(ptr: Pointer, signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
    const key = `${ptr.namespace}\u0000${ptr.type}\u0000${ptr.id}`;
    const line = this.#lines.get(key);
    if (line === undefined) {
      const mine: Line = { waiting: [] };
      this.#lines.set(key, mine);
      return this.#start(key, mine, fn);
    }
    return new Promise<T>((resolve, reject) => {
      const start = () => {
        signal?.removeEventListener('abort', onAbort);
        this.#start(key, line, fn).then(resolve, reject);
      };
      const onAbort = () => {
        const i = line.waiting.indexOf(start);
        if (i >= 0) line.waiting.splice(i, 1);
        reject(signal?.reason);
      };
      if (signal?.aborted === true) {
        reject(signal.reason);
        return;
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      line.waiting.push(start);
    });
  }

  /** Runs `fn` holding the line; when it settles, the next waiter starts (or the line goes). */
  #start<T>(key: string, line: Line, fn: () => Promise<T>): Promise<T> {
    const next = () => {
      const waiter = line.waiting.shift();
      if (waiter !== undefined) waiter();
      else this.#lines.delete(key);
    };
    let p: Promise<T>;
    try {
      p = fn();
    } catch (e) {
      next();
      return Promise.reject(e as Error);
    }
    // Registered before the caller's own reaction: the next call starts as this one settles.
    p.then(next, next);
    return p;
  }
}
