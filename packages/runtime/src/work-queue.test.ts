import { describe, it, expect, vi } from 'vitest';
import { FakeClock } from './fake-clock.ts';
import { WorkQueue } from './work-queue.ts';

function setup(concurrency: number) {
  const clock = new FakeClock();
  const ran: string[] = [];
  const q = new WorkQueue<string>(concurrency, clock, (key, item) => ran.push(`${key}:${item}`));
  return { clock, ran, q };
}

describe('WorkQueue', () => {
  it('runs due keys in due-time order, FIFO among equals, up to the concurrency', () => {
    const { q, ran } = setup(2);
    q.put('a', '1');
    q.put('b', '1');
    q.put('c', '1');
    expect(ran).toEqual(['a:1', 'b:1']);
    q.done('a');
    expect(ran).toEqual(['a:1', 'b:1', 'c:1']);
  });

  it('queues a key at most once and keeps the latest item', () => {
    const { q, ran } = setup(1);
    q.put('busy', '1');
    q.put('x', '1');
    q.put('x', '2');
    q.done('busy');
    expect(ran).toEqual(['busy:1', 'x:2']);
    expect(q.depth).toBe(0);
  });

  it('never runs a key twice at once; a put while it runs makes it run once more afterwards', () => {
    const { q, ran } = setup(4);
    q.put('k', '1');
    q.put('k', '2');
    q.put('k', '3');
    expect(ran).toEqual(['k:1']);
    q.done('k');
    expect(ran).toEqual(['k:1', 'k:3']);
    q.done('k');
    expect(ran).toEqual(['k:1', 'k:3']);
  });

  it('delays keys and lets a new put make a delayed key due now', () => {
    const { q, ran, clock } = setup(1);
    q.put('late', '1', 1000);
    q.put('later', '1', 2000);
    expect(ran).toEqual([]);
    clock.advance(999);
    expect(ran).toEqual([]);
    clock.advance(1);
    expect(ran).toEqual(['late:1']);
    q.done('late');
    q.put('later', '2');
    expect(ran).toEqual(['late:1', 'later:2']);
  });

  it('orders many keys by due time (heap)', () => {
    const { q, ran, clock } = setup(1000);
    const delays = Array.from({ length: 200 }, (_, i) => (i * 7919) % 200);
    delays.forEach((d, i) => q.put(`k${i}`, String(d), d));
    clock.advance(200);
    const order = ran.map((r) => Number(r.split(':')[1]));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(ran).toHaveLength(200);
  });

  it('close() stops dispatching and clears its timer', () => {
    const { q, ran, clock } = setup(1);
    q.put('x', '1', 100);
    expect(clock.pending).toBe(1);
    q.close();
    expect(clock.pending).toBe(0);
    q.put('y', '1');
    expect(ran).toEqual([]);
  });

  it('costs O(log n) comparisons per put, decrease and pop (heap + index, §8.2)', () => {
    // Counts the heap's comparisons: a linear queue would need ~n per operation.
    const less = vi.spyOn(WorkQueue.prototype as unknown as { less(a: unknown, b: unknown): boolean }, 'less');
    try {
      for (const n of [1_000, 16_000]) {
        const clock = new FakeClock();
        const ran: string[] = [];
        const q = new WorkQueue<number>(1, clock, (key) => ran.push(key));
        q.put('blocker', 0); // runs at once and holds the only slot: everything else stays queued
        for (let i = 0; i < n; i++) q.put(`k${i}`, i, 1_000 + ((i * 7919) % n)); // scattered due times
        less.mockClear();
        const ops = 300;
        for (let i = 0; i < ops; i++) q.put(`k${(i * 31) % n}`, i, 0); // decrease to due now
        for (let i = 0; i < ops; i++) q.done(i === 0 ? 'blocker' : ran[ran.length - 1]!); // pop one each
        const perOp = less.mock.calls.length / (2 * ops);
        expect(perOp, `n=${n}`).toBeGreaterThan(1); // the spy sees the comparisons
        expect(perOp, `n=${n}`).toBeLessThanOrEqual(3 * Math.log2(n));
        expect(q.depth).toBe(n - ops);
      }
    } finally {
      less.mockRestore();
    }
  });
});
