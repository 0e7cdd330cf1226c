import type { WatchResponse } from '@cosi-ts/discovery-api';
import { describe, expect, it, vi } from 'vitest';
import { ClusterStore } from './cluster-store.ts';
import { WatchSender, type WatchSink } from './watch-sender.ts';

/** A sink that accepts `capacity` messages, then reports back-pressure until `drain()`. */
function pausedSink(capacity: number): WatchSink & { messages: WatchResponse[]; drain(n: number): void; aborted: boolean; stalls: number; unwritten: (() => void)[] } {
  let room = capacity;
  let onDrain: (() => void) | undefined;
  const sink = {
    messages: [] as WatchResponse[],
    aborted: false,
    stalls: 0,
    unwritten: [] as (() => void)[],
    write(m: WatchResponse, written: () => void) {
      sink.messages.push(m);
      sink.unwritten.push(written);
      room--;
      return room > 0;
    },
    stalled() {
      sink.stalls++;
    },
    onDrain(l: () => void) {
      onDrain = l;
    },
    abort() {
      sink.aborted = true;
    },
    drain(n: number) {
      room = n;
      const l = onDrain;
      onDrain = undefined;
      l?.();
    },
  };
  return sink;
}

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('WatchSender', () => {
  it('coalesces changes per affiliate while the stream is blocked, and sends the latest state', async () => {
    const store = new ClusterStore();
    const sink = pausedSink(1);
    const sender = new WatchSender(sink);
    sender.start(store.subscribe('c', sender)); // the snapshot fills the sink
    for (let i = 0; i < 10_000; i++) {
      store.update('c', { affiliateId: `a${i % 100}`, data: Buffer.from(`v${i}`), endpoints: [], ttlMs: 60_000 });
    }
    store.delete('c', 'a5');
    expect(sender.pendingCount).toBe(100);
    sink.drain(1000);
    await flush();
    const seen = new Map<string, string>();
    for (const m of sink.messages.slice(1)) {
      expect(m.affiliates).toHaveLength(1);
      const a = m.affiliates[0]!;
      seen.set(a.id, m.deleted ? 'deleted' : a.data.toString());
    }
    expect(seen.size).toBe(100);
    expect(seen.get('a5')).toBe('deleted');
    expect(seen.get('a99')).toBe('v9999');
    expect(sink.aborted).toBe(false);
  });

  it('aborts past maxPending distinct IDs and frees its pending map', () => {
    const store = new ClusterStore();
    const sink = pausedSink(1);
    const sender = new WatchSender(sink, { maxPending: 2048 });
    sender.start(store.subscribe('c', sender));
    for (let i = 0; i < 2049; i++) {
      store.update('c', { affiliateId: `a${i % 1000}`, data: Buffer.from('x'), endpoints: [], ttlMs: 60_000 });
      if (i >= 1000) store.delete('c', `a${i % 1000}`);
    }
    for (let i = 0; i < 1100; i++) store.delete('c', `gone-${i}`); // unknown: no notice at all
    expect(sink.aborted).toBe(false);
    for (let i = 0; i < 2049; i++) {
      store.update('c', { affiliateId: `n${i % 1000}-${Math.floor(i / 1000)}`, data: Buffer.from('x'), endpoints: [], ttlMs: 60_000 });
      store.delete('c', `n${i % 1000}-${Math.floor(i / 1000)}`);
    }
    expect(sink.aborted).toBe(true);
    expect(sender.pendingCount).toBe(0);
    expect(store.stats().subscriptions).toBe(0);
  });

  it('gives up on a stream whose messages stay untaken past the stall timeout, not before', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const store = new ClusterStore();
      const sink = pausedSink(100); // never reports back-pressure: only progress tells
      const sender = new WatchSender(sink, { stallTimeoutMs: 1000 });
      sender.start(store.subscribe('c', sender));
      store.update('c', { affiliateId: 'a', data: Buffer.from('x'), endpoints: [], ttlMs: 60_000 });
      await Promise.resolve();
      expect(sink.messages).toHaveLength(2);
      vi.advanceTimersByTime(900);
      sink.unwritten.shift()?.(); // the client read the snapshot: progress restarts the clock
      vi.advanceTimersByTime(900);
      expect(sink.stalls).toBe(0);
      vi.advanceTimersByTime(200);
      expect(sink.stalls).toBe(1);
      expect(store.stats().subscriptions).toBe(0);
      vi.advanceTimersByTime(10_000);
      expect(sink.stalls).toBe(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it('does not time out a quiet stream whose messages were all taken', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const store = new ClusterStore();
      const sink = pausedSink(100);
      const sender = new WatchSender(sink, { stallTimeoutMs: 1000 });
      sender.start(store.subscribe('c', sender));
      vi.advanceTimersByTime(500);
      sink.unwritten.shift()?.();
      vi.advanceTimersByTime(60_000);
      expect(sink.stalls).toBe(0);
      sender.close();
    } finally {
      vi.useRealTimers();
    }
  });

  it('starts the stall clock when output starts waiting, not at an earlier write', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const store = new ClusterStore();
      const sink = pausedSink(100);
      const sender = new WatchSender(sink, { stallTimeoutMs: 1000 });
      sender.start(store.subscribe('c', sender));
      sink.unwritten.shift()?.(); // snapshot taken at once
      vi.advanceTimersByTime(900);
      store.update('c', { affiliateId: 'a', data: Buffer.from('x'), endpoints: [], ttlMs: 60_000 });
      await Promise.resolve();
      vi.advanceTimersByTime(900);
      expect(sink.stalls).toBe(0);
      vi.advanceTimersByTime(200);
      expect(sink.stalls).toBe(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it('writes no more once windowBytes are untaken, whatever the stream accepts, and resumes as they are taken', async () => {
    const store = new ClusterStore();
    const sink = pausedSink(1_000_000); // never reports back-pressure
    const sender = new WatchSender(sink, { windowBytes: 10_000 });
    sender.start(store.subscribe('c', sender));
    sink.unwritten.shift()?.(); // the (empty) snapshot
    for (let i = 0; i < 50; i++) store.update('c', { affiliateId: `a${i}`, data: Buffer.alloc(1000, i), endpoints: [], ttlMs: 60_000 });
    await flush();
    // About 1 KiB each: the one that crosses 10,000 bytes is the last written.
    expect(sink.messages.length - 1).toBe(10);
    expect(sender.unwrittenBytes).toBeGreaterThanOrEqual(10_000);
    expect(sender.pendingCount).toBe(40);
    for (let i = 0; i < 50; i++) store.update('c', { affiliateId: `a${i}`, data: Buffer.alloc(1000, 100 + i), endpoints: [], ttlMs: 60_000 });
    expect(sender.pendingCount).toBe(50); // coalesced, not queued in the stream
    // The client takes what it has: the rest follows, the latest state of each affiliate.
    while (sink.unwritten.length > 0) {
      sink.unwritten.shift()?.();
      await flush();
    }
    expect(sender.pendingCount).toBe(0);
    expect(sender.unwrittenBytes).toBe(0);
    const last = new Map(sink.messages.slice(1).map((m) => [m.affiliates[0]!.id, m.affiliates[0]!.data[0]]));
    expect(last.size).toBe(50);
    expect([...last.values()].every((b, i) => b === 100 + i)).toBe(true);
    sender.close();
  });

  it('keeps the stall clock on what was written after aborting, and stops sending', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const store = new ClusterStore();
      const sink = pausedSink(1);
      const sender = new WatchSender(sink, { maxPending: 3, stallTimeoutMs: 1000 });
      sender.start(store.subscribe('c', sender));
      for (let i = 0; i < 4; i++) store.update('c', { affiliateId: `a${i}`, data: Buffer.from('x'), endpoints: [], ttlMs: 60_000 });
      expect(sink.aborted).toBe(true);
      expect(store.stats().subscriptions).toBe(0);
      sink.drain(100);
      await Promise.resolve();
      expect(sink.messages).toHaveLength(1); // nothing after the abort
      vi.advanceTimersByTime(1000);
      expect(sink.stalls).toBe(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it('after finish(), sends nothing more and stalls only if the written output is never taken', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const store = new ClusterStore();
      const sink = pausedSink(100);
      const sender = new WatchSender(sink, { stallTimeoutMs: 1000 });
      sender.start(store.subscribe('c', sender));
      sender.finish();
      store.update('c', { affiliateId: 'a', data: Buffer.from('x'), endpoints: [], ttlMs: 60_000 });
      await Promise.resolve();
      expect(sink.messages).toHaveLength(1);
      expect(store.stats().subscriptions).toBe(0);
      sink.unwritten.shift()?.();
      vi.advanceTimersByTime(5000);
      expect(sink.stalls).toBe(0);
      sender.close();
    } finally {
      vi.useRealTimers();
    }
  });
});
