import { Metadata, credentials as grpcCredentials } from '@grpc/grpc-js';
import type { CallOptions, ChannelCredentials, ClientReadableStream, ClientUnaryCall, ServiceError } from '@grpc/grpc-js';
import { Observable, mergeMap, from } from 'rxjs';
import { newResource, pointerOf } from '@cosi-ts/resource';
import type { Kind, Pointer, Resource } from '@cosi-ts/resource';
import {
  checkPointer,
  checkResource,
  checkWatchOptions,
  compileFilter,
  describeArg,
  expectedPhaseOption,
  ownerOption,
  wrapCore,
} from '@cosi-ts/state';
import type {
  CoreState,
  ListOptions,
  OwnerOptions,
  SignalOptions,
  State,
  StateEvent,
  UpdateOptions,
  WatchKindOptions,
  WatchOptions,
} from '@cosi-ts/state';
import { RemoteClosedError } from './api-errors.ts';
import { StateClient } from './gen/cosi/resource/state.ts';
import type {
  CreateRequest,
  CreateResponse,
  DestroyRequest,
  DestroyResponse,
  GetRequest,
  GetResponse,
  ListResponse,
  TeardownAndDestroyRequest,
  TeardownAndDestroyResponse,
  TeardownRequest,
  TeardownResponse,
  UpdateRequest,
  UpdateResponse,
} from './gen/cosi/resource/state.ts';
import { remoteWatch } from './remote-watch.ts';
import type { RemoteWatchContext, WatchShape } from './remote-watch.ts';
import { errorFromStatus } from './status-mapping.ts';
import type { StateMethod } from './status-mapping.ts';
import { idQueryToWire, labelQueriesToWire, resourceFromWire, resourceToWire } from './wire-codec.ts';

export interface RemoteStateOptions {
  /** Bearer token sent as `authorization: Bearer <token>`. */
  readonly token?: string;
  /** TLS: the CA certificate (PEM) to trust, pinned; or full credentials. Default: plaintext. */
  readonly caCertificate?: Buffer;
  readonly credentials?: ChannelCredentials;
  /** Deadline of each unary call and List (not of watches, nor of TeardownAndDestroy). Default 30 s. */
  readonly callTimeoutMs?: number;
  /** Largest message accepted. Default 16 MiB. */
  readonly maxMessageBytes?: number;
  /** Reconnect backoff of watches: first delay and cap. Default 50 ms, 2 s. */
  readonly reconnectDelayMs?: { readonly initial: number; readonly max: number };
  /** Extra grpc-js channel options. */
  readonly channelOptions?: Record<string, string | number>;
}

type Callback<T> = (err: ServiceError | null, res?: T) => void;

/**
 * A State served by a resource API server (ours or a Go COSI one), over `cosi.resource.State`.
 * Errors come back as the state's typed errors; authorization failures as UnauthorizedError.
 * Watches reconnect by themselves (see remoteWatch). `close()` ends every call and watch.
 */
export class RemoteState implements State {
  readonly #client: StateClient;
  readonly #token: string | undefined;
  readonly #timeoutMs: number;
  readonly #closed = new AbortController();
  readonly #derived: State;
  readonly #watchContext: RemoteWatchContext;

  constructor(address: string, options: RemoteStateOptions = {}) {
    const creds =
      options.credentials ?? (options.caCertificate !== undefined ? grpcCredentials.createSsl(options.caCertificate) : grpcCredentials.createInsecure());
    const maxBytes = options.maxMessageBytes ?? 16 * 1024 * 1024;
    this.#client = new StateClient(address, creds, {
      'grpc.max_receive_message_length': maxBytes,
      'grpc.max_send_message_length': maxBytes,
      'grpc.keepalive_time_ms': 30_000,
      'grpc.keepalive_timeout_ms': 10_000,
      'grpc.initial_reconnect_backoff_ms': options.reconnectDelayMs?.initial ?? 50,
      'grpc.max_reconnect_backoff_ms': options.reconnectDelayMs?.max ?? 2000,
      ...options.channelOptions,
    });
    this.#token = options.token;
    this.#timeoutMs = options.callTimeoutMs ?? 30_000;
    const initial = options.reconnectDelayMs?.initial ?? 50;
    const max = options.reconnectDelayMs?.max ?? 2000;
    this.#watchContext = {
      client: this.#client,
      metadata: () => this.#metadata(),
      backoffMs: (n) => Math.min(max, initial * 2 ** Math.min(n - 1, 16)),
      closed: this.#closed.signal,
    };
    const core: CoreState = {
      get: (ptr, opts) => this.#get(ptr, opts),
      list: (kind, opts) => this.#list(kind, opts),
      create: (res, opts) => this.#create(res, opts),
      update: (res, opts) => this.#update(res, opts),
      destroy: (ptr, opts) => this.#destroy(ptr, opts),
      watch: (ptr, opts) => this.watch(ptr, opts),
      watchKind: (kind, opts) => this.watchKind(kind, opts),
      watchKindAggregated: (kind, opts) => this.watchKindAggregated(kind, opts),
    };
    this.#derived = wrapCore(core);
  }

  /** Ends every watch (they complete) and call, and closes the connection. */
  async close(): Promise<void> {
    if (!this.#closed.signal.aborted) this.#closed.abort(new RemoteClosedError('RemoteState'));
    this.#client.close();
  }

  #metadata(): Metadata {
    const md = new Metadata();
    if (this.#token !== undefined) md.set('authorization', `Bearer ${this.#token}`);
    return md;
  }

  /** One unary call with the deadline, the caller's signal and the error mapping. */
  #unary<Req, Res>(
    method: StateMethod,
    ptr: Pointer | undefined,
    signal: AbortSignal | undefined,
    start: (req: Req, md: Metadata, options: CallOptions, cb: Callback<Res>) => ClientUnaryCall,
    req: Req,
    deadline = true,
  ): Promise<Res> {
    if (this.#closed.signal.aborted) return Promise.reject(new RemoteClosedError(method));
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<Res>((resolve, reject) => {
      const onAbort = () => {
        call.cancel();
        reject(signal?.reason);
      };
      const call = start(req, this.#metadata(), deadline ? { deadline: Date.now() + this.#timeoutMs } : {}, (err, res) => {
        signal?.removeEventListener('abort', onAbort);
        if (signal?.aborted) return;
        if (err !== null) reject(errorFromStatus(method, err, ptr));
        else resolve(res as Res);
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  async #get<S>(ptr: Pointer, opts: SignalOptions = {}): Promise<Resource<S>> {
    const res = await this.#unary<GetRequest, GetResponse>(
      'Get',
      ptr,
      opts.signal,
      (r, md, o, cb) => this.#client.get(r, md, o, cb),
      { namespace: ptr.namespace, type: ptr.type, id: ptr.id, options: {} },
    );
    return resourceFromWire(res.resource, `Get ${ptr.namespace}/${ptr.type}/${ptr.id}`) as Resource<S>;
  }

  #list<S>(kind: Kind, opts: ListOptions = {}): Promise<readonly Resource<S>[]> {
    // Malformed queries are the caller's TypeError, before anything is sent.
    compileFilter(opts, kind);
    if (this.#closed.signal.aborted) return Promise.reject(new RemoteClosedError('List'));
    const signal = opts.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const out: Resource<S>[] = [];
      const call: ClientReadableStream<ListResponse> = this.#client.list(
        {
          namespace: kind.namespace,
          type: kind.type,
          options: { labelQuery: labelQueriesToWire(opts.labels), idQuery: idQueryToWire(opts.idQuery) },
        },
        this.#metadata(),
        { deadline: Date.now() + this.#timeoutMs },
      );
      let failed = false;
      const onAbort = () => {
        failed = true;
        call.cancel();
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      call.on('data', (m: ListResponse) => {
        try {
          out.push(resourceFromWire(m.resource, `List ${kind.namespace}/${kind.type}`) as Resource<S>);
        } catch (e) {
          failed = true;
          call.cancel();
          reject(e);
        }
      });
      call.on('error', (e: ServiceError) => {
        signal?.removeEventListener('abort', onAbort);
        if (!failed) reject(errorFromStatus('List', e, { ...kind, id: '' }));
        failed = true;
      });
      call.on('end', () => {
        signal?.removeEventListener('abort', onAbort);
        if (!failed) resolve(out);
      });
    });
  }

  async #create<S>(res: Resource<S>, opts: OwnerOptions = {}): Promise<Resource<S>> {
    const wire = encodeArgument('create', res);
    const out = await this.#unary<CreateRequest, CreateResponse>('Create', pointerOf(res.metadata), opts.signal, (r, md, o, cb) => this.#client.create(r, md, o, cb), {
      resource: wire,
      options: { owner: ownerOf('create', res.metadata, opts) },
    });
    return resourceFromWire(out.resource, 'Create') as Resource<S>;
  }

  async #update<S>(res: Resource<S>, opts: UpdateOptions = {}): Promise<Resource<S>> {
    const wire = encodeArgument('update', res);
    const phase = expectedPhaseOption('update', res.metadata, opts.expectedPhase);
    const out = await this.#unary<UpdateRequest, UpdateResponse>('Update', pointerOf(res.metadata), opts.signal, (r, md, o, cb) => this.#client.update(r, md, o, cb), {
      newResource: wire,
      // Spec §3.4: no expected_phase means any phase.
      options: { owner: ownerOf('update', res.metadata, opts), ...(phase === 'any' ? {} : { expectedPhase: phase }) },
    });
    return resourceFromWire(out.resource, 'Update') as Resource<S>;
  }

  async #destroy(ptr: Pointer, opts: OwnerOptions = {}): Promise<void> {
    await this.#unary<DestroyRequest, DestroyResponse>('Destroy', ptr, opts.signal, (r, md, o, cb) => this.#client.destroy(r, md, o, cb), {
      ...checkedPointer('destroy', ptr),
      options: { owner: ownerOf('destroy', ptr, opts) },
    });
  }

  async teardown(ptr: Pointer, opts: OwnerOptions = {}): Promise<boolean> {
    const res = await this.#unary<TeardownRequest, TeardownResponse>('Teardown', ptr, opts.signal, (r, md, o, cb) => this.#client.teardown(r, md, o, cb), {
      ...checkedPointer('teardown', ptr),
      options: { owner: ownerOf('teardown', ptr, opts) },
    });
    return res.destroyReady;
  }

  async teardownAndDestroy(ptr: Pointer, opts: OwnerOptions = {}): Promise<void> {
    // It waits for finalizers to go: bounded by the caller's signal and the server, not by our deadline.
    await this.#unary<TeardownAndDestroyRequest, TeardownAndDestroyResponse>(
      'TeardownAndDestroy',
      ptr,
      opts.signal,
      (r, md, o, cb) => this.#client.teardownAndDestroy(r, md, o, cb),
      { ...checkedPointer('teardownAndDestroy', ptr), options: { owner: ownerOf('teardownAndDestroy', ptr, opts) } },
      false,
    );
  }

  get<S = unknown>(ptr: Pointer, opts?: SignalOptions): Promise<Resource<S>> {
    return this.#derived.get(ptr, opts);
  }

  list<S = unknown>(kind: Kind, opts?: ListOptions): Promise<readonly Resource<S>[]> {
    return this.#derived.list(kind, opts);
  }

  create<S>(resource: Resource<S>, opts?: OwnerOptions): Promise<Resource<S>> {
    return this.#derived.create(resource, opts);
  }

  update<S>(resource: Resource<S>, opts?: UpdateOptions): Promise<Resource<S>> {
    return this.#derived.update(resource, opts);
  }

  destroy(ptr: Pointer, opts?: OwnerOptions): Promise<void> {
    return this.#derived.destroy(ptr, opts);
  }

  readonly addFinalizer: State['addFinalizer'] = (ptr, ...args) => this.#derived.addFinalizer(ptr, ...args);
  readonly removeFinalizer: State['removeFinalizer'] = (ptr, ...args) => this.#derived.removeFinalizer(ptr, ...args);
  readonly updateWithConflicts: State['updateWithConflicts'] = (ptr, recipe, opts) => this.#derived.updateWithConflicts(ptr, recipe, opts);
  readonly modify: State['modify'] = (target, recipe, opts) => this.#derived.modify(target, recipe, opts);
  readonly watchFor: State['watchFor'] = (ptr, opts) => this.#derived.watchFor(ptr, opts);
  readonly signalWithTeardown: State['signalWithTeardown'] = (ptr, opts) => this.#derived.signalWithTeardown(ptr, opts);

  watch<S = unknown>(ptr: Pointer, opts: WatchOptions = {}): Observable<StateEvent<S>> {
    checkedPointer('watch', ptr);
    checkWatchOptions(opts, true, ptr);
    return this.#watch(ptr, opts, 'single').pipe(mergeMap((batch) => from(batch))) as Observable<StateEvent<S>>;
  }

  watchKind<S = unknown>(kind: Kind, opts: WatchKindOptions = {}): Observable<StateEvent<S>> {
    checkWatchOptions(opts, false, kind);
    compileFilter(opts, kind);
    return this.#watch(kind, opts, 'kind').pipe(mergeMap((batch) => from(batch))) as Observable<StateEvent<S>>;
  }

  watchKindAggregated<S = unknown>(kind: Kind, opts: WatchKindOptions = {}): Observable<readonly StateEvent<S>[]> {
    checkWatchOptions(opts, false, kind);
    compileFilter(opts, kind);
    return this.#watch(kind, opts, 'aggregated') as Observable<readonly StateEvent<S>[]>;
  }

  #watch(target: Kind & { id?: string }, opts: WatchKindOptions, shape: WatchShape): Observable<readonly StateEvent[]> {
    const t = shape === 'single' ? { namespace: target.namespace, type: target.type, id: (target as Pointer).id } : { namespace: target.namespace, type: target.type };
    return remoteWatch(this.#watchContext, t, opts, shape);
  }
}

function checkedPointer(op: string, ptr: Pointer): { namespace: string; type: string; id: string } {
  checkPointer(op, ptr);
  return { namespace: ptr.namespace, type: ptr.type, id: ptr.id };
}

function ownerOf(op: string, ptr: Pointer, opts: OwnerOptions): string {
  return ownerOption(op, ptr, opts.owner);
}

/** The wire form of a caller's resource, after the checks a local backend makes (TypeError naming the resource). */
function encodeArgument(op: string, res: Resource<unknown>): ReturnType<typeof resourceToWire> {
  checkResource(op, res);
  try {
    newResource(res.metadata, res.spec);
  } catch (e) {
    if (e instanceof TypeError) throw new TypeError(`${op} ${describeArg(res.metadata)}: ${e.message}`, { cause: e });
    throw e;
  }
  return resourceToWire(res);
}
