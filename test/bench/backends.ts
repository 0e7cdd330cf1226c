// The state benchmark on every backend in one run: write throughput with one watchKind watcher
// (a write counts once the watcher saw it) and write → watcher latency. Baselines measured in the
// same run: for SQLite, raw better-sqlite3 inserts with one transaction per write on the same
// pragmas; for etcd, raw puts and one prefix watch through the same etcd3 client library on the same
// server; and InMemoryState's figure beside each backend's, for scale.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Etcd3 } from 'etcd3';
import { defineResourceType, newResource, resourceToPlain } from '@cosi-ts/resource';
import type { Resource } from '@cosi-ts/resource';
import { InMemoryState } from '@cosi-ts/state';
import type { State } from '@cosi-ts/state';
import { SqliteState } from '@cosi-ts/state-sqlite';
import type { Synchronous } from '@cosi-ts/state-sqlite';
import { EtcdState } from '@cosi-ts/state-etcd';
import { EtcdCluster, findEtcdBinary } from '@cosi-ts/state-etcd/testing';
import type { BenchResult, BenchRow } from './bench-result.ts';
import { percentile } from './stats.ts';

interface CounterSpec {
  readonly value: number;
}
const Counters = defineResourceType<CounterSpec>({ type: 'Counters.bench.cosi.dev', defaultNamespace: 'bench' });
const kind = Counters.kind();
const ROUNDS = 3;
/** `BENCH_BACKENDS=sqlite,etcd` measures only those (InMemoryState, the reference, always runs). */
const only = new Set((process.env['BENCH_BACKENDS'] ?? 'sqlite,etcd').split(',').map((s) => s.trim()));
const LATENCY_SAMPLES = 300;

/** Resolves once `count()` reaches n. Polls with setImmediate: costs the same on every side. */
function reached(count: () => number, n: number): Promise<void> {
  return new Promise((resolve) => {
    const check = () => (count() >= n ? resolve() : setImmediate(check));
    check();
  });
}

/** Sequential awaited writes of n resources (create, then update), each counted once the watcher saw it. */
async function ours(open: () => Promise<State> | State, close: (s: State) => Promise<void>, n: number, op: 'create' | 'update'): Promise<number> {
  const state = await open();
  let seen = 0;
  const sub = state.watchKind(kind).subscribe(() => void seen++);
  // let the watch start (etcd: its starting revision) before timing
  await state.create(Counters.create('warm', { value: 0 }));
  await reached(() => seen, 1);
  seen = 0;
  if (op === 'update') {
    for (let i = 0; i < n; i++) await state.create(Counters.create(`c-${i}`, { value: 0 }));
    await reached(() => seen, n);
    seen = 0;
  }
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    if (op === 'create') await state.create(Counters.create(`c-${i}`, { value: i }));
    else await state.update(newResource({ ...Counters.pointer(`c-${i}`), version: 1 }, { value: 1 }));
  }
  await reached(() => seen, n);
  const rate = n / ((performance.now() - t0) / 1000);
  sub.unsubscribe();
  await close(state);
  return rate;
}

async function latency(open: () => Promise<State> | State, close: (s: State) => Promise<void>): Promise<{ p50: number; p99: number }> {
  const state = await open();
  let wake: (() => void) | undefined;
  const sub = state.watchKind(kind).subscribe(() => wake?.());
  await state.create(Counters.create('warm', { value: 0 }));
  const samples: number[] = [];
  for (let i = 0; i < LATENCY_SAMPLES; i++) {
    const seen = new Promise<void>((r) => (wake = r));
    const t0 = performance.now();
    await state.create(Counters.create(`l-${i}`, { value: i }));
    await seen;
    samples.push((performance.now() - t0) * 1000);
  }
  sub.unsubscribe();
  await close(state);
  samples.sort((a, b) => a - b);
  return { p50: percentile(samples, 50), p99: percentile(samples, 99) };
}

/** Raw better-sqlite3: the same pragmas, one transaction per write (row insert or update), the same JSON. */
function rawSqlite(path: string, synchronous: Synchronous, n: number, op: 'create' | 'update'): number {
  const db = new Database(path);
  db.pragma('locking_mode = EXCLUSIVE');
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
  db.exec('CREATE TABLE r (id TEXT PRIMARY KEY, body TEXT NOT NULL) WITHOUT ROWID');
  const insert = db.prepare('INSERT INTO r (id, body) VALUES (?, ?)');
  const update = db.prepare('UPDATE r SET body = ? WHERE id = ?');
  const body = (i: number, v = i) => JSON.stringify(resourceToPlain(Counters.create(`c-${i}`, { value: v }) as Resource));
  // updates write a new value (an unchanged row would cost SQLite nothing to "write")
  const write = db.transaction((i: number) => (op === 'create' ? insert.run(`c-${i}`, body(i)) : update.run(body(i, i + 1), `c-${i}`)));
  if (op === 'update') for (let i = 0; i < n; i++) insert.run(`c-${i}`, body(i));
  const t0 = performance.now();
  for (let i = 0; i < n; i++) write(i);
  const rate = n / ((performance.now() - t0) / 1000);
  db.close();
  return rate;
}

/** Raw etcd3: sequential awaited puts of the same JSON, counted once one prefix watch saw them. */
async function rawEtcd(endpoints: string[], n: number, op: 'create' | 'update'): Promise<number> {
  const client = new Etcd3({ hosts: endpoints });
  const prefix = `/raw-${Math.random().toString(36).slice(2)}/`;
  let seen = 0;
  const watcher = await client.watch().prefix(prefix).withPreviousKV().create();
  watcher.on('put', () => void seen++);
  const body = (i: number) => JSON.stringify(resourceToPlain(Counters.create(`c-${i}`, { value: i }) as Resource));
  if (op === 'update') {
    for (let i = 0; i < n; i++) await client.put(`${prefix}c-${i}`).value(body(i));
    await reached(() => seen, n);
    seen = 0;
  }
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await client.put(`${prefix}c-${i}`).value(body(i));
  await reached(() => seen, n);
  const rate = n / ((performance.now() - t0) / 1000);
  await watcher.cancel();
  client.close();
  return rate;
}

async function best(f: () => Promise<number> | number): Promise<number> {
  let b = 0;
  for (let i = 0; i < ROUNDS; i++) b = Math.max(b, await f());
  return b;
}

export async function run(): Promise<BenchResult> {
  const rows: BenchRow[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'cosi-bench-backends-'));
  let files = 0;
  const file = () => join(dir, `s-${++files}.db`);
  const closeAny = async (s: State) => {
    if (s instanceof SqliteState || s instanceof EtcdState) await s.close();
  };
  try {
    const memory: Record<'create' | 'update', number> = { create: 0, update: 0 };
    for (const op of ['create', 'update'] as const) {
      memory[op] = await best(() => ours(() => new InMemoryState({ historyCapacity: 4096 }), closeAny, 20_000, op));
      rows.push({ metric: `memory: ${op}s/s, 1 watcher`, value: memory[op], unit: 'ops/s', note: 'InMemoryState: the reference for the rows "vs memory"' });
    }
    const memLatency = await latency(() => new InMemoryState(), closeAny);

    for (const synchronous of only.has('sqlite') ? (['full', 'normal'] as const) : []) {
      const n = synchronous === 'full' ? 1000 : 5000;
      for (const op of ['create', 'update'] as const) {
        let value = 0;
        let baseline = 0;
        for (let round = 0; round < ROUNDS; round++) {
          // alternate which side goes first, so neither gets the warmer cache
          const a = () => ours(() => new SqliteState({ path: file(), synchronous, history: { compactIntervalMs: 0 } }), closeAny, n, op);
          const b = () => rawSqlite(file(), synchronous, n, op);
          if (round % 2 === 0) {
            value = Math.max(value, await a());
            baseline = Math.max(baseline, b());
          } else {
            baseline = Math.max(baseline, b());
            value = Math.max(value, await a());
          }
        }
        rows.push({
          metric: `sqlite (synchronous ${synchronous}): ${op}s/s, 1 watcher`,
          value,
          unit: 'ops/s',
          baseline,
          target: '≥ 50% of baseline',
          pass: value >= 0.5 * baseline,
          note: 'baseline: raw better-sqlite3, one transaction per write, same pragmas and JSON',
        });
        rows.push({ metric: `sqlite (synchronous ${synchronous}): ${op}s/s vs memory`, value, unit: 'ops/s', baseline: memory[op] });
      }
      const l = await latency(() => new SqliteState({ path: file(), synchronous, history: { compactIntervalMs: 0 } }), closeAny);
      rows.push({ metric: `sqlite (synchronous ${synchronous}): write → watcher p50`, value: l.p50, unit: 'µs', baseline: memLatency.p50, note: 'baseline: InMemoryState' });
      rows.push({ metric: `sqlite (synchronous ${synchronous}): write → watcher p99`, value: l.p99, unit: 'µs', baseline: memLatency.p99 });
    }

    const binary = findEtcdBinary();
    if (!only.has('etcd')) {
      // not asked for
    } else if (binary === undefined) {
      rows.push({ metric: 'etcd: skipped (no etcd binary; apt-get install -y etcd-server)', value: 0, unit: '' });
    } else {
      // On the OS temp dir like the SQLite files (not tmpfs): etcd fsyncs each write, as in production.
      const cluster = await EtcdCluster.start({ binary, baseDir: tmpdir() });
      try {
        const endpoints = cluster.endpoints;
        let prefixes = 0;
        const openEtcd = () => new EtcdState({ endpoints, prefix: `/bench-${++prefixes}/` });
        const n = 1000;
        for (const op of ['create', 'update'] as const) {
          let value = 0;
          let baseline = 0;
          for (let round = 0; round < ROUNDS; round++) {
            if (round % 2 === 0) {
              value = Math.max(value, await ours(openEtcd, closeAny, n, op));
              baseline = Math.max(baseline, await rawEtcd(endpoints, n, op));
            } else {
              baseline = Math.max(baseline, await rawEtcd(endpoints, n, op));
              value = Math.max(value, await ours(openEtcd, closeAny, n, op));
            }
          }
          rows.push({
            metric: `etcd: ${op}s/s, 1 watcher`,
            value,
            unit: 'ops/s',
            baseline,
            target: '≥ 50% of baseline',
            pass: value >= 0.5 * baseline,
            note: 'baseline: raw etcd3 puts and one prefix watch (with previous values) on the same server',
          });
          rows.push({ metric: `etcd: ${op}s/s vs memory`, value, unit: 'ops/s', baseline: memory[op] });
        }
        const l = await latency(openEtcd, closeAny);
        rows.push({ metric: 'etcd: write → watcher p50', value: l.p50, unit: 'µs', baseline: memLatency.p50, note: 'baseline: InMemoryState' });
        rows.push({ metric: 'etcd: write → watcher p99', value: l.p99, unit: 'µs', baseline: memLatency.p99 });
      } finally {
        await cluster.stop();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { name: 'backends: memory, SQLite, etcd', rows };
}
