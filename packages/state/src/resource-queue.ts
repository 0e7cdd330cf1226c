import type { Pointer } from '@cosi-ts/resource';

/**
 * One FIFO per resource: the read-modify-writes of one resource made through one State run one after
 * another. Without it, n racing writers all read the same version, one wins, n−1 retry, and the
 * recipes run n(n+1)/2 times in all; queued, each runs once, and again only when a writer outside
 * this State (another process, a plain `update`) got in between its read and its write.
 *
 * A waiting call whose signal aborts rejects at once; its place in the line passes on when the call
 * before it ends. A call holding the line must not wait for another queued call on the same resource
 * (a recipe that modifies the resource it is modifying would wait for itself).
 */
export class ResourceQueue {
  /** The promise the next caller of a key waits for: settles when the last call queued so far ends. */
  readonly #tails = new Map<string, Promise<void>>();

  /** How many resources have calls running or waiting (for tests: an idle queue holds nothing). */
  get size(): number {
    return this.#tails.size;
  }

  run<T>(ptr: Pointer, signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
    const key = `${ptr.namespace}\u0000${ptr.type}\u0000${ptr.id}`;
    const previous = this.#tails.get(key);
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    this.#tails.set(key, mine);
    const done = () => {
      if (this.#tails.get(key) === mine) this.#tails.delete(key);
      release();
    };
    if (previous === undefined) return settleThen(fn, done);
    if (signal === undefined) return previous.then(() => settleThen(fn, done));
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => {
        // Leave the line now; the ones behind still wait for the call ahead of this one.
        void previous.then(done);
        reject(signal.reason);
      };
      if (signal.aborted) {
        onAbort();
        return;
      }
      signal.addEventListener('abort', onAbort, { once: true });
      void previous.then(() => {
        if (signal.aborted) return; // onAbort already released this place
        signal.removeEventListener('abort', onAbort);
        settleThen(fn, done).then(resolve, reject);
      });
    });
  }
}

/** `fn()`, then `after()` however it ends (a synchronous throw included). */
function settleThen<T>(fn: () => Promise<T>, after: () => void): Promise<T> {
  let p: Promise<T>;
  try {
    p = fn();
  } catch (e) {
    after();
    return Promise.reject(e as Error);
  }
  return p.finally(after);
}
