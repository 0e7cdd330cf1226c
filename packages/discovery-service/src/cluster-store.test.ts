import { describe, expect, it } from 'vitest';
import { ClusterStore, type ClusterWatcher, type WatchNotice } from './cluster-store.ts';

const b = (s: string): Buffer => Buffer.from(s);

function recorder(): ClusterWatcher & { events: [string, WatchNotice][] } {
  const events: [string, WatchNotice][] = [];
  return { events, notify: (id, n) => events.push([id, n]) };
}

function clock(start = 1_000_000): { now: () => number; advance(ms: number): void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

describe('ClusterStore GC', () => {
  it('sends a full update, not a delete, when only some endpoints expire (R1)', () => {
    const c = clock();
    const store = new ClusterStore({ now: c.now });
    store.update('c', { affiliateId: 'a', data: b('d'), endpoints: [b('e1')], ttlMs: 10_000 });
    store.update('c', { affiliateId: 'a', data: undefined, endpoints: [b('e2')], ttlMs: 60_000 });
    const w = recorder();
    store.subscribe('c', w);
    c.advance(30_000);
    expect(store.gc()).toEqual({ affiliates: 0, clusters: 0 });
    expect(w.events).toEqual([['a', 'update']]);
    expect(store.list('c')[0]?.endpoints.map(String)).toEqual(['e2']);
  });

  it('keeps an affiliate alive by endpoints that peers keep reporting', () => {
    const c = clock();
    const store = new ClusterStore({ now: c.now });
    store.update('c', { affiliateId: 'a', data: b('d'), endpoints: [], ttlMs: 10_000 });
    store.update('c', { affiliateId: 'a', data: undefined, endpoints: [b('from-peer')], ttlMs: 60_000 });
    c.advance(20_000);
    store.gc();
    expect(store.list('c').map((a) => a.id)).toEqual(['a']);
    c.advance(40_000);
    expect(store.gc()).toEqual({ affiliates: 1, clusters: 1 });
  });

  it('removes expired affiliates with a delete, then the empty cluster', () => {
    const c = clock();
    const store = new ClusterStore({ now: c.now });
    store.update('c', { affiliateId: 'a', data: b('d'), endpoints: [b('e')], ttlMs: 1000 });
    const w = recorder();
    const sub = store.subscribe('c', w);
    c.advance(1000); // expiry <= now counts as expired
    expect(store.gc()).toEqual({ affiliates: 1, clusters: 0 }); // a watcher keeps the cluster
    expect(w.events).toEqual([['a', 'delete']]);
    sub.unsubscribe();
    expect(store.gc()).toEqual({ affiliates: 0, clusters: 1 });
    expect(store.stats()).toEqual({ clusters: 0, affiliates: 0, endpoints: 0, subscriptions: 0 });
  });

  it('never loses a cluster that a watch or update has just looked up (R2)', () => {
    const store = new ClusterStore();
    const w = recorder();
    // Watch creates the empty cluster and registers in the same step: GC cannot remove it in between.
    store.subscribe('empty', w);
    store.gc();
    store.update('empty', { affiliateId: 'a', data: b('d'), endpoints: [], ttlMs: 60_000 });
    expect(w.events).toEqual([['a', 'update']]);
    // An update after GC removed a cluster recreates it rather than writing into an orphan.
    const s2 = new ClusterStore();
    s2.subscribe('x', recorder()).unsubscribe();
    expect(s2.gc().clusters).toBe(1);
    s2.update('x', { affiliateId: 'a', data: b('d'), endpoints: [], ttlMs: 60_000 });
    expect(s2.list('x').map((a) => a.id)).toEqual(['a']);
  });

  it('extends, never shortens, the touch expiry on data-less updates; data updates set it', () => {
    const c = clock();
    const store = new ClusterStore({ now: c.now });
    store.update('c', { affiliateId: 'a', data: b('d'), endpoints: [], ttlMs: 60_000 });
    store.update('c', { affiliateId: 'a', data: undefined, endpoints: [], ttlMs: 1000 });
    expect(store.inspect('c')?.[0]?.touchExpiry).toBe(c.now() + 60_000);
    store.update('c', { affiliateId: 'a', data: b('d'), endpoints: [], ttlMs: 1000 });
    expect(store.inspect('c')?.[0]?.touchExpiry).toBe(c.now() + 1000);
  });

  it('takes the snapshot and registers atomically: a change is in exactly one of them', () => {
    const store = new ClusterStore();
    store.update('c', { affiliateId: 'a', data: b('1'), endpoints: [], ttlMs: 60_000 });
    const w = recorder();
    const sub = store.subscribe('c', w);
    store.update('c', { affiliateId: 'b', data: b('2'), endpoints: [], ttlMs: 60_000 });
    expect(sub.snapshot.map((a) => a.id)).toEqual(['a']);
    expect(w.events).toEqual([['b', 'update']]);
    expect(sub.lookup('b')?.data.toString()).toBe('2');
  });
});

describe('ID order', () => {
  it('sorts by UTF-8 bytes, as Go does, not by UTF-16 code units', () => {
    const store = new ClusterStore();
    const ids = ['b', 'a', '\u{1F600}', '\uFF01', 'é', 'ab', 'A'];
    for (const id of ids) store.update('c', { affiliateId: id, data: b('d'), endpoints: [], ttlMs: 60_000 });
    const expected = [...ids].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    expect(expected.slice(-2)).toEqual(['\uFF01', '\u{1F600}']); // UTF-16 order would swap these two
    expect(store.list('c').map((a) => a.id)).toEqual(expected);
    expect(store.subscribe('c', recorder()).snapshot.map((a) => a.id)).toEqual(expected);
  });
});
