import type { WatchResponse } from '@cosi-ts/discovery-api';
import { describe, expect, it } from 'vitest';
import { ClusterStore } from './cluster-store.ts';
import { WatchSender, type WatchSink } from './watch-sender.ts';

/** A sink that accepts `capacity` messages, then reports back-pressure until `drain()`. */
function pausedSink(capacity: number): WatchSink & { messages: WatchResponse[]; drain(n: number): void; aborted: boolean } {
  let room = capacity;
  let onDrain: (() => void) | undefined;
  const sink = {
    messages: [] as WatchResponse[],
    aborted: false,
    write(m: WatchResponse) {
      sink.messages.push(m);
      room--;
      return room > 0;
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
});
