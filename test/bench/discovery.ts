// Discovery service: AffiliateUpdate throughput from 100 concurrent clients over loopback, update-to-
// watcher latency with 1,000 clusters x 10 affiliates, each affiliate watching its cluster, and resident
// memory per affiliate (measured in a fresh process). Baselines, measured in the same run: a grpc-js server with the same service
// definition whose handlers do nothing. Servers run in a child process (this file, with --serve), so
// clients and server do not share an event loop.
import { AffiliateUpdateRequest, ClusterClient, ClusterService, StrictClusterService, type WatchResponse } from '@cosi-ts/discovery-api';
import { ClusterStore, DiscoveryService } from '@cosi-ts/discovery-service';
import { Server, ServerCredentials, credentials, type ServiceDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { BenchResult, BenchRow } from './bench-result.ts';
import { percentile } from './stats.ts';

const CLIENTS = 100;
const THROUGHPUT_MS = 4000;
const WARMUP_MS = 1000;
const CLUSTERS = 1000;
const AFFILIATES = 10;
const FANOUT_UPDATES = 3000;
const FANOUT_CONCURRENCY = 20;
const MEMORY_AFFILIATES = 50_000;
const DECODES = 200_000;

const self = fileURLToPath(import.meta.url);
type Mode = 'real' | 'noop';

// ---- child: the server under test ----------------------------------------------------------------

async function serve(mode: Mode): Promise<void> {
  let stop: () => Promise<void>;
  let addr: string;
  if (mode === 'real') {
    // Every bench client comes from 127.0.0.1: the per-IP rate limit and watch limits (15/s, 1024
    // watches, 64 MiB backlog) would measure themselves, so they are lifted here.
    const svc = new DiscoveryService({
      addr: '127.0.0.1:0',
      rateLimit: false,
      gcIntervalMs: 60_000,
      watchLimits: { maxPerIp: 100_000, maxBacklogBytesPerIp: 1 << 30 },
      transport: { maxConnectionsPerIp: 100_000 },
    });
    addr = await svc.start();
    stop = () => svc.stop();
  } else {
    const server = new Server({ 'grpc.max_send_message_length': -1 });
    const unary = (_call: unknown, cb: (e: null, r: object) => void): void => cb(null, {});
    const handlers = {
      hello: unary,
      affiliateUpdate: unary,
      affiliateDelete: unary,
      list: unary,
      watch: (call: { write(m: object): boolean }) => call.write({ affiliates: [], deleted: false }),
    };
    server.addService(ClusterService as unknown as ServiceDefinition, handlers as unknown as UntypedServiceImplementation);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
    addr = `127.0.0.1:${port}`;
    stop = () => new Promise((resolve) => server.tryShutdown(() => resolve()));
  }
  process.stdout.write(`${JSON.stringify({ addr })}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => {
    void stop().then(() => process.exit(0));
  });
}

// ---- parent: clients and measurements -----------------------------------------------------------

interface ServerProcess {
  addr: string;
  proc: ChildProcess;
  close(): Promise<void>;
}

async function startServer(mode: Mode): Promise<ServerProcess> {
  const proc = spawn(process.execPath, ['--conditions=@cosi-ts/source', '--import', 'tsx', self, '--serve', mode], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const addr = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`bench server (${mode}) did not start within 30 s`)), 30_000);
    createInterface({ input: proc.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      resolve((JSON.parse(line) as { addr: string }).addr);
    });
    proc.once('exit', (code) => reject(new Error(`bench server (${mode}) exited with ${code}`)));
  });
  return {
    addr,
    proc,
    close: () =>
      new Promise((resolve) => {
        const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
        proc.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        proc.stdin!.end();
      }),
  };
}

function clientFor(addr: string): ClusterClient {
  // A connection per client, as separate nodes would have.
  return new ClusterClient(addr, credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1, 'grpc.max_receive_message_length': 8 << 20 });
}

function update(c: ClusterClient, clusterId: string, affiliateId: string, data: Buffer, endpoints: Buffer[]): Promise<void> {
  return new Promise((resolve, reject) =>
    c.affiliateUpdate({ clusterId, affiliateId, affiliateData: data, affiliateEndpoints: endpoints, ttl: { seconds: 1800n, nanos: 0 } }, (e) =>
      e ? reject(e) : resolve(),
    ),
  );
}

async function throughput(addr: string): Promise<number> {
  const clients = Array.from({ length: CLIENTS }, () => clientFor(addr));
  const payloads = [randomBytes(1024), randomBytes(1024)];
  const endpoints = [randomBytes(16), randomBytes(16)];
  let counting = false;
  let count = 0;
  let running = true;
  const loops = clients.map(async (c, i) => {
    for (let n = 0; running; n++) {
      await update(c, `cluster-${i % 10}`, `node-${i}`, payloads[n % 2]!, endpoints);
      if (counting) count++;
    }
  });
  await new Promise((r) => setTimeout(r, WARMUP_MS));
  counting = true;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, THROUGHPUT_MS));
  counting = false;
  const elapsed = performance.now() - t0;
  running = false;
  await Promise.all(loops);
  for (const c of clients) c.close();
  return (count / elapsed) * 1000;
}

interface Latencies {
  p50: number;
  p99: number;
  samples: number;
}

/** Fan-out: updates to random clusters, timed from just before the call to each watcher's receipt. */
async function fanout(addr: string, watch: boolean): Promise<Latencies> {
  const conns = Array.from({ length: 20 }, () => clientFor(addr));
  const data = randomBytes(1024);
  const eps = [randomBytes(16), randomBytes(16)];
  // Populate 1,000 clusters x 10 affiliates (the no-op server keeps nothing: no need).
  let next = watch ? 0 : CLUSTERS * AFFILIATES;
  await Promise.all(
    conns.map(async (c) => {
      while (next < CLUSTERS * AFFILIATES) {
        const i = next++;
        await update(c, `c${Math.floor(i / AFFILIATES)}`, `n${i % AFFILIATES}`, data, eps);
      }
    }),
  );
  const samples: number[] = [];
  const streams: { cancel(): void }[] = [];
  if (watch) {
    // Every affiliate watches its cluster: 10,000 Watch streams over 20 connections.
    await Promise.all(
      Array.from({ length: CLUSTERS * AFFILIATES }, (_, i) => {
        const s = conns[i % conns.length]!.watch({ clusterId: `c${Math.floor(i / AFFILIATES)}` });
        streams.push(s);
        s.on('error', () => undefined);
        return new Promise<void>((resolve) => {
          let first = true;
          s.on('data', (m: WatchResponse) => {
            if (first) {
              first = false;
              resolve();
              return;
            }
            const a = m.affiliates[0];
            if (a !== undefined && a.data.length >= 8) samples.push(performance.now() - a.data.readDoubleLE(0));
          });
        });
      }),
    );
  }
  const rtts: number[] = [];
  let sent = 0;
  await Promise.all(
    Array.from({ length: FANOUT_CONCURRENCY }, async (_, k) => {
      const c = conns[k % conns.length]!;
      while (sent < FANOUT_UPDATES) {
        const i = sent++;
        const payload = Buffer.alloc(1024);
        const t = performance.now();
        payload.writeDoubleLE(t, 0);
        await update(c, `c${(i * 7919) % CLUSTERS}`, `n${i % AFFILIATES}`, payload, eps);
        rtts.push(performance.now() - t);
      }
    }),
  );
  if (watch) {
    const want = FANOUT_UPDATES * AFFILIATES;
    const deadline = Date.now() + 20_000;
    while (samples.length < want && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  }
  for (const s of streams) s.cancel();
  for (const c of conns) c.close();
  const sorted = (watch ? samples : rtts).sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), samples: sorted.length };
}

/**
 * Decoding cost of one typical AffiliateUpdateRequest (Talos-like 44 B IDs, 1 KiB data, 2 endpoints,
 * TTL) by the server's strict deserializer and, as the baseline, the plain generated one. In a
 * fresh process, alternating, best of 5 rounds of DECODES each; CPU nanoseconds per request.
 */
function decodeCost(): { strict: number; plain: number } {
  const bytes = Buffer.from(
    AffiliateUpdateRequest.encode({
      clusterId: randomBytes(33).toString('base64'),
      affiliateId: randomBytes(33).toString('base64'),
      affiliateData: randomBytes(1024),
      affiliateEndpoints: [randomBytes(16), randomBytes(16)],
      ttl: { seconds: 1800n, nanos: 0 },
    }).finish(),
  );
  const time = (decode: (b: Buffer) => AffiliateUpdateRequest): number => {
    let sink = 0;
    // CPU time, not wall time: on the shared machine this process is often descheduled.
    const t0 = process.cpuUsage();
    for (let i = 0; i < DECODES; i++) sink += decode(bytes).affiliateEndpoints.length;
    const used = process.cpuUsage(t0);
    const ns = ((used.user + used.system) * 1000) / DECODES;
    if (sink !== 2 * DECODES) throw new Error('decode bench: wrong result');
    return ns;
  };
  let strict = Infinity;
  let plain = Infinity;
  for (let round = 0; round < 6; round++) {
    // Round 0 warms both up and is not counted.
    const s = time(StrictClusterService.affiliateUpdate.requestDeserialize);
    const p = time(ClusterService.affiliateUpdate.requestDeserialize);
    if (round === 0) continue;
    strict = Math.min(strict, s);
    plain = Math.min(plain, p);
  }
  return { strict, plain };
}

function forceGc(): void {
  let g = (globalThis as { gc?: () => void }).gc;
  if (g === undefined) {
    setFlagsFromString('--expose-gc');
    g = runInNewContext('gc') as () => void;
  }
  g();
  g();
}

/** Memory per affiliate in the store itself (data 1 KiB, 2 endpoints of 16 B): RSS and heap+buffers. */
function memoryPerAffiliate(): { rss: number; heap: number } {
  forceGc();
  const before = process.memoryUsage();
  const store = new ClusterStore();
  for (let i = 0; i < MEMORY_AFFILIATES; i++) {
    store.update(`cluster-${Math.floor(i / 1000)}`, { affiliateId: `node-${i % 1000}-${'x'.repeat(20)}`, data: randomBytes(1024), endpoints: [randomBytes(16), randomBytes(16)], ttlMs: 1_800_000 });
  }
  forceGc();
  const after = process.memoryUsage();
  if (store.stats().affiliates !== MEMORY_AFFILIATES) throw new Error('memory bench: store lost affiliates');
  const heapOf = (m: NodeJS.MemoryUsage): number => m.heapUsed + m.arrayBuffers;
  return { rss: (after.rss - before.rss) / MEMORY_AFFILIATES, heap: (heapOf(after) - heapOf(before)) / MEMORY_AFFILIATES };
}

/** Runs this file in a fresh process with `args` and returns its first stdout line, parsed. */
async function inChild<T>(args: string[]): Promise<T> {
  const proc = spawn(process.execPath, ['--conditions=@cosi-ts/source', '--import', 'tsx', self, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise<T>((resolve, reject) => {
    createInterface({ input: proc.stdout! }).once('line', (line) => resolve(JSON.parse(line) as T));
    proc.once('exit', (code) => reject(new Error(`bench child ${args.join(' ')} exited with ${code}`)));
  });
}

export async function run(): Promise<BenchResult> {
  const rows: BenchRow[] = [];
  // In a fresh process, so RSS reflects the store and not earlier phases.
  const mem = await inChild<{ rss: number; heap: number }>(['--memory']);
  const decode = await inChild<{ strict: number; plain: number }>(['--decode']);

  // Alternating runs, best of two each: the client process warms up, and the machine is shared.
  let noopRate = 0;
  let realRate = 0;
  for (let round = 0; round < 2; round++) {
    const noopServer = await startServer('noop');
    noopRate = Math.max(noopRate, await throughput(noopServer.addr));
    await noopServer.close();
    const realServer = await startServer('real');
    realRate = Math.max(realRate, await throughput(realServer.addr));
    await realServer.close();
  }

  const noop = await startServer('noop');
  const noopRtt = await fanout(noop.addr, false);
  await noop.close();
  const real = await startServer('real');
  const lat = await fanout(real.addr, true);
  await real.close();

  rows.push({
    metric: `AffiliateUpdate calls/s, ${CLIENTS} clients`,
    value: Math.round(realRate),
    unit: 'calls/s',
    baseline: Math.round(noopRate),
    target: '≥ 60% of baseline',
    pass: realRate >= 0.6 * noopRate,
    note: 'rate limit off (all clients share 127.0.0.1); 1 KiB data alternating, 2 endpoints; baseline: no-op grpc-js handlers, same service definition',
  });
  rows.push({
    metric: 'update → watcher latency p50',
    value: lat.p50,
    unit: 'ms',
    baseline: noopRtt.p50,
    note: `${CLUSTERS} clusters x ${AFFILIATES} affiliates, each watching its cluster (${CLUSTERS * AFFILIATES} streams); ${FANOUT_UPDATES} updates, ${FANOUT_CONCURRENCY} in flight; ${lat.samples} deliveries. Baseline: AffiliateUpdate round trip to the no-op server at the same offered load`,
  });
  rows.push({ metric: 'update → watcher latency p99', value: lat.p99, unit: 'ms', baseline: noopRtt.p99, target: '< 50 ms', pass: lat.p99 < 50 });

  rows.push({
    metric: 'resident memory per affiliate',
    value: Math.round(mem.rss),
    unit: 'B',
    baseline: 1024 + 2 * 16,
    target: '< 4 KiB',
    pass: mem.rss < 4096,
    note: `RSS growth over ${MEMORY_AFFILIATES.toLocaleString('en-US')} affiliates (1 KiB data, 2 x 16 B endpoints); heap + buffers: ${Math.round(mem.heap)} B; baseline = payload bytes`,
  });
  rows.push({
    metric: 'AffiliateUpdateRequest decode (strict)',
    value: decode.strict,
    unit: 'ns',
    baseline: decode.plain,
    target: '≤ 1.5× baseline',
    pass: decode.strict <= 1.5 * decode.plain,
    note: `StrictClusterService (wire-format check, fatal UTF-8) vs the plain generated decoder; 44 B IDs, 1 KiB data, 2 x 16 B endpoints; best of 5 x ${DECODES.toLocaleString('en-US')}, CPU time`,
  });
  return { name: 'discovery', rows };
}

if (process.argv[1] === self && process.argv[2] === '--serve') {
  void serve(process.argv[3] === 'noop' ? 'noop' : 'real');
} else if (process.argv[1] === self && process.argv[2] === '--memory') {
  process.stdout.write(`${JSON.stringify(memoryPerAffiliate())}\n`);
} else if (process.argv[1] === self && process.argv[2] === '--decode') {
  process.stdout.write(`${JSON.stringify(decodeCost())}\n`);
}
