import { describe, it, expect } from 'vitest';
import { Writable } from 'node:stream';
import pino from 'pino';
import { RateLimitedWarning } from './rate-limited-warning.ts';

function capture(): { logger: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      cb();
    },
  });
  return { logger: pino({ level: 'debug' }, sink), lines };
}

describe('RateLimitedWarning', () => {
  it('warns the first time, then at most once per interval, counting what it held back', () => {
    let now = 0;
    const w = new RateLimitedWarning('forbidden', 10 * 60_000, () => now);
    const { logger, lines } = capture();
    expect(w.report(logger, { status: 403 })).toBe(true);
    for (let i = 0; i < 50; i++) {
      now += 5_000; // a retry every 5 s for about 4 minutes
      expect(w.report(logger, { status: 403 })).toBe(false);
    }
    now = 10 * 60_000;
    expect(w.report(logger, { status: 403 })).toBe(true);
    expect(lines.map((l) => [l['level'], l['msg'], l['suppressed']])).toEqual([
      [40, 'forbidden', undefined],
      [40, 'forbidden', 50],
    ]);
  });

  it('forgets held-back occurrences once the condition has ended, but keeps the interval', () => {
    let now = 0;
    const w = new RateLimitedWarning('forbidden', 1_000, () => now);
    const { logger, lines } = capture();
    w.report(logger, {});
    now = 100;
    w.report(logger, {});
    w.clearPending();
    now = 500;
    expect(w.report(logger, {})).toBe(false);
    now = 1_000;
    w.clearPending();
    expect(w.report(logger, {})).toBe(true);
    expect(lines.map((l) => l['suppressed'])).toEqual([undefined, undefined]);
  });
});
