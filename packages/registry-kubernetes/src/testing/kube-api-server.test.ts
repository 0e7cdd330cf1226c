import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig, CoreV1Api, Watch } from '@kubernetes/client-node';
import { startKubeApiServer, type KubeApiServer } from './kube-api-server.ts';

function kubectlPath(): string | undefined {
  try {
    return execFileSync('sh', ['-c', 'command -v kubectl'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

const KUBECTL = kubectlPath();
// CI installs kubectl (.ci/run); elsewhere a missing kubectl skips these tests, saying why.
if (KUBECTL === undefined && process.env['CI'] === undefined) {
  console.warn('kube-api-server.test.ts: kubectl not found on PATH; skipping the kubectl tests (apt-get install kubernetes-client)');
}
const describeKubectl = KUBECTL === undefined && process.env['CI'] === undefined ? describe.skip : describe;

let server: KubeApiServer;
let cacheDir: string;
beforeAll(async () => {
  server = await startKubeApiServer();
  cacheDir = await mkdtemp(join(tmpdir(), 'cosi-kubectl-cache-'));
});
afterAll(async () => {
  await server?.close();
  if (cacheDir !== undefined) await rm(cacheDir, { recursive: true, force: true });
});

function kubectl(args: readonly string[], kubeconfig = server.kubeconfigPath): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      KUBECTL ?? 'kubectl',
      ['--kubeconfig', kubeconfig, '--cache-dir', cacheDir, '--request-timeout', '20s', ...args],
      { timeout: 30_000, env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: cacheDir } },
      (err, stdout, stderr) => resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr }),
    );
  });
}

describeKubectl('the test API server, driven by the real kubectl over TLS', () => {
  it('lists nodes for `kubectl get nodes -o json`', async () => {
    server.addNode({ name: 'kubectl-1', labels: { 'node-role.kubernetes.io/control-plane': '' }, hostname: 'kubectl-1.example', osImage: 'Talos (v1.8.0)' });
    const r = await kubectl(['get', 'nodes', '-o', 'json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const list = JSON.parse(r.stdout) as { items: { metadata: { name: string; labels: Record<string, string> } }[] };
    const node = list.items.find((n) => n.metadata.name === 'kubectl-1');
    expect(node?.metadata.labels).toEqual({ 'node-role.kubernetes.io/control-plane': '' });
    expect(server.requests.some((r) => r.startsWith('GET /api/v1/nodes'))).toBe(true);
  });

  it('sets and removes annotations with `kubectl annotate node` (a merge patch)', async () => {
    server.addNode({ name: 'kubectl-2' });
    const set = await kubectl(['annotate', 'node', 'kubectl-2', 'cluster.talos.dev/node-id=abc', 'networking.talos.dev/self-ips=10.5.0.2,fd00::2']);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toContain('node/kubectl-2 annotated');
    expect(server.getNode('kubectl-2')?.metadata.annotations).toEqual({ 'cluster.talos.dev/node-id': 'abc', 'networking.talos.dev/self-ips': '10.5.0.2,fd00::2' });
    expect(server.requests.some((r) => r.startsWith('PATCH /api/v1/nodes/kubectl-2'))).toBe(true);

    const removed = await kubectl(['annotate', 'node', 'kubectl-2', 'networking.talos.dev/self-ips-']);
    expect(removed.code, removed.stderr).toBe(0);
    expect(server.getNode('kubectl-2')?.metadata.annotations).toEqual({ 'cluster.talos.dev/node-id': 'abc' });

    const got = await kubectl(['get', 'node', 'kubectl-2', '-o', 'jsonpath={.metadata.annotations}']);
    expect(JSON.parse(got.stdout)).toEqual({ 'cluster.talos.dev/node-id': 'abc' });
  });

  it('refuses a wrong bearer token, and answers 403 to list in forbidden mode', async () => {
    const bad = join(cacheDir, 'bad-kubeconfig');
    await writeFile(bad, (await readFile(server.kubeconfigPath, 'utf8')).replace(`token: ${server.token}`, 'token: wrong'));
    const unauthorized = await kubectl(['get', 'nodes', '-o', 'json'], bad);
    expect(unauthorized.code).not.toBe(0);
    expect(unauthorized.stderr).toMatch(/Unauthorized|must be logged in/);

    server.setForbidden(true);
    try {
      const forbidden = await kubectl(['get', 'nodes', '-o', 'json']);
      expect(forbidden.code).not.toBe(0);
      expect(forbidden.stderr).toContain('nodes is forbidden');
      // Reading one Node stays allowed, as for a kubelet under AuthorizeNodeWithSelectors.
      expect((await kubectl(['get', 'node', 'kubectl-2', '-o', 'name'])).stdout.trim()).toBe('node/kubectl-2');
    } finally {
      server.setForbidden(false);
    }
  });
});

describe('the test API server, driven by @kubernetes/client-node', () => {
  const client = (): { kc: KubeConfig; api: CoreV1Api } => {
    const kc = new KubeConfig();
    kc.loadFromFile(server.kubeconfigPath);
    return { kc, api: kc.makeApiClient(CoreV1Api) };
  };

  it('watches from the list resourceVersion, streaming each change as one JSON line', async () => {
    const { kc, api } = client();
    const list = await api.listNode();
    const events: string[] = [];
    let resolveSeen: () => void = () => {};
    const seen = new Promise<void>((r) => (resolveSeen = r));
    const ctl = await new Watch(kc).watch(
      '/api/v1/nodes',
      { resourceVersion: list.metadata?.resourceVersion },
      (type: string, obj: { metadata?: { name?: string } }) => {
        events.push(`${type} ${obj.metadata?.name}`);
        if (obj.metadata?.name === 'watched-2') resolveSeen();
      },
      () => {},
    );
    server.addNode({ name: 'watched-1' });
    server.patchNode('watched-1', { metadata: { annotations: { a: 'b' } } });
    server.addNode({ name: 'watched-2' });
    await seen;
    ctl.abort();
    expect(events).toEqual(['ADDED watched-1', 'MODIFIED watched-1', 'ADDED watched-2']);
  });

  it('answers a watch from a compacted resourceVersion with 410 Gone', async () => {
    const { kc, api } = client();
    const old = (await api.listNode()).metadata?.resourceVersion;
    server.addNode({ name: 'after-compact' });
    server.compact();
    const err = await new Promise<{ type: string; code: unknown }>((resolve) => {
      void new Watch(kc).watch('/api/v1/nodes', { resourceVersion: old }, (type: string, obj: { code?: unknown }) => resolve({ type, code: obj.code }), () => {});
    });
    expect(err).toEqual({ type: 'ERROR', code: 410 });
    // A relist gives a version that can be watched again.
    const fresh = (await api.listNode()).metadata?.resourceVersion;
    expect(Number(fresh)).toBe(server.resourceVersion());
  });

  it('applies merge patches (null deletes) and reports a missing Node as 404', async () => {
    const { api } = client();
    server.addNode({ name: 'patched', annotations: { keep: '1', drop: '2' } });
    const { setHeaderOptions, PatchStrategy } = await import('@kubernetes/client-node');
    const out = await api.patchNode({ name: 'patched', body: { metadata: { annotations: { drop: null, add: '3' } } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    expect(out.metadata?.annotations).toEqual({ keep: '1', add: '3' });
    await expect(api.readNode({ name: 'nope' })).rejects.toMatchObject({ code: 404 });
  });
});
