import { createHook } from 'node:async_hooks';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, status } from '@grpc/grpc-js';
import { afterAll, describe, expect, it } from 'vitest';
import { DiscoveryService } from './index.ts';
import { TestClient, statusOf } from './test-harness.ts';

const dir = mkdtempSync(join(tmpdir(), 'ds-stop-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Handles that would outlive a stopped service: timers, listening and connected sockets. (An HTTP/2
// session is reported destroyed only when collected; its socket stands for it.)
const TRACKED = new Set(['Timeout', 'TCPSERVERWRAP', 'TCPWRAP', 'Immediate']);

/** Records tracked handles created from now on; `leftovers()` waits until those created so far are gone. */
function trackHandles(): { leftovers(): Promise<void>; disable(): void } {
  const live = new Map<number, string>();
  const hook = createHook({
    init(id, type) {
      if (TRACKED.has(type)) live.set(id, `${type}${new Error().stack ?? ''}`);
    },
    destroy(id) {
      live.delete(id);
    },
  });
  hook.enable();
  return {
    async leftovers() {
      // The poll's own timers come later and are not counted.
      const before = new Set(live.keys());
      await expect.poll(() => [...live].filter(([id]) => before.has(id)).map(([, what]) => what)).toEqual([]);
    },
    disable: () => hook.disable(),
  };
}

describe('DiscoveryService.stop', () => {
  it('leaves no timer, socket or session behind, and answers calls waiting for a token', async () => {
    const handles = trackHandles();
    try {
      const svc = new DiscoveryService({
        addr: '127.0.0.1:0',
        landingAddr: '127.0.0.1:0',
        metricsAddr: '127.0.0.1:0',
        snapshots: { path: join(dir, 'state.snapshot') },
        rateLimit: { burst: 1, ratePerSecond: 0.01 },
        gcIntervalMs: 1000,
      });
      const addr = await svc.start();
      const client = new TestClient(addr, credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
      const w = client.watch('c'); // takes the only token
      await w.next();
      // Calls waiting for tokens ~100 s and more away, with no deadline: stop must not wait for them.
      const warnings: string[] = [];
      const onWarning = (w: Error): void => {
        warnings.push(w.name);
      };
      process.on('warning', onWarning);
      const waiting = Promise.all(Array.from({ length: 12 }, () => statusOf(client.hello({ clusterId: 'c' }))));
      await expect.poll(() => svc.metrics.registry.getSingleMetricAsString('grpc_server_started_total')).toContain('grpc_method="Hello"} 12');
      await fetch(`http://${svc.landingAddress}/stats`);
      await fetch(`http://${svc.metricsAddress}/metrics`);
      await svc.stop();
      expect((await w.ended).code).toBe(status.OK);
      expect(new Set((await waiting).map((r) => `${r.code} ${r.details}`))).toEqual(new Set([`${status.UNAVAILABLE} server is shutting down`]));
      process.off('warning', onWarning);
      expect(warnings).not.toContain('MaxListenersExceededWarning');
      client.close();
      await handles.leftovers();
    } finally {
      handles.disable();
    }
  });

  it('called while start() is still running, waits for it and then releases everything', async () => {
    const handles = trackHandles();
    try {
      const svc = new DiscoveryService({ addr: '127.0.0.1:0', landingAddr: '127.0.0.1:0', metricsAddr: '127.0.0.1:0', snapshots: { path: join(dir, 'early', 'state.snapshot') } });
      const started = svc.start();
      await svc.stop();
      expect(await started).toMatch(/^127\.0\.0\.1:\d+$/);
      await expect(fetch(`http://${svc.landingAddress}/healthz`)).rejects.toThrow();
      await handles.leftovers();
    } finally {
      handles.disable();
    }
  });
});
