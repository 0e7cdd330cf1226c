import type { WatchResponse } from '@cosi-ts/discovery-api';
import { AffiliateUpdateRequest, WatchResponse as WatchResponseFns, clusterMethodPath, type ClusterMethod } from '@cosi-ts/discovery-api';
import { Client, credentials, status, type ServiceError } from '@grpc/grpc-js';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { DiscoveryService } from './index.ts';
import { TestClient, type TestWatch } from './test-harness.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(): Promise<{ svc: DiscoveryService; addr: string; client: TestClient }> {
  const svc = new DiscoveryService({ addr: '127.0.0.1:0', rateLimit: false });
  const addr = await svc.start();
  cleanups.push(() => svc.stop());
  const client = new TestClient(addr);
  cleanups.push(() => client.close());
  return { svc, addr, client };
}

/** A client on its own connection, so a stalled stream cannot eat the publisher's HTTP/2 window. */
function ownConnection(addr: string): TestClient {
  const c = new TestClient(addr, credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
  cleanups.push(() => c.close());
  return c;
}

type View = Map<string, string>;

function apply(view: View, m: WatchResponse, first: boolean): void {
  if (first) view.clear();
  for (const a of m.affiliates) {
    if (m.deleted) view.delete(a.id);
    else view.set(a.id, `${a.data.toString()}|${a.endpoints.map((e) => e.toString('hex')).join(',')}`);
  }
}

async function listView(client: TestClient, clusterId: string): Promise<View> {
  const v: View = new Map();
  apply(v, { affiliates: (await client.list(clusterId)).affiliates, deleted: false }, true);
  return v;
}

/** Reads the watch until its view equals the server's List. */
async function convergeTo(w: TestWatch, view: View, client: TestClient, clusterId: string, onMessage?: (m: WatchResponse) => void): Promise<void> {
  const target = [...(await listView(client, clusterId))].sort();
  const deadline = Date.now() + 20_000;
  while (JSON.stringify([...view].sort()) !== JSON.stringify(target)) {
    const m = await w.next(Math.max(1, deadline - Date.now()));
    onMessage?.(m);
    apply(view, m, false);
  }
}

async function inBatches(n: number, concurrency: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) await fn(next++);
    }),
  );
}

describe('watch under load', () => {
  it('keeps per-affiliate order under concurrent updates and converges to List', async () => {
    const { addr, client } = await setup();
    const watcherClient = ownConnection(addr);
    const w = watcherClient.watch('c');
    const view: View = new Map();
    apply(view, await w.next(), true);
    const versions = new Map<string, number[]>();
    const record = (m: WatchResponse): void => {
      for (const a of m.affiliates) if (!m.deleted && a.data.length > 0) versions.set(a.id, [...(versions.get(a.id) ?? []), Number(a.data.toString().split('-')[1])]);
    };
    let late: TestWatch | undefined;
    await Promise.all(
      Array.from({ length: 10 }, async (_, c) => {
        const own = new TestClient(addr);
        for (let i = 0; i < 40; i++) {
          await own.update({ clusterId: 'c', affiliateId: `n${c}`, affiliateData: Buffer.from(`v-${i}`), affiliateEndpoints: [Buffer.from([c, i % 3])], ttlMs: 60_000 });
          // Peers report endpoints of a shared affiliate concurrently.
          await own.update({ clusterId: 'c', affiliateId: 'shared', affiliateEndpoints: [Buffer.from([c])], ttlMs: 60_000 });
          if (c === 0 && i === 20) late = watcherClient.watch('c');
          if (c === 1 && i % 10 === 9) await own.delete({ clusterId: 'c', affiliateId: `gone-${i}` });
        }
        own.close();
      }),
    );
    await convergeTo(w, view, client, 'c', record);
    for (const [id, seq] of versions) {
      expect(seq, id).toEqual([...seq].sort((a, b) => a - b));
      expect(seq.at(-1), id).toBe(39);
    }
    expect(view.get('shared')?.split('|')[1]?.split(',')).toHaveLength(10);
    // A watch opened mid-way sees snapshot + changes that add up to the same state.
    const lateView: View = new Map();
    apply(lateView, await late!.next(), true);
    await convergeTo(late!, lateView, client, 'c');
    w.cancel();
    late!.cancel();
  });

  it('a watcher that does not read while 10,000 updates flow keeps a bounded backlog and catches up', async () => {
    const { svc, addr, client } = await setup();
    const slow = ownConnection(addr).watch('c');
    const view: View = new Map();
    apply(view, await slow.next(), true);
    slow.stream.pause();
    const data = Buffer.alloc(1024, 7);
    let maxPending = 0;
    await inBatches(10_000, 32, async (i) => {
      await client.update({ clusterId: 'c', affiliateId: `n${i % 100}`, affiliateData: Buffer.concat([Buffer.from(`${i}:`), data]), ttlMs: 60_000 });
      if (i % 500 === 0) maxPending = Math.max(maxPending, svc.watchBacklog().pendingUpdates);
    });
    maxPending = Math.max(maxPending, svc.watchBacklog().pendingUpdates);
    // Bounded by the distinct affiliate IDs, not by the 10,000 updates.
    expect(maxPending).toBeGreaterThan(0);
    expect(maxPending).toBeLessThanOrEqual(100);
    slow.stream.resume();
    await convergeTo(slow, view, client, 'c');
    expect([...view.values()].every((v) => v.startsWith('99'))).toBe(true); // n{k}'s last update is 99xx
    slow.cancel();
  });

  it('ends a watcher that falls more than 2048 distinct affiliates behind with Aborted', async () => {
    const { svc, addr, client } = await setup();
    const slow = ownConnection(addr).watch('c');
    await slow.next();
    slow.stream.pause();
    // Large changes first: they fill what the client's connection takes while it reads nothing (how
    // much depends on the Node version's buffer sizes), and the server's own send window behind it.
    for (let round = 0; svc.watchBacklog().pendingUpdates === 0; round++) {
      expect(round).toBeLessThan(100);
      await inBatches(50, 16, (i) => client.update({ clusterId: 'c', affiliateId: `big-${i}`, affiliateData: Buffer.alloc(2048, round), ttlMs: 60_000 }));
    }
    // Then distinct affiliates appear and vanish until the Watch is ended: never before 2049 of them
    // can be pending, and surely once what the connection takes is full.
    let distinct = 0;
    while (svc.watchBacklog().watches === 1) {
      expect(distinct).toBeLessThan(40_000);
      await inBatches(500, 32, async (i) => {
        const id = `tmp-${distinct + i}`;
        await client.update({ clusterId: 'c', affiliateId: id, ttlMs: 60_000 });
        await client.delete({ clusterId: 'c', affiliateId: id });
      });
      distinct += 500;
    }
    expect(distinct + 50).toBeGreaterThan(2048);
    // It sends nothing more; what was written before stays counted until the client has taken it.
    expect(svc.watchBacklog()).toMatchObject({ watches: 0, pendingUpdates: 0 });
    slow.stream.resume();
    expect(await slow.ended).toEqual({ code: status.ABORTED, details: 'subscription canceled: lost update' });
    await expect.poll(() => svc.watchBacklog().unsentBytes).toBe(0);
    expect(svc.stats().subscriptions).toBe(0);
  });
});

describe('GC racing Watch and AffiliateUpdate (R2)', () => {
  it('never orphans an empty cluster that a watcher or an update has just looked up', async () => {
    const { svc, addr, client } = await setup();
    const watcherClient = ownConnection(addr);
    // GC as often as the event loop allows while clusters are created, emptied and watched.
    let gcRuns = 0;
    const gcLoop = setInterval(() => {
      svc.runGc();
      gcRuns++;
    }, 0);
    const gcPasses = async (n: number): Promise<void> => {
      const target = gcRuns + n;
      await expect.poll(() => gcRuns >= target).toBe(true);
    };
    try {
      const watches = await Promise.all(
        Array.from({ length: 40 }, async (_, i) => {
          const w = watcherClient.watch(`race-${i}`);
          expect((await w.next()).affiliates).toEqual([]);
          return w;
        }),
      );
      await gcPasses(5); // over the empty, watched clusters
      await Promise.all(
        watches.map(async (w, i) => {
          await client.update({ clusterId: `race-${i}`, affiliateId: 'a', affiliateData: Buffer.from('x'), ttlMs: 60_000 });
          expect((await w.next()).affiliates.map((a) => a.id)).toEqual(['a']);
          w.cancel();
        }),
      );
      await Promise.all(
        Array.from({ length: 40 }, async (_, i) => {
          await client.update({ clusterId: `u-${i}`, affiliateId: 'a', ttlMs: 0 }); // expires at the next GC
          await gcPasses(1);
          await client.update({ clusterId: `u-${i}`, affiliateId: 'b', affiliateData: Buffer.from('y'), ttlMs: 60_000 });
          expect((await client.list(`u-${i}`)).affiliates.map((a) => a.id)).toContain('b');
        }),
      );
    } finally {
      clearInterval(gcLoop);
    }
  });
});

describe('garbage requests', () => {
  const methods: ClusterMethod[] = ['Hello', 'AffiliateUpdate', 'AffiliateDelete', 'List', 'Watch'];

  /** Sends raw bytes as a request; resolves to the final status code. */
  function send(raw: Client, method: ClusterMethod, body: Buffer): Promise<number> {
    const id = (b: Buffer): Buffer => b;
    const deadline = new Date(Date.now() + 10_000);
    if (method !== 'Watch') {
      return new Promise((resolve) =>
        raw.makeUnaryRequest(clusterMethodPath(method), id, id, body, { deadline }, (err: ServiceError | null) => resolve(err === null ? 0 : err.code)),
      );
    }
    return new Promise((resolve) => {
      const call = raw.makeServerStreamRequest(clusterMethodPath(method), id, id, body, { deadline });
      call.on('data', () => call.cancel()); // a valid watch: its snapshot proves it was answered
      call.on('error', () => undefined);
      call.on('status', (s: { code: number }) => resolve(s.code));
    });
  }

  it('answers every malformed request with a status and keeps serving', async () => {
    const { addr, client } = await setup();
    const raw = new Client(addr, credentials.createInsecure(), { 'grpc.max_send_message_length': -1 });
    cleanups.push(() => raw.close());
    const codes = new Set<number>();

    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...methods), fc.uint8Array({ maxLength: 3000 }), async (method, bytes) => {
        const code = await send(raw, method, Buffer.from(bytes));
        codes.add(code);
        expect(code).toBeTypeOf('number');
        expect(code).not.toBe(status.DEADLINE_EXCEEDED); // answered, not hung
        expect(code).not.toBe(status.INTERNAL); // garbage is the client's fault, not a server error
      }),
      { numRuns: 150 },
    );

    const wrongType = Buffer.from(WatchResponseFns.encode({ affiliates: [{ id: 'x', data: Buffer.from([0xff]), endpoints: [Buffer.alloc(40)] }], deleted: true }).finish());
    const invalidUtf8 = Buffer.from([0x0a, 0x03, 0xc3, 0x28, 0xff, 0x12, 0x01, 0x61]);
    const update = (r: Partial<AffiliateUpdateRequest>): Buffer =>
      Buffer.from(AffiliateUpdateRequest.encode({ clusterId: 'c', affiliateId: 'a', affiliateEndpoints: [], ttl: undefined, ...r }).finish());
    const longId = update({ clusterId: 'c'.repeat(20_000) });
    const hugeId = update({ clusterId: 'c'.repeat(3_000_000) });
    const tooBig = update({ affiliateData: Buffer.alloc(5 * 1024 * 1024) });
    const overRequestLimit = update({ affiliateEndpoints: Array.from({ length: 20_000 }, () => Buffer.alloc(0)) }); // 40 KB
    const manyEndpoints = update({ affiliateEndpoints: Array.from({ length: 3000 }, (_, i) => Buffer.from(`${i}`)) });
    // The same blob 10,000 times: one endpoint after dedup, however often it is repeated.
    const repeated = update({ affiliateId: 'rep', affiliateEndpoints: Array.from({ length: 10_000 }, () => Buffer.alloc(0)) });
    const hugeTtl = Buffer.from(AffiliateUpdateRequest.encode({ clusterId: 'c', affiliateId: 'a', affiliateEndpoints: [], ttl: { seconds: 9_223_372_036_854_775_807n, nanos: -1 } }).finish());
    const negativeTtl = Buffer.from(AffiliateUpdateRequest.encode({ clusterId: 'c', affiliateId: 'neg', affiliateEndpoints: [], ttl: { seconds: -9_223_372_036_854_775_808n, nanos: -999_999_999 } }).finish());
    const truncated = hugeTtl.subarray(0, hugeTtl.length - 3);

    for (const method of methods) {
      expect(await send(raw, method, wrongType), `${method} wrong type`).not.toBe(status.DEADLINE_EXCEEDED);
      expect(await send(raw, method, invalidUtf8), `${method} invalid UTF-8`).toBe(status.INVALID_ARGUMENT);
    }
    expect(await send(raw, 'AffiliateUpdate', longId)).toBe(status.INVALID_ARGUMENT);
    // Requests over 32 KiB are refused by the transport before they are decoded.
    expect(await send(raw, 'AffiliateUpdate', hugeId)).toBe(status.RESOURCE_EXHAUSTED);
    expect(await send(raw, 'AffiliateUpdate', tooBig)).toBe(status.RESOURCE_EXHAUSTED);
    expect(await send(raw, 'AffiliateUpdate', overRequestLimit)).toBe(status.RESOURCE_EXHAUSTED);
    expect(await send(raw, 'AffiliateUpdate', manyEndpoints)).toBe(status.RESOURCE_EXHAUSTED);
    expect(await send(raw, 'AffiliateUpdate', repeated)).toBe(status.OK);
    expect(await send(raw, 'AffiliateUpdate', hugeTtl)).toBe(status.INVALID_ARGUMENT);
    expect(await send(raw, 'AffiliateUpdate', negativeTtl)).toBe(status.OK);
    expect(await send(raw, 'AffiliateUpdate', truncated)).toBe(status.INVALID_ARGUMENT);

    // Still serving, with nothing half-applied.
    await client.hello({ clusterId: 'c' });
    expect((await client.list('c')).affiliates.map((a) => [a.id, a.endpoints.length])).toEqual([
      ['neg', 0],
      ['rep', 1],
    ]);
    expect([...codes]).toContain(status.INVALID_ARGUMENT);
  });

  it('refuses with InvalidArgument what Go protobuf refuses, and stores nothing of it', async () => {
    const { addr, client } = await setup();
    const raw = new Client(addr, credentials.createInsecure());
    cleanups.push(() => raw.close());
    const valid = [...AffiliateUpdateRequest.encode({ clusterId: 'strict', affiliateId: 'a', affiliateData: Buffer.from('d'), affiliateEndpoints: [], ttl: { seconds: 60n, nanos: 0 } }).finish()];
    const garbage = [0x0a, 0x05, 0x6f, 0x74, 0x68, 0x65, 0x72]; // cluster_id = "other"
    const refused: [string, number[]][] = [
      ['a 0x00 byte, then garbage', [...valid, 0x00, ...garbage]],
      ['a stray end-group tag, then garbage', [...valid, 0x0c, ...garbage]],
      ['field number 0', [0x02, 0x01, 0x61, ...valid]],
      ['an 11-byte varint', [...valid, 0x78, ...Array<number>(10).fill(0xff), 0x01]],
    ];
    for (const [name, bytes] of refused) {
      for (const method of methods) expect(await send(raw, method, Buffer.from(bytes)), `${method}: ${name}`).toBe(status.INVALID_ARGUMENT);
    }
    const details = await new Promise<string>((resolve) =>
      raw.makeUnaryRequest(clusterMethodPath('AffiliateUpdate'), (b: Buffer) => b, (b: Buffer) => b, Buffer.from(refused[0]![1]), (err: ServiceError | null) =>
        resolve(err?.details ?? ''),
      ),
    );
    expect(details).toMatch(/^request is not valid protobuf: field number 0 at byte \d+$/);
    expect((await client.list('strict')).affiliates).toEqual([]);
    expect((await client.list('other')).affiliates).toEqual([]);
    expect(await send(raw, 'AffiliateUpdate', Buffer.from(valid))).toBe(status.OK);
    expect((await client.list('strict')).affiliates.map((a) => a.id)).toEqual(['a']);
  });
});
