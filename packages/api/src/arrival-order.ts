/**
 * Runs calls in the order they arrived, each batch of calls that arrived in one I/O turn back to back.
 *
 * Why: a local caller that issues several writes without awaiting gets them applied before any
 * watcher runs (state §5.3: delivery is asynchronous); over the network each request would otherwise
 * run in its own turn, with watchers delivered in between. Collecting the requests of one turn and
 * starting them together, in arrival order, keeps a remote burst the same burst for the state — its
 * watchers see the same events, overruns included — and costs one setImmediate per turn.
 * Each call is started synchronously in the flush; what it awaits afterwards is its own business.
 */
export class ArrivalOrder {
  #queue: (() => void)[] = [];
  #scheduled = false;

  run<T>(fn: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push(() => {
        try {
          fn().then(resolve, reject);
        } catch (e) {
          reject(e);
        }
      });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  #flush(): void {
    this.#scheduled = false;
    const batch = this.#queue;
    this.#queue = [];
    for (const start of batch) start();
  }
}
