import type { Clock } from './clock.ts';

interface Entry<T> {
  readonly key: string;
  item: T;
  due: number;
  seq: number;
  pos: number;
}

interface Running<T> {
  item: T;
  /** Due time of a put that arrived while the key ran; it runs once more afterwards. */
  dirtyDue: number | null;
}

/**
 * A per-key deduplicated delay queue (specs/controllers.md §8.1–8.2): a binary heap ordered by due
 * time then insertion, with a key → entry index, so put/decrease/pop are O(log n). A key is queued
 * at most once and never runs twice at once.
 */
export class WorkQueue<T> {
  private readonly heap: Entry<T>[] = [];
  private readonly index = new Map<string, Entry<T>>();
  private readonly running = new Map<string, Running<T>>();
  private seq = 0;
  private timer: unknown = null;
  private timerDue = Infinity;
  private closed = false;

  constructor(
    private readonly concurrency: number,
    private readonly clock: Clock,
    private readonly exec: (key: string, item: T) => void,
    private readonly hooks: { added?(): void; depth?(n: number): void } = {},
  ) {}

  get depth(): number {
    return this.heap.length;
  }

  get active(): number {
    return this.running.size;
  }

  /** Queues `key` due in `delayMs`; an earlier due time wins, the latest item is kept. */
  put(key: string, item: T, delayMs = 0): void {
    if (this.closed) return;
    // A non-finite delay would poison the heap order; callers validate, this is the last guard.
    const due = this.clock.now() + (Number.isFinite(delayMs) ? Math.max(0, delayMs) : 0);
    const r = this.running.get(key);
    if (r) {
      r.item = item;
      r.dirtyDue = r.dirtyDue === null ? due : Math.min(r.dirtyDue, due);
      return;
    }
    const e = this.index.get(key);
    if (e) {
      e.item = item;
      if (due < e.due) {
        e.due = due;
        this.up(e.pos);
      }
    } else {
      const n: Entry<T> = { key, item, due, seq: this.seq++, pos: this.heap.length };
      this.heap.push(n);
      this.index.set(key, n);
      this.up(n.pos);
      this.hooks.added?.();
      this.hooks.depth?.(this.heap.length);
    }
    this.dispatch();
  }

  /** The job of `key` finished; a put that arrived meanwhile queues it again. */
  done(key: string): void {
    const r = this.running.get(key);
    if (!r) return;
    this.running.delete(key);
    if (r.dirtyDue !== null) this.put(key, r.item, r.dirtyDue - this.clock.now());
    this.dispatch();
  }

  close(): void {
    this.closed = true;
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    this.timerDue = Infinity;
  }

  private dispatch(): void {
    if (this.closed) return;
    const now = this.clock.now();
    while (this.running.size < this.concurrency && this.heap.length > 0 && this.heap[0]!.due <= now) {
      const e = this.pop();
      this.running.set(e.key, { item: e.item, dirtyDue: null });
      this.exec(e.key, e.item);
    }
    this.hooks.depth?.(this.heap.length);
    const top = this.heap[0];
    if (top && top.due > now && this.running.size < this.concurrency && top.due < this.timerDue) {
      if (this.timer !== null) this.clock.clearTimeout(this.timer);
      this.timerDue = top.due;
      this.timer = this.clock.setTimeout(() => {
        this.timer = null;
        this.timerDue = Infinity;
        this.dispatch();
      }, top.due - now);
    }
  }

  private less(a: Entry<T>, b: Entry<T>): boolean {
    return a.due < b.due || (a.due === b.due && a.seq < b.seq);
  }

  private swap(i: number, j: number): void {
    const a = this.heap[i]!;
    const b = this.heap[j]!;
    this.heap[i] = b;
    this.heap[j] = a;
    b.pos = i;
    a.pos = j;
  }

  private up(i: number): void {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(this.heap[i]!, this.heap[p]!)) return;
      this.swap(i, p);
      i = p;
    }
  }

  private down(i: number): void {
    const n = this.heap.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.less(this.heap[l]!, this.heap[m]!)) m = l;
      if (r < n && this.less(this.heap[r]!, this.heap[m]!)) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }

  private pop(): Entry<T> {
    const top = this.heap[0]!;
    const last = this.heap.pop()!;
    if (last !== top) {
      this.heap[0] = last;
      last.pos = 0;
      this.down(0);
    }
    this.index.delete(top.key);
    return top;
  }
}
