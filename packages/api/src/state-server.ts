import { Server, ServerCredentials, experimental, status } from '@grpc/grpc-js';
import type { Metadata, ServerUnaryCall, ServerWritableStream, sendUnaryData, UntypedServiceImplementation } from '@grpc/grpc-js';
import { pino } from 'pino';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Pointer } from '@cosi-ts/resource';
import { validateLabelQueries } from '@cosi-ts/resource';
import type { State } from '@cosi-ts/state';
import { ApiConfigError, UnauthorizedError } from './api-errors.ts';
import { ApiMetrics } from './api-metrics.ts';
import { ArrivalOrder } from './arrival-order.ts';
import { CallerAuth } from './caller-auth.ts';
import type { Caller } from './caller-auth.ts';
import type {
  CreateResponse,
  DestroyResponse,
  GetResponse,
  ListResponse,
  TeardownAndDestroyResponse,
  TeardownResponse,
  UpdateResponse,
} from './gen/cosi/resource/state.ts';
import { DEFAULT_API_LIMITS } from './limits.ts';
import type { ApiLimits } from './limits.ts';
import { formatHostPort, isLoopbackHost, parseListenAddress } from './listen-address.ts';
import { RawStateService, requestMessages, strictDecode } from './raw-state-service.ts';
import { CallRefused, serveWatch, watchSource } from './serve-watch.ts';
import { statusOf } from './status-mapping.ts';
import type { StateMethod } from './status-mapping.ts';
import { ReloadingCertificateProvider } from './tls-certificate-provider.ts';
import { loadTokenFile } from './tokens.ts';
import type { TokenSet } from './tokens.ts';
import { idQueryFromWire, labelQueriesFromWire, resourceToWire, storedResourceFromWire } from './wire-codec.ts';

export interface StateServerOptions {
  /** `role token` lines, mode 0600 or stricter (spec §5). Without it the server only listens on loopback. */
  readonly tokenFile?: string;
  /** TLS certificate and key files, reloaded when they change. */
  readonly tls?: { readonly certificatePath: string; readonly keyPath: string; readonly pollIntervalMs?: number };
  /** Types refused to readers besides those whose definition is SENSITIVE. */
  readonly sensitiveTypes?: readonly string[];
  readonly limits?: Partial<ApiLimits>;
  readonly logger?: Logger;
  /** Where the metrics go; default a private Registry. */
  readonly registry?: Registry;
}

const ptrOf = (r: { namespace: string; type: string; id: string }): Pointer => ({ namespace: r.namespace, type: r.type, id: r.id });

/**
 * Serves a State with COSI's `cosi.resource.State` protocol (spec: resource-api.md) on grpc-js.
 * `listen()` refuses a non-loopback address without tokens; `close()` ends every call and timer.
 */
export class StateServer {
  readonly metrics: ApiMetrics;
  readonly #state: State;
  readonly #logger: Logger;
  readonly #limits: ApiLimits;
  readonly #options: StateServerOptions;
  readonly #order = new ArrivalOrder();
  readonly #watchesByCaller = new Map<string, number>();
  #auth: CallerAuth | undefined;
  #server: Server | undefined;
  #tls: ReloadingCertificateProvider | undefined;

  constructor(state: State, options: StateServerOptions = {}) {
    this.#state = state;
    this.#options = options;
    this.#limits = { ...DEFAULT_API_LIMITS, ...options.limits };
    this.#logger = (options.logger ?? pino({ level: 'silent' })).child({ component: 'resource-api' });
    this.metrics = new ApiMetrics(options.registry);
  }

  /** Starts serving; resolves to the bound address. Throws ApiConfigError for a configuration that must not run. */
  async listen(address: string): Promise<{ host: string; port: number; address: string }> {
    if (this.#server !== undefined) throw new ApiConfigError('StateServer is already listening');
    const { host, port } = parseListenAddress(address);
    let tokens: TokenSet | undefined;
    if (this.#options.tokenFile !== undefined) tokens = loadTokenFile(this.#options.tokenFile);
    else if (!isLoopbackHost(host)) {
      throw new ApiConfigError(
        `resource API address ${address} is not loopback and no token file is configured: configure a token file (tokenFile, lines "admin <token>" / "reader <token>", mode 0600) or listen on 127.0.0.1`,
      );
    }
    this.#auth = new CallerAuth(this.#state, tokens, this.#options.sensitiveTypes ?? []);
    let credentials = ServerCredentials.createInsecure();
    if (this.#options.tls !== undefined) {
      this.#tls = new ReloadingCertificateProvider({ ...this.#options.tls, logger: this.#logger });
      credentials = experimental.createCertificateProviderServerCredentials(this.#tls, null, false);
    }
    const server = new Server({
      'grpc.max_receive_message_length': this.#limits.maxMessageBytes,
      'grpc.max_send_message_length': this.#limits.maxMessageBytes,
      'grpc.max_concurrent_streams': this.#limits.maxConcurrentStreams,
    });
    server.addService(RawStateService, this.#implementation());
    const bound = await new Promise<number>((resolve, reject) =>
      server.bindAsync(formatHostPort(host, port), credentials, (err, p) => (err ? reject(err) : resolve(p))),
    );
    this.#server = server;
    this.#logger.info({ host, port: bound, tls: this.#tls !== undefined, tokens: tokens?.size ?? 0 }, 'resource API listening');
    return { host, port: bound, address: formatHostPort(host, bound) };
  }

  /** Stops accepting, gives calls `graceMs` to finish, then ends the rest. */
  async close(graceMs = 2000): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    this.#tls?.close();
    this.#tls = undefined;
    if (server === undefined) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, graceMs);
      timer.unref();
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  #caller(metadata: Metadata, peer: string): Caller {
    if (this.#auth === undefined) throw new Error('StateServer is not listening');
    return this.#auth.caller(metadata, peer);
  }

  #record(method: StateMethod, started: bigint, code: status): void {
    this.metrics.calls.inc({ method, code: status[code] ?? String(code) });
    this.metrics.latency.observe({ method }, Number(process.hrtime.bigint() - started) / 1e9);
  }

  #unary<M extends Exclude<StateMethod, 'List' | 'Watch'>>(
    method: M,
    typeOf: (req: ReturnType<(typeof requestMessages)[M]['decode']>) => string,
    run: (req: ReturnType<(typeof requestMessages)[M]['decode']>, signal: AbortSignal) => Promise<unknown>,
  ) {
    return (call: ServerUnaryCall<Buffer, unknown>, callback: sendUnaryData<unknown>): void => {
      const started = process.hrtime.bigint();
      const done = (err: { code: status; details: string; metadata?: Metadata } | null, res?: unknown) => {
        this.#record(method, started, err === null ? status.OK : err.code);
        if (err === null) callback(null, res);
        else callback(err);
      };
      let req: ReturnType<(typeof requestMessages)[M]['decode']>;
      let caller: Caller;
      try {
        req = strictDecode(requestMessages[method] as never, call.request) as typeof req;
      } catch (e) {
        done({ code: status.INVALID_ARGUMENT, details: `${method}: request does not decode: ${(e as Error).message}` });
        return;
      }
      try {
        caller = this.#caller(call.metadata, call.getPeer());
      } catch (e) {
        done(statusOf(method, e));
        return;
      }
      const ac = new AbortController();
      call.on('cancelled', () => ac.abort(new Error(`${method} cancelled by the client`)));
      const auth = this.#auth as CallerAuth;
      this.#order
        .run(() => {
          const pending = auth.authorize(caller, method, typeOf(req));
          return pending === undefined ? run(req, ac.signal) : pending.then(() => run(req, ac.signal));
        })
        .then(
          (res) => done(null, res),
          (e: unknown) => done(statusOf(method, e)),
        );
    };
  }

  #implementation(): UntypedServiceImplementation {
    const s = this.#state;
    const limits = this.#limits;
    const checkQueries = (labels: ReturnType<typeof labelQueriesFromWire>, idRegexp: string | undefined) => {
      if (labels.length > limits.maxLabelQueries || labels.some((q) => q.length > limits.maxLabelTerms)) {
        throw new TypeError(`label query too large: at most ${limits.maxLabelQueries} queries of ${limits.maxLabelTerms} terms`);
      }
      if (idRegexp !== undefined && idRegexp.length > limits.maxIdQueryLength) throw new TypeError(`id query longer than ${limits.maxIdQueryLength} characters`);
      validateLabelQueries(labels);
    };
    const impl: Record<string, unknown> = {
      get: this.#unary(
        'Get',
        (r) => r.type,
        async (r, signal): Promise<GetResponse> => ({ resource: resourceToWire(await s.get(ptrOf(r), { signal })) }),
      ),
      create: this.#unary(
        'Create',
        (r) => r.resource?.metadata?.type ?? '',
        async (r, signal): Promise<CreateResponse> => {
          const res = storedResourceFromWire(r.resource, 'Create: resource');
          return { resource: resourceToWire(await s.create(res, { owner: r.options?.owner ?? '', signal })) };
        },
      ),
      update: this.#unary(
        'Update',
        (r) => r.newResource?.metadata?.type ?? '',
        async (r, signal): Promise<UpdateResponse> => {
          const res = storedResourceFromWire(r.newResource, 'Update: new_resource');
          const phase = r.options?.expectedPhase;
          // Spec §3.4: without expected_phase, any phase.
          const expectedPhase = phase === undefined || phase === '' ? 'any' : phase;
          if (expectedPhase !== 'any' && expectedPhase !== 'running' && expectedPhase !== 'tearingDown') {
            throw new TypeError(`Update: expected_phase must be running or tearingDown, got ${JSON.stringify(phase)}`);
          }
          return { resource: resourceToWire(await s.update(res, { owner: r.options?.owner ?? '', expectedPhase, signal })) };
        },
      ),
      destroy: this.#unary('Destroy', (r) => r.type, async (r, signal): Promise<DestroyResponse> => {
        await s.destroy(ptrOf(r), { owner: r.options?.owner ?? '', signal });
        return {};
      }),
      teardown: this.#unary('Teardown', (r) => r.type, async (r, signal): Promise<TeardownResponse> => ({
        destroyReady: await s.teardown(ptrOf(r), { owner: r.options?.owner ?? '', signal }),
      })),
      teardownAndDestroy: this.#unary('TeardownAndDestroy', (r) => r.type, async (r, signal): Promise<TeardownAndDestroyResponse> => {
        const bounded = AbortSignal.any([signal, AbortSignal.timeout(limits.teardownAndDestroyTimeoutMs)]);
        await s.teardownAndDestroy(ptrOf(r), { owner: r.options?.owner ?? '', signal: bounded });
        return {};
      }),
      list: (call: ServerWritableStream<Buffer, ListResponse>) => this.#list(call, checkQueries),
      watch: (call: ServerWritableStream<Buffer, Buffer>) => this.#watch(call),
    };
    return impl as UntypedServiceImplementation;
  }

  #list(call: ServerWritableStream<Buffer, ListResponse>, checkQueries: (l: ReturnType<typeof labelQueriesFromWire>, id: string | undefined) => void): void {
    const started = process.hrtime.bigint();
    const fail = (e: unknown) => {
      const st = e instanceof CallRefused ? { code: e.code, details: e.message } : statusOf('List', e);
      this.#record('List', started, st.code);
      call.emit('error', st);
    };
    let caller: Caller;
    let req: ReturnType<typeof requestMessages.List.decode>;
    try {
      req = strictDecode(requestMessages.List, call.request);
    } catch (e) {
      fail(new CallRefused(status.INVALID_ARGUMENT, `List: request does not decode: ${(e as Error).message}`));
      return;
    }
    try {
      caller = this.#caller(call.metadata, call.getPeer());
    } catch (e) {
      fail(e);
      return;
    }
    const ac = new AbortController();
    call.on('cancelled', () => ac.abort(new Error('List cancelled by the client')));
    const auth = this.#auth as CallerAuth;
    const list = () => {
        const labels = labelQueriesFromWire(req.options?.labelQuery ?? []);
        const idQuery = idQueryFromWire(req.options?.idQuery);
        checkQueries(labels, idQuery?.regexp as string | undefined);
        return this.#state.list(
          { namespace: req.namespace, type: req.type },
          { ...(labels.length > 0 ? { labels } : {}), ...(idQuery ? { idQuery } : {}), signal: ac.signal },
        );
    };
    this.#order
      .run(() => {
        const pending = auth.authorize(caller, 'List', req.type);
        return pending === undefined ? list() : pending.then(list);
      })
      .then(async (items) => {
        for (const r of items) {
          if (ac.signal.aborted) return;
          // Wait for the transport whenever the stream's buffer is full: a List never buffers without limit.
          if (!call.write({ resource: resourceToWire(r) })) await new Promise<void>((resolve) => {
            const go = () => {
              call.off('drain', go);
              call.off('cancelled', go);
              resolve();
            };
            call.on('drain', go);
            call.on('cancelled', go);
          });
        }
        this.#record('List', started, status.OK);
        call.end();
      }, fail);
  }

  #watch(call: ServerWritableStream<Buffer, Buffer>): void {
    const started = process.hrtime.bigint();
    const fail = (e: unknown) => {
      const st = e instanceof CallRefused ? { code: e.code, details: e.message } : statusOf('Watch', e);
      this.#record('Watch', started, st.code);
      call.emit('error', st);
    };
    let caller: Caller;
    let req: ReturnType<typeof requestMessages.Watch.decode>;
    try {
      req = strictDecode(requestMessages.Watch, call.request);
    } catch (e) {
      fail(new CallRefused(status.INVALID_ARGUMENT, `Watch: request does not decode: ${(e as Error).message}`));
      return;
    }
    try {
      caller = this.#caller(call.metadata, call.getPeer());
    } catch (e) {
      fail(e);
      return;
    }
    const open = this.#watchesByCaller.get(caller.key) ?? 0;
    if (open >= this.#limits.maxWatchesPerCaller) {
      fail(new CallRefused(status.RESOURCE_EXHAUSTED, `too many open watches: at most ${this.#limits.maxWatchesPerCaller} per caller`));
      return;
    }
    this.#watchesByCaller.set(caller.key, open + 1);
    this.metrics.openWatches.inc();
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.metrics.openWatches.dec();
      const n = (this.#watchesByCaller.get(caller.key) ?? 1) - 1;
      if (n <= 0) this.#watchesByCaller.delete(caller.key);
      else this.#watchesByCaller.set(caller.key, n);
    };
    call.on('cancelled', release);
    const auth = this.#auth as CallerAuth;
    // Subscribed inside the arrival-order flush: a write that arrived after this Watch is seen by it.
    const start = async (): Promise<void> => {
      if (call.cancelled) {
        release();
        return;
      }
      const source = watchSource(this.#state, req, this.#limits);
      this.metrics.latency.observe({ method: 'Watch' }, Number(process.hrtime.bigint() - started) / 1e9);
      serveWatch(call, source, req.apiVersion, {
        limits: this.#limits,
        metrics: this.metrics,
        logger: this.#logger,
        onEnd: (code) => {
          release();
          this.metrics.calls.inc({ method: 'Watch', code: status[code] ?? String(code) });
        },
      });
    };
    this.#order
      .run(() => {
        const pending = auth.authorize(caller, 'Watch', req.type);
        return pending === undefined ? start() : pending.then(start);
      })
      .then(
        () => undefined,
        (e: unknown) => {
          release();
          if (e instanceof UnauthorizedError) this.#logger.debug({ type: req.type }, 'watch refused');
          fail(e);
        },
      );
  }
}
