import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findEtcdBinary, ETCD_INSTALL_HINT } from './etcd-binary.ts';
import { freePort } from './free-port.ts';

export interface EtcdClusterOptions {
  /** Members (1 or 3 are typical). Default 1. */
  readonly members?: number;
  /** The binary; default {@link findEtcdBinary}. */
  readonly binary?: string;
  /** Where the temp data dirs go. Default /dev/shm when writable (etcd fsyncs every write), else the OS temp dir. */
  readonly baseDir?: string;
  /** How long a member may take to answer /health. Default 30 s. */
  readonly startTimeoutMs?: number;
}

export interface EtcdMember {
  readonly name: string;
  readonly clientUrl: string;
  readonly peerUrl: string;
  readonly dataDir: string;
  readonly running: boolean;
}

interface MemberState {
  name: string;
  clientUrl: string;
  peerUrl: string;
  dataDir: string;
  child: ChildProcess | undefined;
  log: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A throwaway etcd on loopback for tests: free ports, a temp data dir per member, killed and removed by
 * `stop()`. Members can be stopped and started again (same data dir and ports) for fault tests.
 */
export class EtcdCluster {
  readonly #members: MemberState[];
  readonly #binary: string;
  readonly #startTimeoutMs: number;
  readonly #root: string;
  readonly #token = `cosi-test-${randomUUID().slice(0, 8)}`;

  private constructor(binary: string, root: string, members: MemberState[], startTimeoutMs: number) {
    this.#binary = binary;
    this.#root = root;
    this.#members = members;
    this.#startTimeoutMs = startTimeoutMs;
  }

  /** Starts every member and waits until each answers /health. */
  static async start(opts: EtcdClusterOptions = {}): Promise<EtcdCluster> {
    const binary = opts.binary ?? findEtcdBinary();
    if (binary === undefined) throw new Error(`no etcd binary found: ${ETCD_INSTALL_HINT}`);
    const n = opts.members ?? 1;
    const root = mkdtempSync(join(opts.baseDir ?? defaultBaseDir(), 'cosi-etcd-'));
    const members: MemberState[] = [];
    for (let i = 0; i < n; i++) {
      const [client, peer] = [await freePort(), await freePort()];
      members.push({
        name: `m${i + 1}`,
        clientUrl: `http://127.0.0.1:${client}`,
        peerUrl: `http://127.0.0.1:${peer}`,
        dataDir: join(root, `m${i + 1}`),
        child: undefined,
        log: '',
      });
    }
    const cluster = new EtcdCluster(binary, root, members, opts.startTimeoutMs ?? 30_000);
    try {
      for (const m of members) cluster.#spawn(m);
      await Promise.all(members.map((m) => cluster.#waitHealthy(m)));
    } catch (e) {
      await cluster.stop();
      throw e;
    }
    return cluster;
  }

  /** Client URLs of the running members. */
  get endpoints(): string[] {
    return this.#members.filter((m) => m.child !== undefined).map((m) => m.clientUrl);
  }

  /** Client URLs of every member, running or not. */
  get allEndpoints(): string[] {
    return this.#members.map((m) => m.clientUrl);
  }

  get members(): readonly EtcdMember[] {
    return this.#members.map((m) => ({ name: m.name, clientUrl: m.clientUrl, peerUrl: m.peerUrl, dataDir: m.dataDir, running: m.child !== undefined }));
  }

  /** The name of the current leader, asked over HTTP of a running member. */
  async leader(): Promise<string> {
    for (const m of this.#members) {
      if (m.child === undefined) continue;
      try {
        const res = await fetch(`${m.clientUrl}/v3/maintenance/status`, { method: 'POST', body: '{}', signal: AbortSignal.timeout(5000) });
        const body = (await res.json()) as { leader?: string; header?: { member_id?: string } };
        const list = await fetch(`${m.clientUrl}/v3/cluster/member/list`, { method: 'POST', body: '{}', signal: AbortSignal.timeout(5000) });
        const members = ((await list.json()) as { members?: { ID?: string; name?: string }[] }).members ?? [];
        const leader = members.find((x) => x.ID === body.leader)?.name;
        if (leader !== undefined && body.leader !== '0') return leader;
      } catch {
        // try the next member
      }
    }
    throw new Error('no running etcd member knows a leader');
  }

  /** Stops one member (SIGTERM, then SIGKILL after 10 s); its data dir stays for `startMember`. */
  async stopMember(name: string): Promise<void> {
    const m = this.#member(name);
    const child = m.child;
    if (child === undefined) return;
    m.child = undefined;
    await stopChild(child);
  }

  /** Starts a stopped member again with its data dir and ports. */
  async startMember(name: string): Promise<void> {
    const m = this.#member(name);
    if (m.child !== undefined) return;
    this.#spawn(m);
    await this.#waitHealthy(m);
  }

  /** Stops every member and removes the data dirs. Idempotent. */
  async stop(): Promise<void> {
    await Promise.all(this.#members.map((m) => this.stopMember(m.name)));
    rmSync(this.#root, { recursive: true, force: true });
  }

  #member(name: string): MemberState {
    const m = this.#members.find((x) => x.name === name);
    if (m === undefined) throw new Error(`no etcd member ${name}`);
    return m;
  }

  #spawn(m: MemberState): void {
    const initialCluster = this.#members.map((x) => `${x.name}=${x.peerUrl}`).join(',');
    const args = [
      '--name', m.name,
      '--data-dir', m.dataDir,
      '--listen-client-urls', m.clientUrl,
      '--advertise-client-urls', m.clientUrl,
      '--listen-peer-urls', m.peerUrl,
      '--initial-advertise-peer-urls', m.peerUrl,
      '--initial-cluster', initialCluster,
      '--initial-cluster-state', 'new',
      '--initial-cluster-token', this.#token,
      '--logger', 'zap',
      '--log-level', 'error',
      // Small, quick elections: fault tests do not wait for the 1 s default.
      '--heartbeat-interval', '50',
      '--election-timeout', '500',
    ];
    const child = spawn(this.#binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    m.log = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (s: string) => {
      m.log = (m.log + s).slice(-4000);
    });
    child.once('exit', () => {
      if (m.child === child) m.child = undefined;
    });
    m.child = child;
  }

  async #waitHealthy(m: MemberState): Promise<void> {
    const deadline = Date.now() + this.#startTimeoutMs;
    while (Date.now() < deadline) {
      if (m.child === undefined) throw new Error(`etcd member ${m.name} exited while starting: ${m.log}`);
      try {
        const res = await fetch(`${m.clientUrl}/health`, { signal: AbortSignal.timeout(2000) });
        const body = (await res.json()) as { health?: string };
        if (body.health === 'true') return;
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
    throw new Error(`etcd member ${m.name} not healthy within ${this.#startTimeoutMs} ms: ${m.log}`);
  }
}

function defaultBaseDir(): string {
  try {
    accessSync('/dev/shm', constants.W_OK);
    return '/dev/shm';
  } catch {
    return tmpdir();
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
