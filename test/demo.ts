// `npm run demo`: an embedded discovery service and three `cosi-node` processes on loopback, each with
// its state dir under one temp dir, and a live table of the members every node sees as the cluster
// forms. Ctrl-C stops everything (nodes get SIGTERM) and removes the temp dir.
// `npm run demo -- --once` prints the converged members as JSON and exits 0 (for scripts).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { RemoteState } from '@cosi-ts/api';
import { CLUSTER_NAMESPACE, Member, type MemberSpec } from '@cosi-ts/cluster';
import { DiscoveryService } from '@cosi-ts/discovery-service';
import { pino } from 'pino';
import { COSICTL_BIN, NodeProcess } from './node-process.ts';

const NAMES = ['node-1', 'node-2', 'node-3'];
const SECRET = 'kCQsKr4B28VUl7qw1sVkTDNF9fFH++ViIuKsss+C6kc=';
const CONVERGE_TIMEOUT_MS = 60_000;
const once = process.argv.includes('--once');
const out = (s: string): void => void (once ? process.stderr : process.stdout).write(s);

const stop = new AbortController();
process.once('SIGINT', () => stop.abort());
process.once('SIGTERM', () => stop.abort());

const dir = await mkdtemp(join(tmpdir(), 'cosi-demo-'));
const svc = new DiscoveryService({ addr: '127.0.0.1:0', rateLimit: false, logger: pino({ level: 'silent' }) });
const nodes: NodeProcess[] = [];
const remotes: RemoteState[] = [];
let exitCode = 0;
// The nodes run in their own process groups: should this process die without its cleanup, take them along.
process.on('exit', () => {
  for (const n of nodes) n.child.kill('SIGKILL');
});

try {
  const discovery = await svc.start();
  out(`discovery service listening on ${discovery}\nstate dirs under ${dir}\nstarting ${NAMES.length} cosi-node processes...\n`);
  nodes.push(...(await Promise.all(NAMES.map((hostname, i) => NodeProcess.start({ dir, hostname, index: i + 1, discovery, clusterId: 'demo', secret: SECRET, ownProcessGroup: true })))));
  remotes.push(...nodes.map((n) => new RemoteState(n.apiAddress, { callTimeoutMs: 5000 })));
  for (const [i, n] of nodes.entries()) out(`  ${NAMES[i]}: resource API ${n.apiAddress}, config ${n.configPath}\n`);

  const started = Date.now();
  let last = '';
  let converged = false;
  let view: { node: string; members: { id: string; spec: MemberSpec }[] }[] = [];
  while (!stop.signal.aborted) {
    view = await Promise.all(
      remotes.map(async (r, i) => ({
        node: NAMES[i]!,
        members: (await r.list<MemberSpec>(Member.kind(CLUSTER_NAMESPACE))).map((m) => ({ id: m.metadata.id, spec: m.spec })).sort((a, b) => (a.id < b.id ? -1 : 1)),
      })),
    );
    const table = ['NODE     MEMBERS SEEN'].concat(view.map((v) => `${v.node.padEnd(8)} ${v.members.map((m) => `${m.id} (${m.spec.machineType}, ${m.spec.addresses.join(',')})`).join('  ') || '-'}`)).join('\n');
    const done = view.every((v) => v.members.length === NAMES.length);
    if (table !== last) {
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      const total = view.reduce((n, v) => n + v.members.length, 0);
      out(`\n[${seconds}s] ${done ? 'converged' : `forming: ${total}/${NAMES.length * NAMES.length} memberships`}\n${table}\n`);
      last = table;
    }
    if (done && !converged) {
      converged = true;
      if (once) break;
      out(`\nThe cluster has formed. In another terminal, try:\n  node ${relative(process.cwd(), COSICTL_BIN)} --endpoint ${nodes[0]!.apiAddress} get members\n  node ${relative(process.cwd(), COSICTL_BIN)} --endpoint ${nodes[1]!.apiAddress} get affiliates -w\nPress Ctrl-C to stop the nodes and remove ${dir}.\n`);
    }
    if (!converged && Date.now() - started > CONVERGE_TIMEOUT_MS) {
      out(`\nthe nodes did not converge within ${CONVERGE_TIMEOUT_MS / 1000} s\n`);
      exitCode = 1;
      break;
    }
    await new Promise<void>((resolve) => {
      const onAbort = (): void => {
        clearTimeout(t);
        resolve();
      };
      const t = setTimeout(() => {
        stop.signal.removeEventListener('abort', onAbort);
        resolve();
      }, 300);
      stop.signal.addEventListener('abort', onAbort, { once: true });
    });
  }
  if (once && converged) process.stdout.write(JSON.stringify(view) + '\n');
} catch (e) {
  out(`demo failed: ${e instanceof Error ? e.message : String(e)}\n`);
  exitCode = 1;
} finally {
  out('\nstopping...\n');
  await Promise.all(remotes.map((r) => r.close()));
  const exits = await Promise.all(nodes.map((n) => n.stop()));
  await svc.stop();
  await rm(dir, { recursive: true, force: true });
  out(`nodes exited with ${exits.map((e) => e.code ?? e.signal).join(', ')}; removed ${dir}\n`);
}
process.exitCode = exitCode;
