import { createServer, connect } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { defineResourceType, resourceEquals } from '@cosi-ts/resource';
import type { Resource } from '@cosi-ts/resource';
import { InMemoryState, isOverrun } from '@cosi-ts/state';
import type { State, StateEvent } from '@cosi-ts/state';
import { EventRecorder, describeEvents, flattenBatches } from '@cosi-ts/state/conformance';
import { RemoteState } from './remote-state.ts';
import { StateServer } from './state-server.ts';

const Thing = defineResourceType<{ n: number }>({ type: 'Things.test.cosi.dev', defaultNamespace: 'test' });

/** A loopback TCP proxy that can cut every connection and refuse new ones, to break watches mid-stream. */
class CuttingProxy {
  readonly #sockets = new Set<Socket>();
  #server: Server | undefined;
  refusing = false;
  connections = 0;

  async start(target: number): Promise<string> {
    this.#server = createServer((client) => {
      if (this.refusing) {
        client.destroy();
        return;
      }
      this.connections++;
      const upstream = connect(target, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.#sockets.add(s);
        s.on('close', () => this.#sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream);
      upstream.pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => this.#server?.listen(0, '127.0.0.1', resolve));
    return `127.0.0.1:${(this.#server?.address() as AddressInfo).port}`;
  }

  /** Drops every open connection at once, as a network failure would. */
  cut(): void {
    for (const s of this.#sockets) s.destroy();
  }

  async stop(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }
}

async function until(what: string, cond: () => boolean, timeoutMs = 20_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !cond(); ) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('RemoteState watches across broken connections', () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function setup(backend: InMemoryState) {
    const server = new StateServer(backend);
    const { port } = await server.listen('127.0.0.1:0');
    const proxy = new CuttingProxy();
    const address = await proxy.start(port);
    const remote = new RemoteState(address, { reconnectDelayMs: { initial: 10, max: 100 } });
    cleanups.push(() => server.close(), () => proxy.stop(), () => remote.close());
    const record = <T>(o: import('rxjs').Observable<T>) => {
      const rec = new EventRecorder(o);
      cleanups.push(() => rec.unsubscribe());
      return rec;
    };
    return { proxy, remote, record };
  }

  it('resumes from the last bookmark: the same events, bookmarks included, as the same watches in process', async () => {
    const backend = new InMemoryState({ historyCapacity: 4096 });
    const { proxy, remote, record } = await setup(backend);
    for (let i = 0; i < 5; i++) await backend.create(Thing.create(`pre${i}`, { n: i }));
    const shapes: [string, (s: State) => import('rxjs').Observable<StateEvent>][] = [
      ['live watchKind', (s) => s.watchKind(Thing.kind(), { bootstrapBookmark: true })],
      ['bootstrap watchKind', (s) => s.watchKind(Thing.kind(), { bootstrapContents: true })],
      ['aggregated bootstrap', (s) => flattenBatches(s.watchKindAggregated(Thing.kind(), { bootstrapContents: true }))],
      ['single watch', (s) => s.watch(Thing.pointer('hot'))],
    ];
    const pairs = shapes.map(([name, make]) => ({ name, local: record(make(backend)), remote: record(make(remote)) }));
    // Every watch is established (has its first event) before the writes start.
    for (const p of pairs) await p.remote.waitForCount(1, { timeoutMs: 10_000 });
    const writes = 400;
    let hot: Resource<{ n: number }> | undefined;
    let before = proxy.connections;
    for (let i = 0; i < writes; i++) {
      if (i % 50 === 25) {
        before = proxy.connections;
        proxy.cut(); // mid-stream, while events are in flight
      }
      // The watches reconnect by themselves while the writes go on; the next cut waits for that.
      if (i % 50 === 45) await until('the watches to reconnect', () => proxy.connections > before);
      if (i % 7 === 0) hot = hot === undefined ? await backend.create(Thing.create('hot', { n: i })) : await backend.update({ ...hot, spec: { n: i } });
      else if (i % 11 === 0 && hot !== undefined) {
        await backend.destroy(Thing.pointer('hot'));
        hot = undefined;
      } else await backend.create(Thing.create(`w${i}`, { n: i }));
      if (i % 10 === 0) await new Promise((r) => setImmediate(r));
    }
    for (const p of pairs) {
      await p.local.waitForCount(p.local.received.length, { timeoutMs: 10_000 });
      await p.remote.waitForCount(p.local.received.length, { timeoutMs: 20_000 });
      expect(describeEvents(p.remote.received), p.name).toEqual(describeEvents(p.local.received));
    }
    expect(proxy.connections, 'the connection was really cut and re-made').toBeGreaterThanOrEqual(9);
    // Nothing more arrives: no event was repeated after a resume.
    await new Promise((r) => setTimeout(r, 200));
    for (const p of pairs) expect(p.remote.received.length, p.name).toBe(p.local.received.length);
  });

  it('when the bookmark is gone: a bootstrapped watchKind resynchronizes, others get one errored event', async () => {
    const backend = new InMemoryState({ historyCapacity: 10, historyGap: 5 });
    const { proxy, remote, record } = await setup(backend);
    for (const id of ['a', 'b', 'c']) await backend.create(Thing.create(id, { n: 0 }));
    const boot = record(remote.watchKind(Thing.kind(), { bootstrapContents: true }));
    const aggregated = record(remote.watchKindAggregated(Thing.kind(), { bootstrapContents: true }));
    const live = record(remote.watchKind(Thing.kind(), { bootstrapBookmark: true }));
    const single = record(remote.watch(Thing.pointer('a')));
    expect(describeEvents(await boot.take(4), { bookmark: false }).at(-1)).toMatch(/^bootstrapped/);
    await aggregated.next({ timeoutMs: 10_000 });
    await live.next({ timeoutMs: 10_000 });
    await single.next({ timeoutMs: 10_000 });
    const view = new Map((await backend.list(Thing.kind())).map((r) => [r.metadata.id, r]));

    // Disconnected while more than the history's worth of writes happen.
    proxy.refusing = true;
    proxy.cut();
    await backend.destroy(Thing.pointer('b'));
    let a = await backend.get<{ n: number }>(Thing.pointer('a'));
    for (let i = 1; i <= 20; i++) a = await backend.update({ ...a, spec: { n: i } });
    await backend.create(Thing.create('d', { n: 0 }));
    proxy.refusing = false;

    const head = await backend.list(Thing.kind());
    const resync = await boot.takeUntil((e) => e.type === 'bootstrapped', { timeoutMs: 20_000 });
    expect(describeEvents(resync, { bookmark: false })).toEqual([
      ...describeEvents(
        [
          { type: 'updated', resource: head[0] as Resource, old: view.get('a') as Resource },
          { type: 'destroyed', resource: view.get('b') as Resource },
          { type: 'created', resource: head[2] as Resource },
        ],
        { bookmark: false },
      ),
      expect.stringMatching(/^bootstrapped/),
    ]);
    // The watcher's view equals the state.
    const seen = new Map(view);
    for (const e of resync) {
      if (e.type === 'created' || e.type === 'updated') seen.set(e.resource.metadata.id, e.resource);
      else if (e.type === 'destroyed') seen.delete(e.resource.metadata.id);
    }
    expect([...seen.values()].every((r) => head.some((h) => resourceEquals(h, r)))).toBe(true);
    expect(seen.size).toBe(head.length);
    const batch = await aggregated.next({ timeoutMs: 20_000 });
    expect(describeEvents(batch, { bookmark: false })).toEqual(describeEvents(resync, { bookmark: false }));

    for (const [name, rec] of [['live', live], ['single', single]] as const) {
      const ev = await rec.next({ timeoutMs: 20_000 });
      expect(ev.type === 'errored' && isOverrun(ev.error), `${name}: ${describeEvents([ev]).join()}`).toBe(true);
      await rec.expectComplete({ timeoutMs: 5000 });
    }
    // And the resynchronized watch is live again.
    const e = await backend.create(Thing.create('e', { n: 0 }));
    expect(describeEvents([await boot.next({ timeoutMs: 10_000 })], { bookmark: false })).toEqual(describeEvents([{ type: 'created', resource: e }], { bookmark: false }));
  });
});
