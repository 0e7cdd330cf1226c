import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { isDiscoveryError } from './discovery-error.ts';
import { ProblemLog } from './problem-log.ts';
import { WatchQuota } from './watch-quota.ts';

const limits = { maxPerIp: 2, maxTotal: 3, maxBacklogBytesPerIp: 100, maxBacklogBytes: 150 };

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return isDiscoveryError(e) ? e.code : 'other';
  }
  return undefined;
}

describe('WatchQuota', () => {
  it('counts Watches per IP and in total, and gives them back once', () => {
    const q = new WatchQuota(limits);
    const a1 = q.admit('a');
    q.admit('a');
    expect(codeOf(() => q.admit('a'))).toBe('too-many-watches-per-ip');
    q.admit(undefined); // no known IP: counts only towards the total
    expect(codeOf(() => q.admit('b'))).toBe('too-many-watches');
    a1.release();
    a1.release();
    expect(q.watches).toBe(2);
    expect(codeOf(() => q.admit('b'))).toBeUndefined();
  });

  it('always lets one snapshot through, refuses a second over the byte budget, and frees bytes on release', () => {
    const q = new WatchQuota(limits);
    const big = q.admit('a');
    big.charge(500, true); // alone: allowed however big
    const next = q.admit('a');
    expect(codeOf(() => next.charge(10, true))).toBe('watch-backlog-per-ip');
    const other = q.admit('b');
    expect(codeOf(() => other.charge(10, true))).toBe('watch-backlog');
    big.charge(20, false); // a change behind the snapshot is always charged
    big.written(500);
    expect(q.backlogBytes).toBe(20);
    expect(codeOf(() => next.charge(10, true))).toBeUndefined();
    big.release();
    next.release();
    expect(q.backlogBytes).toBe(0);
  });

  it('names the limit in the message', () => {
    const q = new WatchQuota({ ...limits, maxPerIp: 1 });
    q.admit('a');
    expect(() => q.admit('a')).toThrow('too many watches from this client IP (limit 1)');
  });
});

describe('ProblemLog', () => {
  it('writes one line per kind per interval and counts what it left out', () => {
    const lines: { problem: string; suppressed: number }[] = [];
    let now = 0;
    const log = new ProblemLog(pino({}, { write: (l: string) => lines.push(JSON.parse(l) as { problem: string; suppressed: number }) }), { intervalMs: 1000, now: () => now });
    for (let i = 0; i < 100; i++) log.warn('x', {}, 'problem x');
    log.warn('y', {}, 'problem y');
    now = 1000;
    log.warn('x', {}, 'problem x');
    expect(lines.map((l) => [l.problem, l.suppressed])).toEqual([
      ['x', 0],
      ['y', 0],
      ['x', 99],
    ]);
  });
});
