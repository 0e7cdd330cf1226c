import { StrictClusterService } from '@cosi-ts/discovery-api';
import { Server, ServerCredentials, experimental, type ServiceDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { setMaxListeners } from 'node:events';
import { mkdir } from 'node:fs/promises';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import { pino, type Logger } from 'pino';
import { Registry } from 'prom-client';
import { createClusterHandlers, type ActiveWatches } from './cluster-handlers.ts';
import { ClusterStore, type GcResult, type StoreStats } from './cluster-store.ts';
import { createLandingHandler, createMetricsHandler } from './http-pages.ts';
import { checkInterval } from './interval-error.ts';
import { ConnectionGate } from './connection-gate.ts';
import {
  DEFAULT_MAX_CONCURRENT_STREAMS,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_CONNECTIONS_PER_IP,
  DEFAULT_MAX_CONNECTION_IDLE_MS,
  DEFAULT_MAX_WATCH_BACKLOG_BYTES,
  DEFAULT_MAX_WATCH_BACKLOG_BYTES_PER_IP,
  DEFAULT_MAX_WATCHES,
  DEFAULT_MAX_WATCHES_PER_IP,
  DEFAULT_WATCH_STALL_TIMEOUT_MS,
  MAX_REQUEST_BYTES,
} from './limits.ts';
import { formatHostPort, parseListenAddress } from './listen-address.ts';
import { RateLimiter } from './rate-limiter.ts';
import { ServiceMetrics } from './service-metrics.ts';
import { loadSnapshotKey } from './snapshot-key.ts';
import { WatchQuota } from './watch-quota.ts';
import { isSealedSnapshot } from './snapshot-file-format.ts';
import { SnapshotStorage, existingSnapshots } from './snapshot-storage.ts';
import { ReloadingCertificateProvider, TlsConfigError } from './tls-certificate-provider.ts';

export interface SnapshotOptions {
  /** Snapshot file; `<path>.prev` and `<path>.tmp` sit beside it. */
  readonly path: string;
  /** Default 10 min. */
  readonly intervalMs?: number;
  /**
   * 32-byte key (raw or base64). Default `<path>.key`, created when missing if no snapshot exists
   * (a snapshot needs the key it was saved with: without it, start() rejects).
   */
  readonly keyFile?: string;
  /**
   * Start even when a snapshot cannot be decrypted with the key at hand (the key file is missing,
   * or is another key): such snapshots are renamed `<file>.undecryptable-<unix seconds>`, never
   * deleted, and a missing default key is created. Default false: start() rejects and changes nothing.
   */
  readonly discardUndecryptable?: boolean;
}

export interface DiscoveryServiceOptions {
  /** gRPC listen address, Go style. Default `:3000`. */
  readonly addr?: string;
  /** Landing page, /inspect, /stats, /healthz. Default: disabled (the binary enables `:3001`). */
  readonly landingAddr?: string;
  /** Prometheus `/metrics`. Default: disabled (the binary enables `:2122`). */
  readonly metricsAddr?: string;
  /** TLS: both or neither. */
  readonly certificatePath?: string;
  readonly keyPath?: string;
  /** Default 1 min. */
  readonly gcIntervalMs?: number;
  /** `host:port` sent in every Hello. */
  readonly redirectEndpoint?: string;
  /** Undefined: no snapshots (nothing loaded or saved, no storage metrics). */
  readonly snapshots?: SnapshotOptions;
  readonly trustXRealIp?: boolean;
  readonly trustFirstXForwardedFor?: boolean;
  /** Per client IP. Default 15/s, burst 60, at most 1024 calls waiting per IP; `false` disables. */
  readonly rateLimit?: { ratePerSecond?: number; burst?: number; maxWaiting?: number } | false;
  /** Default: silent. */
  readonly logger?: Logger;
  /** Default: a private registry, with prom-client's process/nodejs default metrics. */
  readonly registry?: Registry;
  /** Clock for expirations (tests). Default Date.now. */
  readonly now?: () => number;
  /** How long stop() lets in-flight calls finish. Default 5 s. */
  readonly shutdownGraceMs?: number;
  /** How often TLS files are checked for changes. Default 2 s. */
  readonly tlsPollIntervalMs?: number;
  /** Bounds on Watch streams (not in the Go server); defaults in parentheses. */
  readonly watchLimits?: WatchLimitOptions;
  /** HTTP/2 transport bounds. */
  readonly transport?: TransportOptions;
}

export interface WatchLimitOptions {
  /** Open Watches per client IP (1024). Over it a Watch fails at once with ResourceExhausted. */
  readonly maxPerIp?: number;
  /** Open Watches in total (100,000). */
  readonly maxTotal?: number;
  /** Watch bytes written but not yet taken by the transport, per client IP (64 MiB). */
  readonly maxBacklogBytesPerIp?: number;
  /** The same in total (1 GiB). */
  readonly maxBacklogBytes?: number;
  /**
   * A Watch whose unsent output makes no progress for this long has its connection closed (2 min):
   * grpc-js cannot reset one stream, and a status would wait behind the unread output.
   */
  readonly stallTimeoutMs?: number;
}

export interface TransportOptions {
  /** TCP connections to the gRPC port per remote address (2048); more are closed at once. */
  readonly maxConnectionsPerIp?: number;
  /** TCP connections to the gRPC port in total (200,000). */
  readonly maxConnections?: number;
  /** HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS per connection (1024). */
  readonly maxConcurrentStreams?: number;
  /** A connection with no open stream for this long is closed with GOAWAY (5 min). */
  readonly maxConnectionIdleMs?: number;
  /** Ping a connection after this long without activity (2 min, spec R8). */
  readonly keepaliveTimeMs?: number;
  /** Drop it if the ping is not answered within this (20 s, spec R8). */
  readonly keepaliveTimeoutMs?: number;
}

const SNAPSHOT_SHUTDOWN_LIMIT_MS = 10_000;
const RATE_LIMIT_PRUNE_MS = 60_000;

// R8: no timeouts on streams (a Watch may be silent for 30 min); ping idle connections every 2 min,
// drop them after 20 s without an answer (this also ends a plaintext connection that never sends
// the HTTP/2 preface). grpc-js servers accept client pings at any rate. A connection without any
// stream is closed after maxConnectionIdleMs; a Watching client always has one, so is never cut.
function serverOptions(t: TransportOptions): Record<string, number> {
  return {
    'grpc.keepalive_time_ms': t.keepaliveTimeMs ?? 120_000,
    'grpc.keepalive_timeout_ms': t.keepaliveTimeoutMs ?? 20_000,
    'grpc.max_connection_idle_ms': t.maxConnectionIdleMs ?? DEFAULT_MAX_CONNECTION_IDLE_MS,
    'grpc.max_concurrent_streams': t.maxConcurrentStreams ?? DEFAULT_MAX_CONCURRENT_STREAMS,
    'grpc.max_send_message_length': -1,
    'grpc.max_receive_message_length': MAX_REQUEST_BYTES,
  };
}

function checkCount(option: string, n: number): void {
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`${option} must be a positive integer, got ${n}`);
}

function listen(server: HttpServer, addr: string, logger: Logger): Promise<string> {
  const { host, port } = parseListenAddress(addr);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.removeListener('error', reject);
      // A failed accept (EMFILE under a connection flood) is emitted on the server: without a
      // listener it would crash the process.
      server.on('error', (err) => logger.error({ err, addr }, 'HTTP listener error'));
      const a = server.address() as AddressInfo;
      resolve(formatHostPort(a.address, a.port));
    });
  });
}

function closeHttp(server: HttpServer | undefined): Promise<void> {
  if (server === undefined) return Promise.resolve();
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/**
 * The discovery service, embeddable: `start()` binds and resolves to the gRPC address, `stop()` ends
 * Watches with OK, drains in-flight calls and takes the final snapshot.
 */
export class DiscoveryService {
  readonly store: ClusterStore;
  readonly metrics: ServiceMetrics;
  readonly #o: DiscoveryServiceOptions;
  readonly #logger: Logger;
  readonly #now: () => number;
  #server: Server | undefined;
  #gate: ConnectionGate | undefined;
  #injector: ReturnType<Server['createConnectionInjector']> | undefined;
  #watches: ActiveWatches | undefined;
  readonly #watchQuota: WatchQuota;
  #landing: HttpServer | undefined;
  #metricsServer: HttpServer | undefined;
  #tls: ReloadingCertificateProvider | undefined;
  #snapshots: SnapshotStorage | undefined;
  #timers: NodeJS.Timeout[] = [];
  readonly #shutdown = new AbortController();
  #starting: Promise<void> = Promise.resolve();
  #address: string | undefined;
  #landingAddress: string | undefined;
  #metricsAddress: string | undefined;
  #state: 'new' | 'starting' | 'running' | 'stopping' | 'stopped' = 'new';

  constructor(options: DiscoveryServiceOptions = {}) {
    if ((options.certificatePath === undefined || options.certificatePath === '') !== (options.keyPath === undefined || options.keyPath === '')) {
      throw new TlsConfigError('TLS needs both a certificate path and a key path, or neither');
    }
    checkInterval('gc interval', options.gcIntervalMs ?? 60_000);
    if (options.snapshots !== undefined) checkInterval('snapshot interval', options.snapshots.intervalMs ?? 10 * 60_000);
    checkInterval('shutdown grace', options.shutdownGraceMs ?? 5000, 0);
    checkInterval('TLS poll interval', options.tlsPollIntervalMs ?? 2000);
    const w = options.watchLimits ?? {};
    this.#watchQuota = new WatchQuota({
      maxPerIp: w.maxPerIp ?? DEFAULT_MAX_WATCHES_PER_IP,
      maxTotal: w.maxTotal ?? DEFAULT_MAX_WATCHES,
      maxBacklogBytesPerIp: w.maxBacklogBytesPerIp ?? DEFAULT_MAX_WATCH_BACKLOG_BYTES_PER_IP,
      maxBacklogBytes: w.maxBacklogBytes ?? DEFAULT_MAX_WATCH_BACKLOG_BYTES,
    });
    for (const [name, n] of Object.entries(this.#watchQuota.limits)) checkCount(`watch limit ${name}`, n);
    checkInterval('watch stall timeout', w.stallTimeoutMs ?? DEFAULT_WATCH_STALL_TIMEOUT_MS);
    const t = options.transport ?? {};
    checkCount('max concurrent streams', t.maxConcurrentStreams ?? DEFAULT_MAX_CONCURRENT_STREAMS);
    checkCount('max connections per IP', t.maxConnectionsPerIp ?? DEFAULT_MAX_CONNECTIONS_PER_IP);
    checkCount('max connections', t.maxConnections ?? DEFAULT_MAX_CONNECTIONS);
    checkInterval('max connection idle', t.maxConnectionIdleMs ?? DEFAULT_MAX_CONNECTION_IDLE_MS);
    checkInterval('keepalive time', t.keepaliveTimeMs ?? 120_000);
    checkInterval('keepalive timeout', t.keepaliveTimeoutMs ?? 20_000);
    this.#o = options;
    // Every call waiting for a rate-limit token listens for shutdown: no "possible leak" warning at 11.
    setMaxListeners(0, this.#shutdown.signal);
    this.#logger = options.logger ?? pino({ level: 'silent' });
    this.#now = options.now ?? Date.now;
    this.store = new ClusterStore({ now: this.#now });
    const registry = options.registry ?? new Registry();
    this.metrics = new ServiceMetrics(registry, () => this.store.stats(), { storage: options.snapshots !== undefined, defaultMetrics: options.registry === undefined });
  }

  /** The bound gRPC address (`host:port`), once started. */
  get address(): string | undefined {
    return this.#address;
  }

  get landingAddress(): string | undefined {
    return this.#landingAddress;
  }

  get metricsAddress(): string | undefined {
    return this.#metricsAddress;
  }

  /** Loads the snapshot, binds every listener and starts GC and snapshot timers. Resolves to the gRPC address. */
  async start(): Promise<string> {
    if (this.#state !== 'new') throw new Error(`DiscoveryService.start: already ${this.#state}`);
    this.#state = 'starting';
    const started = this.#startOrRelease();
    this.#starting = started.then(
      () => undefined,
      () => undefined,
    );
    return started;
  }

  async #startOrRelease(): Promise<string> {
    try {
      return await this.#start();
    } catch (e) {
      await this.#release();
      this.#state = 'stopped';
      throw e;
    }
  }

  async #start(): Promise<string> {
    const o = this.#o;
    if (o.snapshots !== undefined) {
      const { path } = o.snapshots;
      const discardUndecryptable = o.snapshots.discardUndecryptable ?? false;
      await mkdir(dirname(path), { recursive: true, mode: 0o700 });
      // Before the key: a directory in the snapshot's place is the error to report, and a key is
      // only made when no snapshot needs the old one (a foreign file, say Go's, needs none).
      const sealed = [];
      for (const file of await existingSnapshots(path)) if (await isSealedSnapshot(file)) sealed.push(file);
      const keyFile = o.snapshots.keyFile ?? `${path}.key`;
      const key = await loadSnapshotKey(keyFile, {
        createIfMissing: o.snapshots.keyFile === undefined && (sealed.length === 0 || discardUndecryptable),
        // An explicitly named key file must exist anyway: its error needs no way out via a new key.
        snapshot: o.snapshots.keyFile === undefined ? sealed[0] : undefined,
        logger: this.#logger,
      });
      this.#snapshots = new SnapshotStorage({ path, key, keyFile, discardUndecryptable, logger: this.#logger, metrics: this.metrics, now: this.#now });
      await this.#snapshots.load(this.store);
    }

    const rateLimiter = o.rateLimit === false ? undefined : new RateLimiter({ ...o.rateLimit, now: this.#now });
    const { handlers, watches } = createClusterHandlers({
      store: this.store,
      metrics: this.metrics,
      logger: this.#logger,
      clientIp: { trustXRealIp: o.trustXRealIp ?? false, trustFirstXForwardedFor: o.trustFirstXForwardedFor ?? false },
      rateLimiter,
      redirectEndpoint: o.redirectEndpoint === undefined || o.redirectEndpoint === '' ? undefined : o.redirectEndpoint,
      shutdown: this.#shutdown.signal,
      watchQuota: this.#watchQuota,
      watchStallTimeoutMs: o.watchLimits?.stallTimeoutMs ?? DEFAULT_WATCH_STALL_TIMEOUT_MS,
      closeConnection: (peer) => this.#gate?.closeConnection(peer) ?? false,
    });
    this.#watches = watches;

    let credentials = ServerCredentials.createInsecure();
    if (o.certificatePath !== undefined && o.certificatePath !== '' && o.keyPath !== undefined) {
      this.#tls = new ReloadingCertificateProvider({
        certificatePath: o.certificatePath,
        keyPath: o.keyPath,
        logger: this.#logger,
        ...(o.tlsPollIntervalMs === undefined ? {} : { pollIntervalMs: o.tlsPollIntervalMs }),
      });
      // grpc-js names the first parameter after the CA provider but uses it as the identity provider.
      credentials = experimental.createCertificateProviderServerCredentials(this.#tls, null, false);
    }

    const server = new Server(serverOptions(o.transport ?? {}));
    this.#server = server;
    server.addService(StrictClusterService as unknown as ServiceDefinition, handlers as UntypedServiceImplementation);
    const { host, port } = parseListenAddress(o.addr ?? ':3000');
    // We accept TCP connections ourselves (to bound them) and hand them to grpc-js.
    const injector = server.createConnectionInjector(credentials);
    this.#injector = injector;
    this.#gate = new ConnectionGate(
      { maxPerIp: o.transport?.maxConnectionsPerIp ?? DEFAULT_MAX_CONNECTIONS_PER_IP, maxTotal: o.transport?.maxConnections ?? DEFAULT_MAX_CONNECTIONS },
      (socket) => injector.injectConnection(socket),
      this.#logger,
    );
    const bound = await this.#gate.listen(host, port);
    this.#address = formatHostPort(host, bound);

    if (o.landingAddr !== undefined && o.landingAddr !== '') {
      this.#landing = createServer(createLandingHandler(this.store, this.#now));
      this.#landingAddress = await listen(this.#landing, o.landingAddr, this.#logger);
    }
    if (o.metricsAddr !== undefined && o.metricsAddr !== '') {
      this.#metricsServer = createServer(createMetricsHandler(this.metrics.registry));
      this.#metricsAddress = await listen(this.#metricsServer, o.metricsAddr, this.#logger);
    }

    this.runGc();
    this.#every(o.gcIntervalMs ?? 60_000, () => this.runGc());
    if (rateLimiter !== undefined) this.#every(RATE_LIMIT_PRUNE_MS, () => rateLimiter.prune());
    if (this.#snapshots !== undefined) {
      this.#every(o.snapshots?.intervalMs ?? 10 * 60_000, () => {
        this.saveSnapshot().catch(() => undefined); // logged and counted inside
      });
    }
    this.#state = 'running';
    this.#logger.info({ addr: this.#address, landing: this.#landingAddress, metrics: this.#metricsAddress, tls: this.#tls !== undefined }, 'discovery service started');
    return this.#address;
  }

  /** One GC pass now (spec §3.5); also runs at start and every gcIntervalMs. */
  runGc(): GcResult {
    const removed = this.store.gc();
    this.metrics.gc(removed);
    return removed;
  }

  stats(): StoreStats {
    return this.store.stats();
  }

  /**
   * Open Watch streams, the changes queued for them (bounded per Watch by distinct IDs, R3) and the
   * bytes written to them that the transport has not yet taken (about; bounded by watchLimits).
   */
  watchBacklog(): { watches: number; pendingUpdates: number; unsentBytes: number } {
    return { watches: this.#watches?.size ?? 0, pendingUpdates: this.#watches?.pending() ?? 0, unsentBytes: this.#watchQuota.backlogBytes };
  }

  /** Saves a snapshot now. Rejects when snapshots are disabled or the save fails (logged). */
  async saveSnapshot(): Promise<void> {
    if (this.#snapshots === undefined) throw new Error('DiscoveryService.saveSnapshot: snapshots are disabled');
    try {
      const f = await this.#snapshots.save(this.store);
      this.#logger.debug({ ...f }, 'snapshot saved');
    } catch (e) {
      this.#logger.error({ err: e, file: this.#snapshots.path }, 'snapshot save failed; earlier snapshots kept');
      throw e;
    }
  }

  /**
   * Stops accepting, ends Watches with OK, gives in-flight calls `shutdownGraceMs`, then takes the
   * final snapshot (10 s limit). Idempotent.
   */
  async stop(): Promise<void> {
    // A stop during start waits for the start to finish, so nothing it binds afterwards is left open.
    if (this.#state === 'starting') await this.#starting;
    if (this.#state === 'stopped' || this.#state === 'stopping') return;
    this.#state = 'stopping';
    for (const t of this.#timers) clearInterval(t);
    this.#timers = [];
    const server = this.#server;
    if (server !== undefined) {
      const connectionsClosed = this.#gate?.stopAccepting() ?? Promise.resolve();
      // GOAWAY on every connection: no new calls, open ones may finish.
      const shutDown = new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
      this.#shutdown.abort();
      this.#watches?.endAll();
      // Drained once every connection is closed, not when tryShutdown calls back. Since Node 24,
      // http2's Server.close() closes the sessions itself (nodejs/node#57586, documented under
      // `server.close`), so grpc-js 1.14 finds them already closing and calls back at once, before the
      // Watches' OK status is on the wire, and the forced shutdown below would then reset them
      // (clients saw CANCELLED). A connection closes only after its last stream is done, on every version.
      const drained = Promise.all([shutDown, connectionsClosed]);
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), this.#o.shutdownGraceMs ?? 5000);
      });
      if ((await Promise.race([drained, grace])) === 'timeout') server.forceShutdown();
      clearTimeout(timer);
    }
    if (this.#snapshots !== undefined) {
      let timer: NodeJS.Timeout | undefined;
      const limit = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('final snapshot took longer than 10 s')), SNAPSHOT_SHUTDOWN_LIMIT_MS);
      });
      try {
        await Promise.race([this.saveSnapshot(), limit]);
      } catch (e) {
        this.#logger.error({ err: e }, 'final snapshot failed');
      } finally {
        clearTimeout(timer);
      }
    }
    await this.#release();
    this.#state = 'stopped';
    this.#logger.info('discovery service stopped');
  }

  async #release(): Promise<void> {
    this.#shutdown.abort();
    for (const t of this.#timers) clearInterval(t);
    this.#timers = [];
    this.#server?.forceShutdown();
    this.#injector?.destroy();
    this.#tls?.close();
    await Promise.all([this.#gate?.destroy(), closeHttp(this.#landing), closeHttp(this.#metricsServer)]);
  }

  #every(ms: number, fn: () => void): void {
    const t = setInterval(fn, ms);
    t.unref();
    this.#timers.push(t);
  }
}
