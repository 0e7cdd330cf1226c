import { describe, it, expect } from 'vitest';
import { Backoff } from './backoff.ts';

describe('Backoff', () => {
  it('starts at 500 ms, grows ×1.5 with ±50 % jitter, caps at 60 s and resets', () => {
    const mid = new Backoff({ random: () => 0.5 });
    expect([mid.next(), mid.next(), mid.next()]).toEqual([500, 750, 1125]);
    for (let i = 0; i < 50; i++) mid.next();
    expect(mid.next()).toBe(60_000);
    mid.reset();
    expect(mid.next()).toBe(500);
    expect(new Backoff({ random: () => 0 }).next()).toBe(250);
    expect(new Backoff({ random: () => 0.999999 }).next()).toBeCloseTo(750, 2);
  });
});
