// End to end with real processes: a DiscoveryService on loopback, three `cosi-node` processes spawned
// from the bin, and `cosictl` spawned against them, as a user would run them.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RemoteState } from '@cosi-ts/api';
import { CLUSTER_NAMESPACE, Member } from '@cosi-ts/cluster';
import { DiscoveryService } from '@cosi-ts/discovery-service';
import { COSICTL_BIN, COSI_NODE_BIN, NodeProcess, runBin } from './node-process.ts';

const SECRET = 'kCQsKr4B28VUl7qw1sVkTDNF9fFH++ViIuKsss+C6kc=';
const NAMES = ['node-1', 'node-2', 'node-3'];

let dir: string;
let svc: DiscoveryService | undefined;
let discovery: string;
let nodes: NodeProcess[] = [];
// Every process any test started: a test that fails before its own stop must not leave them running.
const started: NodeProcess[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cosi-e2e-'));
  svc = new DiscoveryService({ addr: '127.0.0.1:0', rateLimit: false });
  discovery = await svc.start();
});
afterAll(async () => {
  await Promise.all(started.map((n) => n.stop()));
  await svc?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** Member IDs a node serves, polled over its resource API until `want` or the deadline. */
async function untilMembers(address: string, want: readonly string[], timeoutMs = 30_000): Promise<string[]> {
  const remote = new RemoteState(address, { callTimeoutMs: 5000 });
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      const ids = (await remote.list(Member.kind(CLUSTER_NAMESPACE))).map((m) => m.metadata.id).sort();
      if (JSON.stringify(ids) === JSON.stringify(want) || Date.now() > deadline) return ids;
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await remote.close();
  }
}

describe('cosi-node processes', () => {
  it('three nodes converge to three members, cosictl shows them, SIGTERM exits 0', { timeout: 90_000 }, async () => {
    nodes = await Promise.all(
      NAMES.map((hostname, i) => NodeProcess.start({ dir, hostname, index: i + 1, discovery, clusterId: 'e2e', secret: SECRET })),
    );
    started.push(...nodes);
    for (const n of nodes) expect(await untilMembers(n.apiAddress, NAMES)).toEqual(NAMES);

    const json = await runBin(COSICTL_BIN, ['--endpoint', nodes[1]!.apiAddress, 'get', 'members', '-o', 'json']);
    expect(json.stderr).toBe('');
    expect(json.code).toBe(0);
    const members = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as { metadata: { id: string }; spec: { hostname: string; machineType: string; addresses: string[] } });
    expect(members.map((m) => [m.metadata.id, m.spec.hostname, m.spec.machineType, m.spec.addresses])).toEqual([
      ['node-1', 'node-1', 'controlplane', ['10.5.0.1']],
      ['node-2', 'node-2', 'worker', ['10.5.0.2']],
      ['node-3', 'node-3', 'worker', ['10.5.0.3']],
    ]);

    const table = await runBin(COSICTL_BIN, ['-e', nodes[0]!.apiAddress, 'get', 'members']);
    expect(table.code).toBe(0);
    const rows = table.stdout.trim().split('\n').map((l) => l.split(/\s{2,}/).slice(0, 5));
    expect(rows).toEqual([
      ['NAMESPACE', 'TYPE', 'ID', 'VERSION', 'HOSTNAME'],
      ...NAMES.map((n) => ['cluster', 'Member', n, expect.stringMatching(/^\d+$/), n]),
    ]);

    // `cosictl get ... | head -0`: the reader closes the pipe before cosictl writes; no EPIPE crash.
    const piped = spawn(process.execPath, [COSICTL_BIN, '-e', nodes[0]!.apiAddress, 'get', 'members'], { stdio: ['ignore', 'pipe', 'pipe'] });
    piped.stdout.destroy();
    let pipedErr = '';
    piped.stderr.on('data', (d: Buffer) => (pipedErr += d.toString()));
    const pipedCode = await new Promise<number | null>((resolve) => piped.on('close', (code) => resolve(code)));
    expect(pipedErr).toBe('');
    expect(pipedCode).toBe(0);

    const exits = await Promise.all(nodes.map((n) => n.stop()));
    expect(exits).toEqual(NAMES.map(() => ({ code: 0, signal: null })));
  });

  it('cosi-node reset deletes the affiliate (the others see the member leave) and the identity', { timeout: 90_000 }, async () => {
    nodes = await Promise.all(
      NAMES.map((hostname, i) => NodeProcess.start({ dir: join(dir, 'reset'), hostname, index: i + 1, discovery, clusterId: 'e2e-reset', secret: SECRET })),
    );
    started.push(...nodes);
    for (const n of nodes) expect(await untilMembers(n.apiAddress, NAMES)).toEqual(NAMES);
    // A user watching members on node-1 while node-3 resets: `cosictl get members -w -o json`.
    const watch = spawn(process.execPath, [COSICTL_BIN, '-e', nodes[0]!.apiAddress, 'get', 'members', '-w', '-o', 'json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const watchExit = new Promise<number | null>((resolve) => watch.once('exit', resolve));
    let watched = '';
    watch.stdout.on('data', (b: Buffer) => (watched += b.toString()));
    const untilWatched = async (text: string): Promise<void> => {
      const deadline = Date.now() + 30_000;
      while (!watched.includes(text)) {
        if (Date.now() > deadline) throw new Error(`cosictl -w printed no ${text}: ${watched}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    try {
      await untilWatched('"id":"node-3"');
      const leaving = nodes[2]!;
      expect(await leaving.stop()).toEqual({ code: 0, signal: null });
    const r = await runBin(COSI_NODE_BIN, ['reset', '--config', leaving.configPath, '--log-level', 'silent'], 70_000);
    const identityFile = join(dir, 'reset', 'node-3', 'state', 'node-identity.yaml');
    expect(r.stdout).toBe(`cosi-node reset: deleted this node's affiliate from the discovery service at ${discovery}; removed ${identityFile}\n`);
    expect(r.code).toBe(0);
    expect(existsSync(identityFile)).toBe(false);
      for (const n of nodes.slice(0, 2)) expect(await untilMembers(n.apiAddress, NAMES.slice(0, 2))).toEqual(NAMES.slice(0, 2));
      await untilWatched('"destroyed"');
    } finally {
      watch.kill('SIGINT');
    }
    expect(await watchExit).toBe(0);
    const events = watched.trim().split('\n').map((l) => JSON.parse(l) as { event: string; metadata: { id: string } });
    // Updates (a member's spec refreshed) may interleave; creations and the one destruction may not differ.
    expect(events.filter((e) => e.event !== 'updated').map((e) => `${e.event} ${e.metadata.id}`)).toEqual([...NAMES.map((n) => `created ${n}`), 'destroyed node-3']);
  });

  it('a bad node.yaml fails with one message naming the file and key, exit code 2', async () => {
    const path = join(dir, 'bad.yaml');
    await writeFile(path, 'machine:\n  stateDir: ./s\n  type: bogus\n');
    const r = await runBin(COSI_NODE_BIN, ['--config', path]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`cosi-node: ${path}: machine.type: must be one of controlplane, worker, init, join, got string "bogus"\n`);
  });

  it('an unreachable endpoint: cosictl names it and how to start a node', async () => {
    const r = await runBin(COSICTL_BIN, ['--endpoint', '127.0.0.1:1', '--timeout', '3000', 'get', 'members']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cannot reach a cosi-ts node at 127.0.0.1:1: start one with `cosi-node --config node.yaml`');
  });
});
