import type { Observable, Subscription } from 'rxjs';

/** Default bound on every awaited event (specs/state.md §10). */
export const EVENT_TIMEOUT_MS = 1000;

export interface EventWaitOptions {
  /** How long to wait for each event; default 1 s. */
  readonly timeoutMs?: number;
}

type Ending = { readonly kind: 'complete' } | { readonly kind: 'error'; readonly error: unknown };

/**
 * Subscribes at once and buffers everything the observable emits, so a test can pull events
 * one by one with a bounded wait, and check how the stream ended. Unsubscribe when done
 * (the conformance cases do it for you).
 */
export class EventRecorder<T> {
  /** Every value received so far, consumed or not. */
  readonly received: T[] = [];
  private consumed = 0;
  private ending: Ending | undefined;
  private wakers = new Set<() => void>();
  private readonly subscription: Subscription;

  constructor(source: Observable<T>) {
    this.subscription = source.subscribe({
      next: (value) => {
        this.received.push(value);
        this.wake();
      },
      error: (error: unknown) => {
        this.ending = { kind: 'error', error };
        this.wake();
      },
      complete: () => {
        this.ending = { kind: 'complete' };
        this.wake();
      },
    });
  }

  /** Values received but not yet taken by `next`/`take`. */
  get pending(): readonly T[] {
    return this.received.slice(this.consumed);
  }

  /** True once the observable completed or errored. */
  get ended(): boolean {
    return this.ending !== undefined;
  }

  /** The next value not yet taken; rejects when none arrives within the timeout or the stream ends first. */
  async next(options: EventWaitOptions = {}): Promise<T> {
    const timeoutMs = options.timeoutMs ?? EVENT_TIMEOUT_MS;
    while (this.consumed >= this.received.length) {
      if (this.ending) throw new Error(`stream ${this.describeEnding()} after ${this.consumed} values; expected another`);
      if (!(await this.arrival(timeoutMs))) {
        throw new Error(`no value within ${timeoutMs} ms; ${this.consumed} values taken so far`);
      }
    }
    return this.received[this.consumed++] as T;
  }

  /** The next n values, each awaited with the timeout. */
  async take(n: number, options: EventWaitOptions = {}): Promise<T[]> {
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(await this.next(options));
    return out;
  }

  /** Takes values until one satisfies `last` (included), each awaited with the timeout. */
  async takeUntil(last: (value: T) => boolean, options: EventWaitOptions & { readonly max?: number } = {}): Promise<T[]> {
    const out: T[] = [];
    const max = options.max ?? 100_000;
    for (;;) {
      const value = await this.next(options);
      out.push(value);
      if (last(value)) return out;
      if (out.length >= max) throw new Error(`no matching value among the next ${max}`);
    }
  }

  /** Waits until at least n values were received in total, allowing the timeout between arrivals. */
  async waitForCount(n: number, options: EventWaitOptions = {}): Promise<void> {
    const timeoutMs = options.timeoutMs ?? EVENT_TIMEOUT_MS;
    while (this.received.length < n) {
      if (this.ending) throw new Error(`stream ${this.describeEnding()} after ${this.received.length} of ${n} values`);
      if (!(await this.arrival(timeoutMs))) {
        throw new Error(`only ${this.received.length} of ${n} values within ${timeoutMs} ms of the last one`);
      }
    }
  }

  /** Resolves when the stream completes with every value taken; rejects on extra values, error() or timeout. */
  async expectComplete(options: EventWaitOptions = {}): Promise<void> {
    const timeoutMs = options.timeoutMs ?? EVENT_TIMEOUT_MS;
    while (!this.ending) {
      if (this.consumed < this.received.length) break;
      if (!(await this.arrival(timeoutMs))) throw new Error(`stream did not complete within ${timeoutMs} ms`);
    }
    if (this.consumed < this.received.length) {
      throw new Error(`expected completion, got ${this.received.length - this.consumed} more values`);
    }
    if (this.ending?.kind === 'error') throw new Error(`expected completion, stream ${this.describeEnding()}`);
  }

  unsubscribe(): void {
    this.subscription.unsubscribe();
    this.wake();
  }

  private describeEnding(): string {
    if (this.ending?.kind === 'error') {
      const e = this.ending.error;
      return `called error(${e instanceof Error ? e.message : String(e)})`;
    }
    return 'completed';
  }

  private wake(): void {
    const wakers = [...this.wakers];
    this.wakers.clear();
    for (const w of wakers) w();
  }

  /** Resolves true on the next arrival or ending, false after the timeout. Never leaves a timer. */
  private arrival(timeoutMs: number): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const waker = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.wakers.delete(waker);
        resolve(false);
      }, timeoutMs);
      this.wakers.add(waker);
    });
  }
}

/** Starts recording an observable; remember to `unsubscribe()`. */
export function recordEvents<T>(source: Observable<T>): EventRecorder<T> {
  return new EventRecorder(source);
}

/** Subscribes, takes the first n values (each bounded by the timeout), unsubscribes. */
export async function collectEvents<T>(source: Observable<T>, n: number, options: EventWaitOptions = {}): Promise<T[]> {
  const recorder = new EventRecorder(source);
  try {
    return await recorder.take(n, options);
  } finally {
    recorder.unsubscribe();
  }
}

/** The first value of an observable, bounded by the timeout. */
export async function nextEvent<T>(source: Observable<T>, options: EventWaitOptions = {}): Promise<T> {
  const [first] = await collectEvents(source, 1, options);
  return first as T;
}
