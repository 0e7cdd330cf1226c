// End to end: three in-process nodes (each a Runtime over its own InMemoryState with the node.yaml
// pipeline, the Kubernetes push and pull controllers, merge and members) sharing one test Kubernetes
// API server over TLS. They find each other through Kubernetes Node annotations alone.
import { describe, it, expect, afterEach } from 'vitest';
import {
  Affiliate,
  APIServerConfigSourceController,
  CLUSTER_NAMESPACE,
  CLUSTER_RAW_NAMESPACE,
  ConfigController,
  HostnameSourceController,
  Identity,
  LOCAL_IDENTITY_ID,
  LocalAffiliateController,
  MACHINE_CONFIG_ID,
  MachineConfig,
  MachineTypeSourceController,
  Member,
  NodeAddressSourceController,
  NodenameSourceController,
  parseNodeConfig,
  replaceSpec,
  type MemberSpec,
} from '@cosi-ts/cluster';
import { startRuntime, untilState, type Harness } from '@cosi-ts/cluster/testing';
import { AffiliateMergeController, MemberController } from '@cosi-ts/merge';
import { KubernetesPullController, KubernetesPushController, FORBIDDEN_WARNING } from '@cosi-ts/registry-kubernetes';
import { startKubeApiServer, type KubeApiServer } from '@cosi-ts/registry-kubernetes/testing';

const NAMES = ['node-1', 'node-2', 'node-3'] as const;
const members = Member.kind(CLUSTER_NAMESPACE);

function nodeYaml(i: number, kubeconfig: string, address = `10.5.0.${i + 1}`): string {
  return `
machine:
  type: ${i === 0 ? 'controlplane' : 'worker'}
  hostname: ${NAMES[i]}
  network:
    interfaces:
      - interface: eth0
        addresses: [${address}/24]
  kubernetes:
    kubeconfig: ${kubeconfig}
cluster:
  discovery:
    enabled: true
    registries:
      kubernetes: { disabled: false }
      service: { disabled: true }
`;
}

let server: KubeApiServer | undefined;
let nodes: Harness[] = [];
afterEach(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
  nodes = [];
  await server?.close();
  server = undefined;
});

async function startCluster(): Promise<{ server: KubeApiServer; nodes: Harness[] }> {
  server = await startKubeApiServer();
  for (const [i, name] of NAMES.entries()) {
    // What each kubelet would have registered: the Node objects, before any annotation.
    server.addNode({
      name,
      hostname: name,
      osImage: 'cosi-ts (v0.1.0)',
      ...(i === 0 ? { labels: { 'node-role.kubernetes.io/control-plane': '' } } : {}),
    });
  }
  for (const i of NAMES.keys()) {
    const h = startRuntime([
      new ConfigController(),
      new HostnameSourceController({ osHostname: () => 'unused' }),
      new NodenameSourceController(),
      new MachineTypeSourceController(),
      new NodeAddressSourceController({ interfaces: () => ({}) }),
      new APIServerConfigSourceController(),
      new LocalAffiliateController(),
      new KubernetesPushController(),
      new KubernetesPullController({ backoff: { initialMs: 20, maxMs: 200 }, kubeconfigPollMs: 50 }),
      new AffiliateMergeController(),
      new MemberController(),
    ]);
    nodes.push(h);
    await h.state.create(Identity.create(LOCAL_IDENTITY_ID, { nodeId: `id-${i + 1}` }));
    await h.state.create(MachineConfig.create(MACHINE_CONFIG_ID, parseNodeConfig(nodeYaml(i, server.kubeconfigPath))));
  }
  return { server, nodes };
}

const EXPECTED: Record<string, MemberSpec> = {
  'node-1': { nodeId: 'id-1', addresses: ['10.5.0.1'], hostname: 'node-1', machineType: 'controlplane', operatingSystem: 'cosi-ts (v0.1.0)', controlPlane: { port: 6443 } },
  'node-2': { nodeId: 'id-2', addresses: ['10.5.0.2'], hostname: 'node-2', machineType: 'worker', operatingSystem: 'cosi-ts (v0.1.0)' },
  'node-3': { nodeId: 'id-3', addresses: ['10.5.0.3'], hostname: 'node-3', machineType: 'worker', operatingSystem: 'cosi-ts (v0.1.0)' },
};

async function membersOf(h: Harness): Promise<Record<string, MemberSpec>> {
  return Object.fromEntries((await h.state.list<MemberSpec>(members)).map((m) => [m.metadata.id, m.spec]));
}

const converged = (h: Harness, expected: Record<string, MemberSpec>) =>
  untilState(h.state, [members], async () => expect(await membersOf(h)).toEqual(expected), 15_000);

describe('three nodes, Kubernetes registry only', () => {
  it('converge on the same members through Node annotations alone', async () => {
    const { server, nodes } = await startCluster();
    await Promise.all(nodes.map((h) => converged(h, EXPECTED)));
    // What each node published, as kubectl would show it.
    expect(server.getNode('node-1')?.metadata.annotations).toEqual({
      'cluster.talos.dev/node-id': 'id-1',
      'networking.talos.dev/self-ips': '10.5.0.1',
      'networking.talos.dev/api-server-port': '6443',
    });
    // Only Kubernetes fed them: every raw affiliate came from the k8s registry.
    for (const h of nodes) {
      const raw = await h.state.list(Affiliate.kind(CLUSTER_RAW_NAMESPACE));
      expect(raw.every((r) => r.metadata.id.startsWith('k8s/') && r.metadata.owner === 'registry.KubernetesPullController')).toBe(true);
    }
  });

  it('follow a change after the server dropped every watch, without losing or duplicating a member', async () => {
    const { server, nodes } = await startCluster();
    await Promise.all(nodes.map((h) => converged(h, EXPECTED)));
    const churn: string[] = [];
    const subs = nodes.map((h, i) =>
      h.state.watchKind(members).subscribe((e) => {
        if (e.type === 'created' || e.type === 'destroyed') churn.push(`${NAMES[i]}: ${e.type} ${e.resource.metadata.id}`);
      }),
    );
    try {
      const watchesBefore = server.watchesStarted();
      server.dropWatches();
      await nodes[2]!.state.modify(MachineConfig.pointer(MACHINE_CONFIG_ID), replaceSpec(parseNodeConfig(nodeYaml(2, server.kubeconfigPath, '10.5.0.33'))));
      const moved = { ...EXPECTED, 'node-3': { ...EXPECTED['node-3']!, addresses: ['10.5.0.33'] } };
      await Promise.all(nodes.map((h) => converged(h, moved)));
      expect(server.watchesStarted()).toBeGreaterThanOrEqual(watchesBefore + 3);
      expect(churn).toEqual([]);
    } finally {
      for (const s of subs) s.unsubscribe();
    }
  });

  it('with the service registry too, merged members carry the union of both registries', async () => {
    const { nodes } = await startCluster();
    const [n1] = nodes;
    await converged(n1!, EXPECTED);
    // What the service registry would report about node-2: another address, and its KubeSpan data.
    await n1!.state.create(
      Affiliate.create(
        'service/id-2',
        {
          nodeId: 'id-2',
          addresses: ['10.5.0.2', '192.168.3.2'],
          hostname: 'node-2.example.org',
          nodename: 'node-2',
          operatingSystem: 'cosi-ts (v0.1.0)',
          machineType: 'worker',
        },
        { namespace: CLUSTER_RAW_NAMESPACE },
      ),
      { owner: 'registry.service' },
    );
    await converged(n1!, { ...EXPECTED, 'node-2': { ...EXPECTED['node-2']!, addresses: ['10.5.0.2', '192.168.3.2'], hostname: 'node-2.example.org' } });
  });

  it('in 403 mode warn once each with the AuthorizeNodeWithSelectors explanation, keep their members, and recover', async () => {
    const { server, nodes } = await startCluster();
    await Promise.all(nodes.map((h) => converged(h, EXPECTED)));
    server.setForbidden(true);
    server.dropWatches();
    const refused = () => server.requests.filter((r) => r.startsWith('GET /api/v1/nodes')).length;
    const before = refused();
    // Several refused retries per node.
    const deadline = Date.now() + 15_000;
    while (refused() < before + 4 * nodes.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(refused()).toBeGreaterThanOrEqual(before + 4 * nodes.length);
    for (const h of nodes) {
      expect(h.logs(FORBIDDEN_WARNING)).toHaveLength(1);
      expect(await membersOf(h)).toEqual(EXPECTED);
    }
    server.setForbidden(false);
    await nodes[1]!.state.modify(MachineConfig.pointer(MACHINE_CONFIG_ID), replaceSpec(parseNodeConfig(nodeYaml(1, server.kubeconfigPath, '10.5.0.22'))));
    const moved = { ...EXPECTED, 'node-2': { ...EXPECTED['node-2']!, addresses: ['10.5.0.22'] } };
    await Promise.all(nodes.map((h) => converged(h, moved)));
    for (const h of nodes) expect(h.logs(FORBIDDEN_WARNING)).toHaveLength(1);
  });
});
