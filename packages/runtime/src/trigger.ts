import { MisuseError } from './errors.ts';

/**
 * The single pending reconcile trigger of a Controller (specs/controllers.md §3.2): triggers arriving
 * while one is pending merge into it; taking it clears it.
 */
export class Trigger {
  private pending = false;
  private closed = false;
  private waiter: (() => void) | null = null;
  private iterating = false;
  private passStart: number | null = null;

  constructor(
    private readonly controller: string,
    private readonly hooks: {
      /** A trigger found no pending trigger. */
      wakeup(): void;
      /** A pass (yield of events() → next pull) ended. */
      pass(seconds: number, ok: boolean): void;
    },
  ) {}

  /** A trigger is pending: `set()` would change nothing (no waiter can exist while one is). */
  get isPending(): boolean {
    return this.pending && !this.closed;
  }

  set(): void {
    if (this.closed) return;
    if (!this.pending) {
      this.pending = true;
      this.hooks.wakeup();
    }
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  close(): void {
    this.closed = true;
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  /** The pass open at a crash ends as an error; a new run() may iterate again. */
  crashed(): void {
    this.endPass(false);
    this.iterating = false;
    this.waiter = null;
  }

  /** run() returned: a pass still open ended fine. */
  finished(): void {
    this.endPass(true);
    this.iterating = false;
  }

  private endPass(ok: boolean): void {
    if (this.passStart === null) return;
    this.hooks.pass((performance.now() - this.passStart) / 1000, ok);
    this.passStart = null;
  }

  events(): AsyncIterable<void> {
    return {
      [Symbol.asyncIterator]: (): AsyncIterator<void> => {
        if (this.iterating) {
          throw new MisuseError(`controller "${this.controller}": events() is already being iterated; use a single loop`);
        }
        this.iterating = true;
        let done = false;
        const finish = (): IteratorResult<void> => {
          done = true;
          this.iterating = false;
          return { value: undefined, done: true };
        };
        return {
          next: async (): Promise<IteratorResult<void>> => {
            this.endPass(true);
            if (done) return { value: undefined, done: true };
            while (!this.pending && !this.closed) {
              await new Promise<void>((resolve) => (this.waiter = resolve));
            }
            if (this.closed) return finish();
            this.pending = false;
            this.passStart = performance.now();
            return { value: undefined, done: false };
          },
          return: async (): Promise<IteratorResult<void>> => {
            this.endPass(true);
            return finish();
          },
        };
      },
    };
  }
}
