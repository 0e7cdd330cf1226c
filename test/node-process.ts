// Real `cosi-node` processes, spawned from the package's bin as a user would run them, for the
// end-to-end test and `npm run demo`. Each node writes its node.yaml and state dir under `dir`.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const COSI_NODE_BIN = fileURLToPath(new URL('../packages/node/bin/cosi-node.js', import.meta.url));
export const COSICTL_BIN = fileURLToPath(new URL('../packages/cli/bin/cosictl.js', import.meta.url));

export interface NodeProcessOptions {
  /** Parent directory; the node gets `<dir>/<hostname>/{node.yaml,state}`. */
  readonly dir: string;
  readonly hostname: string;
  /** Picks the node's address 10.5.0.<index>. */
  readonly index: number;
  /** `host:port` of the discovery service (plaintext); undefined turns the service registry off. */
  readonly discovery: string | undefined;
  /** A kubeconfig: turns the Kubernetes registry on (it is off by default). */
  readonly kubeconfig?: string;
  readonly clusterId: string;
  readonly secret: string;
  /** Called with each line the node prints on stdout (its pino log). */
  readonly onLog?: (line: string) => void;
  readonly startTimeoutMs?: number;
  /**
   * Run the node in its own process group, so a terminal's Ctrl-C reaches only the parent, which then
   * stops the node with one SIGTERM (a second signal would make cosi-node exit without waiting).
   */
  readonly ownProcessGroup?: boolean;
}

export function nodeYaml(o: NodeProcessOptions): string {
  const service = o.discovery === undefined ? '{ disabled: true }' : `{ endpoint: http://${o.discovery}/ }`;
  const kubernetes = o.kubeconfig === undefined ? '' : `\n      kubernetes: { disabled: false }`;
  return `machine:
  type: ${o.index === 1 ? 'controlplane' : 'worker'}
  hostname: ${o.hostname}
  stateDir: ./state
  api: { listen: 127.0.0.1:0 }
  network:
    interfaces:
      - interface: eth0
        addresses: [10.5.0.${o.index}/24]${o.kubeconfig === undefined ? '' : `\n  kubernetes: { kubeconfig: ${o.kubeconfig} }`}
cluster:
  id: ${o.clusterId}
  secret: ${o.secret}
  discovery:
    enabled: true
    registries:${kubernetes}
      service: ${service}
`;
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

function exited(child: ChildProcess): Promise<Exit> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

export class NodeProcess {
  readonly child: ChildProcess;
  readonly configPath: string;
  readonly apiAddress: string;
  readonly exit: Promise<Exit>;

  private constructor(child: ChildProcess, configPath: string, apiAddress: string, exit: Promise<Exit>) {
    this.child = child;
    this.configPath = configPath;
    this.apiAddress = apiAddress;
    this.exit = exit;
  }

  /** Writes node.yaml, spawns `cosi-node --config`, resolves once its resource API listens (from its "node started" log). */
  static async start(o: NodeProcessOptions): Promise<NodeProcess> {
    const home = join(o.dir, o.hostname);
    await mkdir(home, { recursive: true });
    const configPath = join(home, 'node.yaml');
    await writeFile(configPath, nodeYaml(o));
    const child = spawn(process.execPath, [COSI_NODE_BIN, '--config', configPath], { stdio: ['ignore', 'pipe', 'pipe'], detached: o.ownProcessGroup === true });
    const exit = exited(child);
    const timeoutMs = o.startTimeoutMs ?? 30_000;
    let stderr = '';
    child.stderr?.on('data', (b: Buffer) => {
      stderr = (stderr + b.toString()).slice(-4000);
    });
    const address = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`cosi-node ${o.hostname} did not start within ${timeoutMs} ms: ${stderr}`));
      }, timeoutMs);
      void exit.then((e) => {
        clearTimeout(timer);
        reject(new Error(`cosi-node ${o.hostname} exited (${e.code ?? e.signal}) before listening: ${stderr}`));
      });
      const lines = createInterface({ input: child.stdout! });
      lines.on('line', (line) => {
        let entry: { msg?: string; api?: string } | undefined;
        try {
          entry = JSON.parse(line) as { msg?: string; api?: string };
        } catch {
          entry = undefined;
        }
        if (entry?.msg === 'node started' && typeof entry.api === 'string') {
          clearTimeout(timer);
          resolve(entry.api);
        }
        o.onLog?.(line);
      });
    });
    return new NodeProcess(child, configPath, address, exit);
  }

  /** SIGTERM, then the exit (SIGKILL after `timeoutMs`, so nothing is left behind even on failure). */
  async stop(timeoutMs = 10_000): Promise<Exit> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    try {
      return await this.exit;
    } finally {
      clearTimeout(timer);
    }
  }
}

export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a bin (cosictl, cosi-node) to completion; killed after `timeoutMs`. */
export function runBin(bin: string, args: readonly string[], timeoutMs = 30_000): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
