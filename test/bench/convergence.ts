// Cluster convergence: how long until every node of an N-node cluster (N = 50, 200, 500) sees all the
// others, from a cold start, and how long one node's change takes to reach every other node. The real
// figure runs whole nodes (a Runtime over its own InMemoryState with config, identity, local affiliate,
// service registry, merge and member controllers) in this process; the discovery service runs in a child
// process (this file, with --serve). Baseline, same run, same service: N bare DiscoveryClients exchanging
// affiliates with no controllers. The protocol must deliver N² Watch messages for a cold start (each
// node's update to every watcher) and N for one change; the per-message cost shows how it scales.
import { spawn, type ChildProcess } from 'node:child_process';
import { setMaxListeners } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { CLUSTER_NAMESPACE, Member } from '@cosi-ts/cluster';
import type { ClientAffiliate } from '@cosi-ts/discovery-api';
import { DiscoveryClient, parseClusterKey } from '@cosi-ts/discovery-client';
import { DiscoveryService } from '@cosi-ts/discovery-service';
import { ClusterNode } from '../discovery/cluster-node.ts';
import type { Subscription } from 'rxjs';
import type { BenchResult, BenchRow } from './bench-result.ts';

// CONVERGENCE_SIZES=50,200 runs fewer sizes (e.g. for a quick check).
const SIZES = (process.env.CONVERGENCE_SIZES ?? '50,200,500').split(',').map(Number);
const SECRET = 'kCQsKr4B28VUl7qw1sVkTDNF9fFH++ViIuKsss+C6kc=';
const KEY = parseClusterKey(SECRET);
/** The spec's reconnect backoff (500 ms ×1.5): a cold start waits one step before its first Hello. */
const BACKOFF = { initialMs: 500, maxMs: 60_000 };
const LIMIT_MS = 300_000;
const self = fileURLToPath(import.meta.url);

// ---- child: the discovery service ---------------------------------------------------------------

async function serve(): Promise<void> {
  // Every node connects from 127.0.0.1: per-IP limits would measure themselves, so they are lifted.
  const svc = new DiscoveryService({
    addr: '127.0.0.1:0',
    rateLimit: false,
    watchLimits: { maxPerIp: 100_000, maxBacklogBytesPerIp: 1 << 30 },
    transport: { maxConnectionsPerIp: 100_000 },
  });
  const addr = await svc.start();
  process.stdout.write(`${JSON.stringify({ addr })}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => void svc.stop().then(() => process.exit(0)));
}

interface ServiceProcess {
  readonly addr: string;
  close(): Promise<void>;
}

async function startService(): Promise<ServiceProcess> {
  const proc: ChildProcess = spawn(process.execPath, ['--conditions=@cosi-ts/source', '--import', 'tsx', self, '--serve'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const addr = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('bench discovery service did not start within 30 s')), 30_000);
    createInterface({ input: proc.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      resolve((JSON.parse(line) as { addr: string }).addr);
    });
    proc.once('exit', (code) => reject(new Error(`bench discovery service exited with ${code}`)));
  });
  return {
    addr,
    close: () =>
      new Promise((resolve) => {
        const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
        proc.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        proc.stdin!.end();
      }),
  };
}

// ---- measurements -------------------------------------------------------------------------------

/** Resolves when `count` calls of the returned `hit` have happened; rejects after LIMIT_MS. */
function countdown(count: number, what: string): { hit: () => void; done: Promise<number> } {
  let left = count;
  let resolve!: (ms: number) => void;
  let reject!: (e: Error) => void;
  const t0 = performance.now();
  const done = new Promise<number>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  const timer = setTimeout(() => reject(new Error(`${what}: ${left} of ${count} still waiting after ${LIMIT_MS} ms`)), LIMIT_MS);
  if (left === 0) resolve(0);
  return {
    hit: () => {
      if (--left === 0) {
        clearTimeout(timer);
        resolve(performance.now() - t0);
      }
    },
    done,
  };
}

const plain = (i: number, hostname = `node-${i}`): ClientAffiliate => ({
  nodeId: `n${i}`,
  addresses: [Buffer.from([10, 5, i >> 8, i & 255])],
  hostname,
  nodename: hostname,
  machineType: 'worker',
  operatingSystem: 'cosi-ts (bench)',
});

interface Times {
  readonly coldMs: number;
  readonly changeMs: number;
}

/** Baseline: bare clients, each counted converged when it holds n−1 affiliates. */
async function bareClients(addr: string, n: number, clusterId: string): Promise<Times> {
  const stop = new AbortController();
  setMaxListeners(n + 10, stop.signal); // one listener per client on the shared signal, by design
  const clients = Array.from({ length: n }, (_, i) => new DiscoveryClient({ endpoint: addr, insecure: true, clusterId, affiliateId: `n${i}`, key: KEY, clientVersion: 'v0-bench', backoff: BACKOFF }));
  const cold = countdown(n, `baseline ${n} cold`);
  const subs = clients.map((c) => {
    let done = false;
    return c.changes.subscribe(() => {
      if (!done && c.affiliateCount === n - 1) {
        done = true;
        cold.hit();
      }
    });
  });
  const runs = clients.map((c) => c.run(stop.signal));
  clients.forEach((c, i) => c.setLocalData(plain(i), [], []));
  try {
    return await measureBare(clients, cold, subs, n);
  } finally {
    stop.abort();
    await Promise.all(runs);
  }
}

async function measureBare(clients: DiscoveryClient[], cold: ReturnType<typeof countdown>, subs: Subscription[], n: number): Promise<Times> {
  const coldMs = await cold.done;
  for (const s of subs) s.unsubscribe();

  const change = countdown(n - 1, `baseline ${n} change`);
  const subs2 = clients.slice(1).map((c) => {
    let done = false;
    return c.changes.subscribe(() => {
      if (!done && c.getAffiliates().some((a) => a.affiliate.hostname === 'renamed-0')) {
        done = true;
        change.hit();
      }
    });
  });
  clients[0]!.setLocalData(plain(0, 'renamed-0'), [], []);
  const changeMs = await change.done;
  for (const s of subs2) s.unsubscribe();
  return { coldMs, changeMs };
}

/** Whole nodes: converged when the node's Members hold all n nodenames. */
async function wholeNodes(addr: string, n: number, clusterId: string): Promise<Times> {
  const nodes: ClusterNode[] = [];
  const cold = countdown(n, `nodes ${n} cold`);
  const phase: { change?: ReturnType<typeof countdown> } = {};
  const subs: Subscription[] = [];
  const starting: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    starting.push(
      ClusterNode.start({ hostname: `node-${i}`, index: i + 1, endpoint: addr, clusterId, secret: SECRET, clientBackoff: BACKOFF }).then((node) => {
        nodes[i] = node;
        const members = new Set<string>();
        let converged = false;
        let renamed = false;
        subs.push(
          node.state.watchKind(Member.kind(CLUSTER_NAMESPACE)).subscribe((e) => {
            if (!('resource' in e)) return;
            if (e.type === 'destroyed') members.delete(e.resource.metadata.id);
            else members.add(e.resource.metadata.id);
            if (!converged && members.size === n) {
              converged = true;
              cold.hit();
            }
            if (phase.change !== undefined && i !== 0 && !renamed && members.has('renamed-0')) {
              renamed = true;
              phase.change.hit();
            }
          }),
        );
      }),
    );
  }
  try {
    await Promise.all(starting);
    const coldMs = await cold.done;
    const change = (phase.change = countdown(n - 1, `nodes ${n} change`));
    await nodes[0]!.setHostname('renamed-0');
    const changeMs = await change.done;
    return { coldMs, changeMs };
  } finally {
    // Also on a missed deadline: no runtime, socket or state dir is left behind.
    for (const s of subs) s.unsubscribe();
    await Promise.all(nodes.filter((x) => x !== undefined).map((x) => x.stop()));
  }
}

export async function run(): Promise<BenchResult> {
  const rows: BenchRow[] = [];
  const perMessage: { n: number; us: number }[] = [];
  for (const n of SIZES) {
    const svc = await startService();
    try {
      const base = await bareClients(svc.addr, n, `bench-bare-${n}`);
      (globalThis as { gc?: () => void }).gc?.();
      process.stderr.write(`convergence: ${n} bare clients: cold ${base.coldMs.toFixed(0)} ms, change ${base.changeMs.toFixed(0)} ms\n`);
      const real = await wholeNodes(svc.addr, n, `bench-nodes-${n}`);
      process.stderr.write(`convergence: ${n} nodes: cold ${real.coldMs.toFixed(0)} ms, change ${real.changeMs.toFixed(0)} ms\n`);
      (globalThis as { gc?: () => void }).gc?.();
      const coldTarget = n === 500 ? { target: '< 10 s', pass: real.coldMs < 10_000 } : {};
      const changeTarget = n === 500 ? { target: '< 2 s', pass: real.changeMs < 2000 } : {};
      rows.push({ metric: `${n} nodes: cold start until all see all`, value: real.coldMs / 1000, unit: 's', baseline: base.coldMs / 1000, ...coldTarget, note: `${n * n} Watch messages` });
      rows.push({ metric: `${n} nodes: one change reaches all`, value: real.changeMs / 1000, unit: 's', baseline: base.changeMs / 1000, ...changeTarget });
      const us = (real.coldMs * 1000) / (n * n);
      perMessage.push({ n, us });
      rows.push({ metric: `${n} nodes: cold start per Watch message`, value: us, unit: 'µs', baseline: (base.coldMs * 1000) / (n * n) });
    } finally {
      await svc.close();
    }
  }
  const first = perMessage[0]!;
  const last = perMessage[perMessage.length - 1]!;
  rows.push({
    metric: `per-message cost, ${last.n} vs ${first.n} nodes`,
    value: last.us / first.us,
    unit: '×',
    target: '≤ 1.5 (grows no faster than N² messages)',
    pass: last.us / first.us <= 1.5,
  });
  return { name: 'convergence', rows };
}

if (process.argv[1] === self && process.argv[2] === '--serve') void serve();
