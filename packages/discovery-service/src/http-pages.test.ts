import { afterEach, describe, expect, it } from 'vitest';
import { DiscoveryService, type DiscoveryServiceOptions } from './index.ts';
import { TestClient } from './test-harness.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(o: DiscoveryServiceOptions = {}): Promise<{ svc: DiscoveryService; client: TestClient; landing: string; metrics: string }> {
  const svc = new DiscoveryService({ addr: '127.0.0.1:0', landingAddr: '127.0.0.1:0', metricsAddr: '127.0.0.1:0', rateLimit: false, ...o });
  const addr = await svc.start();
  cleanups.push(() => svc.stop());
  const client = new TestClient(addr);
  cleanups.push(() => client.close());
  return { svc, client, landing: `http://${svc.landingAddress}`, metrics: `http://${svc.metricsAddress}` };
}

describe('landing pages', () => {
  it('serves the landing page and /healthz', async () => {
    const { landing } = await setup();
    const page = await fetch(`${landing}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Discovery service');
    expect((await fetch(`${landing}/healthz`)).status).toBe(200);
    expect((await fetch(`${landing}/nope`)).status).toBe(404);
  });

  it('inspects a cluster with HTML escaped, sorted, hex blobs, and never creates one', async () => {
    const { svc, client, landing } = await setup();
    await client.update({ clusterId: '<c>', affiliateId: 'b<script>', affiliateData: Buffer.from([0xab, 0xcd]), affiliateEndpoints: [Buffer.from([1, 2])], ttlMs: 60_000 });
    await client.update({ clusterId: '<c>', affiliateId: 'a', ttlMs: 60_000 });
    const html = await (await fetch(`${landing}/inspect?clusterID=${encodeURIComponent('<c>')}`)).text();
    expect(html).not.toContain('<script>');
    expect(html).toContain('b&#60;script&#62;');
    expect(html).toContain('abcd');
    expect(html).toContain('0102');
    expect(html.indexOf('<td>a</td>')).toBeLessThan(html.indexOf('<td>b&#60;script'));
    await fetch(`${landing}/inspect?clusterID=unknown`);
    expect(svc.stats().clusters).toBe(1);
  });

  it('serves /stats as JSON with CORS', async () => {
    const { client, landing } = await setup();
    await client.update({ clusterId: 'c', affiliateId: 'a', ttlMs: 60_000 });
    const res = await fetch(`${landing}/stats`);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(await res.json()).toEqual({ affiliates: 1 });
  });
});

describe('landing pages over time (fake clock)', () => {
  it('shows remaining TTLs and recomputes /stats at most hourly', async () => {
    let now = 1_000_000;
    const { client, landing } = await setup({ now: () => now });
    await client.update({ clusterId: 'c', affiliateId: 'a', affiliateData: Buffer.from('d'), affiliateEndpoints: [Buffer.from([0xee])], ttlMs: 90_000 });
    now += 30_000;
    const html = await (await fetch(`${landing}/inspect?clusterID=c`)).text();
    expect(html).toContain('<code>ee</code> (TTL 60 s)');
    expect(html).toContain('<td>60 s</td>');

    expect(await (await fetch(`${landing}/stats`)).json()).toEqual({ affiliates: 1 });
    await client.update({ clusterId: 'c', affiliateId: 'b', ttlMs: 90_000 });
    now += 59 * 60_000;
    expect(await (await fetch(`${landing}/stats`)).json()).toEqual({ affiliates: 1 }); // cached
    now += 60_000;
    expect(await (await fetch(`${landing}/stats`)).json()).toEqual({ affiliates: 2 });
  });
});

describe('metrics', () => {
  it('exposes the Go server names, gRPC metrics and Node process metrics', async () => {
    const { svc, client, metrics } = await setup();
    await client.hello({ clusterId: 'c', clientVersion: 'v1.9.0' });
    await client.update({ clusterId: 'c', affiliateId: 'a', affiliateEndpoints: [Buffer.from('e')], ttlMs: 60_000 });
    await client.update({ clusterId: '', affiliateId: 'a' }).catch(() => undefined);
    const w = client.watch('c');
    await w.next();
    const text = await (await fetch(`${metrics}/metrics`)).text();
    for (const line of [
      'discovery_server_hello_requests_total{client_version="v1.9"} 1',
      'discovery_state_clusters 1',
      'discovery_state_affiliates 1',
      'discovery_state_endpoints 1',
      'discovery_state_subscriptions 1',
      'discovery_state_gc_runs_total 1',
      'grpc_server_handled_total{grpc_type="unary",grpc_service="sidero.discovery.server.Cluster",grpc_method="AffiliateUpdate",grpc_code="OK"} 1',
      'grpc_server_handled_total{grpc_type="unary",grpc_service="sidero.discovery.server.Cluster",grpc_method="AffiliateUpdate",grpc_code="InvalidArgument"} 1',
      'grpc_server_started_total{grpc_type="server_stream",grpc_service="sidero.discovery.server.Cluster",grpc_method="Watch"} 1',
      'grpc_server_msg_sent_total{grpc_type="server_stream",grpc_service="sidero.discovery.server.Cluster",grpc_method="Watch"} 1',
      'grpc_server_handling_seconds_bucket{le="0.01",grpc_type="unary"',
    ]) {
      expect(text).toContain(line);
    }
    expect(text).toMatch(/^process_cpu_user_seconds_total/m);
    expect(text).toMatch(/^nodejs_heap_size_used_bytes/m);
    expect(text).not.toContain('discovery_storage_operations_total'); // snapshots off
    // A single gauge read on its own is current, not left over from the last full scrape.
    await client.update({ clusterId: 'c', affiliateId: 'b', ttlMs: 60_000 });
    expect(await svc.metrics.registry.getSingleMetricAsString('discovery_state_affiliates')).toContain('discovery_state_affiliates 2');
    w.cancel();
  });
});
