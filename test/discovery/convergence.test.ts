// End to end: whole nodes (Runtime + every discovery controller) find each other through the REAL
// discovery service on loopback. Slow-ish (50 nodes): kept apart from the unit tests.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { CLUSTER_NAMESPACE, Member } from '@cosi-ts/cluster';
import { ClusterClient } from '@cosi-ts/discovery-api';
import { DiscoveryService, type DiscoveryServiceOptions } from '@cosi-ts/discovery-service';
import { credentials } from '@grpc/grpc-js';
import pino from 'pino';
import type { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { ClusterNode, untilAll, type ClusterNodeOptions } from './cluster-node.ts';

const SECRET = 'kCQsKr4B28VUl7qw1sVkTDNF9fFH++ViIuKsss+C6kc=';
const OTHER_SECRET = 'AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
}, 60_000);

async function service(opts: DiscoveryServiceOptions = {}): Promise<{ svc: DiscoveryService; addr: string }> {
  // Every node connects from 127.0.0.1: the per-IP rate limit would only slow the test down.
  const svc = new DiscoveryService({ addr: '127.0.0.1:0', rateLimit: false, ...opts });
  const addr = await svc.start();
  cleanups.push(() => svc.stop());
  return { svc, addr };
}

async function cluster(n: number, base: Omit<ClusterNodeOptions, 'hostname' | 'index'>, prefix = 'node'): Promise<ClusterNode[]> {
  const nodes = await Promise.all(Array.from({ length: n }, (_, i) => ClusterNode.start({ ...base, hostname: `${prefix}-${i}`, index: i + 1 })));
  cleanups.push(() => Promise.all(nodes.map((x) => x.stop())).then(() => undefined));
  return nodes;
}

const names = (n: number, prefix = 'node'): string[] => Array.from({ length: n }, (_, i) => `${prefix}-${i}`).sort();

async function skipped(registry: Registry): Promise<number> {
  const m = await registry.getSingleMetric('discovery_client_skipped_blobs_total')?.get();
  return (m?.values ?? []).reduce((s, v) => s + v.value, 0);
}

function capture(): { logger: pino.Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _e, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  return { logger: pino({ level: 'info' }, sink), lines };
}

// Generous: these run 50 whole nodes on a shared 2-core machine; conditions are awaited, never slept on.
describe('cluster discovery through the real discovery service', { timeout: 120_000 }, () => {
  it('two nodes converge to the full member list', async () => {
    const { addr } = await service();
    const nodes = await cluster(2, { endpoint: addr, clusterId: 'c2', secret: SECRET });
    await untilAll(nodes, async (n) => JSON.stringify(await n.members()) === JSON.stringify(names(2)));
    const specs = await nodes[0]!.memberSpecs();
    expect(specs.find((m) => m.hostname === 'node-1')).toMatchObject({ addresses: ['10.5.0.2'], machineType: 'worker', operatingSystem: expect.stringMatching(/^cosi-ts \(v/) });
  });

  it('50 nodes converge; a hostname change reaches all; a reset node disappears everywhere', async () => {
    const { addr } = await service();
    // The default 30 min TTL: a node that vanishes here can only have been deleted.
    const nodes = await cluster(50, { endpoint: addr, clusterId: 'c50', secret: SECRET });
    const all = names(50);
    await untilAll(nodes, async (n) => JSON.stringify(await n.members()) === JSON.stringify(all), 90_000);

    // Hostname change on node-7: every node shows node-7's member renamed (Member IDs are nodenames).
    await nodes[7]!.setHostname('renamed-7');
    const renamed = all.map((x) => (x === 'node-7' ? 'renamed-7' : x)).sort();
    await untilAll(nodes, async (n) => JSON.stringify(await n.members()) === JSON.stringify(renamed), 60_000);
    const seen = await nodes[0]!.memberSpecs();
    expect(seen.find((m) => m.hostname === 'renamed-7')?.addresses).toEqual(['10.5.0.8']);

    // Reset node-3: deleted from the service, so gone from every other node, long before its TTL.
    await nodes[3]!.reset();
    const others = nodes.filter((_, i) => i !== 3);
    const without3 = renamed.filter((x) => x !== 'node-3');
    await untilAll(others, async (n) => JSON.stringify(await n.members()) === JSON.stringify(without3), 60_000);
  }, 240_000);

  it('a node that dies silently disappears after its (short) TTL', async () => {
    const { addr } = await service({ gcIntervalMs: 250 });
    const nodes = await cluster(3, { endpoint: addr, clusterId: 'ttl', secret: SECRET, ttlMs: 2000 });
    await untilAll(nodes, async (n) => JSON.stringify(await n.members()) === JSON.stringify(names(3)));
    await nodes[1]!.stop(); // no delete sent: it just goes quiet
    const rest = [nodes[0]!, nodes[2]!];
    await untilAll(rest, async (n) => JSON.stringify(await n.members()) === JSON.stringify(['node-0', 'node-2']), 30_000);
  });

  it('survives a discovery service restart with snapshots: no member lost, none duplicated', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'conv-snap-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const snapshots = { path: join(dir, 'state.snapshot'), intervalMs: 60_000 };
    const first = new DiscoveryService({ addr: '127.0.0.1:0', rateLimit: false, snapshots });
    const addr = await first.start();
    const nodes = await cluster(8, { endpoint: addr, clusterId: 'restart', secret: SECRET });
    const all = names(8);
    await untilAll(nodes, async (n) => JSON.stringify(await n.members()) === JSON.stringify(all));

    const destroyed: string[] = [];
    for (const n of nodes) {
      const sub = n.state.watchKind(Member.kind(CLUSTER_NAMESPACE)).subscribe((e) => {
        if (e.type === 'destroyed') destroyed.push(`${n.options.hostname} lost ${e.resource.metadata.id}`);
      });
      cleanups.push(() => sub.unsubscribe());
    }
    await first.stop(); // final snapshot
    const second = new DiscoveryService({ addr, rateLimit: false, snapshots });
    await second.start();
    cleanups.push(() => second.stop());
    expect(second.stats().affiliates).toBe(8); // loaded from the snapshot
    // Every node reconnects and republishes; the service holds each affiliate once.
    await expect.poll(() => second.stats().subscriptions, { timeout: 30_000 }).toBe(8);
    await untilAll(nodes, async (n) => JSON.stringify(await n.members()) === JSON.stringify(all) && (await n.affiliateCount()) === 8);
    expect(second.stats().affiliates).toBe(8);
    expect(destroyed).toEqual([]);
  });

  it('two clusters on one service never see each other', async () => {
    const { addr } = await service();
    const x = await cluster(3, { endpoint: addr, clusterId: 'x', secret: SECRET }, 'x');
    const y = await cluster(3, { endpoint: addr, clusterId: 'y', secret: OTHER_SECRET }, 'y');
    await untilAll(x, async (n) => JSON.stringify(await n.members()) === JSON.stringify(names(3, 'x')));
    await untilAll(y, async (n) => JSON.stringify(await n.members()) === JSON.stringify(names(3, 'y')));
    for (const n of [...x, ...y]) expect(await skipped(n.metrics)).toBe(0); // not even a foreign blob reached them
  });

  it('a node with the wrong key sees nothing, says why, and does not disturb the others', async () => {
    const { addr } = await service();
    const good = await cluster(3, { endpoint: addr, clusterId: 'keys', secret: SECRET });
    const { logger, lines } = capture();
    const bad = await ClusterNode.start({ hostname: 'intruder', index: 99, endpoint: addr, clusterId: 'keys', secret: OTHER_SECRET, logger });
    cleanups.push(() => bad.stop());
    await untilAll(good, async (n) => JSON.stringify(await n.members()) === JSON.stringify(names(3)));
    // It published (the service holds 4 affiliates) but decrypts none of the others, and logs why, per affiliate.
    await expect.poll(() => lines.filter((l) => l.includes('skipped affiliate data that does not decrypt or parse') && l.includes('data-decrypt-failed')).length, { timeout: 20_000 }).toBeGreaterThanOrEqual(3);
    expect(await bad.members()).toEqual(['intruder']);
    for (const l of lines) expect(l).not.toContain(OTHER_SECRET);
    // The others skip its blob, count it, and keep exactly the three good members.
    await expect.poll(async () => Math.min(...(await Promise.all(good.map((n) => skipped(n.metrics))))), { timeout: 20_000 }).toBeGreaterThanOrEqual(1);
    for (const n of good) expect(await n.members()).toEqual(names(3));
  });

  it('a peer publishing garbage blobs is skipped and counted while the rest converge', async () => {
    const { addr } = await service();
    const raw = new ClusterClient(addr, credentials.createInsecure());
    cleanups.push(() => raw.close());
    const publish = (affiliateId: string, data: Buffer, endpoints: Buffer[]): Promise<void> =>
      new Promise((resolve, reject) =>
        raw.affiliateUpdate({ clusterId: 'junk', affiliateId, affiliateData: data, affiliateEndpoints: endpoints, ttl: { seconds: 600n, nanos: 0 } }, (e) => (e ? reject(e) : resolve())),
      );
    await publish('garbage-1', Buffer.alloc(27, 0xab), []);
    await publish('garbage-2', Buffer.alloc(200, 0xcd), [Buffer.alloc(16, 1), Buffer.alloc(5, 2)]);
    const nodes = await cluster(5, { endpoint: addr, clusterId: 'junk', secret: SECRET });
    await untilAll(nodes, async (n) => JSON.stringify(await n.members()) === JSON.stringify(names(5)));
    for (const n of nodes) {
      expect(await skipped(n.metrics)).toBeGreaterThanOrEqual(2);
      expect(await n.affiliateCount()).toBe(5);
    }
  });
});
