import { status } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { DiscoveryService, IntervalError, type DiscoveryServiceOptions } from './index.ts';
import { TestClient, statusOf } from './test-harness.ts';

const hex = (b: Uint8Array | undefined): string => Buffer.from(b ?? []).toString('hex');
const buf = (s: string): Buffer => Buffer.from(s);

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(options: DiscoveryServiceOptions = {}): Promise<{ svc: DiscoveryService; client: TestClient; addr: string }> {
  const svc = new DiscoveryService({ addr: '127.0.0.1:0', rateLimit: false, ...options });
  const addr = await svc.start();
  const client = new TestClient(addr);
  cleanups.push(() => svc.stop());
  cleanups.push(() => client.close());
  return { svc, client, addr };
}

describe('Hello', () => {
  it('reports 127.0.0.1 as 4 bytes on a dual-stack socket', async () => {
    const svc = new DiscoveryService({ addr: '[::]:0', rateLimit: false });
    const addr = await svc.start();
    cleanups.push(() => svc.stop());
    const client = new TestClient(`127.0.0.1:${addr.slice(addr.lastIndexOf(':') + 1)}`);
    cleanups.push(() => client.close());
    const res = await client.hello({ clusterId: 'c', clientVersion: 'v1.8.3' });
    expect(hex(res.clientIp)).toBe('7f000001');
    expect(res.redirect).toBeUndefined();
  });

  it('ignores proxy headers unless their flags are on', async () => {
    const { client } = await setup();
    const res = await client.hello({ clusterId: 'c' }, { metadata: { 'x-real-ip': '1.2.3.4', 'x-forwarded-for': '5.6.7.8' } });
    expect(hex(res.clientIp)).toBe('7f000001');
  });

  it('trusts x-real-ip, then the first x-forwarded-for entry, when enabled', async () => {
    const { client } = await setup({ trustXRealIp: true, trustFirstXForwardedFor: true });
    expect(hex((await client.hello({ clusterId: 'c' }, { metadata: { 'x-real-ip': '1.2.3.4' } })).clientIp)).toBe('01020304');
    expect(hex((await client.hello({ clusterId: 'c' }, { metadata: { 'x-forwarded-for': '5.6.7.8,192.168.0.1' } })).clientIp)).toBe('05060708');
    // Unparsable values fall through to the next source; v4-mapped addresses are unmapped.
    expect(hex((await client.hello({ clusterId: 'c' }, { metadata: { 'x-real-ip': 'garbage', 'x-forwarded-for': '::ffff:9.9.9.9' } })).clientIp)).toBe('09090909');
    expect(hex((await client.hello({ clusterId: 'c' }, { metadata: { 'x-real-ip': 'fe80::1%eth0' } })).clientIp)).toBe('fe800000000000000000000000000001');
  });

  it('sends the redirect, and still the client IP', async () => {
    const { client } = await setup({ redirectEndpoint: 'other.example:3000' });
    const res = await client.hello({ clusterId: 'c' });
    expect(res.redirect?.endpoint).toBe('other.example:3000');
    expect(hex(res.clientIp)).toBe('7f000001');
  });

  it('validates the cluster ID and creates no state', async () => {
    const { svc, client } = await setup();
    expect(await statusOf(client.hello({ clusterId: '' }))).toEqual({ code: status.INVALID_ARGUMENT, details: "cluster ID can't be empty" });
    expect(await statusOf(client.hello({ clusterId: 'x'.repeat(257) }))).toEqual({ code: status.INVALID_ARGUMENT, details: 'cluster ID is too long' });
    await client.hello({ clusterId: 'x'.repeat(256) });
    expect(svc.stats().clusters).toBe(0);
  });

  it('counts hellos by normalized client version, even invalid ones', async () => {
    const { svc, client } = await setup();
    await client.hello({ clusterId: 'c', clientVersion: 'v1.8.3' });
    await client.hello({ clusterId: 'c', clientVersion: 'v1.8.0-beta.1' });
    await statusOf(client.hello({ clusterId: '', clientVersion: 'v1.8.3' }));
    const text = await svc.metrics.registry.getSingleMetricAsString('discovery_server_hello_requests_total');
    expect(text).toContain('discovery_server_hello_requests_total{client_version="v1.8"} 2');
    expect(text).toContain('discovery_server_hello_requests_total{client_version="v1.8-pre"} 1');
    expect(text).toContain('discovery_server_hello_requests_total{client_version="unknown"} 0');
  });
});

describe('cluster ID limit on every RPC', () => {
  const call = (client: TestClient, method: string, clusterId: string): Promise<unknown> => {
    switch (method) {
      case 'Hello':
        return client.hello({ clusterId });
      case 'AffiliateUpdate':
        return client.update({ clusterId, affiliateId: 'a', ttlMs: 60_000 });
      case 'AffiliateDelete':
        return client.delete({ clusterId, affiliateId: 'a' });
      case 'List':
        return client.list(clusterId);
      default: {
        const w = client.watch(clusterId);
        return w.next().then(
          () => w.cancel(),
          async () => {
            const s = await w.ended;
            throw Object.assign(new Error(s.details), s);
          },
        );
      }
    }
  };
  it.each(['Hello', 'AffiliateUpdate', 'AffiliateDelete', 'List', 'Watch'])('%s: 1..256 bytes of UTF-8, else InvalidArgument', async (method) => {
    const { client } = await setup();
    expect(await statusOf(call(client, method, ''))).toEqual({ code: status.INVALID_ARGUMENT, details: "cluster ID can't be empty" });
    // 'é' is 2 bytes: 129 of them are 258 bytes, though only 129 characters.
    expect(await statusOf(call(client, method, 'é'.repeat(129)))).toEqual({ code: status.INVALID_ARGUMENT, details: 'cluster ID is too long' });
    expect(await statusOf(call(client, method, 'x'.repeat(257)))).toEqual({ code: status.INVALID_ARGUMENT, details: 'cluster ID is too long' });
    expect(await statusOf(call(client, method, 'é'.repeat(128)))).toEqual({ code: status.OK, details: 'OK' });
    expect(await statusOf(call(client, method, 'x'))).toEqual({ code: status.OK, details: 'OK' });
  });

  it('AffiliateDelete: affiliate ID 1..256 bytes, else InvalidArgument', async () => {
    const { client } = await setup();
    expect(await statusOf(client.delete({ clusterId: 'c', affiliateId: '' }))).toEqual({ code: status.INVALID_ARGUMENT, details: "affiliate ID can't be empty" });
    expect(await statusOf(client.delete({ clusterId: 'c', affiliateId: 'é'.repeat(129) }))).toEqual({ code: status.INVALID_ARGUMENT, details: 'affiliate ID is too long' });
    await client.delete({ clusterId: 'c', affiliateId: 'é'.repeat(128) });
  });
});

describe('AffiliateUpdate limits', () => {
  const cases: [string, Parameters<TestClient['update']>[0], number, string][] = [
    ['empty cluster ID', { clusterId: '', affiliateId: 'a' }, status.INVALID_ARGUMENT, "cluster ID can't be empty"],
    ['long cluster ID', { clusterId: 'é'.repeat(129), affiliateId: 'a' }, status.INVALID_ARGUMENT, 'cluster ID is too long'],
    ['empty affiliate ID', { clusterId: 'c', affiliateId: '' }, status.INVALID_ARGUMENT, "affiliate ID can't be empty"],
    ['long affiliate ID', { clusterId: 'c', affiliateId: 'a'.repeat(257) }, status.INVALID_ARGUMENT, 'affiliate ID is too long'],
    ['big data', { clusterId: 'c', affiliateId: 'a', affiliateData: Buffer.alloc(2049, 1) }, status.INVALID_ARGUMENT, 'affiliate data is too big'],
    ['big endpoint', { clusterId: 'c', affiliateId: 'a', affiliateEndpoints: [Buffer.alloc(33, 1)] }, status.INVALID_ARGUMENT, 'affiliate endpoint is too big'],
    ['TTL 30 min + 1 ns', { clusterId: 'c', affiliateId: 'a', ttlNanos: 30n * 60n * 1_000_000_000n + 1n }, status.INVALID_ARGUMENT, 'ttl is too large'],
    // Validation order: cluster ID first, even when everything else is wrong too.
    ['everything wrong', { clusterId: '', affiliateId: '', affiliateData: Buffer.alloc(3000) }, status.INVALID_ARGUMENT, "cluster ID can't be empty"],
    // ...then affiliate ID, data size, each endpoint, TTL (spec §3.2 step 1).
    ['affiliate ID before data', { clusterId: 'c', affiliateId: '', affiliateData: Buffer.alloc(3000), affiliateEndpoints: [Buffer.alloc(33)], ttlNanos: 1n << 60n }, status.INVALID_ARGUMENT, "affiliate ID can't be empty"],
    ['data before endpoints', { clusterId: 'c', affiliateId: 'a', affiliateData: Buffer.alloc(2049), affiliateEndpoints: [Buffer.alloc(33)], ttlNanos: 1n << 60n }, status.INVALID_ARGUMENT, 'affiliate data is too big'],
    ['endpoints before TTL', { clusterId: 'c', affiliateId: 'a', affiliateEndpoints: [Buffer.alloc(1), Buffer.alloc(33)], ttlNanos: 1n << 60n }, status.INVALID_ARGUMENT, 'affiliate endpoint is too big'],
    ['a bad endpoint among good ones', { clusterId: 'c', affiliateId: 'a', affiliateEndpoints: [Buffer.alloc(32), Buffer.alloc(33), Buffer.alloc(2)] }, status.INVALID_ARGUMENT, 'affiliate endpoint is too big'],
  ];
  it.each(cases)('refuses %s', async (_name, input, code, details) => {
    const { svc, client } = await setup();
    expect(await statusOf(client.update(input))).toEqual({ code, details });
    expect(svc.stats().clusters).toBe(0);
  });

  it('accepts the limits themselves, and a missing, zero or negative TTL', async () => {
    const { client } = await setup();
    // The largest valid request: every field at its limit at once.
    const full = Array.from({ length: 64 }, (_, i) => Buffer.alloc(32, i));
    await client.update({ clusterId: 'c'.repeat(256), affiliateId: 'a'.repeat(256), affiliateData: Buffer.alloc(2048, 1), affiliateEndpoints: full, ttlNanos: 30n * 60n * 1_000_000_000n });
    expect((await client.list('c'.repeat(256))).affiliates[0]?.endpoints).toEqual(full);
    await client.update({ clusterId: 'c', affiliateId: 'no-ttl' });
    await client.update({ clusterId: 'c', affiliateId: 'zero', ttlMs: 0 });
    await client.update({ clusterId: 'c', affiliateId: 'negative', ttlMs: -5000 });
    expect((await client.list('c')).affiliates.map((a) => a.id)).toEqual(['negative', 'no-ttl', 'zero']);
  });

  it('refuses the 1025th affiliate of a cluster with ResourceExhausted', async () => {
    const { client } = await setup();
    await Promise.all(Array.from({ length: 1024 }, (_, i) => client.update({ clusterId: 'c', affiliateId: `a${i}`, ttlMs: 60_000 })));
    expect(await statusOf(client.update({ clusterId: 'c', affiliateId: 'one-more', ttlMs: 60_000 }))).toEqual({
      code: status.RESOURCE_EXHAUSTED,
      details: 'too many affiliates in the cluster',
    });
    await client.update({ clusterId: 'c', affiliateId: 'a0', affiliateData: buf('still updatable'), ttlMs: 60_000 });
  });

  it('refuses an update past 64 endpoints and changes nothing', async () => {
    const { client } = await setup();
    const ep = (i: number): Buffer => Buffer.from([i]);
    await client.update({ clusterId: 'c', affiliateId: 'a', affiliateEndpoints: Array.from({ length: 60 }, (_, i) => ep(i)), ttlMs: 60_000 });
    // 4 stored again + 5 new (one repeated) = 64 + 1 distinct new → refused as a whole
    const tooMany = [ep(0), ep(1), ep(2), ep(3), ep(100), ep(101), ep(102), ep(103), ep(104), ep(104)];
    expect(await statusOf(client.update({ clusterId: 'c', affiliateId: 'a', affiliateEndpoints: tooMany, ttlMs: 60_000 }))).toEqual({
      code: status.RESOURCE_EXHAUSTED,
      details: 'too many endpoints in the affiliate',
    });
    expect((await client.list('c')).affiliates[0]?.endpoints).toHaveLength(60);
    await client.update({ clusterId: 'c', affiliateId: 'a', affiliateEndpoints: tooMany.slice(0, 8), ttlMs: 60_000 });
    expect((await client.list('c')).affiliates[0]?.endpoints).toHaveLength(64);
  });
});

describe('AffiliateUpdate, AffiliateDelete and List', () => {
  it('merges endpoints by bytes in arrival order', async () => {
    const { client } = await setup();
    await client.update({ clusterId: 'c', affiliateId: 'a', affiliateData: buf('d'), affiliateEndpoints: [buf('e1'), buf('e2')], ttlMs: 60_000 });
    await client.update({ clusterId: 'c', affiliateId: 'a', affiliateEndpoints: [buf('e2'), buf('e3')], ttlMs: 60_000 });
    const [a] = (await client.list('c')).affiliates;
    expect(a?.endpoints.map(String)).toEqual(['e1', 'e2', 'e3']);
    expect(String(a?.data)).toBe('d');
  });

  it('keeps data when an update carries none or an empty one', async () => {
    const { client } = await setup();
    await client.update({ clusterId: 'c', affiliateId: 'a', affiliateData: buf('d1'), ttlMs: 60_000 });
    await client.update({ clusterId: 'c', affiliateId: 'a', affiliateData: Buffer.alloc(0), ttlMs: 60_000 });
    await client.update({ clusterId: 'c', affiliateId: 'a', ttlMs: 60_000 });
    expect(String((await client.list('c')).affiliates[0]?.data)).toBe('d1');
  });

  it('deletes idempotently and validates both IDs', async () => {
    const { client } = await setup();
    await client.update({ clusterId: 'c', affiliateId: 'a', ttlMs: 60_000 });
    await client.delete({ clusterId: 'c', affiliateId: 'a' });
    await client.delete({ clusterId: 'c', affiliateId: 'a' });
    await client.delete({ clusterId: 'nope', affiliateId: 'a' });
    expect((await client.list('c')).affiliates).toEqual([]);
    expect((await statusOf(client.delete({ clusterId: 'c', affiliateId: '' }))).code).toBe(status.INVALID_ARGUMENT);
    expect((await statusOf(client.delete({ clusterId: '', affiliateId: 'a' }))).details).toBe("cluster ID can't be empty");
  });

  it('lists sorted by ID, empty-data affiliates included, without creating clusters', async () => {
    const { svc, client } = await setup();
    await client.update({ clusterId: 'c', affiliateId: 'b', affiliateData: buf('x'), ttlMs: 60_000 });
    await client.update({ clusterId: 'c', affiliateId: 'a', affiliateEndpoints: [buf('e')], ttlMs: 60_000 });
    expect((await client.list('c')).affiliates.map((a) => a.id)).toEqual(['a', 'b']);
    expect((await client.list('other')).affiliates).toEqual([]);
    expect(svc.stats().clusters).toBe(1);
    expect((await statusOf(client.list(''))).code).toBe(status.INVALID_ARGUMENT);
  });
});

describe('Watch', () => {
  it('sends an empty snapshot, then one affiliate per message, deletes flagged', async () => {
    const { client } = await setup();
    await client.update({ clusterId: 'c', affiliateId: 'af1', affiliateData: buf('1'), ttlMs: 60_000 });
    const other = client.watch('empty');
    expect(await other.next()).toEqual({ affiliates: [], deleted: false, _unknownFields: {} });
    const w = client.watch('c');
    const snap = await w.next();
    expect(snap.deleted).toBe(false);
    expect(snap.affiliates.map((a) => a.id)).toEqual(['af1']);
    await client.update({ clusterId: 'c', affiliateId: 'af2', affiliateData: buf('2'), affiliateEndpoints: [buf('e')], ttlMs: 60_000 });
    const up = await w.next();
    expect(up.deleted).toBe(false);
    expect(up.affiliates.map((a) => [a.id, String(a.data), a.endpoints.map(String)])).toEqual([['af2', '2', ['e']]]);
    await client.delete({ clusterId: 'c', affiliateId: 'af1' });
    const del = await w.next();
    expect(del.deleted).toBe(true);
    expect(del.affiliates.map((a) => [a.id, a.data.length, a.endpoints.length])).toEqual([['af1', 0, 0]]);
    w.cancel();
    other.cancel();
  });

  it('broadcasts an endpoints-only update for an unknown ID with empty data', async () => {
    const { client } = await setup();
    const w = client.watch('c');
    await w.next();
    await client.update({ clusterId: 'c', affiliateId: 'peer', affiliateEndpoints: [buf('e')], ttlMs: 60_000 });
    const m = await w.next();
    expect(m.affiliates.map((a) => [a.id, a.data.length, a.endpoints.map(String)])).toEqual([['peer', 0, ['e']]]);
    w.cancel();
  });

  it('does not broadcast a refresh that changes nothing', async () => {
    const { client } = await setup();
    await client.update({ clusterId: 'c', affiliateId: 'a', affiliateData: buf('d'), affiliateEndpoints: [buf('e')], ttlMs: 60_000 });
    const w = client.watch('c');
    await w.next();
    await client.update({ clusterId: 'c', affiliateId: 'a', affiliateData: buf('d'), affiliateEndpoints: [buf('e')], ttlMs: 60_000 });
    await client.update({ clusterId: 'c', affiliateId: 'b', ttlMs: 60_000 }); // a marker that does change
    expect((await w.next()).affiliates.map((a) => a.id)).toEqual(['b']);
    w.cancel();
  });

  it('sends the snapshot of a full cluster (~4.6 MB) in one message', async () => {
    const { addr, client } = await setup();
    const endpoints = (i: number): Buffer[] => Array.from({ length: 64 }, (_, e) => Buffer.alloc(32, (i * 64 + e) % 251).fill(e, 0, 1));
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < 1024) {
          const i = next++;
          await client.update({ clusterId: 'full', affiliateId: `${i}`.padStart(256, '0'), affiliateData: Buffer.alloc(2048, i % 256), affiliateEndpoints: endpoints(i), ttlMs: 60_000 });
        }
      }),
    );
    const big = new TestClient(addr, undefined, { 'grpc.max_receive_message_length': 8 << 20 });
    cleanups.push(() => big.close());
    const w = big.watch('full');
    const snap = await w.next(15_000);
    expect(snap.affiliates).toHaveLength(1024);
    expect(snap.affiliates.every((a) => a.endpoints.length === 64 && a.data.length === 2048)).toBe(true);
    w.cancel();
  });

  it('ends with InvalidArgument before any message for a bad cluster ID', async () => {
    const { client } = await setup();
    const w = client.watch('');
    expect(await w.ended).toEqual({ code: status.INVALID_ARGUMENT, details: "cluster ID can't be empty" });
    expect(w.buffered).toBe(0);
  });

  it('ends with OK when the server stops', async () => {
    const { svc, client } = await setup();
    const w = client.watch('c');
    await w.next();
    await svc.stop();
    expect((await w.ended).code).toBe(status.OK);
  });

  it('unregisters a cancelled watcher', async () => {
    const { svc, client } = await setup();
    const w = client.watch('c');
    await w.next();
    expect(svc.stats().subscriptions).toBe(1);
    w.cancel();
    await w.ended;
    await expect.poll(() => svc.stats().subscriptions).toBe(0);
  });
});

describe('rate limit', () => {
  it('lets a burst of 60 through, refuses calls that cannot wait, delays calls that can', async () => {
    // 3/s rather than 15/s so a token is surely further away than the short deadline below.
    const { client } = await setup({ rateLimit: { ratePerSecond: 3, burst: 60 } });
    const burst = await Promise.all(Array.from({ length: 60 }, () => statusOf(client.hello({ clusterId: 'c' }, { deadlineMs: 10_000 }))));
    expect(burst.every((r) => r.code === status.OK)).toBe(true);
    // The bucket is empty: the next token is ~300 ms away, more than a 100 ms deadline allows.
    expect(await statusOf(client.hello({ clusterId: 'c' }, { deadlineMs: 100 }))).toEqual({
      code: status.RESOURCE_EXHAUSTED,
      details: 'rate limit exceeds request timeout',
    });
    const patient = await Promise.all(Array.from({ length: 3 }, () => statusOf(client.hello({ clusterId: 'c' }, { deadlineMs: 10_000 }))));
    expect(patient.every((r) => r.code === status.OK)).toBe(true);
  });

  it('limits per client IP: another IP (behind a trusted proxy) has its own bucket', async () => {
    const { client } = await setup({ rateLimit: { burst: 2, ratePerSecond: 0.001 }, trustXRealIp: true });
    const a = { metadata: { 'x-real-ip': '10.0.0.1' }, deadlineMs: 2000 };
    const b = { metadata: { 'x-real-ip': '10.0.0.2' }, deadlineMs: 2000 };
    await client.hello({ clusterId: 'c' }, a);
    await client.list('c', a);
    expect((await statusOf(client.update({ clusterId: 'c', affiliateId: 'x' }, a))).code).toBe(status.RESOURCE_EXHAUSTED);
    expect((await client.watch('c', a).ended).code).toBe(status.RESOURCE_EXHAUSTED);
    await client.hello({ clusterId: 'c' }, b);
  });
});

describe('garbage collection (fake clock)', () => {
  it('sends a full update when only endpoints expire (R1), a delete when all is gone, then drops the cluster', async () => {
    let now = 1_000_000;
    const { svc, client } = await setup({ now: () => now });
    await client.update({ clusterId: 'c', affiliateId: 'a', affiliateData: buf('d'), affiliateEndpoints: [buf('own')], ttlMs: 60_000 });
    // A peer reports another endpoint of `a` with a longer TTL: it keeps `a` alive.
    await client.update({ clusterId: 'c', affiliateId: 'a', affiliateEndpoints: [buf('seen')], ttlMs: 300_000 });
    const w = client.watch('c');
    expect((await w.next()).affiliates.map((a) => a.endpoints.map(String))).toEqual([['own', 'seen']]);

    now += 60_000; // `own` and the data's touch expiry are due (expiry ≤ now)
    expect(svc.runGc()).toEqual({ affiliates: 0, clusters: 0 });
    const update = await w.next();
    expect(update.deleted).toBe(false);
    expect(update.affiliates.map((a) => [a.id, String(a.data), a.endpoints.map(String)])).toEqual([['a', 'd', ['seen']]]);

    now += 240_000;
    expect(svc.runGc()).toEqual({ affiliates: 1, clusters: 0 }); // still watched: the cluster stays
    const del = await w.next();
    expect(del.deleted).toBe(true);
    expect(del.affiliates.map((a) => a.id)).toEqual(['a']);

    w.cancel();
    await expect.poll(() => svc.stats().subscriptions).toBe(0);
    expect(svc.runGc()).toEqual({ affiliates: 0, clusters: 1 });
    expect(svc.stats().clusters).toBe(0);
    const text = await svc.metrics.registry.metrics();
    expect(text).toContain('discovery_state_gc_runs_total 4'); // one at start, three here
    expect(text).toContain('discovery_state_gc_affiliates_total 1');
    expect(text).toContain('discovery_state_gc_clusters_total 1');
  });

  it('expires an affiliate with a zero TTL at the next GC, and keeps one whose data was refreshed', async () => {
    let now = 1_000_000;
    const { svc, client } = await setup({ now: () => now });
    await client.update({ clusterId: 'c', affiliateId: 'zero', affiliateData: buf('z'), ttlMs: 0 });
    await client.update({ clusterId: 'c', affiliateId: 'live', affiliateData: buf('l'), ttlMs: 10_000 });
    now += 5000;
    await client.update({ clusterId: 'c', affiliateId: 'live', affiliateData: buf('l'), ttlMs: 10_000 });
    now += 6000;
    svc.runGc();
    expect((await client.list('c')).affiliates.map((a) => a.id)).toEqual(['live']);
  });
});

describe('expiry rules of AffiliateUpdate (fake clock)', () => {
  it('a data update sets the touch expiry (it may shorten); a data-less one only extends it', async () => {
    let now = 1_000_000;
    const { svc, client } = await setup({ now: () => now });
    await client.update({ clusterId: 'c', affiliateId: 'shortened', affiliateData: buf('d'), ttlMs: 60_000 });
    await client.update({ clusterId: 'c', affiliateId: 'shortened', affiliateData: buf('d2'), ttlMs: 10_000 });
    await client.update({ clusterId: 'c', affiliateId: 'kept', affiliateData: buf('d'), ttlMs: 60_000 });
    await client.update({ clusterId: 'c', affiliateId: 'kept', ttlMs: 10_000 });
    await client.update({ clusterId: 'c', affiliateId: 'kept', affiliateData: Buffer.alloc(0), ttlMs: 10_000 });
    now += 10_000;
    svc.runGc();
    expect((await client.list('c')).affiliates.map((a) => a.id)).toEqual(['kept']);
    now += 50_000;
    svc.runGc();
    expect((await client.list('c')).affiliates).toEqual([]);
  });

  it('an endpoint sent again keeps the longer of its two expiries', async () => {
    let now = 1_000_000;
    const { svc, client } = await setup({ now: () => now });
    await client.update({ clusterId: 'c', affiliateId: 'a', affiliateEndpoints: [buf('e')], ttlMs: 60_000 });
    await client.update({ clusterId: 'c', affiliateId: 'a', affiliateEndpoints: [buf('e')], ttlMs: 1000 });
    now += 30_000;
    svc.runGc();
    expect((await client.list('c')).affiliates.map((a) => a.endpoints.map(String))).toEqual([['e']]);
  });
});

describe('hostile input', () => {
  it('bounds the client_version label values of the Hello counter', async () => {
    const { svc, client } = await setup();
    await Promise.all(Array.from({ length: 300 }, (_, i) => client.hello({ clusterId: 'c', clientVersion: `v${i}.0.0` })));
    const text = await svc.metrics.registry.getSingleMetricAsString('discovery_server_hello_requests_total');
    const series = text.split('\n').filter((l) => l.startsWith('discovery_server_hello_requests_total{'));
    expect(series).toHaveLength(256); // `unknown` and 255 versions
    const unknown = series.find((l) => l.includes('client_version="unknown"'));
    expect(unknown).toBe('discovery_server_hello_requests_total{client_version="unknown"} 45');
  });

  it('refuses intervals that would make a busy loop', () => {
    expect(() => new DiscoveryService({ gcIntervalMs: 0 })).toThrow(IntervalError);
    expect(() => new DiscoveryService({ snapshots: { path: '/nonexistent/s', intervalMs: 2 ** 31 } })).toThrow(/snapshot interval must be between 1 ms/);
  });
});
