import {
  AddressStatus,
  Affiliate,
  CLUSTER_NAMESPACE,
  CLUSTER_RAW_NAMESPACE,
  COSI_TS_VERSION,
  DiscoveryConfig,
  DISCOVERY_CONFIG_ID,
  Identity,
  KubeSpanEndpoint,
  LOCAL_IDENTITY_ID,
  MachineResetSignal,
  MACHINE_RESET_SIGNAL_ID,
  SERVICE_ADDRESS_STATUS_ID,
  destroyIfPresent,
  formatIp,
  getOptional,
  rawAffiliateId,
  writeSpec,
  type AffiliateSpec,
  type DiscoveryConfigSpec,
  type IdentitySpec,
  type KubeSpanEndpointSpec,
} from '@cosi-ts/cluster';
import { ClientAffiliate, Endpoint } from '@cosi-ts/discovery-api';
import {
  DiscoveryClient,
  parseClusterKey,
  type DiscoveredAffiliate,
  type OtherAffiliateEndpoints,
  type ReconnectBackoffPolicy,
} from '@cosi-ts/discovery-client';
import type { Controller, ControllerContext, Input, Output } from '@cosi-ts/runtime';
import { isConflict } from '@cosi-ts/state';
import { Registry } from 'prom-client';
import type { Subscription } from 'rxjs';
import type { SecureContextOptions } from 'node:tls';
import { affiliateToPlaintext, discoveredToSpec, ipFromBytes, parseEndpoint } from './affiliate-plaintext.ts';

export interface DiscoveryServiceControllerOptions {
  /** Lifetime of what is published. Default 30 min (spec §3.4 step 3); tests use seconds. */
  readonly ttlMs?: number;
  /** Sent in Hello. Default `v<cosi-ts version>`. */
  readonly clientVersion?: string;
  /** Where the client's metrics go. Default a private Registry, readable as `.registry`. */
  readonly registry?: Registry;
  /** The client's reconnect backoff (tests). */
  readonly backoff?: ReconnectBackoffPolicy;
  /** TLS options for the client (e.g. a private CA); default Node's root CAs. */
  readonly tls?: () => SecureContextOptions;
}

const SERVICE_REGISTRY = 'service';

interface ClientParams {
  readonly endpoint: string;
  readonly insecure: boolean;
  readonly clusterId: string;
  readonly key: string;
  readonly nodeId: string;
}

interface RunningClient {
  readonly params: ClientParams;
  readonly client: DiscoveryClient;
  readonly stop: AbortController;
  readonly done: Promise<void>;
  readonly sub: Subscription;
  failure: unknown;
  /** Encoded plaintext of what was last given to `setLocalData`. */
  lastSent: string | undefined;
  deleteRequested: boolean;
  /** A snapshot arrived since the raw outputs were last diffed: diff them all. */
  full: boolean;
  /** Server affiliate IDs named by Watch messages since the last reconcile. */
  readonly dirty: Set<string>;
  /** Server affiliate ID → the node ID inside its blob, and back (several IDs may claim one node). */
  readonly serverNode: Map<string, string>;
  readonly nodeServers: Map<string, Set<string>>;
}

const weak = (t: { readonly type: string; readonly defaultNamespace: string }, id?: string): Input =>
  id === undefined ? { namespace: t.defaultNamespace, type: t.type, kind: 'weak' } : { namespace: t.defaultNamespace, type: t.type, id, kind: 'weak' };

const BASE_INPUTS: readonly Input[] = [
  weak(DiscoveryConfig, DISCOVERY_CONFIG_ID),
  weak(Identity, LOCAL_IDENTITY_ID),
  weak(KubeSpanEndpoint),
  weak(MachineResetSignal, MACHINE_RESET_SIGNAL_ID),
];

function indexServer(running: RunningClient, serverId: string, nodeId: string | undefined): void {
  const prev = running.serverNode.get(serverId);
  if (prev !== undefined) {
    const set = running.nodeServers.get(prev);
    set?.delete(serverId);
    if (set?.size === 0) running.nodeServers.delete(prev);
    running.serverNode.delete(serverId);
  }
  if (nodeId === undefined) return;
  running.serverNode.set(serverId, nodeId);
  let set = running.nodeServers.get(nodeId);
  if (set === undefined) running.nodeServers.set(nodeId, (set = new Set()));
  set.add(serverId);
}

const sameParams = (a: ClientParams, b: ClientParams): boolean =>
  a.endpoint === b.endpoint && a.insecure === b.insecure && a.clusterId === b.clusterId && a.key === b.key && a.nodeId === b.nodeId;

/**
 * The service registry (spec cluster-discovery §3.4): publishes the local affiliate through a
 * `DiscoveryClient` and turns what the service sends back into `cluster-raw/Affiliates/service/<NodeID>`
 * and `cluster/AddressStatuses/service`. Reconciles on input events and on every client change.
 */
export class DiscoveryServiceController implements Controller {
  readonly name = 'registry.DiscoveryServiceController';
  readonly inputs: readonly Input[] = BASE_INPUTS;
  readonly outputs: readonly Output[] = [
    { type: Affiliate, kind: 'shared' },
    { type: AddressStatus, kind: 'shared' },
  ];
  readonly registry: Registry;
  readonly #o: DiscoveryServiceControllerOptions;
  #client: RunningClient | undefined;
  /** The NodeID whose local affiliate is an input now. */
  #watchedNodeId: string | undefined;
  /** Raw outputs this controller holds: NodeID → the discovered entry it was built from and its spec text. */
  #written = new Map<string, { src: DiscoveredAffiliate | undefined; text: string }>();
  #publicIp: string | undefined;

  /** True once the discovery service confirmed the AffiliateDelete of a machine reset (spec §3.8). */
  get localAffiliateDeleted(): boolean {
    return this.#client?.client.localAffiliateDeleted ?? false;
  }

  constructor(opts: DiscoveryServiceControllerOptions = {}) {
    this.#o = opts;
    this.registry = opts.registry ?? new Registry();
  }

  async run(ctx: ControllerContext): Promise<void> {
    this.#watchedNodeId = undefined;
    await this.#adopt(ctx);
    try {
      for await (const _ of ctx.events()) await this.#reconcile(ctx);
    } finally {
      await this.#stopClient();
      if (this.#watchedNodeId !== undefined) this.#watchedNodeId = undefined;
    }
  }

  /** What an earlier run left: raw outputs are kept until the client's snapshot says otherwise. */
  async #adopt(ctx: ControllerContext): Promise<void> {
    this.#written = new Map();
    for (const r of await ctx.list<AffiliateSpec>(Affiliate.kind(CLUSTER_RAW_NAMESPACE), { uncached: true })) {
      if (r.metadata.owner !== this.name || !r.metadata.id.startsWith(`${SERVICE_REGISTRY}/`)) continue;
      this.#written.set(r.metadata.id.slice(SERVICE_REGISTRY.length + 1), { src: undefined, text: JSON.stringify(r.spec) });
    }
    const status = await getOptional<{ address: string }>(ctx, AddressStatus.pointer(SERVICE_ADDRESS_STATUS_ID, CLUSTER_NAMESPACE));
    this.#publicIp = status?.metadata.owner === this.name ? status.spec.address : undefined;
  }

  async #reconcile(ctx: ControllerContext): Promise<void> {
    const dc = await getOptional<DiscoveryConfigSpec>(ctx, DiscoveryConfig.pointer(DISCOVERY_CONFIG_ID));
    if (dc === undefined || !dc.spec.discoveryEnabled || !dc.spec.registryServiceEnabled) {
      await this.#stopClient();
      await this.#destroyAll(ctx);
      return;
    }
    const identity = await getOptional<IdentitySpec>(ctx, Identity.pointer(LOCAL_IDENTITY_ID));
    if (identity === undefined) return;
    const nodeId = identity.spec.nodeId;
    if (this.#watchedNodeId !== nodeId) {
      await ctx.updateInputs([...BASE_INPUTS, { namespace: CLUSTER_NAMESPACE, type: Affiliate.type, id: nodeId, kind: 'weak' }]);
      this.#watchedNodeId = nodeId;
    }
    const local = await getOptional<AffiliateSpec>(ctx, Affiliate.pointer(nodeId, CLUSTER_NAMESPACE));
    if (local === undefined) return;

    const params: ClientParams = {
      endpoint: dc.spec.serviceEndpoint,
      insecure: dc.spec.serviceEndpointInsecure,
      clusterId: dc.spec.serviceClusterID,
      key: dc.spec.serviceEncryptionKey,
      nodeId,
    };
    let running = this.#client;
    if (running !== undefined && !sameParams(running.params, params)) {
      const secretChanged = running.params.clusterId !== params.clusterId || running.params.key !== params.key;
      await this.#stopClient();
      running = undefined;
      // Another cluster or key: what we hold belongs to a view we no longer have.
      if (secretChanged) await this.#destroyRaw(ctx);
    }
    running ??= this.#startClient(ctx, params);
    if (running.failure !== undefined) throw running.failure;

    const reset = await getOptional(ctx, MachineResetSignal.pointer(MACHINE_RESET_SIGNAL_ID));
    if (reset !== undefined) {
      if (!running.deleteRequested) {
        running.deleteRequested = true;
        ctx.logger.info('machine reset: deleting the local affiliate from the discovery service');
        running.client.deleteLocalAffiliate();
      }
    } else if (!running.deleteRequested) {
      await this.#publish(ctx, running, local.spec);
    }

    await this.#writePublicIp(ctx, running.client.getPublicIP());
    if (running.client.synced) await this.#writeRaw(ctx, running);
  }

  /** `setLocalData` only when the plaintext, own endpoints or others' endpoints changed: our own update echoes back. */
  async #publish(ctx: ControllerContext, running: RunningClient, spec: AffiliateSpec): Promise<void> {
    const { affiliate, endpoints } = affiliateToPlaintext(spec);
    const observed = await ctx.list<KubeSpanEndpointSpec>(KubeSpanEndpoint.kind());
    const byAffiliate = new Map<string, Endpoint[]>();
    for (const r of [...observed].sort((x, y) => (x.metadata.id < y.metadata.id ? -1 : 1))) {
      const ep = parseEndpoint(r.spec.endpoint);
      if (ep === undefined || r.spec.affiliateID === '') continue;
      let list = byAffiliate.get(r.spec.affiliateID);
      if (list === undefined) byAffiliate.set(r.spec.affiliateID, (list = []));
      list.push(ep);
    }
    const others: OtherAffiliateEndpoints[] = [...byAffiliate.keys()].sort().map((affiliateId) => ({ affiliateId, endpoints: byAffiliate.get(affiliateId)! }));
    const text = [
      Buffer.from(ClientAffiliate.encode(affiliate).finish()).toString('base64'),
      ...endpoints.map((e) => Buffer.from(Endpoint.encode(e).finish()).toString('base64')),
      '|',
      ...others.map((o) => `${o.affiliateId}=${o.endpoints.map((e) => Buffer.from(Endpoint.encode(e).finish()).toString('base64')).join(',')}`),
    ].join(' ');
    if (text === running.lastSent) return;
    running.client.setLocalData(affiliate, endpoints, others);
    running.lastSent = text;
    ctx.logger.debug({ endpoints: endpoints.length, others: others.length }, 'local affiliate published');
  }

  async #writePublicIp(ctx: ControllerContext, ip: Uint8Array | undefined): Promise<void> {
    const addr = ip === undefined ? undefined : ipFromBytes(ip);
    if (addr === undefined) return;
    const cidr = `${formatIp(addr)}/${addr.family === 4 ? 32 : 128}`;
    if (cidr === this.#publicIp) return;
    await writeSpec(ctx, AddressStatus, SERVICE_ADDRESS_STATUS_ID, { address: cidr }, CLUSTER_NAMESPACE);
    this.#publicIp = cidr;
  }

  /**
   * Raw outputs follow the client's view. Incremental: after a snapshot every node is diffed, otherwise
   * only the nodes named by Watch messages since the last pass (a cluster of N nodes would otherwise
   * cost O(N) per message, O(N³) to converge).
   */
  async #writeRaw(ctx: ControllerContext, running: RunningClient): Promise<void> {
    const affected = new Set<string>();
    const nodeOf = (d: DiscoveredAffiliate | undefined): string | undefined =>
      d === undefined || d.affiliate.nodeId === '' || d.affiliate.nodeId === running.params.nodeId ? undefined : d.affiliate.nodeId;
    if (running.full) {
      running.full = false;
      running.dirty.clear();
      running.serverNode.clear();
      running.nodeServers.clear();
      for (const d of running.client.getAffiliates()) indexServer(running, d.id, nodeOf(d));
      for (const nodeId of running.nodeServers.keys()) affected.add(nodeId);
      for (const nodeId of this.#written.keys()) affected.add(nodeId);
    } else {
      const ids = [...running.dirty];
      running.dirty.clear();
      for (const id of ids) {
        const prev = running.serverNode.get(id);
        const next = nodeOf(running.client.getAffiliate(id));
        if (prev !== next) indexServer(running, id, next);
        if (prev !== undefined) affected.add(prev);
        if (next !== undefined) affected.add(next);
      }
    }
    for (const nodeId of affected) await this.#syncNode(ctx, running, nodeId);
  }

  /** Writes or destroys `service/<nodeId>`; two server IDs claiming one node: the later by ID wins. */
  async #syncNode(ctx: ControllerContext, running: RunningClient, nodeId: string): Promise<void> {
    const servers = running.nodeServers.get(nodeId);
    const held = this.#written.get(nodeId);
    const rawId = rawAffiliateId(SERVICE_REGISTRY, nodeId);
    if (servers === undefined) {
      if (held === undefined) return;
      await destroyIfPresent(ctx, Affiliate.pointer(rawId, CLUSTER_RAW_NAMESPACE));
      this.#written.delete(nodeId);
      return;
    }
    const winner = [...servers].sort().pop()!;
    const d = running.client.getAffiliate(winner);
    if (d === undefined || held?.src === d) return; // the cache hands out a new object per change
    const spec = discoveredToSpec(d);
    const text = JSON.stringify(spec);
    if (held === undefined) await this.#create(ctx, rawId, spec);
    else if (held.text !== text) await writeSpec(ctx, Affiliate, rawId, spec, CLUSTER_RAW_NAMESPACE);
    this.#written.set(nodeId, { src: d, text });
  }

  /** A new raw affiliate: created directly (a modify would first fail a lookup), updated if it exists after all. */
  async #create(ctx: ControllerContext, rawId: string, spec: AffiliateSpec): Promise<void> {
    try {
      await ctx.create(Affiliate.create(rawId, spec, { namespace: CLUSTER_RAW_NAMESPACE }));
    } catch (e) {
      if (!isConflict(e)) throw e;
      await writeSpec(ctx, Affiliate, rawId, spec, CLUSTER_RAW_NAMESPACE);
    }
  }

  async #destroyRaw(ctx: ControllerContext): Promise<void> {
    for (const nodeId of [...this.#written.keys()]) {
      await destroyIfPresent(ctx, Affiliate.pointer(rawAffiliateId(SERVICE_REGISTRY, nodeId), CLUSTER_RAW_NAMESPACE));
      this.#written.delete(nodeId);
    }
  }

  async #destroyAll(ctx: ControllerContext): Promise<void> {
    await this.#destroyRaw(ctx);
    if (this.#publicIp !== undefined) {
      await destroyIfPresent(ctx, AddressStatus.pointer(SERVICE_ADDRESS_STATUS_ID, CLUSTER_NAMESPACE));
      this.#publicIp = undefined;
    }
  }

  #startClient(ctx: ControllerContext, params: ClientParams): RunningClient {
    // A bad key is a configuration error: it crashes the controller (retried with backoff), naming the rule.
    const key = parseClusterKey(params.key);
    const client = new DiscoveryClient({
      endpoint: params.endpoint,
      insecure: params.insecure,
      clusterId: params.clusterId,
      affiliateId: params.nodeId,
      key,
      clientVersion: this.#o.clientVersion ?? `v${COSI_TS_VERSION}`,
      logger: ctx.logger,
      registry: this.registry,
      ...(this.#o.ttlMs !== undefined ? { ttlMs: this.#o.ttlMs } : {}),
      ...(this.#o.backoff !== undefined ? { backoff: this.#o.backoff } : {}),
      ...(this.#o.tls !== undefined ? { tls: this.#o.tls } : {}),
    });
    const stop = new AbortController();
    const running: RunningClient = {
      params,
      client,
      stop,
      sub: client.updates.subscribe((u) => {
        if (u.snapshot) running.full = true;
        else for (const id of u.ids) running.dirty.add(id);
        ctx.queueReconcile();
      }),
      done: client.run(stop.signal).catch((e: unknown) => {
        running.failure = e;
        ctx.queueReconcile();
      }),
      failure: undefined,
      lastSent: undefined,
      deleteRequested: false,
      full: true,
      dirty: new Set(),
      serverNode: new Map(),
      nodeServers: new Map(),
    };
    // Public-IP and delete-confirmed ticks carry no Watch message: reconcile on every tick too.
    running.sub.add(client.changes.subscribe(() => ctx.queueReconcile()));
    this.#client = running;
    ctx.logger.info({ endpoint: params.endpoint, insecure: params.insecure, clusterId: params.clusterId }, 'discovery client started');
    return running;
  }

  async #stopClient(): Promise<void> {
    const running = this.#client;
    if (running === undefined) return;
    this.#client = undefined;
    running.sub.unsubscribe();
    running.stop.abort();
    await running.done;
  }
}
