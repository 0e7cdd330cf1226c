// The resource API (@cosi-ts/api) over loopback, each figure beside a baseline measured in the same run:
// - Get calls/s through RemoteState → StateServer → InMemoryState, against a no-op grpc-js unary handler
//   answering the same request with a pre-encoded response of the same size (target ≥ 70 %);
// - events/s through one aggregated remote watch, against the same watch in process (target ≥ 25 %);
// - write → remote watcher latency p50/p99, beside the in-process write → watcher latency.
import { Server, ServerCredentials, credentials, Metadata } from '@grpc/grpc-js';
import type { sendUnaryData, ServerUnaryCall } from '@grpc/grpc-js';
import { defineResourceType } from '@cosi-ts/resource';
import type { Resource } from '@cosi-ts/resource';
import { InMemoryState } from '@cosi-ts/state';
import type { State, StateEvent } from '@cosi-ts/state';
import { GetResponse, RemoteState, StateClient, StateServer, StateService, resourceToWire } from '@cosi-ts/api';
import type { BenchResult, BenchRow } from './bench-result.ts';
import { percentile } from './stats.ts';

interface ThingSpec {
  readonly name: string;
  readonly replicas: number;
  readonly tags: readonly string[];
}
const Things = defineResourceType<ThingSpec>({ type: 'Things.bench.cosi.dev', defaultNamespace: 'bench' });
const spec = (i: number): ThingSpec => ({ name: `thing-${i}`, replicas: i % 5, tags: ['a', 'b', `t${i % 7}`] });

const CONCURRENCY = 16;
const GET_CALLS = 6000;
const ROUNDS = 3;

async function getRate(call: () => Promise<unknown>): Promise<number> {
  let left = GET_CALLS;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (left-- > 0) await call();
    }),
  );
  return GET_CALLS / ((performance.now() - t0) / 1000);
}

async function getBench(): Promise<{ ours: number; baseline: number; bytes: number }> {
  const backend = new InMemoryState();
  const stored = await backend.create(Things.create('thing-1', spec(1), { labels: { app: 'bench' } }));
  const server = new StateServer(backend);
  const { address } = await server.listen('127.0.0.1:0');
  const remote = new RemoteState(address);

  // Baseline: the same service path and request, a handler that answers a pre-encoded response of the same size.
  const response = GetResponse.fromPartial({ resource: resourceToWire(stored) });
  const bytes = GetResponse.encode(response).finish().length;
  const noop = new Server();
  noop.addService(StateService, {
    get: (_call: ServerUnaryCall<unknown, unknown>, cb: sendUnaryData<GetResponse>) => cb(null, response),
  } as never);
  const port = await new Promise<number>((resolve, reject) =>
    noop.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  const client = new StateClient(`127.0.0.1:${port}`, credentials.createInsecure());
  const baselineCall = () =>
    new Promise<unknown>((resolve, reject) =>
      client.get({ namespace: 'bench', type: Things.type, id: 'thing-1', options: {} }, new Metadata(), {}, (e, r) => (e ? reject(e) : resolve(r))),
    );
  const oursCall = () => remote.get(Things.pointer('thing-1'));
  await getRate(oursCall);
  await getRate(baselineCall);
  let ours = 0;
  let baseline = 0;
  for (let round = 0; round < ROUNDS; round++) {
    if (round % 2 === 0) {
      ours = Math.max(ours, await getRate(oursCall));
      baseline = Math.max(baseline, await getRate(baselineCall));
    } else {
      baseline = Math.max(baseline, await getRate(baselineCall));
      ours = Math.max(ours, await getRate(oursCall));
    }
  }
  client.close();
  noop.forceShutdown();
  await remote.close();
  await server.close();
  return { ours, baseline, bytes };
}

const EVENTS = 20_000;
const WINDOW = 512; // writes ahead of the watcher at most: a closed loop, so neither side overruns its history

async function eventRate(writer: State, watcher: State): Promise<number> {
  let received = 0;
  let wake: (() => void) | undefined;
  const sub = watcher.watchKindAggregated(Things.kind(), { bootstrapBookmark: true }).subscribe((batch) => {
    for (const e of batch) if (e.type === 'created' || e.type === 'noop') received++;
    wake?.();
  });
  const reach = (n: number) =>
    new Promise<void>((resolve) => {
      const check = () => {
        if (received >= n) {
          wake = undefined;
          resolve();
        } else wake = check;
      };
      check();
    });
  // The watch is established once its bootstrap noop arrived.
  await reach(1);
  received = 0;
  const t0 = performance.now();
  for (let i = 0; i < EVENTS; ) {
    const writes: Promise<unknown>[] = [];
    for (let k = 0; k < 64 && i < EVENTS; k++, i++) writes.push(writer.create(Things.create(`e-${i}`, spec(i))));
    await Promise.all(writes);
    if (i - received > WINDOW) await reach(i - WINDOW);
  }
  await reach(EVENTS);
  const rate = EVENTS / ((performance.now() - t0) / 1000);
  sub.unsubscribe();
  return rate;
}

async function eventsBench(): Promise<{ ours: number; baseline: number }> {
  let ours = 0;
  let baseline = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const local = new InMemoryState({ historyCapacity: 4096 });
    baseline = Math.max(baseline, await eventRate(local, local));
    const backend = new InMemoryState({ historyCapacity: 4096 });
    const server = new StateServer(backend);
    const { address } = await server.listen('127.0.0.1:0');
    const remote = new RemoteState(address);
    ours = Math.max(ours, await eventRate(backend, remote));
    await remote.close();
    await server.close();
  }
  return { ours, baseline };
}

const SAMPLES = 2000;

/** µs from the start of a write until a watcher has its event; the write goes through `writer`. */
async function latency(writer: State, watcher: State): Promise<number[]> {
  let pending: ((e: StateEvent) => void) | undefined;
  const sub = watcher.watchKind(Things.kind(), { bootstrapBookmark: true }).subscribe((e) => pending?.(e));
  let current: Resource<ThingSpec> = await writer.create(Things.create('lat', spec(0)));
  await new Promise((r) => setTimeout(r, 50));
  const out: number[] = [];
  for (let i = 0; i < SAMPLES + 100; i++) {
    const seen = new Promise<void>((resolve) => (pending = (e) => e.type === 'updated' && resolve()));
    const t0 = performance.now();
    current = await writer.update({ ...current, spec: spec(i) });
    await seen;
    if (i >= 100) out.push((performance.now() - t0) * 1000);
  }
  sub.unsubscribe();
  return out.sort((a, b) => a - b);
}

async function latencyBench(): Promise<{ p50: number; p99: number; b50: number; b99: number }> {
  const local = new InMemoryState();
  const theirs = await latency(local, local);
  const backend = new InMemoryState();
  const server = new StateServer(backend);
  const { address } = await server.listen('127.0.0.1:0');
  const writer = new RemoteState(address);
  const watcher = new RemoteState(address);
  const ours = await latency(writer, watcher);
  await writer.close();
  await watcher.close();
  await server.close();
  return { p50: percentile(ours, 50), p99: percentile(ours, 99), b50: percentile(theirs, 50), b99: percentile(theirs, 99) };
}

export async function run(): Promise<BenchResult> {
  const rows: BenchRow[] = [];
  const g = await getBench();
  rows.push({
    metric: `Get calls/s (${CONCURRENCY} in flight, ${g.bytes}-byte response)`,
    value: g.ours,
    unit: 'calls/s',
    baseline: g.baseline,
    target: '≥ 70% of baseline',
    pass: g.ours >= 0.7 * g.baseline,
    note: 'baseline: a no-op grpc-js unary handler on the same path answering the same-size pre-encoded GetResponse, generated client',
  });
  const e = await eventsBench();
  rows.push({
    metric: 'events/s through one aggregated watch',
    value: e.ours,
    unit: 'events/s',
    baseline: e.baseline,
    target: '≥ 25% of baseline',
    pass: e.ours >= 0.25 * e.baseline,
    note: 'baseline: the same watchKindAggregated on the InMemoryState in process; writes in batches of 64, at most 512 ahead',
  });
  const l = await latencyBench();
  rows.push({ metric: 'write → remote watcher latency p50', value: l.p50, unit: 'µs', baseline: l.b50, note: 'write via a RemoteState, event via another; baseline: both in process' });
  rows.push({ metric: 'write → remote watcher latency p99', value: l.p99, unit: 'µs', baseline: l.b99 });
  return { name: 'api', rows };
}
