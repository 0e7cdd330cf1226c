// Cluster discovery merge: 1,000 nodes seen by 2 registries (2,000 raw affiliates) flow through
// AffiliateMergeController and MemberController into 1,000 members. Measures convergence from an
// empty state and the latency of one raw change to its member update (which must cost less than
// 1/50 of the convergence: the controllers are incremental). Baselines, measured in the same run:
// the same final writes applied directly to the state in one loop.
import type { Kind, Resource } from '@cosi-ts/resource';
import { InMemoryState, type State } from '@cosi-ts/state';
import { Runtime } from '@cosi-ts/runtime';
import {
  Affiliate,
  CLUSTER_NAMESPACE,
  CLUSTER_RAW_NAMESPACE,
  Member,
  mergeAffiliates,
  replaceSpec,
  type AffiliateSpec,
  type MemberSpec,
} from '@cosi-ts/cluster';
import { AffiliateMergeController, MemberController, memberOf } from '@cosi-ts/merge';
import type { BenchResult, BenchRow } from './bench-result.ts';
import { percentile } from './stats.ts';

const NODES = 1_000;
const RUNS = 3;
const CHANGES = 50;
const REGISTRY = 'bench.registry';

function rawAffiliates(): Resource<AffiliateSpec>[] {
  const out: Resource<AffiliateSpec>[] = [];
  for (let i = 0; i < NODES; i++) {
    const nodeId = `n${String(i).padStart(4, '0')}`;
    const common = { nodeId, nodename: `node-${i}`, hostname: `node-${i}.example.org`, operatingSystem: 'Talos (v1.8.0)' };
    const ip = `${(i >> 8) & 255}.${i & 255}`;
    out.push(
      Affiliate.create(`k8s/${nodeId}`, {
        ...common,
        machineType: i < 3 ? 'controlplane' : 'worker',
        addresses: [`10.0.${ip}`],
        kubespan: { publicKey: Buffer.alloc(32, i & 255).toString('base64'), address: `fd00::${i.toString(16)}`, additionalAddresses: [`10.244.${i & 255}.0/24`], endpoints: [`10.0.${ip}:51820`], excludeAdvertisedNetworks: [] },
        ...(i < 3 ? { controlPlane: { port: 6443 } } : {}),
      }, { namespace: CLUSTER_RAW_NAMESPACE }),
      Affiliate.create(`service/${nodeId}`, { ...common, machineType: 'unknown', addresses: [`10.0.${ip}`, `192.168.${ip}`] }, { namespace: CLUSTER_RAW_NAMESPACE }),
    );
  }
  return out;
}

/** Every wait of the benchmark fails after this long instead of hanging on a bug. */
const WAIT_TIMEOUT_MS = 60_000;

/** Member specs by id from a live watch; resolves waiters exactly when their condition holds. */
class MemberSink {
  readonly members = new Map<string, MemberSpec>();
  private waiters: { check: () => boolean; resolve: () => void }[] = [];
  private readonly sub;
  constructor(state: State, kind: Kind) {
    this.sub = state.watchKind<MemberSpec>(kind).subscribe((e) => {
      if (e.type === 'created' || e.type === 'updated') this.members.set(e.resource.metadata.id, e.resource.spec);
      else if (e.type === 'destroyed') this.members.delete(e.resource.metadata.id);
      if (this.waiters.length > 0) this.waiters = this.waiters.filter((w) => (w.check() ? (w.resolve(), false) : true));
    });
  }
  until(what: string, check: () => boolean): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`merge bench: ${what} not seen within ${WAIT_TIMEOUT_MS} ms`));
      }, WAIT_TIMEOUT_MS);
      const waiter = {
        check,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      this.waiters.push(waiter);
    });
  }
  close(): void {
    this.sub.unsubscribe();
  }
}

/** Every member exists and shows both registries' views (service addresses, the k8s machine type). */
const converged = (sink: MemberSink, nodes: number) => (): boolean => {
  if (sink.members.size < nodes) return false;
  for (const m of sink.members.values()) if (m.addresses.length < 2 || m.machineType === 'unknown') return false;
  return true;
};

interface Measured {
  convergeMs: number;
  changeMs: number[];
}

async function measure(raws: readonly Resource<AffiliateSpec>[], withChanges: boolean): Promise<Measured> {
  const state = new InMemoryState({ historyCapacity: 16_384 });
  const rt = new Runtime(state);
  rt.register(new AffiliateMergeController());
  rt.register(new MemberController());
  const ac = new AbortController();
  const running = rt.run(ac.signal);
  const sink = new MemberSink(state, Member.kind(CLUSTER_NAMESPACE));
  try {
    const t0 = performance.now();
    for (const r of raws) await state.create(r, { owner: REGISTRY });
    await sink.until('convergence', converged(sink, raws.length / 2));
    const convergeMs = performance.now() - t0;

    const changeMs: number[] = [];
    for (let k = 0; withChanges && k < CHANGES; k++) {
      const i = (k * 397) % NODES;
      const nodeId = `n${String(i).padStart(4, '0')}`;
      const added = `172.16.${k}.1`;
      const t1 = performance.now();
      await state.modify<AffiliateSpec>(Affiliate.pointer(`service/${nodeId}`, CLUSTER_RAW_NAMESPACE), (d) => {
        d.spec.addresses.push(added);
      }, { owner: REGISTRY });
      await sink.until(`member node-${i} with ${added}`, () => sink.members.get(`node-${i}`)?.addresses.includes(added) === true);
      changeMs.push(performance.now() - t1);
    }
    return { convergeMs, changeMs };
  } finally {
    sink.close();
    ac.abort();
    await running;
  }
}

/** The bare minimum: the same raw, merged and member writes, applied directly in one loop. */
async function baseline(raws: readonly Resource<AffiliateSpec>[]): Promise<{ convergeMs: number; changeMs: number[] }> {
  const state = new InMemoryState({ historyCapacity: 16_384 });
  const t0 = performance.now();
  for (let i = 0; i < raws.length; i += 2) {
    const k8s = raws[i]!;
    const service = raws[i + 1]!;
    await state.create(k8s, { owner: REGISTRY });
    await state.create(service, { owner: REGISTRY });
    const merged = mergeAffiliates(k8s.spec, service.spec);
    await state.create(Affiliate.create(merged.nodeId, merged), { owner: 'merge' });
    await state.create(Member.create(merged.nodename!, memberOf(merged)), { owner: 'member' });
  }
  const convergeMs = performance.now() - t0;
  const changeMs: number[] = [];
  for (let k = 0; k < CHANGES; k++) {
    const i = (k * 397) % NODES;
    const nodeId = `n${String(i).padStart(4, '0')}`;
    const t1 = performance.now();
    const raw = await state.modify<AffiliateSpec>(Affiliate.pointer(`service/${nodeId}`, CLUSTER_RAW_NAMESPACE), (d) => {
      d.spec.addresses.push(`172.16.${k}.1`);
    }, { owner: REGISTRY });
    const merged = mergeAffiliates(raws[2 * i]!.spec, raw.spec);
    await state.modify(Affiliate.pointer(nodeId), replaceSpec(merged), { owner: 'merge' });
    await state.modify(Member.pointer(merged.nodename!), replaceSpec(memberOf(merged)), { owner: 'member' });
    changeMs.push(performance.now() - t1);
  }
  return { convergeMs, changeMs };
}

export async function run(): Promise<BenchResult> {
  const raws = rawAffiliates();
  await measure(raws.slice(0, 200), false); // warm-up (JIT)
  let best: Measured | undefined;
  const changes: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const m = await measure(raws, true);
    changes.push(...m.changeMs);
    if (best === undefined || m.convergeMs < best.convergeMs) best = m;
  }
  const base = await baseline(raws);
  const sorted = [...changes].sort((a, b) => a - b);
  const baseSorted = [...base.changeMs].sort((a, b) => a - b);
  const convergeMs = best!.convergeMs;
  const p50 = percentile(sorted, 50);
  const p95 = percentile(sorted, 95);
  const rows: BenchRow[] = [
    {
      metric: `converge ${NODES} nodes × 2 registries from empty (best of ${RUNS})`,
      value: convergeMs,
      unit: 'ms',
      baseline: base.convergeMs,
      note: `${2 * NODES} raw affiliates written by a registry → ${NODES} merged affiliates → ${NODES} members; baseline writes the same resources directly in one loop`,
    },
    { metric: 'one raw change → member update, p50', value: p50, unit: 'ms', baseline: percentile(baseSorted, 50) },
    { metric: 'one raw change → member update, p95', value: p95, unit: 'ms', baseline: percentile(baseSorted, 95) },
    {
      metric: 'one change (p95) / full convergence',
      value: (p95 / convergeMs) * 100,
      unit: '%',
      target: '< 2 % (1/50)',
      pass: p95 < convergeMs / 50,
      note: `${changes.length} changes over ${RUNS} runs, each on a different node of the ${NODES}`,
    },
  ];
  return { name: 'merge', rows };
}
