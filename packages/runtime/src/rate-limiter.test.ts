import { describe, it, expect } from 'vitest';
import { FakeClock } from './fake-clock.ts';
import { RateLimiter } from './rate-limiter.ts';

describe('RateLimiter', () => {
  it('lets a burst through, then one token per 1/rate seconds, in order', async () => {
    const clock = new FakeClock();
    const rl = new RateLimiter({ perSecond: 10, burst: 2 }, clock);
    const signal = new AbortController().signal;
    const done: number[] = [];
    const takes = [0, 1, 2, 3].map((i) => rl.take(signal).then(() => done.push(i)));
    await Promise.resolve();
    expect(done).toEqual([0, 1]);
    clock.advance(99);
    await Promise.resolve();
    expect(done).toEqual([0, 1]);
    clock.advance(1);
    await Promise.resolve();
    expect(done).toEqual([0, 1, 2]);
    clock.advance(100);
    await Promise.all(takes);
    expect(done).toEqual([0, 1, 2, 3]);
  });

  it('rejects waiting callers on abort and clears their timers', async () => {
    const clock = new FakeClock();
    const rl = new RateLimiter({ perSecond: 1, burst: 1 }, clock);
    const ac = new AbortController();
    await rl.take(ac.signal);
    const waiting = rl.take(ac.signal);
    expect(clock.pending).toBe(1);
    ac.abort(new Error('stop'));
    await expect(waiting).rejects.toThrow('stop');
    expect(clock.pending).toBe(0);
  });

  it('refuses a nonsensical limit', () => {
    expect(() => new RateLimiter({ perSecond: 0, burst: 1 }, new FakeClock())).toThrow(RangeError);
  });
});
