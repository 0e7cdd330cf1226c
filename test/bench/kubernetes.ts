// Kubernetes registry pull: 1,000 annotated Nodes on the test API server (TLS, loopback) flow through
// KubernetesPullController into 1,000 raw affiliates. Measures the initial sync and the latency of
// one Node change to its raw affiliate, which must not grow with the cluster (the pull is
// incremental between lists). Baselines, measured in the same run: client-node's own list and
// watch with the same mapping and the same State writes, without the controller and its informer.
import { CoreV1Api, KubeConfig, Watch, type V1Node } from '@kubernetes/client-node';
import { InMemoryState } from '@cosi-ts/state';
import { Runtime } from '@cosi-ts/runtime';
import {
  Affiliate,
  CLUSTER_RAW_NAMESPACE,
  DiscoveryConfig,
  DISCOVERY_CONFIG_ID,
  MachineConfig,
  MACHINE_CONFIG_ID,
  Nodename,
  NODENAME_ID,
  parseNodeConfig,
  replaceSpec,
  type AffiliateSpec,
} from '@cosi-ts/cluster';
import { ANNOTATIONS, affiliateOfNode, KubernetesPullController } from '@cosi-ts/registry-kubernetes';
import { startKubeApiServer, type KubeApiServer } from '@cosi-ts/registry-kubernetes/testing';
import type { BenchResult, BenchRow } from './bench-result.ts';
import { percentile } from './stats.ts';

const NODES = 1_000;
const SMALL = 10;
const CHANGES = 50;
const WAIT_TIMEOUT_MS = 60_000;

function addNodes(server: KubeApiServer, n: number): void {
  for (let i = 0; i < n; i++) {
    server.addNode({
      name: `node-${i}`,
      hostname: `node-${i}`,
      osImage: 'Talos (v1.8.0)',
      annotations: {
        [ANNOTATIONS.nodeId]: `n${i}`,
        [ANNOTATIONS.selfIps]: `10.0.${(i >> 8) & 255}.${i & 255}`,
        [ANNOTATIONS.kubeSpanPublicKey]: Buffer.alloc(32, i & 255).toString('base64'),
        [ANNOTATIONS.kubeSpanEndpoints]: `10.0.${(i >> 8) & 255}.${i & 255}:51820`,
      },
    });
  }
}

/** Resolves when `check` holds after some event of the raw Affiliates kind. */
function until(state: InMemoryState, what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  return new Promise((resolve, reject) => {
    let busy = false;
    const timer = setTimeout(() => {
      sub.unsubscribe();
      reject(new Error(`kubernetes bench: ${what} not seen within ${WAIT_TIMEOUT_MS} ms`));
    }, WAIT_TIMEOUT_MS);
    const attempt = async (): Promise<void> => {
      if (busy) return;
      busy = true;
      try {
        if (await check()) {
          clearTimeout(timer);
          sub.unsubscribe();
          resolve();
        }
      } finally {
        busy = false;
      }
    };
    const sub = state.watchKind(Affiliate.kind(CLUSTER_RAW_NAMESPACE)).subscribe(() => void attempt());
    void attempt();
  });
}

const rawPtr = (i: number) => Affiliate.pointer(`k8s/n${i}`, CLUSTER_RAW_NAMESPACE);
const addressOf = async (state: InMemoryState, i: number): Promise<string | undefined> => {
  try {
    return (await state.get<AffiliateSpec>(rawPtr(i))).spec.addresses[0];
  } catch {
    return undefined;
  }
};

async function measure(nodes: number, changes: number): Promise<{ syncMs: number; changeMs: number[] }> {
  const server = await startKubeApiServer();
  addNodes(server, nodes);
  const state = new InMemoryState({ historyCapacity: 16_384 });
  const rt = new Runtime(state);
  rt.register(new KubernetesPullController());
  const ac = new AbortController();
  const running = rt.run(ac.signal);
  try {
    const t0 = performance.now();
    await state.create(Nodename.create(NODENAME_ID, { nodename: 'bench-local' }));
    await state.create(MachineConfig.create(MACHINE_CONFIG_ID, parseNodeConfig(`machine:\n  kubernetes:\n    kubeconfig: ${server.kubeconfigPath}\n`)));
    await state.create(
      DiscoveryConfig.create(DISCOVERY_CONFIG_ID, {
        discoveryEnabled: true,
        registryKubernetesEnabled: true,
        registryServiceEnabled: false,
        serviceEndpoint: '',
        serviceEndpointInsecure: false,
        serviceEncryptionKey: '',
        serviceClusterID: '',
      }),
    );
    await until(state, 'initial sync', async () => (await state.list(Affiliate.kind(CLUSTER_RAW_NAMESPACE))).length === nodes);
    const syncMs = performance.now() - t0;
    const changeMs: number[] = [];
    for (let k = 0; k < changes; k++) {
      const i = (k * 397) % nodes;
      const ip = `172.16.${k}.1`;
      const t1 = performance.now();
      server.patchNode(`node-${i}`, { metadata: { annotations: { [ANNOTATIONS.selfIps]: ip } } });
      await until(state, `node-${i} at ${ip}`, async () => (await addressOf(state, i)) === ip);
      changeMs.push(performance.now() - t1);
    }
    return { syncMs, changeMs };
  } finally {
    ac.abort();
    await running;
    await server.close();
  }
}

/** client-node alone: list + map + write each; then a bare Watch, mapping and writing each event. */
async function baseline(nodes: number, changes: number): Promise<{ syncMs: number; changeMs: number[] }> {
  const server = await startKubeApiServer();
  addNodes(server, nodes);
  const state = new InMemoryState({ historyCapacity: 16_384 });
  // What writeSpec does through a controller context, straight on the State.
  const write = (spec: AffiliateSpec) =>
    state.modify(Affiliate.create(`k8s/${spec.nodeId}`, spec, { namespace: CLUSTER_RAW_NAMESPACE }), replaceSpec(spec), { owner: 'bench' });
  const kc = new KubeConfig();
  kc.loadFromFile(server.kubeconfigPath);
  let ctl: AbortController | undefined;
  try {
    const t0 = performance.now();
    const list = await kc.makeApiClient(CoreV1Api).listNode();
    for (const node of list.items) {
      await write(affiliateOfNode(node)!);
    }
    const syncMs = performance.now() - t0;
    ctl = await new Watch(kc).watch('/api/v1/nodes', { resourceVersion: list.metadata?.resourceVersion }, (_type: string, node: V1Node) => {
      const spec = affiliateOfNode(node);
      if (spec !== undefined) void write(spec);
    }, () => {});
    const changeMs: number[] = [];
    for (let k = 0; k < changes; k++) {
      const i = (k * 397) % nodes;
      const ip = `172.16.${k}.1`;
      const t1 = performance.now();
      server.patchNode(`node-${i}`, { metadata: { annotations: { [ANNOTATIONS.selfIps]: ip } } });
      await until(state, `baseline node-${i} at ${ip}`, async () => (await addressOf(state, i)) === ip);
      changeMs.push(performance.now() - t1);
    }
    return { syncMs, changeMs };
  } finally {
    ctl?.abort();
    await server.close();
  }
}

export async function run(): Promise<BenchResult> {
  await measure(100, 5); // warm-up (JIT, TLS)
  const big = await measure(NODES, CHANGES);
  const small = await measure(SMALL, CHANGES);
  const base = await baseline(NODES, CHANGES);
  const s = (xs: number[]) => [...xs].sort((a, b) => a - b);
  const [bigC, smallC, baseC] = [s(big.changeMs), s(small.changeMs), s(base.changeMs)];
  const p50 = percentile(bigC, 50);
  const rows: BenchRow[] = [
    {
      metric: `initial sync, ${NODES} Nodes → raw affiliates`,
      value: big.syncMs,
      unit: 'ms',
      baseline: base.syncMs,
      note: 'list over TLS + informer + controller writes; baseline: client-node listNode, the same mapping and writes in one loop',
    },
    { metric: `one Node change → raw affiliate, p50 (${NODES} Nodes)`, value: p50, unit: 'ms', baseline: percentile(baseC, 50) },
    { metric: `one Node change → raw affiliate, p95 (${NODES} Nodes)`, value: percentile(bigC, 95), unit: 'ms', baseline: percentile(baseC, 95) },
    {
      metric: `one Node change, p50 at ${NODES} Nodes vs at ${SMALL}`,
      value: p50,
      unit: 'ms',
      baseline: percentile(smallC, 50),
      target: `< 3× the ${SMALL}-Node figure (incremental)`,
      pass: p50 < 3 * percentile(smallC, 50),
      note: `baseline column here is the same controller with ${SMALL} Nodes; ${CHANGES} changes each`,
    },
  ];
  return { name: 'kubernetes', rows };
}
