// A whole node for cross-package tests and benchmarks: a Runtime over its own InMemoryState with the
// controllers of @cosi-ts/node's nodeControllers (what cosi-node runs), fed a node.yaml.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Affiliate,
  CLUSTER_NAMESPACE,
  Identity,
  LOCAL_IDENTITY_ID,
  MACHINE_CONFIG_ID,
  MACHINE_RESET_SIGNAL_ID,
  MachineConfig,
  MachineResetSignal,
  Member,
  parseNodeConfig,
  replaceSpec,
  type IdentitySpec,
  type MemberSpec,
} from '@cosi-ts/cluster';
import type { ReconnectBackoffPolicy } from '@cosi-ts/discovery-client';
import type { DiscoveryServiceController } from '@cosi-ts/registry-service';
import { nodeControllers } from '@cosi-ts/node';
import { Runtime } from '@cosi-ts/runtime';
import { InMemoryState } from '@cosi-ts/state';
import pino, { type Logger } from 'pino';
import type { Registry } from 'prom-client';

export interface ClusterNodeOptions {
  /** Hostname; the nodename and Member ID are its lower-cased short form. */
  readonly hostname: string;
  /** Picks the node's address 10.5.<i/256>.<i%256>. */
  readonly index: number;
  /** `host:port` of the discovery service (plaintext). */
  readonly endpoint: string;
  readonly clusterId: string;
  /** Base64 of 32 bytes. */
  readonly secret: string;
  readonly ttlMs?: number;
  readonly logger?: Logger;
  /** The discovery client's reconnect backoff; default 50 ms up to 1 s (tests). */
  readonly clientBackoff?: ReconnectBackoffPolicy;
}

export function nodeYaml(o: ClusterNodeOptions, hostname = o.hostname): string {
  return `
machine:
  type: worker
  hostname: ${hostname}
  network:
    interfaces:
      - interface: eth0
        addresses: [10.5.${Math.trunc(o.index / 256)}.${o.index % 256}/16]
cluster:
  id: ${o.clusterId}
  secret: ${o.secret}
  discovery:
    enabled: true
    registries:
      service: { endpoint: http://${o.endpoint}/ }
`;
}

export class ClusterNode {
  readonly state = new InMemoryState();
  readonly rt: Runtime;
  readonly registry: DiscoveryServiceController;
  readonly options: ClusterNodeOptions;
  readonly #stateDir: string;
  readonly #stop = new AbortController();
  #done: Promise<void> | undefined;

  private constructor(o: ClusterNodeOptions, stateDir: string) {
    this.options = o;
    this.#stateDir = stateDir;
    this.rt = new Runtime(this.state, { logger: o.logger ?? pino({ level: 'silent' }), backoff: { initialMs: 50, maxMs: 500 } });
    // The same controllers cosi-node runs, with the OS inputs pinned (addresses come from node.yaml).
    const { controllers, serviceRegistry } = nodeControllers({
      stateDir,
      hostname: { osHostname: () => 'unused' },
      addresses: { interfaces: () => ({}), pollIntervalMs: 60_000 },
      serviceRegistry: { backoff: o.clientBackoff ?? { initialMs: 50, maxMs: 1000 }, ...(o.ttlMs !== undefined ? { ttlMs: o.ttlMs } : {}) },
      kubernetes: false,
    });
    this.registry = serviceRegistry;
    for (const c of controllers) this.rt.register(c);
  }

  static async start(o: ClusterNodeOptions): Promise<ClusterNode> {
    const node = new ClusterNode(o, await mkdtemp(join(tmpdir(), 'cosi-node-')));
    await node.state.create(MachineConfig.create(MACHINE_CONFIG_ID, parseNodeConfig(nodeYaml(o))));
    node.#done = node.rt.run(node.#stop.signal);
    return node;
  }

  async nodeId(): Promise<string | undefined> {
    const ids = await this.state.list<IdentitySpec>(Identity.kind());
    return ids.find((r) => r.metadata.id === LOCAL_IDENTITY_ID)?.spec.nodeId;
  }

  /** Member IDs (nodenames), sorted. */
  async members(): Promise<string[]> {
    return (await this.state.list<MemberSpec>(Member.kind(CLUSTER_NAMESPACE))).map((m) => m.metadata.id).sort();
  }

  async memberSpecs(): Promise<MemberSpec[]> {
    return (await this.state.list<MemberSpec>(Member.kind(CLUSTER_NAMESPACE))).map((m) => m.spec);
  }

  async affiliateCount(): Promise<number> {
    return (await this.state.list(Affiliate.kind(CLUSTER_NAMESPACE))).length;
  }

  async setHostname(hostname: string): Promise<void> {
    await this.state.modify(MachineConfig.pointer(MACHINE_CONFIG_ID), replaceSpec(parseNodeConfig(nodeYaml(this.options, hostname))));
  }

  /** Leaves the cluster: the service registry deletes the affiliate. */
  async reset(): Promise<void> {
    await this.state.create(MachineResetSignal.create(MACHINE_RESET_SIGNAL_ID, {}));
  }

  /** Stops the runtime (no delete is sent: to its peers this node just goes silent). */
  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#done;
    await rm(this.#stateDir, { recursive: true, force: true });
  }

  get metrics(): Registry {
    return this.registry.registry;
  }
}

/** Resolves when `check` holds for every node (polled on each node's Member events), or rejects after `timeoutMs`. */
export async function untilAll(nodes: readonly ClusterNode[], check: (n: ClusterNode) => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  await Promise.all(
    nodes.map(async (n) => {
      for (;;) {
        if (await check(n)) return;
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`node ${n.options.hostname}: condition not met within ${timeoutMs} ms (members: ${(await n.members()).join(',')})`);
        await new Promise<void>((resolve) => {
          const t = setTimeout(done, Math.min(left, 1000));
          const sub = n.state.watchKind(Member.kind(CLUSTER_NAMESPACE)).subscribe(() => done());
          function done(): void {
            clearTimeout(t);
            sub.unsubscribe();
            resolve();
          }
        });
      }
    }),
  );
}
