// Bounds on Watch streams and the HTTP/2 transport, against a real server on loopback.
import { WatchRequest, clusterMethodPath } from '@cosi-ts/discovery-api';
import { credentials, status } from '@grpc/grpc-js';
import { connect as connectHttp2, type ClientHttp2Session } from 'node:http2';
import { connect as connectTcp } from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { DiscoveryService, type DiscoveryServiceOptions } from './index.ts';
import { TestClient, type TestWatch } from './test-harness.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Logged {
  msg: string;
  problem?: string;
  suppressed?: number;
  clientIp?: string;
  peer?: string;
}

async function setup(options: DiscoveryServiceOptions = {}): Promise<{ svc: DiscoveryService; addr: string; client: TestClient; logs: Logged[] }> {
  const logs: Logged[] = [];
  const logger = pino({ level: 'info' }, { write: (l: string) => logs.push(JSON.parse(l) as Logged) });
  const svc = new DiscoveryService({ addr: '127.0.0.1:0', rateLimit: false, logger, ...options });
  const addr = await svc.start();
  cleanups.push(() => svc.stop());
  const client = ownConnection(addr);
  return { svc, addr, client, logs };
}

/** A client on its own HTTP/2 connection, so a stalled stream cannot eat another's window. */
function ownConnection(addr: string): TestClient {
  const c = new TestClient(addr, credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1, 'grpc.max_receive_message_length': 8 << 20 });
  cleanups.push(() => c.close());
  return c;
}

function h2(addr: string): ClientHttp2Session {
  const s = connectHttp2(`http://${addr}`);
  s.on('error', () => undefined);
  cleanups.push(() => {
    s.destroy();
  });
  return s;
}

/**
 * A Watch over raw HTTP/2 that never reads its response, so the flow-control window stays shut
 * (a grpc-js client reads a whole message even when paused). Resolves once the server has closed
 * the connection, with whether the response's trailers (a gRPC status) ever arrived.
 */
function neverReadingWatch(addr: string, clusterId: string): Promise<{ connectionClosed: true; gotStatus: boolean }> {
  const body = Buffer.from(WatchRequest.encode({ clusterId }).finish());
  const frame = Buffer.alloc(5 + body.length);
  frame.writeUInt32BE(body.length, 1);
  body.copy(frame, 5);
  const session = h2(addr);
  const req = session.request({ ':method': 'POST', ':path': clusterMethodPath('Watch'), 'content-type': 'application/grpc', te: 'trailers' });
  let gotStatus = false;
  req.on('error', () => undefined);
  req.on('trailers', () => {
    gotStatus = true;
  });
  req.pause();
  req.end(frame);
  return new Promise((resolve) => session.once('close', () => resolve({ connectionClosed: true, gotStatus })));
}

/** 50 affiliates with 2 KiB data each, changed in parallel: about 100 KiB of Watch output. */
function bigRound(client: TestClient, clusterId: string, round: number): Promise<unknown> {
  return Promise.all(Array.from({ length: 50 }, (_, i) => client.update({ clusterId, affiliateId: `big-${i}`, affiliateData: Buffer.alloc(2048, round), ttlMs: 60_000 })));
}

async function opened(w: TestWatch): Promise<TestWatch> {
  await w.next();
  return w;
}

/** 1024 affiliates with 256 B IDs, 2 KiB data and 64 endpoints of 32 B: a ~4.6 MB snapshot. */
async function fillCluster(client: TestClient, clusterId: string): Promise<void> {
  const endpoints = (i: number): Buffer[] => Array.from({ length: 64 }, (_, e) => Buffer.alloc(32, (i * 64 + e) % 251).fill(e, 0, 1));
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < 1024) {
        const i = next++;
        await client.update({ clusterId, affiliateId: `${i}`.padStart(256, '0'), affiliateData: Buffer.alloc(2048, i % 256), affiliateEndpoints: endpoints(i), ttlMs: 60_000 });
      }
    }),
  );
}

describe('Watch count limits', () => {
  it('refuses the Watch past the per-IP limit at once with ResourceExhausted, and admits again once one ends', async () => {
    const { svc, client, logs } = await setup({ watchLimits: { maxPerIp: 3 } });
    const watches = await Promise.all([0, 1, 2].map((i) => opened(client.watch(`c${i}`))));
    const over = client.watch('c3');
    expect(await over.ended).toEqual({ code: status.RESOURCE_EXHAUSTED, details: 'too many watches from this client IP (limit 3)' });
    expect(over.buffered).toBe(0);
    expect(await client.watch('c4').ended).toMatchObject({ code: status.RESOURCE_EXHAUSTED });
    // One log line for the kind of problem, not one per refused call.
    expect(logs.filter((l) => l.problem === 'too-many-watches-per-ip')).toHaveLength(1);
    expect(svc.watchBacklog().watches).toBe(3);

    watches[0]!.cancel();
    await watches[0]!.ended;
    await expect.poll(() => svc.watchBacklog().watches).toBe(2);
    const again = await opened(client.watch('c0'));
    expect(svc.stats().subscriptions).toBe(3);
    for (const w of [again, ...watches.slice(1)]) w.cancel();
  });

  it('counts each client IP apart (behind a trusted proxy) and refuses past the total', async () => {
    const { client, logs } = await setup({ trustXRealIp: true, watchLimits: { maxPerIp: 2, maxTotal: 3 } });
    const from = (ip: string, c: string): TestWatch => client.watch(c, { metadata: { 'x-real-ip': ip } });
    const a = await Promise.all([opened(from('10.0.0.1', 'a')), opened(from('10.0.0.1', 'b'))]);
    expect(await from('10.0.0.1', 'c').ended).toEqual({ code: status.RESOURCE_EXHAUSTED, details: 'too many watches from this client IP (limit 2)' });
    const b = await opened(from('10.0.0.2', 'a'));
    expect(await from('10.0.0.3', 'a').ended).toEqual({ code: status.RESOURCE_EXHAUSTED, details: 'too many watches on this server (limit 3)' });
    // The log names the IP the limit counted (from the trusted header), beside the transport peer.
    expect(logs.find((l) => l.problem === 'too-many-watches-per-ip')).toMatchObject({ clientIp: '10.0.0.1', peer: expect.stringMatching(/^127\.0\.0\.1:\d+$/) });
    expect(logs.find((l) => l.problem === 'too-many-watches')).toMatchObject({ clientIp: '10.0.0.3' });
    for (const w of [...a, b]) w.cancel();
  });
});

describe('a Watch whose client never reads', () => {
  it('pins at most its snapshot, blocks a second large backlog from the same IP, and loses its connection past the stall timeout', async () => {
    const { svc, addr, client, logs } = await setup({ watchLimits: { stallTimeoutMs: 3000, maxBacklogBytesPerIp: 1024 * 1024 } });
    await fillCluster(client, 'full');
    const stuck = neverReadingWatch(addr, 'full'); // HTTP/2 flow control stops the server's writes
    // The ~4.6 MB snapshot waits in the server's buffers; a change waits behind it, in the pending
    // map rather than in the stream (over the Watch's 64 KiB send window).
    await expect.poll(() => svc.watchBacklog().unsentBytes).toBeGreaterThan(4_500_000);
    await client.update({ clusterId: 'full', affiliateId: '0'.padStart(256, '0'), affiliateData: Buffer.from('changed'), ttlMs: 60_000 });
    expect(svc.watchBacklog()).toMatchObject({ watches: 1, pendingUpdates: 1 });
    expect(svc.watchBacklog().unsentBytes).toBeLessThan(4_800_000);

    // One pinned snapshot is allowed; a second one from the same IP is over the 1 MiB budget.
    const second = ownConnection(addr).watch('full');
    expect(await second.ended).toEqual({ code: status.RESOURCE_EXHAUSTED, details: 'too much unsent watch data for this client IP (limit 1048576)' });
    // A small snapshot from that IP is still refused while the big one is stuck: the budget is per IP.
    expect((await client.watch('other').ended).code).toBe(status.RESOURCE_EXHAUSTED);
    expect(logs.find((l) => l.problem === 'watch-backlog-per-ip')).toMatchObject({ clientIp: '127.0.0.1' });

    // Past the stall timeout its connection is closed, which frees what was buffered for it.
    expect(await stuck).toEqual({ connectionClosed: true, gotStatus: false });
    await expect.poll(() => svc.watchBacklog()).toEqual({ watches: 0, pendingUpdates: 0, unsentBytes: 0 });
    expect(svc.stats().subscriptions).toBe(0);
    expect(logs.filter((l) => l.problem === 'watch-stalled')).toHaveLength(1);
    // The IP may watch again.
    const fresh = await opened(client.watch('other'));
    fresh.cancel();
  });
});

describe('a grpc-js client that stops reading', () => {
  it('sees its Watch end with Unavailable once the stall timeout passes, and the server keeps nothing for it', async () => {
    const { svc, addr, client, logs } = await setup({ watchLimits: { stallTimeoutMs: 500 } });
    const other = await opened(client.watch('c')); // another client's Watch, on its own connection
    const slow = ownConnection(addr).watch('c');
    await slow.next();
    slow.stream.pause();
    // Changes fill what its connection takes (more or less, by Node version) and the server's send
    // window; from then on nothing is taken, and 500 ms later its connection is closed.
    for (let round = 0; svc.watchBacklog().watches === 2; round++) {
      expect(round).toBeLessThan(2000);
      await bigRound(client, 'c', round);
    }
    expect(await slow.ended).toMatchObject({ code: status.UNAVAILABLE });
    await expect.poll(() => svc.watchBacklog()).toEqual({ watches: 1, pendingUpdates: 0, unsentBytes: 0 });
    expect(logs.filter((l) => l.problem === 'watch-stalled')).toHaveLength(1);
    // The other client's Watch was not touched: it still gets every change.
    await client.update({ clusterId: 'c', affiliateId: 'after', affiliateData: Buffer.from('x'), ttlMs: 60_000 });
    for (;;) if ((await other.next()).affiliates.some((a) => a.id === 'after')) break;
    other.cancel();
  });
});

describe('a Watch aborted for falling behind whose client never reads', () => {
  it('loses its connection once the stall timeout passes, instead of holding its buffers behind the unread Aborted status', async () => {
    // The clock runs from when the output got stuck, through the 2049+ changes (over 4,000 calls,
    // several seconds on a busy machine) to the abort: it must outlast them.
    const { svc, addr, client, logs } = await setup({ watchLimits: { stallTimeoutMs: 12_000 } });
    const stuck = neverReadingWatch(addr, 'c');
    await expect.poll(() => svc.watchBacklog().watches).toBe(1);
    // Fill what the connection takes, then distinct affiliates change while the client reads
    // nothing, until the Watch is aborted (R3: past 2048 pending).
    for (let round = 0; svc.watchBacklog().pendingUpdates === 0; round++) {
      expect(round).toBeLessThan(100);
      await bigRound(client, 'c', round);
    }
    let next = 0;
    while (svc.watchBacklog().watches === 1) {
      expect(next).toBeLessThan(40_000);
      const end = next + 500;
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          while (next < end) {
            const id = `tmp-${next++}`;
            await client.update({ clusterId: 'c', affiliateId: id, ttlMs: 60_000 });
            await client.delete({ clusterId: 'c', affiliateId: id });
          }
        }),
      );
    }
    expect(logs.map((l) => l.msg)).toContain('watch ended: client fell too far behind');
    expect(await stuck).toEqual({ connectionClosed: true, gotStatus: false });
    expect(logs.filter((l) => l.problem === 'watch-stalled')).toHaveLength(1);
    await expect.poll(() => svc.watchBacklog().unsentBytes).toBe(0);
  });
});

describe('a graceful stop with a Watch whose client never reads', () => {
  it('ends the others with OK and drops that connection once the grace has passed', async () => {
    const { svc, addr, client } = await setup({ shutdownGraceMs: 500 });
    await fillCluster(client, 'full'); // a ~4.6 MB snapshot: more than the connection takes unread
    const stuck = neverReadingWatch(addr, 'full');
    await expect.poll(() => svc.watchBacklog().unsentBytes).toBeGreaterThan(4_000_000);
    const reading = await opened(ownConnection(addr).watch('other'));
    await svc.stop();
    expect(await reading.ended).toEqual({ code: status.OK, details: 'OK' });
    expect(await stuck).toEqual({ connectionClosed: true, gotStatus: false });
    await expect.poll(() => svc.watchBacklog()).toEqual({ watches: 0, pendingUpdates: 0, unsentBytes: 0 });
  });
});

describe('HTTP/2 transport bounds', () => {
  it('announces the per-connection stream limit', async () => {
    const { addr } = await setup();
    const s = h2(addr);
    const settings = await new Promise<{ maxConcurrentStreams?: number }>((resolve) => s.once('remoteSettings', resolve));
    expect(settings.maxConcurrentStreams).toBe(1024);
  });

  it('closes a connection that has had no stream for the idle limit', async () => {
    const { addr } = await setup({ transport: { maxConnectionIdleMs: 300 } });
    const s = h2(addr);
    await new Promise<void>((resolve) => s.once('goaway', () => resolve()));
    expect(s.closed || s.destroyed || (await new Promise<boolean>((r) => s.once('close', () => r(true))))).toBe(true);
  });

  it('drops a plaintext connection that never sends the HTTP/2 preface after one unanswered ping', async () => {
    const { addr } = await setup({ transport: { keepaliveTimeMs: 200, keepaliveTimeoutMs: 200 } });
    const port = Number(addr.slice(addr.lastIndexOf(':') + 1));
    const socket = connectTcp(port, '127.0.0.1');
    cleanups.push(() => {
      socket.destroy();
    });
    socket.resume();
    await new Promise<void>((resolve) => socket.once('close', () => resolve()));
    expect(socket.destroyed).toBe(true);
  });

  /** Resolves true once the server's HTTP/2 settings arrive, false if the connection is closed first. */
  function connects(addr: string): Promise<{ ok: boolean; session: ClientHttp2Session }> {
    const session = h2(addr);
    return new Promise((resolve) => {
      session.once('remoteSettings', () => resolve({ ok: true, session }));
      session.once('close', () => resolve({ ok: false, session }));
    });
  }

  it('closes connections over the per-IP and total limits at once, and accepts again when one ends', async () => {
    const { addr, logs } = await setup({ transport: { maxConnectionsPerIp: 2 } });
    const first = await connects(addr);
    const second = await connects(addr);
    expect([first.ok, second.ok]).toEqual([true, true]);
    expect((await connects(addr)).ok).toBe(false);
    expect((await connects(addr)).ok).toBe(false);
    expect(logs.filter((l) => l.problem === 'too-many-connections-per-ip')).toHaveLength(1);
    first.session.destroy();
    await expect.poll(async () => (await connects(addr)).ok).toBe(true);

    const total = await setup({ transport: { maxConnections: 1 } });
    expect((await connects(total.addr)).ok).toBe(true);
    expect((await connects(total.addr)).ok).toBe(false);
  });
});
