import type { Pointer } from '@cosi-ts/resource';

const noop = (): void => {};

/**
 * One FIFO per resource: the read-modify-writes of one resource made through one State run one after
 * another. Without it, n racing writers all read the same version, one wins, n−1 retry, and the
 * recipes run n(n+1)/2 times in all; queued, each runs once, and again only when a writer outside
 * this State (another process, a plain `update`) got in between its read and its write.
 *
 * A waiting call whose signal aborts rejects at once with the signal's reason; the calls behind it
 * still wait for the one ahead of it. A call holding the line must not wait for another queued call
 * on the same resource (a recipe that modifies the resource it is modifying would wait for itself).
 *
 * The line is a chain of promises that never reject (one per call, the "tail"). The caller gets the
 * call's own promise, so a lone writer pays no extra promise hops; an idle resource holds nothing.
 */
export class ResourceQueue {
  /** Settles (never rejects) once the last call queued so far for the key has ended. */
  readonly #tails = new Map<string, Promise<unknown>>();

  /** How many resources have calls running or waiting (an idle queue holds nothing). */
  get size(): number {
    return this.#tails.size;
  }

  run<T>(ptr: Pointer, signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
    const key = `${ptr.namespace}\u0000${ptr.type}\u0000${ptr.id}`;
    const previous = this.#tails.get(key);
    let result: Promise<T>;
    let behind: () => unknown = noop;
    if (previous === undefined) {
      try {
        result = fn();
      } catch (e) {
        return Promise.reject(e as Error);
      }
    } else if (signal === undefined) {
      result = previous.then(fn);
    } else {
      result = new Promise<void>((resolve, reject) => {
        if (signal.aborted) {
          reject(signal.reason);
          return;
        }
        const onAbort = () => reject(signal.reason);
        signal.addEventListener('abort', onAbort, { once: true });
        void previous.then(() => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        });
      }).then(fn);
      // If this call left the line early, the ones behind it still wait for the one ahead.
      behind = () => previous;
    }
    const tail: Promise<unknown> = result.then(behind, behind).then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    this.#tails.set(key, tail);
    return result;
  }
}
