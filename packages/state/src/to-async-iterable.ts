import type { Observable, Subscription } from 'rxjs';
import { checkOptions, knownOptions } from '@cosi-ts/resource';

const OPTIONS = knownOptions('signal', 'highWaterMark');

export interface ToAsyncIterableOptions {
  /** Ends the iteration: a pending or later `next()` rejects with `signal.reason`, and the subscription is released. */
  readonly signal?: AbortSignal;
  /**
   * Values buffered while the consumer is busy. Exceeding it ends the iteration with a
   * {@link BufferOverflowError} (after the values already buffered): a slow reader fails loudly
   * instead of growing memory without bound. Default 1 000 000: large enough for the bootstrap of a
   * big kind (delivered in one go), small enough to stop a stuck reader.
   */
  readonly highWaterMark?: number;
}

/** The observable produced faster than the `for await` loop consumed it. */
export class BufferOverflowError extends Error {
  override readonly name = 'BufferOverflowError';
  readonly code = 'BufferOverflow' as const;
  constructor(readonly highWaterMark: number) {
    super(`toAsyncIterable: more than ${highWaterMark} values buffered; the consumer is too slow for this observable`);
  }
}

type Ending = { readonly kind: 'complete' } | { readonly kind: 'error'; readonly error: unknown };

/**
 * `for await` over an Observable. Subscribes on the first `next()`; `break`, `return()` and abort
 * unsubscribe. Values are buffered (bounded by `highWaterMark`); an observable error is thrown
 * from the loop after the values before it.
 */
export function toAsyncIterable<T>(obs: Observable<T>, opts: ToAsyncIterableOptions = {}): AsyncIterableIterator<T> {
  checkOptions('toAsyncIterable', opts, OPTIONS);
  const { signal, highWaterMark = 1_000_000 } = opts;
  if (!(highWaterMark >= 1)) throw new TypeError(`toAsyncIterable: highWaterMark must be >= 1, got ${String(highWaterMark)}`);
  const buffer: T[] = [];
  let head = 0;
  let ending: Ending | undefined;
  let released = false;
  let sub: Subscription | undefined;
  let waiter: { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void } | undefined;

  const release = () => {
    if (released) return;
    released = true;
    signal?.removeEventListener('abort', onAbort);
    sub?.unsubscribe();
    sub = undefined;
    buffer.length = 0;
    head = 0;
  };

  const settle = () => {
    if (waiter === undefined) return;
    const w = waiter;
    if (head < buffer.length) {
      waiter = undefined;
      w.resolve({ value: take(), done: false });
    } else if (ending !== undefined) {
      waiter = undefined;
      finish(w);
    }
  };

  const take = (): T => {
    const v = buffer[head]!;
    buffer[head++] = undefined as T; // drop the reference early
    if (head === buffer.length) {
      buffer.length = 0;
      head = 0;
    } else if (head >= 1024 && head * 2 >= buffer.length) {
      // A reader that never quite catches up: drop the consumed prefix now and then.
      buffer.splice(0, head);
      head = 0;
    }
    return v;
  };

  const finish = (w: { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void }) => {
    release();
    if (ending?.kind === 'error') w.reject(ending.error);
    else w.resolve({ value: undefined, done: true });
  };

  const end = (e: Ending) => {
    if (ending !== undefined) return;
    ending = e;
    sub?.unsubscribe();
    settle();
  };

  function onAbort() {
    // Abort wins over buffered values: the caller asked to stop now.
    buffer.length = 0;
    head = 0;
    end({ kind: 'error', error: signal?.reason });
  }

  const start = () => {
    if (sub !== undefined || ending !== undefined || released) return;
    if (signal?.aborted) {
      onAbort();
      return;
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    sub = obs.subscribe({
      next: (v) => {
        if (ending !== undefined) return;
        if (buffer.length - head >= highWaterMark) {
          end({ kind: 'error', error: new BufferOverflowError(highWaterMark) });
          return;
        }
        buffer.push(v);
        settle();
      },
      error: (error: unknown) => end({ kind: 'error', error }),
      complete: () => end({ kind: 'complete' }),
    });
    if (ending !== undefined) sub.unsubscribe();
  };

  const iterator: AsyncIterableIterator<T> = {
    next(): Promise<IteratorResult<T>> {
      if (released) return Promise.resolve({ value: undefined, done: true });
      start();
      if (head < buffer.length) return Promise.resolve({ value: take(), done: false });
      return new Promise<IteratorResult<T>>((resolve, reject) => {
        if (waiter !== undefined) {
          reject(new TypeError('toAsyncIterable: next() called again before the previous call settled'));
          return;
        }
        waiter = { resolve, reject };
        settle();
      });
    },
    return(): Promise<IteratorResult<T>> {
      const w = waiter;
      waiter = undefined;
      release();
      w?.resolve({ value: undefined, done: true });
      return Promise.resolve({ value: undefined, done: true });
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
