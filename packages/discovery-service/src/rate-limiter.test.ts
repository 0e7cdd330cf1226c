import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isDiscoveryError } from './discovery-error.ts';
import { RateLimiter } from './rate-limiter.ts';

describe('RateLimiter', () => {
  beforeEach(() => vi.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => vi.useRealTimers());

  it('passes 60 at once; the 61st fails at once with a 10 ms deadline', async () => {
    const rl = new RateLimiter();
    const now = Date.now();
    for (let i = 0; i < 60; i++) await rl.acquire('1.2.3.4', now + 10);
    const err = await rl.acquire('1.2.3.4', now + 10).catch((e: unknown) => e);
    expect(isDiscoveryError(err) && err.code === 'rate-limited' && err.message).toBe('rate limit exceeds request timeout');
  });

  it('with a 1 s deadline the 61st passes after ~67 ms, and waiters are served in order', async () => {
    const rl = new RateLimiter();
    for (let i = 0; i < 60; i++) await rl.acquire('ip', Infinity);
    const order: number[] = [];
    const a = rl.acquire('ip', Date.now() + 1000).then(() => order.push(1));
    const b = rl.acquire('ip', Date.now() + 1000).then(() => order.push(2));
    await vi.advanceTimersByTimeAsync(66);
    expect(order).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(order).toEqual([1]);
    await vi.advanceTimersByTimeAsync(67);
    await Promise.all([a, b]);
    expect(order).toEqual([1, 2]);
  });

  it('keeps one bucket per key and prunes the full ones', async () => {
    const rl = new RateLimiter();
    await rl.acquire('a', Infinity);
    await rl.acquire('b', Infinity);
    expect(rl.size).toBe(2);
    vi.advanceTimersByTime(1000);
    expect(rl.prune()).toBe(2);
    expect(rl.size).toBe(0);
  });

  it('gives the token back when a waiter is aborted', async () => {
    const rl = new RateLimiter({ burst: 1, ratePerSecond: 1 });
    await rl.acquire('ip', Infinity);
    const ac = new AbortController();
    const waiting = rl.acquire('ip', Infinity, ac.signal).catch((e: unknown) => e);
    ac.abort(new Error('gone'));
    expect(((await waiting) as Error).message).toBe('gone');
    // Had the aborted waiter kept its token, this one would wait 2 s rather than 1 s.
    const next = rl.acquire('ip', Date.now() + 1500);
    await vi.advanceTimersByTimeAsync(1000);
    await next;
  });
});

describe('RateLimiter bounds', () => {
  beforeEach(() => vi.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => vi.useRealTimers());

  it('refuses at once a call without deadline when maxWaiting calls of its key already wait', async () => {
    const rl = new RateLimiter({ burst: 1, ratePerSecond: 10, maxWaiting: 3 });
    await rl.acquire('ip', Infinity);
    const waiters = Array.from({ length: 3 }, () => rl.acquire('ip', Infinity));
    const refused = await rl.acquire('ip', Infinity).catch((e: unknown) => e);
    expect(isDiscoveryError(refused) && refused.code).toBe('rate-limited');
    await rl.acquire('other', Infinity); // other keys are not affected
    await vi.advanceTimersByTimeAsync(300);
    await Promise.all(waiters);
    // Served waiters leave the queue: one more may wait again.
    const again = rl.acquire('ip', Infinity);
    await vi.advanceTimersByTimeAsync(100);
    await again;
  });

  it('rejects at once, giving the token back, when the signal is already aborted', async () => {
    const rl = new RateLimiter({ burst: 1, ratePerSecond: 1 });
    await rl.acquire('ip', Infinity);
    const err = await rl.acquire('ip', Infinity, AbortSignal.abort(new Error('before'))).catch((e: unknown) => e);
    expect((err as Error).message).toBe('before');
    const next = rl.acquire('ip', Date.now() + 1500);
    await vi.advanceTimersByTimeAsync(1000);
    await next;
  });
});
