import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClusterClient, type ClientAffiliate, type Endpoint } from '@cosi-ts/discovery-api';
import { DiscoveryService } from '@cosi-ts/discovery-service';
import { credentials } from '@grpc/grpc-js';
import pino from 'pino';
import { Registry } from 'prom-client';
import { firstValueFrom, filter, timeout } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { encryptAffiliate } from './affiliate-blob.ts';
import type { DiscoveredAffiliate } from './affiliate-cache.ts';
import { DiscoveryClient, type DiscoveryClientOptions } from './discovery-client.ts';
import { encryptEndpoint } from './endpoint-blob.ts';

const KEY = Buffer.from('90242c2abe01dbc55497bab0d6c5644c3345f5f147fbe56222e2acb2cf82ea47', 'hex');
const FAST = { initialMs: 20, maxMs: 200 };

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function service(opts: ConstructorParameters<typeof DiscoveryService>[0] = {}): Promise<{ svc: DiscoveryService; addr: string }> {
  const svc = new DiscoveryService({ addr: '127.0.0.1:0', rateLimit: false, ...opts });
  const addr = await svc.start();
  cleanups.push(() => svc.stop());
  return { svc, addr };
}

interface Logged {
  msg: string;
  [k: string]: unknown;
}

function start(opts: Partial<DiscoveryClientOptions> & { endpoint: string; affiliateId: string }): { c: DiscoveryClient; logs: Logged[]; registry: Registry; lines: string[] } {
  const logs: Logged[] = [];
  const lines: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (l: string) => (lines.push(l), logs.push(JSON.parse(l) as Logged)) });
  const registry = new Registry();
  const c = new DiscoveryClient({ insecure: true, clusterId: 'cluster-1', key: KEY, clientVersion: 'v0.1.0', backoff: FAST, logger, registry, ...opts });
  const ac = new AbortController();
  const done = c.run(ac.signal);
  cleanups.push(async () => {
    ac.abort();
    await done;
  });
  return { c, logs, registry, lines };
}

const affiliate = (nodeId: string, hostname = nodeId): ClientAffiliate => ({
  nodeId,
  addresses: [Buffer.from([10, 0, 0, 1])],
  hostname,
  nodename: nodeId,
  machineType: 'worker',
  operatingSystem: 'cosi-ts (v0.1.0)',
});
const ep = (last: number, port = 51820): Endpoint => ({ ip: Buffer.from([10, 0, 0, last]), port });
const epText = (e: Endpoint): string => `${[...e.ip].join('.')}:${e.port}`;

function until(c: DiscoveryClient, check: (list: readonly DiscoveredAffiliate[]) => boolean, ms = 10_000): Promise<readonly DiscoveredAffiliate[]> {
  return firstValueFrom(c.affiliates$.pipe(filter(check), timeout(ms)));
}

const ids = (l: readonly DiscoveredAffiliate[]): string[] => l.map((a) => a.id);

async function metric(registry: Registry, name: string): Promise<Record<string, number>> {
  const m = await registry.getSingleMetric(name)?.get();
  return Object.fromEntries((m?.values ?? []).map((v) => [JSON.stringify(v.labels), v.value]));
}

/** A raw protocol client, to publish what a hostile or buggy peer would. */
function raw(addr: string): ClusterClient {
  const r = new ClusterClient(addr, credentials.createInsecure());
  cleanups.push(() => r.close());
  return r;
}

function rawUpdate(r: ClusterClient, affiliateId: string, data: Buffer, endpoints: Buffer[]): Promise<void> {
  return new Promise((resolve, reject) =>
    r.affiliateUpdate({ clusterId: 'cluster-1', affiliateId, affiliateData: data, affiliateEndpoints: endpoints, ttl: { seconds: 60n, nanos: 0 } }, (e) => (e ? reject(e) : resolve())),
  );
}

describe('DiscoveryClient against the real discovery service', () => {
  it('two clients see each other, decrypted, with own and peer-reported endpoints, and learn their public IP', async () => {
    const { addr } = await service();
    const a = start({ endpoint: addr, affiliateId: 'a' });
    const b = start({ endpoint: addr, affiliateId: 'b' });
    a.c.setLocalData(affiliate('a'), [ep(1)], []);
    b.c.setLocalData(affiliate('b'), [ep(2)], [{ affiliateId: 'a', endpoints: [ep(9, 343)] }]);
    const onA = await until(a.c, (l) => l.length === 1);
    expect(onA[0]!.affiliate.nodeId).toBe('b');
    expect(onA[0]!.endpoints.map(epText)).toEqual(['10.0.0.2:51820']);
    // b reported an endpoint for a: a's entry on b carries both.
    const onB = await until(b.c, (l) => l.length === 1 && l[0]!.endpoints.length === 2);
    expect(onB[0]!.endpoints.map(epText)).toEqual(['10.0.0.1:51820', '10.0.0.9:343']);
    expect(Buffer.from(a.c.getPublicIP()!).toString('hex')).toBe('7f000001');
    // A change reaches the peer; nothing logged ever holds the key or decrypted fields.
    a.c.setLocalData(affiliate('a', 'renamed.example.org'), [ep(1)], []);
    await until(b.c, (l) => l[0]?.affiliate.hostname === 'renamed.example.org');
    for (const line of [...a.lines, ...b.lines]) {
      expect(line).not.toContain(KEY.toString('hex'));
      expect(line).not.toContain(KEY.toString('base64'));
      expect(line).not.toContain('renamed.example.org');
    }
    expect(await metric(a.registry, 'discovery_client_connects_total')).toMatchObject({ '{"result":"ok"}': 1 });
    await expect.poll(async () => (await metric(a.registry, 'discovery_client_refreshes_total'))['{"result":"ok"}']).toBeGreaterThanOrEqual(2);
    expect(await metric(a.registry, 'discovery_client_affiliates')).toEqual({ '{}': 1 });
  });

  it('deleteLocalAffiliate removes it for its peers and is confirmed', async () => {
    const { addr } = await service();
    const a = start({ endpoint: addr, affiliateId: 'a' });
    const b = start({ endpoint: addr, affiliateId: 'b' });
    a.c.setLocalData(affiliate('a'), [], []);
    b.c.setLocalData(affiliate('b'), [], []);
    await until(b.c, (l) => ids(l).includes('a'));
    a.c.deleteLocalAffiliate();
    await until(b.c, (l) => l.length === 0);
    await expect.poll(() => a.c.localAffiliateDeleted).toBe(true);
  });

  it('a client that stops silently vanishes for its peers after its TTL', async () => {
    const { addr } = await service({ gcIntervalMs: 200 });
    const b = start({ endpoint: addr, affiliateId: 'b' });
    const dying = new DiscoveryClient({ endpoint: addr, insecure: true, clusterId: 'cluster-1', affiliateId: 'a', key: KEY, clientVersion: 'v0', ttlMs: 1000, backoff: FAST, logger: pino({ level: 'silent' }) });
    const ac = new AbortController();
    const done = dying.run(ac.signal);
    dying.setLocalData(affiliate('a'), [ep(1)], []);
    await until(b.c, (l) => ids(l).includes('a'));
    ac.abort();
    await done;
    await until(b.c, (l) => l.length === 0);
  });

  it('survives a service restart: keeps its view meanwhile, then republishes', async () => {
    const first = await service();
    const a = start({ endpoint: first.addr, affiliateId: 'a' });
    const b = start({ endpoint: first.addr, affiliateId: 'b' });
    a.c.setLocalData(affiliate('a'), [], []);
    b.c.setLocalData(affiliate('b'), [], []);
    await until(a.c, (l) => l.length === 1);
    await first.svc.stop();
    await expect.poll(() => b.logs.some((l) => l.msg.includes('Hello failed')), { timeout: 10_000 }).toBe(true);
    expect(ids(a.c.getAffiliates())).toEqual(['b']); // a lost connection does not clear the cache
    // A new, empty service on the same port: both republish after reconnecting.
    const port = Number(first.addr.split(':').pop());
    const second = await service({ addr: `127.0.0.1:${port}` });
    const r = raw(second.addr);
    const listed = (): Promise<string[]> =>
      new Promise((resolve, reject) => r.list({ clusterId: 'cluster-1' }, (e, res) => (e ? reject(e) : resolve(res.affiliates.map((x) => x.id)))));
    await expect.poll(listed, { timeout: 10_000, interval: 100 }).toEqual(['a', 'b']);
    await until(a.c, (l) => ids(l).join() === 'b');
    expect((await metric(a.registry, 'discovery_client_reconnects_total'))['{}']).toBeGreaterThanOrEqual(1);
  });

  it('skips, logs with the ID and counts garbage from a peer; a bad endpoint never drops its affiliate', async () => {
    const { addr } = await service();
    const a = start({ endpoint: addr, affiliateId: 'a' });
    a.c.setLocalData(affiliate('a'), [], []);
    const r = raw(addr);
    await rawUpdate(r, 'short', Buffer.from('tiny'), []);
    await rawUpdate(r, 'wrong-key', encryptAffiliate(Buffer.alloc(32, 9), affiliate('wrong-key')), []);
    // Good data, one good endpoint, three bad ones (not a block multiple, length byte too big, another key).
    const bad200 = encryptEndpoint(KEY, ep(3));
    await rawUpdate(r, 'mixed', encryptAffiliate(KEY, affiliate('mixed')), [Buffer.alloc(17, 1), encryptEndpoint(KEY, ep(7)), encryptEndpoint(Buffer.alloc(32, 9), ep(8)), Buffer.from(bad200.subarray(0, 16).map((x) => x ^ 0xff))]);
    const view = await until(a.c, (l) => ids(l).includes('mixed'));
    expect(ids(view)).toEqual(['mixed']);
    expect(view[0]!.endpoints.map(epText)).toContain('10.0.0.7:51820');
    const skipped = await metric(a.registry, 'discovery_client_skipped_blobs_total');
    expect(skipped['{"reason":"data-too-short"}']).toBe(1);
    expect(skipped['{"reason":"data-decrypt-failed"}']).toBe(1);
    expect(skipped['{"reason":"endpoint-bad-length"}']).toBe(1);
    expect(Object.values(skipped).reduce((x, y) => x + y, 0)).toBeGreaterThanOrEqual(4);
    expect(a.logs.filter((l) => l.affiliateId === 'wrong-key' && l.reason === 'data-decrypt-failed')).toHaveLength(1);
  });

  it('follows a redirect, ignores one to itself, and returns to the configured endpoint when the target fails', async () => {
    const target = await service();
    const front = await service({ redirectEndpoint: target.addr });
    const b = start({ endpoint: target.addr, affiliateId: 'b' });
    b.c.setLocalData(affiliate('b'), [], []);
    const a = start({ endpoint: front.addr, affiliateId: 'a' });
    a.c.setLocalData(affiliate('a'), [], []);
    await until(a.c, (l) => ids(l).includes('b'));
    expect(await metric(a.registry, 'discovery_client_redirects_total')).toEqual({ '{}': 1 });

    const self = await service();
    await self.svc.stop(); // free a port, then serve on it with a redirect to itself
    const selfAddr = self.addr;
    const loop = await service({ addr: selfAddr, redirectEndpoint: selfAddr });
    const c = start({ endpoint: loop.addr, affiliateId: 'c' });
    c.c.setLocalData(affiliate('c'), [], []);
    await expect.poll(() => loop.svc.stats().affiliates, { timeout: 10_000 }).toBe(1);

    await target.svc.stop();
    // The Watch at the target ends; the Hello there fails, and the client goes back to `front`.
    await expect.poll(() => a.logs.some((l) => l.msg.includes('Hello failed') && l.endpoint === target.addr), { timeout: 15_000 }).toBe(true);
    await expect.poll(async () => (await metric(a.registry, 'discovery_client_redirects_total'))['{}'], { timeout: 15_000 }).toBeGreaterThanOrEqual(2);
  });

  it('speaks TLS with a supplied CA', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dc-tls-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const cert = join(dir, 'c.crt');
    const key = join(dir, 'c.key');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-keyout', key, '-out', cert, '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'ignore' });
    const { addr } = await service({ certificatePath: cert, keyPath: key });
    const a = start({ endpoint: addr, affiliateId: 'a', insecure: false, tls: () => ({ ca: readFileSync(cert) }) });
    const b = start({ endpoint: addr, affiliateId: 'b', insecure: false, tls: () => ({ ca: readFileSync(cert) }) });
    a.c.setLocalData(affiliate('a'), [], []);
    b.c.setLocalData(affiliate('b'), [], []);
    await until(a.c, (l) => ids(l).includes('b'));
    // Without the CA the system roots do not trust it: the Hello fails and says so.
    const c = start({ endpoint: addr, affiliateId: 'c', insecure: false });
    await expect.poll(() => c.logs.some((l) => l.msg.includes('Hello failed')), { timeout: 10_000 }).toBe(true);
    expect(c.c.getAffiliates()).toEqual([]);
  });
});
