// Promise wrappers over the generated grpc-js client, shared by this package's tests and benchmark.
import {
  ClusterClient,
  type AffiliateDeleteRequest,
  type AffiliateUpdateRequest,
  type HelloRequest,
  type HelloResponse,
  type ListResponse,
  type WatchResponse,
} from '@cosi-ts/discovery-api';
import { Metadata, credentials, type ChannelCredentials, type ServiceError } from '@grpc/grpc-js';

export interface CallOpts {
  deadlineMs?: number;
  metadata?: Record<string, string>;
}

function meta(o: CallOpts): Metadata {
  const m = new Metadata();
  for (const [k, v] of Object.entries(o.metadata ?? {})) m.set(k, v);
  return m;
}

function opts(o: CallOpts): { deadline?: Date } {
  return o.deadlineMs === undefined ? {} : { deadline: new Date(Date.now() + o.deadlineMs) };
}

export type UpdateInput = Partial<Omit<AffiliateUpdateRequest, 'ttl'>> & { clusterId: string; affiliateId: string; ttlMs?: number; ttlNanos?: bigint };

/** A promise-returning client of `sidero.discovery.server.Cluster`. */
export class TestClient {
  readonly raw: ClusterClient;

  constructor(address: string, creds: ChannelCredentials = credentials.createInsecure(), options: Record<string, unknown> = {}) {
    this.raw = new ClusterClient(address, creds, options);
  }

  hello(req: Partial<HelloRequest> & { clusterId: string }, o: CallOpts = {}): Promise<HelloResponse> {
    return new Promise((resolve, reject) =>
      this.raw.hello({ clientVersion: '', ...req }, meta(o), opts(o), (err, res) => (err === null ? resolve(res) : reject(err))),
    );
  }

  update(input: UpdateInput, o: CallOpts = {}): Promise<void> {
    const { ttlMs, ttlNanos, ...rest } = input;
    let ttl: AffiliateUpdateRequest['ttl'] = undefined;
    if (ttlNanos !== undefined) ttl = { seconds: ttlNanos / 1_000_000_000n, nanos: Number(ttlNanos % 1_000_000_000n) };
    else if (ttlMs !== undefined) ttl = { seconds: BigInt(Math.trunc(ttlMs / 1000)), nanos: (ttlMs % 1000) * 1_000_000 };
    const req: AffiliateUpdateRequest = { affiliateEndpoints: [], ...rest, ttl };
    return new Promise((resolve, reject) =>
      this.raw.affiliateUpdate(req, meta(o), opts(o), (err) => (err === null ? resolve() : reject(err))),
    );
  }

  delete(req: AffiliateDeleteRequest, o: CallOpts = {}): Promise<void> {
    return new Promise((resolve, reject) => this.raw.affiliateDelete(req, meta(o), opts(o), (err) => (err === null ? resolve() : reject(err))));
  }

  list(clusterId: string, o: CallOpts = {}): Promise<ListResponse> {
    return new Promise((resolve, reject) => this.raw.list({ clusterId }, meta(o), opts(o), (err, res) => (err === null ? resolve(res) : reject(err))));
  }

  watch(clusterId: string, o: CallOpts = {}): TestWatch {
    return new TestWatch(this, clusterId, o);
  }

  close(): void {
    this.raw.close();
  }
}

/** A Watch whose messages are awaited one by one; `ended` resolves to the final status. */
export class TestWatch {
  readonly stream: ReturnType<ClusterClient['watch']>;
  readonly ended: Promise<{ code: number; details: string }>;
  readonly #queue: WatchResponse[] = [];
  #waiter: (() => void) | undefined;
  #done = false;

  constructor(client: TestClient, clusterId: string, o: CallOpts) {
    this.stream = client.raw.watch({ clusterId }, meta(o), opts(o));
    this.stream.on('data', (m: WatchResponse) => {
      this.#queue.push(m);
      this.#wake();
    });
    this.ended = new Promise((resolve) => {
      this.stream.on('status', (s: { code: number; details: string }) => {
        this.#done = true;
        this.#wake();
        resolve({ code: s.code, details: s.details });
      });
    });
    this.stream.on('error', (_e: ServiceError) => undefined); // reported through 'status'
  }

  /** The next message; rejects after `timeoutMs` or if the stream ends first. */
  async next(timeoutMs = 5000): Promise<WatchResponse> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.#queue.shift();
      if (m !== undefined) return m;
      if (this.#done) throw new Error('watch ended before the next message');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timed out waiting for a watch message');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  }

  get buffered(): number {
    return this.#queue.length;
  }

  cancel(): void {
    this.stream.cancel();
  }

  #wake(): void {
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.();
  }
}

export function grpcCode(e: unknown): number | undefined {
  return typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'number' ? e.code : undefined;
}

/** Resolves to `{code, details}` of a rejected call (fails the test if it resolved). */
export async function statusOf(p: Promise<unknown>): Promise<{ code: number | undefined; details: string }> {
  try {
    await p;
  } catch (e) {
    return { code: grpcCode(e), details: (e as ServiceError).details };
  }
  return { code: 0, details: 'OK' };
}
