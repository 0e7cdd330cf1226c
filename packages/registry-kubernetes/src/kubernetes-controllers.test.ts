import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import {
  Affiliate,
  CLUSTER_RAW_NAMESPACE,
  DiscoveryConfig,
  DISCOVERY_CONFIG_ID,
  Identity,
  LOCAL_IDENTITY_ID,
  MachineConfig,
  MACHINE_CONFIG_ID,
  Nodename,
  NODENAME_ID,
  parseNodeConfig,
  replaceSpec,
  type AffiliateSpec,
  type DiscoveryConfigSpec,
} from '@cosi-ts/cluster';
import { startRuntime, untilState, type Harness } from '@cosi-ts/cluster/testing';
import { startKubeApiServer, type KubeApiServer } from './testing/index.ts';
import { ANNOTATIONS } from './annotations.ts';
import { KubernetesPullController } from './kubernetes-pull-controller.ts';
import { KubernetesPushController } from './kubernetes-push-controller.ts';
import { DEPRECATION_WARNING, FORBIDDEN_WARNING } from './messages.ts';

const K8S_ON: DiscoveryConfigSpec = {
  discoveryEnabled: true,
  registryKubernetesEnabled: true,
  registryServiceEnabled: false,
  serviceEndpoint: '',
  serviceEndpointInsecure: false,
  serviceEncryptionKey: '',
  serviceClusterID: '',
};

const FAST = { backoff: { initialMs: 20, maxMs: 200 }, kubeconfigPollMs: 50 };

let server: KubeApiServer;
let h: Harness | undefined;
beforeEach(async () => {
  server = await startKubeApiServer();
});
afterEach(async () => {
  await h?.stop();
  h = undefined;
  try {
    // Shutdown closes every watch stream it opened.
    await until(() => expect(server.openWatches()).toBe(0), 'watches closed after shutdown');
  } finally {
    await server.close();
  }
});

/** Condition wait on the test server (its state changes without State events). */
async function until<T>(check: () => T, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      return check();
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`${what}: ${String(last)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function configure(state: Harness['state'], dc: DiscoveryConfigSpec = K8S_ON): Promise<void> {
  await state.create(MachineConfig.create(MACHINE_CONFIG_ID, parseNodeConfig(`machine:\n  kubernetes:\n    kubeconfig: ${server.kubeconfigPath}\n`)));
  await state.create(DiscoveryConfig.create(DISCOVERY_CONFIG_ID, dc));
}

const CP1: AffiliateSpec = {
  nodeId: 'cp1',
  addresses: ['10.5.0.2', 'fd00::2'],
  hostname: 'cp-1.example',
  nodename: 'cp-1',
  operatingSystem: 'cosi-ts (v0.1.0)',
  machineType: 'controlplane',
  controlPlane: { port: 6443 },
};

describe('KubernetesPushController', () => {
  it('merge-patches only the differing annotations of the local Node, and sends nothing when nothing changed', async () => {
    server.addNode({ name: 'cp-1', annotations: { unrelated: 'kept', [ANNOTATIONS.kubeSpanPublicKey]: 'old-key' } });
    h = startRuntime([new KubernetesPushController()]);
    const { state } = h;
    await configure(state);
    await state.create(Identity.create(LOCAL_IDENTITY_ID, { nodeId: 'cp1' }));
    await state.create(Affiliate.create('cp1', CP1), { owner: 'test' });

    await until(
      () =>
        expect(server.getNode('cp-1')?.metadata.annotations).toEqual({
          unrelated: 'kept',
          [ANNOTATIONS.nodeId]: 'cp1',
          [ANNOTATIONS.selfIps]: '10.5.0.2,fd00::2',
          [ANNOTATIONS.apiServerPort]: '6443',
        }),
      'annotations pushed',
    );
    const patches = () => server.requests.filter((r) => r.startsWith('PATCH /api/v1/nodes/cp-1')).length;
    expect(patches()).toBe(1);

    // A change outside the annotations (hostname), then one inside: only the second is sent.
    await state.modify(Affiliate.pointer('cp1'), replaceSpec({ ...CP1, hostname: 'renamed' }), { owner: 'test' });
    await state.modify(Affiliate.pointer('cp1'), replaceSpec({ ...CP1, addresses: ['10.5.0.2'] }), { owner: 'test' });
    await until(() => expect(server.getNode('cp-1')?.metadata.annotations?.[ANNOTATIONS.selfIps]).toBe('10.5.0.2'), 'self-ips updated');
    expect(patches()).toBe(2);
    expect(server.requests.filter((r) => r.startsWith('GET /api/v1/nodes/cp-1')).length).toBe(2);
  });

  it('fails while the Node is missing and succeeds once it appears (retried with backoff)', async () => {
    h = startRuntime([new KubernetesPushController()]);
    const { state } = h;
    await configure(state);
    await state.create(Identity.create(LOCAL_IDENTITY_ID, { nodeId: 'cp1' }));
    await state.create(Affiliate.create('cp1', CP1), { owner: 'test' });
    const failure = await h.logged('KubernetesNodeNotFound', 10_000);
    expect(JSON.stringify(failure)).toContain('Kubernetes Node \\"cp-1\\"');
    server.addNode({ name: 'cp-1' });
    await until(() => expect(server.getNode('cp-1')?.metadata.annotations?.[ANNOTATIONS.nodeId]).toBe('cp1'), 'pushed after retry');
  });

  it('does nothing while the Kubernetes registry is disabled', async () => {
    server.addNode({ name: 'cp-1' });
    h = startRuntime([new KubernetesPushController()]);
    const { state } = h;
    await configure(state, { ...K8S_ON, registryKubernetesEnabled: false });
    await state.create(Identity.create(LOCAL_IDENTITY_ID, { nodeId: 'cp1' }));
    await state.create(Affiliate.create('cp1', CP1), { owner: 'test' });
    // Enabling it afterwards pushes: so the disabled pass above had its chance to send and did not.
    await state.modify(DiscoveryConfig.pointer(DISCOVERY_CONFIG_ID), replaceSpec(K8S_ON));
    await until(() => expect(server.getNode('cp-1')?.metadata.annotations?.[ANNOTATIONS.nodeId]).toBe('cp1'), 'pushed once enabled');
    expect(server.requests.filter((r) => r.includes('/api/v1/nodes/cp-1'))).toEqual(['GET /api/v1/nodes/cp-1', 'PATCH /api/v1/nodes/cp-1']);
  });
});

describe('KubernetesPullController', () => {
  const raw = Affiliate.kind(CLUSTER_RAW_NAMESPACE);
  const rawIds = async (state: Harness['state']) => (await state.list(raw)).map((r) => r.metadata.id);

  async function startPull(): Promise<Harness> {
    h = startRuntime([new KubernetesPullController(FAST)]);
    await configure(h.state);
    await h.state.create(Nodename.create(NODENAME_ID, { nodename: 'local' }));
    return h;
  }

  it('turns every other annotated Node into k8s/<NodeID>, follows changes and deletions, and warns once that it is deprecated', async () => {
    server.addNode({ name: 'local', annotations: { [ANNOTATIONS.nodeId]: 'me' } });
    server.addNode({ name: 'plain' });
    server.addNode({
      name: 'cp-1',
      labels: { 'node-role.kubernetes.io/control-plane': '' },
      hostname: 'cp-1',
      osImage: 'Talos (v1.8.0)',
      annotations: { [ANNOTATIONS.nodeId]: 'cp1', [ANNOTATIONS.selfIps]: '10.5.0.2,fd00::2', [ANNOTATIONS.apiServerPort]: '6443' },
    });
    const { state } = await startPull();
    await untilState(state, [raw], async () => expect(await rawIds(state)).toEqual(['k8s/cp1']));
    expect((await state.get<AffiliateSpec>(Affiliate.pointer('k8s/cp1', CLUSTER_RAW_NAMESPACE))).spec).toEqual({
      nodeId: 'cp1',
      addresses: ['10.5.0.2', 'fd00::2'],
      hostname: 'cp-1',
      nodename: 'cp-1',
      operatingSystem: 'Talos (v1.8.0)',
      machineType: 'controlplane',
      controlPlane: { port: 6443 },
    });

    server.patchNode('plain', { metadata: { annotations: { [ANNOTATIONS.nodeId]: 'w1', [ANNOTATIONS.selfIps]: '10.5.0.3' } } });
    await untilState(state, [raw], async () => expect(await rawIds(state)).toEqual(['k8s/cp1', 'k8s/w1']));
    server.deleteNode('cp-1');
    await untilState(state, [raw], async () => expect(await rawIds(state)).toEqual(['k8s/w1']));
    // A Node whose node-id changes moves its affiliate; one that loses it drops it.
    server.patchNode('plain', { metadata: { annotations: { [ANNOTATIONS.nodeId]: 'w9' } } });
    await untilState(state, [raw], async () => expect(await rawIds(state)).toEqual(['k8s/w9']));
    server.addNode({ name: 'twin', annotations: { [ANNOTATIONS.nodeId]: 'w9' } });
    server.patchNode('plain', { metadata: { annotations: { [ANNOTATIONS.nodeId]: null } } });
    server.addNode({ name: 'marker', annotations: { [ANNOTATIONS.nodeId]: 'm1' } });
    await untilState(state, [raw], async () => expect(await rawIds(state)).toEqual(['k8s/m1', 'k8s/w9']));
    expect((await state.get<AffiliateSpec>(Affiliate.pointer('k8s/w9', CLUSTER_RAW_NAMESPACE))).spec.nodename).toBe('twin');
    expect(h!.logs(DEPRECATION_WARNING.slice(0, 60))).toHaveLength(1);
    expect(h!.logs('Kubernetes 1.32')[0]?.['level']).toBe(40);
  });

  it('destroys its outputs and closes the watch when the registry is disabled', async () => {
    server.addNode({ name: 'w-1', annotations: { [ANNOTATIONS.nodeId]: 'w1' } });
    const { state } = await startPull();
    await untilState(state, [raw], async () => expect(await rawIds(state)).toEqual(['k8s/w1']));
    await until(() => expect(server.openWatches()).toBe(1), 'watching');
    await state.modify(DiscoveryConfig.pointer(DISCOVERY_CONFIG_ID), replaceSpec({ ...K8S_ON, registryKubernetesEnabled: false }));
    await untilState(state, [raw], async () => expect(await rawIds(state)).toEqual([]));
    await until(() => expect(server.openWatches()).toBe(0), 'watch closed');
  });

  it('resumes a dropped watch from its resourceVersion, and relists after 410 Gone, without losing or duplicating a Node', async () => {
    server.addNode({ name: 'w-1', annotations: { [ANNOTATIONS.nodeId]: 'w1' } });
    const { state } = await startPull();
    await untilState(state, [raw], async () => expect(await rawIds(state)).toEqual(['k8s/w1']));
    const destroyed: string[] = [];
    const sub = state.watchKind(raw).subscribe((e) => {
      if (e.type === 'destroyed') destroyed.push(e.resource.metadata.id);
    });
    try {
      const lists = () => server.requests.filter((r) => /^GET \/api\/v1\/nodes(\?(?!.*watch=true)|$)/.test(r)).length;
      expect(lists()).toBe(1);

      // Dropped: the informer rewatches from the last version it saw, and gets what it missed.
      const rv = server.resourceVersion();
      server.dropWatches();
      server.addNode({ name: 'w-2', annotations: { [ANNOTATIONS.nodeId]: 'w2' } });
      await untilState(state, [raw], async () => expect(await rawIds(state)).toEqual(['k8s/w1', 'k8s/w2']));
      await until(() => expect(server.requests).toContain(`GET /api/v1/nodes?watch=true&resourceVersion=${rv}`), 'rewatched from rv');
      expect(lists()).toBe(1);

      // Expired: 410 Gone → a fresh list, then a watch from its version.
      await until(() => expect(server.openWatches()).toBe(1), 'watching again');
      server.compact();
      server.dropWatches();
      server.patchNode('w-1', { metadata: { annotations: { [ANNOTATIONS.selfIps]: '10.5.0.9' } } });
      await untilState(state, [raw], async () =>
        expect((await state.get<AffiliateSpec>(Affiliate.pointer('k8s/w1', CLUSTER_RAW_NAMESPACE))).spec.addresses).toEqual(['10.5.0.9']),
      );
      await until(() => expect(lists()).toBe(2), 'relisted');
      expect(await rawIds(state)).toEqual(['k8s/w1', 'k8s/w2']);
      expect(destroyed).toEqual([]);
    } finally {
      sub.unsubscribe();
    }
  });

  it('on 403 warns once with the AuthorizeNodeWithSelectors explanation, keeps retrying with backoff, and recovers', async () => {
    server.addNode({ name: 'w-1', annotations: { [ANNOTATIONS.nodeId]: 'w1' } });
    server.setForbidden(true);
    const { state } = await startPull();
    const listed = () => server.requests.filter((r) => r.startsWith('GET /api/v1/nodes')).length;
    await until(() => expect(listed()).toBeGreaterThanOrEqual(4), 'retried several times');
    const warnings = h!.logs('AuthorizeNodeWithSelectors, which lets');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.['msg']).toBe(FORBIDDEN_WARNING);
    expect(warnings[0]?.['level']).toBe(40);
    expect(await rawIds(state)).toEqual([]);

    server.setForbidden(false);
    await untilState(state, [raw], async () => expect(await rawIds(state)).toEqual(['k8s/w1']));
    expect(h!.logs('AuthorizeNodeWithSelectors, which lets')).toHaveLength(1);
  });

  it('reconnects after 401 with the kubeconfig read again (a rotated token), keeping its outputs meanwhile', async () => {
    server.addNode({ name: 'w-1', annotations: { [ANNOTATIONS.nodeId]: 'w1' } });
    const { state } = await startPull();
    await untilState(state, [raw], async () => expect(await rawIds(state)).toEqual(['k8s/w1']));
    await until(() => expect(server.openWatches()).toBe(1), 'watching');
    await server.rotateToken();
    server.dropWatches();
    // The rewatch with the old token gets 401: "any other error", so it reconnects with backoff.
    await h!.logged('list/watch of Nodes failed; reconnecting with backoff');
    expect(await rawIds(state)).toEqual(['k8s/w1']);
    server.addNode({ name: 'w-2', annotations: { [ANNOTATIONS.nodeId]: 'w2' } });
    await untilState(state, [raw], async () => expect(await rawIds(state)).toEqual(['k8s/w1', 'k8s/w2']));
  });

  it('keeps the last known affiliates while it cannot connect, then catches up from a fresh list', async () => {
    server.addNode({ name: 'w-1', annotations: { [ANNOTATIONS.nodeId]: 'w1' } });
    const { state } = await startPull();
    await untilState(state, [raw], async () => expect(await rawIds(state)).toEqual(['k8s/w1']));
    // A kubeconfig that cannot be loaded: the new informer waits for it; the outputs stay.
    await h!.state.modify(MachineConfig.pointer(MACHINE_CONFIG_ID), replaceSpec(parseNodeConfig('machine:\n  kubernetes:\n    kubeconfig: /nonexistent/kubeconfig\n')));
    await h!.logged('waiting for a usable kubeconfig');
    expect(await rawIds(state)).toEqual(['k8s/w1']);
    server.addNode({ name: 'w-2', annotations: { [ANNOTATIONS.nodeId]: 'w2' } });
    await h!.state.modify(MachineConfig.pointer(MACHINE_CONFIG_ID), replaceSpec(parseNodeConfig(`machine:\n  kubernetes:\n    kubeconfig: ${server.kubeconfigPath}\n`)));
    await untilState(state, [raw], async () => expect(await rawIds(state)).toEqual(['k8s/w1', 'k8s/w2']));
  });
});

describe('KubernetesPullController against a hung API server', () => {
  it('aborts a list that gets no answer, retries, and syncs once the server answers', async () => {
    server.addNode({ name: 'w-1', annotations: { [ANNOTATIONS.nodeId]: 'w1' } });
    server.setStalled(true);
    h = startRuntime([new KubernetesPullController({ ...FAST, listTimeoutMs: 300 })]);
    await configure(h.state);
    await h.state.create(Nodename.create(NODENAME_ID, { nodename: 'local' }));
    const timedOut = await h.logged('KubernetesRequestTimeout', 10_000);
    expect(JSON.stringify(timedOut)).toContain('list Nodes: no answer within 300 ms');
    server.setStalled(false);
    await untilState(h.state, [Affiliate.kind(CLUSTER_RAW_NAMESPACE)], async () =>
      expect((await h!.state.list(Affiliate.kind(CLUSTER_RAW_NAMESPACE))).map((r) => r.metadata.id)).toEqual(['k8s/w1']),
    );
    // The server never answers the held requests: only the client aborting them closes them.
    await until(() => expect(server.heldRequests()).toBe(0), 'held list requests closed by the client');
  });
});

describe('both controllers on one node', () => {
  it('never reads back its own Node', async () => {
    server.addNode({ name: 'cp-1' });
    server.addNode({ name: 'w-1', annotations: { [ANNOTATIONS.nodeId]: 'w1' } });
    h = startRuntime([new KubernetesPushController(), new KubernetesPullController(FAST)]);
    const { state } = h;
    await configure(state);
    await state.create(Nodename.create(NODENAME_ID, { nodename: 'cp-1' }));
    await state.create(Identity.create(LOCAL_IDENTITY_ID, { nodeId: 'cp1' }));
    await state.create(Affiliate.create('cp1', CP1), { owner: 'test' });
    await until(() => expect(server.getNode('cp-1')?.metadata.annotations?.[ANNOTATIONS.nodeId]).toBe('cp1'), 'pushed');
    await untilState(state, [Affiliate.kind(CLUSTER_RAW_NAMESPACE)], async () =>
      expect((await state.list(Affiliate.kind(CLUSTER_RAW_NAMESPACE))).map((r) => r.metadata.id)).toEqual(['k8s/w1']),
    );
  });
});
