// End to end through the Kubernetes registry alone: real `cosi-node` processes, the service registry
// off, sharing the test Kubernetes API server (TLS, bearer token) as their only way to meet.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RemoteState } from '@cosi-ts/api';
import { CLUSTER_NAMESPACE, Member } from '@cosi-ts/cluster';
import { startKubeApiServer, type KubeApiServer } from '@cosi-ts/registry-kubernetes/testing';
import { NodeProcess } from './node-process.ts';

const SECRET = 'kCQsKr4B28VUl7qw1sVkTDNF9fFH++ViIuKsss+C6kc=';
const NAMES = ['node-1', 'node-2', 'node-3'];

let dir: string;
let kube: KubeApiServer | undefined;
let nodes: NodeProcess[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cosi-k8s-e2e-'));
  kube = await startKubeApiServer();
  // What each kubelet would have registered: the Node objects, before any annotation.
  for (const [i, name] of NAMES.entries()) {
    kube.addNode({ name, hostname: name, osImage: 'cosi-ts (v0.1.0)', ...(i === 0 ? { labels: { 'node-role.kubernetes.io/control-plane': '' } } : {}) });
  }
});
afterAll(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
  await kube?.close();
  await rm(dir, { recursive: true, force: true });
});

/** Member IDs a node serves, polled over its resource API until `want` or the deadline. */
async function untilMembers(remote: RemoteState, want: readonly string[], timeoutMs = 30_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ids = (await remote.list(Member.kind(CLUSTER_NAMESPACE))).map((m) => m.metadata.id).sort();
    if (JSON.stringify(ids) === JSON.stringify(want) || Date.now() > deadline) return ids;
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('cosi-node processes with only the Kubernetes registry', () => {
  it('discover each other through Node annotations, and keep every member across dropped watches', { timeout: 90_000 }, async () => {
    nodes = await Promise.all(
      NAMES.map((hostname, i) => NodeProcess.start({ dir, hostname, index: i + 1, discovery: undefined, kubeconfig: kube!.kubeconfigPath, clusterId: 'k8s-e2e', secret: SECRET })),
    );
    const remotes = nodes.map((n) => new RemoteState(n.apiAddress, { callTimeoutMs: 5000 }));
    try {
      for (const r of remotes) expect(await untilMembers(r, NAMES)).toEqual(NAMES);
      // Each node published its affiliate as annotations on its own Node (the push half).
      const member = await remotes[1]!.get(Member.pointer('node-1', CLUSTER_NAMESPACE));
      expect(member.spec).toMatchObject({ hostname: 'node-1', machineType: 'controlplane', addresses: ['10.5.0.1'] });

      // The API server drops every watch: the informers resume, and no node loses a member meanwhile.
      const destroyed: string[] = [];
      const stop = new AbortController();
      for (const r of remotes) {
        r.watchKind(Member.kind(CLUSTER_NAMESPACE), { signal: stop.signal }).subscribe((e) => {
          if (e.type === 'destroyed') destroyed.push(e.resource.metadata.id);
        });
      }
      kube!.dropWatches();
      kube!.addNode({ name: 'not-a-cosi-node' }); // a Node with no node-id annotation: never a member
      await new Promise((r) => setTimeout(r, 2000));
      stop.abort();
      expect(destroyed).toEqual([]);
      for (const r of remotes) expect(await untilMembers(r, NAMES)).toEqual(NAMES);
    } finally {
      await Promise.all(remotes.map((r) => r.close()));
    }
    const exits = await Promise.all(nodes.map((n) => n.stop()));
    expect(exits).toEqual(NAMES.map(() => ({ code: 0, signal: null })));
  });
});
