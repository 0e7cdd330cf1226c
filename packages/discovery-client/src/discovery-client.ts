import { createSecureContext, type SecureContextOptions } from 'node:tls';
import {
  ClusterClient,
  type ClientAffiliate,
  type Endpoint,
  type HelloResponse,
  type WatchResponse,
} from '@cosi-ts/discovery-api';
import { Metadata, credentials, status as grpcStatus, type ClientOptions, type ServiceError } from '@grpc/grpc-js';
import pino, { type Logger } from 'pino';
import { Registry } from 'prom-client';
import { Observable, Subject, defer, map, startWith } from 'rxjs';
import { encryptAffiliate } from './affiliate-blob.ts';
import { AffiliateCache, type DiscoveredAffiliate } from './affiliate-cache.ts';
import { ReconnectBackoff, type ReconnectBackoffPolicy } from './backoff.ts';
import { clientMetrics, type ClientMetrics } from './client-metrics.ts';
import { checkKey } from './cluster-key.ts';
import { DiscoveryClientError } from './discovery-client-error.ts';
import { encryptEndpoint } from './endpoint-blob.ts';

export interface DiscoveryClientOptions {
  /** `host:port` of the discovery service (IPv6 bracketed). */
  readonly endpoint: string;
  /** Plaintext HTTP/2 (h2c) instead of TLS. */
  readonly insecure?: boolean;
  readonly clusterId: string;
  /** This node's affiliate ID (its NodeID). */
  readonly affiliateId: string;
  /** AES-256 key, 32 bytes (spec §6.1). */
  readonly key: Uint8Array;
  /** Lifetime of what is published; refreshed every TTL/2. Default 30 min (the server's maximum). */
  readonly ttlMs?: number;
  /** Sent in Hello, e.g. `v0.1.0`. */
  readonly clientVersion: string;
  /** TLS options, called on every (re)connect so rotated files are re-read; default: Node's root CAs. */
  readonly tls?: () => SecureContextOptions;
  /** Default: silent. */
  readonly logger?: Logger;
  /** Where the metrics go; default a private Registry. */
  readonly registry?: Registry;
  /** Reconnect backoff; default 500 ms ×1.5 up to 60 s (spec §6.5). */
  readonly backoff?: ReconnectBackoffPolicy;
}

/** What one applied Watch message changed: `snapshot` = the view was replaced; `ids` = the IDs it named. */
export interface AffiliateUpdates {
  readonly snapshot: boolean;
  readonly ids: readonly string[];
}

/** What `setLocalData` is told about another member: endpoints this node observed for it. */
export interface OtherAffiliateEndpoints {
  readonly affiliateId: string;
  readonly endpoints: readonly Endpoint[];
}

const HELLO_TIMEOUT_MS = 10_000;
const REFRESH_TIMEOUT_MS = 30_000;
const MAX_RECEIVE_BYTES = 8 << 20;
const MAX_REDIRECTS = 5;
const MAX_TTL_MS = 30 * 60_000;

interface LocalData {
  readonly data: Buffer;
  readonly endpoints: Buffer[];
  readonly others: { affiliateId: string; endpoints: Buffer[] }[];
}

function ttlOf(ms: number): { seconds: bigint; nanos: number } {
  return { seconds: BigInt(Math.trunc(ms / 1000)), nanos: (ms % 1000) * 1_000_000 };
}

/** Resolves after `ms`, or early (false) when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const done = (ok: boolean): void => {
      clearTimeout(t);
      signal.removeEventListener('abort', onAbort);
      resolve(ok);
    };
    const onAbort = (): void => done(false);
    const t = setTimeout(() => done(true), ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function describe(e: unknown): { code?: number; details: string } {
  const se = e as Partial<ServiceError>;
  return typeof se.code === 'number' ? { code: se.code, details: se.details ?? String(e) } : { details: e instanceof Error ? e.message : String(e) };
}

/**
 * A discovery service client (spec discovery-protocol §6): publishes this node's encrypted affiliate,
 * watches the cluster and keeps a decrypted view of the other members. `run(signal)` reconnects
 * forever with jittered backoff; it rejects only on programming or configuration errors.
 */
export class DiscoveryClient {
  /** One tick per applied Watch message (and when the public IP or delete state changes). */
  readonly changes: Observable<void>;
  /** The current view on subscribe, then after each change. */
  readonly affiliates$: Observable<readonly DiscoveredAffiliate[]>;
  /**
   * Which entries each applied Watch message touched, emitted just before its `changes` tick: lets a
   * consumer of a large cluster update only those (`getAffiliate(id)`) instead of rereading the view.
   */
  readonly updates: Observable<AffiliateUpdates>;

  readonly #o: Required<Pick<DiscoveryClientOptions, 'endpoint' | 'clusterId' | 'affiliateId' | 'clientVersion'>> & DiscoveryClientOptions;
  readonly #key: Buffer;
  readonly #ttlMs: number;
  readonly #logger: Logger;
  readonly #metrics: ClientMetrics;
  readonly #changes = new Subject<void>();
  readonly #updates = new Subject<AffiliateUpdates>();
  readonly #cache: AffiliateCache;
  #local: LocalData | undefined;
  #deleteRequested = false;
  #deleteConfirmed = false;
  #refreshDue = true;
  #kick: (() => void) | undefined;
  #publicIp: Uint8Array | undefined;
  #running = false;
  #watches = 0;
  #synced = false;

  constructor(options: DiscoveryClientOptions) {
    checkKey(options.key);
    for (const k of ['endpoint', 'clusterId', 'affiliateId'] as const) {
      if (options[k] === '') throw new DiscoveryClientError('DISCOVERY_CLIENT_BAD_OPTION', `discovery client: ${k} must not be empty`);
    }
    const ttlMs = options.ttlMs ?? MAX_TTL_MS;
    if (!Number.isSafeInteger(ttlMs) || ttlMs < 1000 || ttlMs > MAX_TTL_MS) {
      throw new DiscoveryClientError('DISCOVERY_CLIENT_BAD_OPTION', `discovery client: ttlMs must be an integer from 1000 to ${MAX_TTL_MS} (got ${ttlMs})`);
    }
    this.#o = options;
    this.#key = Buffer.from(options.key);
    this.#ttlMs = ttlMs;
    this.#logger = (options.logger ?? pino({ level: 'silent' })).child({ component: 'discovery-client', affiliateId: options.affiliateId });
    this.#metrics = clientMetrics(options.registry ?? new Registry());
    this.#cache = new AffiliateCache(options.affiliateId, this.#key, {
      logger: this.#logger,
      skipped: (reason) => this.#metrics.skippedBlobs.inc({ reason }),
    });
    this.changes = this.#changes.asObservable();
    this.updates = this.#updates.asObservable();
    this.affiliates$ = defer(() => this.#changes.pipe(startWith(undefined), map(() => this.getAffiliates())));
  }

  /**
   * Sets what this node publishes: its plaintext affiliate, its own endpoints, and endpoints it
   * observed for others. Encrypted now (a new nonce each call); a refresh is sent as soon as possible.
   */
  setLocalData(affiliate: ClientAffiliate, endpoints: readonly Endpoint[], others: readonly OtherAffiliateEndpoints[]): void {
    this.#local = {
      data: encryptAffiliate(this.#key, affiliate),
      endpoints: endpoints.map((e) => encryptEndpoint(this.#key, e)),
      others: others
        .filter((o) => o.affiliateId !== '' && o.affiliateId !== this.#o.affiliateId && o.endpoints.length > 0)
        .map((o) => ({ affiliateId: o.affiliateId, endpoints: o.endpoints.map((e) => encryptEndpoint(this.#key, e)) })),
    };
    this.#requestRefresh();
  }

  /** Withdraws this node: from now on only AffiliateDelete is sent (until it succeeds once per connect). */
  deleteLocalAffiliate(): void {
    if (this.#deleteRequested) return;
    this.#deleteRequested = true;
    this.#requestRefresh();
  }

  /** True once the service confirmed the AffiliateDelete asked for by `deleteLocalAffiliate`. */
  get localAffiliateDeleted(): boolean {
    return this.#deleteConfirmed;
  }

  /** True once a Watch snapshot has been applied: the view is complete, not merely empty. */
  get synced(): boolean {
    return this.#synced;
  }

  /** How many other members are in the view (cheaper than `getAffiliates().length`). */
  get affiliateCount(): number {
    return this.#cache.size;
  }

  /** One other member by its server affiliate ID. */
  getAffiliate(id: string): DiscoveredAffiliate | undefined {
    return this.#cache.get(id);
  }

  /** The other members, sorted by ID. */
  getAffiliates(): DiscoveredAffiliate[] {
    return [...this.#cache.list()];
  }

  /** This node's IP as the service saw it in the last Hello. */
  getPublicIP(): Uint8Array | undefined {
    return this.#publicIp;
  }

  async run(outer: AbortSignal): Promise<void> {
    if (this.#running) throw new DiscoveryClientError('DISCOVERY_CLIENT_ALREADY_RUNNING', 'discovery client: run() is already running');
    this.#running = true;
    // One listener on the caller's signal (many clients may share it); the loop's own waits listen here.
    const inner = new AbortController();
    const forward = (): void => inner.abort();
    if (outer.aborted) inner.abort();
    else outer.addEventListener('abort', forward, { once: true });
    const signal = inner.signal;
    const backoff = new ReconnectBackoff(this.#o.backoff);
    const configured = this.#o.endpoint;
    let endpoint = configured;
    let redirects = 0;
    try {
      while (await sleep(backoff.next(), signal)) {
        const client = this.#connect(endpoint);
        try {
          let hello: HelloResponse;
          try {
            hello = await this.#hello(client, signal);
          } catch (e) {
            if (signal.aborted) break;
            this.#metrics.connects.inc({ result: 'error' });
            this.#logger.warn({ endpoint, ...describe(e) }, 'discovery service Hello failed; retrying');
            if (endpoint !== configured) {
              endpoint = configured;
              redirects = 0;
            }
            continue;
          }
          this.#metrics.connects.inc({ result: 'ok' });
          this.#setPublicIp(hello.clientIp);
          const target = hello.redirect?.endpoint ?? '';
          if (target !== '' && target !== endpoint) {
            if (redirects >= MAX_REDIRECTS) {
              this.#logger.warn({ endpoint, target, redirects }, 'too many redirects in a row; back to the configured endpoint');
              endpoint = configured;
              redirects = 0;
            } else {
              this.#metrics.redirects.inc();
              this.#logger.info({ endpoint, target }, 'redirected');
              endpoint = target;
              redirects++;
            }
            continue;
          }
          redirects = 0;
          const failed = await this.#session(client, signal, backoff);
          if (failed && endpoint !== configured) {
            endpoint = configured;
            redirects = 0;
          }
        } finally {
          client.close();
        }
      }
    } finally {
      outer.removeEventListener('abort', forward);
      this.#running = false;
      this.#kick = undefined;
    }
  }

  #connect(endpoint: string): ClusterClient {
    const creds = this.#o.insecure === true
      ? credentials.createInsecure()
      : credentials.createFromSecureContext(createSecureContext({ minVersion: 'TLSv1.2', ...(this.#o.tls?.() ?? {}) }));
    const options: Partial<ClientOptions> = {
      'grpc.keepalive_time_ms': Math.max(10_000, Math.trunc(this.#ttlMs / 10)),
      'grpc.keepalive_timeout_ms': 20_000,
      'grpc.max_receive_message_length': MAX_RECEIVE_BYTES,
      // Its own connection, as if on its own machine; also keeps one client's close from touching another's.
      'grpc.use_local_subchannel_pool': 1,
    };
    return new ClusterClient(endpoint, creds, options);
  }

  #hello(client: ClusterClient, signal: AbortSignal): Promise<HelloResponse> {
    return new Promise((resolve, reject) => {
      const call = client.hello(
        { clusterId: this.#o.clusterId, clientVersion: this.#o.clientVersion },
        new Metadata(),
        { deadline: new Date(Date.now() + HELLO_TIMEOUT_MS) },
        (err: ServiceError | null, res: HelloResponse) => {
          signal.removeEventListener('abort', onAbort);
          if (err === null) resolve(res);
          else reject(err);
        },
      );
      const onAbort = (): void => call.cancel();
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** One Watch and its refreshes; resolves when the Watch ends (true) or a refresh failed (true), false on abort. */
  async #session(client: ClusterClient, signal: AbortSignal, backoff: ReconnectBackoff): Promise<boolean> {
    const session = new AbortController();
    const stop = (): void => session.abort();
    signal.addEventListener('abort', stop, { once: true });
    if (this.#watches++ > 0) this.#metrics.reconnects.inc();
    const stream = client.watch({ clusterId: this.#o.clusterId });
    let first = true;
    let watchError: unknown;
    const ended = new Promise<void>((resolve) => {
      stream.on('data', (m: WatchResponse) => {
        this.#apply(m, first);
        first = false;
      });
      stream.on('error', (e: ServiceError) => {
        watchError = e;
      });
      stream.on('status', () => resolve());
      stream.on('close', () => resolve());
    }).then(() => {
      if (!signal.aborted) {
        if (watchError !== undefined && (watchError as ServiceError).code !== grpcStatus.CANCELLED) {
          this.#logger.warn(describe(watchError), 'discovery Watch ended with an error; reconnecting');
        } else if (!session.signal.aborted) {
          this.#logger.info('discovery Watch ended; reconnecting');
        }
      }
      stop();
    });
    this.#refreshDue = true;
    let nextRefreshAt = Infinity;
    let failed = true;
    try {
      while (!session.signal.aborted) {
        if (this.#refreshDue) {
          this.#refreshDue = false; // cleared first: a change during the batch marks it due again
          try {
            await this.#refresh(client, session.signal);
          } catch (e) {
            this.#refreshDue = true;
            if (session.signal.aborted) break;
            this.#metrics.refreshes.inc({ result: 'error' });
            this.#logger.warn(describe(e), 'discovery refresh failed; reconnecting');
            break;
          }
          backoff.reset();
          nextRefreshAt = Date.now() + this.#ttlMs / 2;
        }
        const wait = Math.max(0, nextRefreshAt - Date.now());
        const timedOut = await new Promise<boolean>((resolve) => {
          const t = wait === Infinity ? undefined : setTimeout(() => finish(true), wait);
          const finish = (v: boolean): void => {
            if (t !== undefined) clearTimeout(t);
            session.signal.removeEventListener('abort', onAbort);
            this.#kick = undefined;
            resolve(v);
          };
          const onAbort = (): void => finish(false);
          session.signal.addEventListener('abort', onAbort, { once: true });
          this.#kick = () => finish(false);
          if (this.#refreshDue || session.signal.aborted) finish(false);
        });
        if (timedOut) this.#refreshDue = true;
      }
      failed = !signal.aborted;
    } finally {
      signal.removeEventListener('abort', stop);
      stream.cancel();
      await ended;
    }
    return failed;
  }

  async #refresh(client: ClusterClient, signal: AbortSignal): Promise<void> {
    const deadline = new Date(Date.now() + REFRESH_TIMEOUT_MS);
    const call = (start: (cb: (err: ServiceError | null) => void) => { cancel(): void }): Promise<void> =>
      new Promise((resolve, reject) => {
        const c = start((err) => {
          signal.removeEventListener('abort', onAbort);
          if (err === null) resolve();
          else reject(err);
        });
        const onAbort = (): void => c.cancel();
        signal.addEventListener('abort', onAbort, { once: true });
      });
    const meta = new Metadata();
    const opts = { deadline };
    const ids = { clusterId: this.#o.clusterId, affiliateId: this.#o.affiliateId };
    if (this.#deleteRequested) {
      await call((cb) => client.affiliateDelete(ids, meta, opts, cb));
      this.#metrics.refreshes.inc({ result: 'ok' });
      if (!this.#deleteConfirmed) {
        this.#deleteConfirmed = true;
        this.#logger.info('local affiliate deleted from the discovery service');
        this.#changes.next();
      }
      return;
    }
    const local = this.#local;
    if (local === undefined) return;
    const ttl = ttlOf(this.#ttlMs);
    await call((cb) => client.affiliateUpdate({ ...ids, affiliateData: local.data, affiliateEndpoints: local.endpoints, ttl }, meta, opts, cb));
    for (const o of local.others) {
      await call((cb) =>
        client.affiliateUpdate({ clusterId: this.#o.clusterId, affiliateId: o.affiliateId, affiliateEndpoints: o.endpoints, ttl }, meta, opts, cb),
      );
    }
    this.#metrics.refreshes.inc({ result: 'ok' });
  }

  #apply(m: WatchResponse, first: boolean): void {
    const before = this.#cache.size;
    const ids = this.#cache.apply(m, first);
    this.#synced = true;
    this.#metrics.affiliates.inc(this.#cache.size - before);
    this.#updates.next({ snapshot: first, ids });
    this.#changes.next();
  }

  #setPublicIp(ip: Uint8Array): void {
    if (ip.length !== 4 && ip.length !== 16) return;
    const prev = this.#publicIp;
    if (prev !== undefined && Buffer.compare(prev, ip) === 0) return;
    this.#publicIp = new Uint8Array(ip);
    this.#changes.next();
  }

  #requestRefresh(): void {
    this.#refreshDue = true;
    this.#kick?.();
  }
}
