import { describe, it, expect } from 'vitest';
import { Trigger } from './trigger.ts';

function trigger() {
  const counts = { wakeups: 0, passes: [] as boolean[] };
  const t = new Trigger('T', { wakeup: () => counts.wakeups++, pass: (_s, ok) => counts.passes.push(ok) });
  return { t, counts };
}

describe('Trigger (the single pending trigger, §3.2)', () => {
  it('merges triggers arriving while one is pending into one yield, and counts one wake-up', async () => {
    const { t, counts } = trigger();
    const it = t.events()[Symbol.asyncIterator]();
    t.set();
    t.set();
    t.set();
    expect(counts.wakeups).toBe(1);
    expect(await it.next()).toEqual({ value: undefined, done: false });
    // Taking it cleared it: the next pull waits until another trigger arrives.
    let second = false;
    const next = it.next().then(() => (second = true));
    await Promise.resolve();
    await Promise.resolve();
    expect(second).toBe(false);
    t.set();
    t.set(); // pending again before the pull resumed: still one wake-up more, one yield
    await next;
    expect(counts.wakeups).toBe(2);
    expect(counts.passes).toEqual([true]); // the first pass ended when the second pull began
  });

  it('ends the iteration when closed, and ignores triggers afterwards', async () => {
    const { t, counts } = trigger();
    const it = t.events()[Symbol.asyncIterator]();
    const pulled = it.next();
    t.close();
    expect(await pulled).toEqual({ value: undefined, done: true });
    t.set();
    expect(counts.wakeups).toBe(0);
    expect(await it.next()).toEqual({ value: undefined, done: true });
  });

  it('allows one iteration at a time: a second concurrent one throws, a later one works', async () => {
    const { t } = trigger();
    const first = t.events()[Symbol.asyncIterator]();
    expect(() => t.events()[Symbol.asyncIterator]()).toThrow(/already being iterated/);
    await first.return!();
    t.set();
    const second = t.events()[Symbol.asyncIterator]();
    expect(await second.next()).toEqual({ value: undefined, done: false });
  });

  it('ends the open pass as an error on a crash and lets the restarted run iterate again', async () => {
    const { t, counts } = trigger();
    t.set();
    const it = t.events()[Symbol.asyncIterator]();
    await it.next();
    t.crashed();
    expect(counts.passes).toEqual([false]);
    t.set();
    const again = t.events()[Symbol.asyncIterator]();
    expect(await again.next()).toEqual({ value: undefined, done: false });
  });
});
