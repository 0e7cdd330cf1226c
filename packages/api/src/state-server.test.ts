import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Metadata, credentials, status } from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { defineResourceType } from '@cosi-ts/resource';
import { InMemoryState, register, registerDefaults } from '@cosi-ts/state';
import type { StateEvent } from '@cosi-ts/state';
import { EventRecorder } from '@cosi-ts/state/conformance';
import { Registry } from 'prom-client';
import { isApiConfigError, isUnauthenticated, isUnauthorized } from './api-errors.ts';
import {
  CreateRequest,
  DestroyRequest,
  GetRequest,
  ListRequest,
  TeardownAndDestroyRequest,
  TeardownRequest,
  UpdateRequest,
  WatchRequest,
} from './gen/cosi/resource/state.ts';
import { stateMethodPath } from './raw-state-service.ts';
import { RemoteState } from './remote-state.ts';
import { StateServer } from './state-server.ts';
import type { StateMethod } from './status-mapping.ts';
import { resourceToWire } from './wire-codec.ts';

// A sensitive type by the same name as the cluster package's (api sits below cluster and cannot import it);
// it is refused through the definition mechanism: registered with sensitivity SENSITIVE.
const DiscoveryConfig = defineResourceType<{ secret: string }>({
  type: 'DiscoveryConfigs.cluster.talos.dev',
  defaultNamespace: 'config',
  sensitive: true,
});
const Thing = defineResourceType<{ value: string }>({ type: 'Things.test.cosi.dev', defaultNamespace: 'test' });

const ADMIN = 'admin-token-0123456789abcdef';
const READER = 'reader-token-0123456789abcdef';
const identity = (b: Buffer) => b;

/** Raw calls by method path with raw bytes, for status codes and trailers as a foreign client sees them. */
function rawCall(client: Client, method: StateMethod, body: Uint8Array, md = new Metadata()): Promise<{ code: status; details: string; trailer?: string; messages: number }> {
  const path = stateMethodPath(method);
  return new Promise((resolve) => {
    const done = (e: ServiceError | null, messages: number) =>
      resolve({
        code: e?.code ?? status.OK,
        details: e?.details ?? '',
        ...(e?.metadata?.get('cosi-ts-error')[0] !== undefined ? { trailer: String(e.metadata.get('cosi-ts-error')[0]) } : {}),
        messages,
      });
    const deadline = Date.now() + 10_000;
    if (method === 'List' || method === 'Watch') {
      let n = 0;
      const call = client.makeServerStreamRequest(path, identity, identity, Buffer.from(body), md, { deadline });
      call.on('data', () => {
        n++;
        // A watch that started is as good as OK here: the first message is the readiness one.
        if (method === 'Watch') call.cancel();
      });
      call.on('error', (e: ServiceError) => done(e.code === status.CANCELLED && n > 0 ? null : e, n));
      call.on('end', () => done(null, n));
    } else {
      client.makeUnaryRequest(path, identity, identity, Buffer.from(body), md, { deadline }, (e) => done(e, e ? 0 : 1));
    }
  });
}

function requestBytes(method: StateMethod, type: string, id: string): Uint8Array {
  const ptr = { namespace: 'config', type, id };
  const res = resourceToWire(type === DiscoveryConfig.type ? DiscoveryConfig.create(id, { secret: 's' }) : Thing.create(id, { value: 'v' }, { namespace: 'config' }));
  switch (method) {
    case 'Get':
      return GetRequest.encode({ ...ptr, options: {} }).finish();
    case 'List':
      return ListRequest.encode({ namespace: 'config', type, options: { labelQuery: [], idQuery: undefined } }).finish();
    case 'Create':
      return CreateRequest.encode({ resource: res, options: { owner: '' } }).finish();
    case 'Update':
      return UpdateRequest.encode({ newResource: { ...res, metadata: { ...res.metadata!, version: '1' } }, options: { owner: '' } }).finish();
    case 'Destroy':
      return DestroyRequest.encode({ ...ptr, options: { owner: '' } }).finish();
    case 'Watch':
      return WatchRequest.encode({ namespace: 'config', type, options: undefined, apiVersion: 1 }).finish();
    case 'Teardown':
      return TeardownRequest.encode({ ...ptr, options: { owner: '' } }).finish();
    case 'TeardownAndDestroy':
      return TeardownAndDestroyRequest.encode({ ...ptr, options: { owner: '' } }).finish();
  }
}

const METHODS: StateMethod[] = ['Get', 'List', 'Create', 'Update', 'Destroy', 'Watch', 'Teardown', 'TeardownAndDestroy'];
const bearer = (t: string) => {
  const md = new Metadata();
  md.set('authorization', `Bearer ${t}`);
  return md;
};

describe('StateServer security (spec §5)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'api-tokens-'));
  const tokenFile = join(dir, 'tokens');
  const state = new InMemoryState();
  const server = new StateServer(state, { tokenFile, registry: new Registry() });
  let address = '';
  let raw: Client;
  const remotes: RemoteState[] = [];
  const remote = (token?: string) => {
    const r = new RemoteState(address, token === undefined ? {} : { token });
    remotes.push(r);
    return r;
  };

  beforeAll(async () => {
    writeFileSync(tokenFile, `# roles\nadmin ${ADMIN}\nreader ${READER}\n`, { mode: 0o600 });
    await registerDefaults(state);
    await register(state, DiscoveryConfig);
    await register(state, Thing);
    await state.create(DiscoveryConfig.create('discovery', { secret: 'hunter2' }));
    await state.create(Thing.create('t1', { value: 'one' }, { namespace: 'config' }));
    ({ address } = await server.listen('127.0.0.1:0'));
    raw = new Client(address, credentials.createInsecure());
  });
  afterAll(async () => {
    raw.close();
    for (const r of remotes) await r.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a reader gets, lists and watches ordinary types', async () => {
    const r = remote(READER);
    expect((await r.get(Thing.pointer('t1', 'config'))).spec).toEqual({ value: 'one' });
    expect((await r.list(Thing.kind('config'))).map((x) => x.metadata.id)).toEqual(['t1']);
    const rec = new EventRecorder(r.watchKind(Thing.kind('config'), { bootstrapContents: true }));
    try {
      expect((await rec.take(2)).map((e) => e.type)).toEqual(['created', 'bootstrapped']);
    } finally {
      rec.unsubscribe();
    }
  });

  it('a reader gets PERMISSION_DENIED (unauthorized, not an owner conflict) on DiscoveryConfigs for every RPC', async () => {
    for (const method of METHODS) {
      const got = await rawCall(raw, method, requestBytes(method, DiscoveryConfig.type, 'discovery'), bearer(READER));
      expect({ method, code: got.code, trailer: got.trailer }).toEqual({ method, code: status.PERMISSION_DENIED, trailer: 'unauthorized' });
      expect(got.details).toMatch(/^not authorized:/);
      expect(got.details).not.toContain('hunter2');
    }
    const r = remote(READER);
    const ptr = DiscoveryConfig.pointer('discovery');
    const calls: [string, () => Promise<unknown>][] = [
      ['get', () => r.get(ptr)],
      ['list', () => r.list(DiscoveryConfig.kind())],
      ['create', () => r.create(DiscoveryConfig.create('other', { secret: 'x' }))],
      ['update', async () => r.update({ ...(await state.get(ptr)) })],
      ['destroy', () => r.destroy(ptr)],
      ['teardown', () => r.teardown(ptr)],
      ['teardownAndDestroy', () => r.teardownAndDestroy(ptr)],
    ];
    for (const [name, call] of calls) {
      const e = await call().then(() => undefined, (x: unknown) => x);
      expect(isUnauthorized(e), `${name}: ${String(e)}`).toBe(true);
      expect((e as { code?: string }).code, name).not.toBe('OwnerConflict');
    }
    const rec = new EventRecorder(r.watchKind(DiscoveryConfig.kind(), { bootstrapContents: true }));
    const ev = await rec.next({ timeoutMs: 5000 });
    expect(ev.type === 'errored' && isUnauthorized(ev.error)).toBe(true);
    await rec.expectComplete({ timeoutMs: 5000 });
    // Writes of ordinary types need admin too.
    expect(isUnauthorized(await r.create(Thing.create('t2', { value: 'x' }, { namespace: 'config' })).catch((x: unknown) => x))).toBe(true);
    // The admin token may do all of it.
    const admin = remote(ADMIN);
    expect((await admin.get(ptr)).spec).toEqual({ secret: 'hunter2' });
  });

  it('no token or an unknown token: UNAUTHENTICATED on every RPC', async () => {
    for (const method of METHODS) {
      for (const md of [new Metadata(), bearer('not-a-configured-token-000000')]) {
        const got = await rawCall(raw, method, requestBytes(method, Thing.type, 't1'), md);
        expect({ method, code: got.code }).toEqual({ method, code: status.UNAUTHENTICATED });
      }
    }
    expect(isUnauthenticated(await remote().get(Thing.pointer('t1', 'config')).catch((e: unknown) => e))).toBe(true);
  });

  it('garbage bytes on every method get INVALID_ARGUMENT, and the server keeps serving', async () => {
    const garbage = [Buffer.from([0xff, 0xff, 0xff, 0xff]), Buffer.from([0x0a, 0x05, 0xc3, 0x28, 0xa0, 0xa1, 0xe2]), Buffer.from([0x12, 0x80])];
    for (const method of METHODS) {
      for (const bytes of garbage) {
        const got = await rawCall(raw, method, bytes, bearer(ADMIN));
        expect({ method, bytes: bytes.toString('hex'), code: got.code }).toEqual({ method, bytes: bytes.toString('hex'), code: status.INVALID_ARGUMENT });
      }
    }
    expect((await remote(ADMIN).get(Thing.pointer('t1', 'config'))).spec).toEqual({ value: 'one' });
  });
});

describe('StateServer start-up checks', () => {
  const dir = mkdtempSync(join(tmpdir(), 'api-startup-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a token file readable by group or others, naming the fix', async () => {
    const file = join(dir, 'loose');
    writeFileSync(file, `admin ${ADMIN}\n`);
    chmodSync(file, 0o644);
    const server = new StateServer(new InMemoryState(), { tokenFile: file });
    const e = await server.listen('127.0.0.1:0').catch((x: unknown) => x);
    expect(isApiConfigError(e)).toBe(true);
    expect((e as Error).message).toMatch(/mode 0644.*chmod 600/);
    await server.close();
  });

  it('refuses a non-loopback address without tokens, naming the fix', async () => {
    const server = new StateServer(new InMemoryState());
    for (const addr of ['0.0.0.0:0', ':0', '[::]:0', '10.1.2.3:0']) {
      const e = await server.listen(addr).catch((x: unknown) => x);
      expect(isApiConfigError(e), addr).toBe(true);
      expect((e as Error).message).toMatch(/token file.*127\.0\.0\.1/);
    }
    await server.close();
  });
});

describe('StateServer under many and slow watchers', () => {
  const servers: StateServer[] = [];
  const remotes: RemoteState[] = [];
  const recorders: EventRecorder<unknown>[] = [];
  afterEach(async () => {
    for (const r of recorders.splice(0)) r.unsubscribe();
    for (const r of remotes.splice(0)) await r.close();
    for (const s of servers.splice(0)) await s.close();
  });

  it('refuses watches past the per-caller limit with RESOURCE_EXHAUSTED; a closed one frees its place', async () => {
    const server = new StateServer(new InMemoryState(), { limits: { maxWatchesPerCaller: 2 } });
    servers.push(server);
    const { address } = await server.listen('127.0.0.1:0');
    const remote = new RemoteState(address);
    remotes.push(remote);
    const open = [0, 1].map(() => new EventRecorder(remote.watchKind(Thing.kind(), { bootstrapBookmark: true })));
    recorders.push(...open);
    for (const rec of open) expect((await rec.next({ timeoutMs: 10_000 })).type).toBe('noop');
    const third = new EventRecorder(remote.watchKind(Thing.kind(), { bootstrapBookmark: true }));
    recorders.push(third);
    const ev = (await third.next({ timeoutMs: 10_000 })) as StateEvent;
    expect(ev.type === 'errored' && ev.error.message).toMatch(/too many open watches/);
    open[0]?.unsubscribe();
    for (let attempt = 0; ; attempt++) {
      // The server sees the cancellation a moment after the client: retry until the place is free.
      const rec = new EventRecorder(remote.watchKind(Thing.kind(), { bootstrapBookmark: true }));
      recorders.push(rec);
      const first = (await rec.next({ timeoutMs: 10_000 })) as StateEvent;
      if (first.type === 'noop') break;
      if (attempt > 50) throw new Error('the closed watch never freed its place');
      await new Promise((r) => setTimeout(r, 20));
    }
  });

  it('serves 1,000 concurrent watchers', async () => {
    const state = new InMemoryState();
    const registry = new Registry();
    const server = new StateServer(state, { registry });
    servers.push(server);
    const { address } = await server.listen('127.0.0.1:0');
    const clients = Array.from({ length: 4 }, () => new RemoteState(address));
    remotes.push(...clients);
    const recs = Array.from({ length: 1000 }, (_, i) => new EventRecorder((clients[i % 4] as RemoteState).watchKind(Thing.kind(), { bootstrapBookmark: true })));
    recorders.push(...recs);
    for (const rec of recs) expect((await rec.next({ timeoutMs: 30_000 })).type).toBe('noop');
    expect((await registry.getSingleMetricAsString('cosi_api_open_watches')).trim().split('\n').at(-1)).toBe('cosi_api_open_watches 1000');
    const created = await state.create(Thing.create('x', { value: 'v' }));
    for (const rec of recs) {
      const ev = (await rec.next({ timeoutMs: 30_000 })) as StateEvent;
      expect(ev.type === 'created' && ev.resource.metadata.version).toBe(created.metadata.version);
    }
  });

  it('cuts a watcher that never reads with RESOURCE_EXHAUSTED; the others keep receiving', async () => {
    const state = new InMemoryState({ historyCapacity: 4096 });
    const registry = new Registry();
    const server = new StateServer(state, { registry, limits: { maxUnsentWatchBytes: 256 * 1024 } });
    servers.push(server);
    const { address } = await server.listen('127.0.0.1:0');
    const stalled = new Client(address, credentials.createInsecure());
    const call = stalled.makeServerStreamRequest(
      stateMethodPath('Watch'),
      identity,
      identity,
      Buffer.from(WatchRequest.encode({ namespace: 'test', type: Thing.type, options: undefined, apiVersion: 1 }).finish()),
      new Metadata(),
    );
    let stalledStatus: status | undefined;
    call.on('error', (e: ServiceError) => (stalledStatus = e.code));
    call.on('end', () => (stalledStatus ??= status.OK));
    call.pause(); // never reads: HTTP/2 flow control stops the server's writes, which pile up unsent
    const reader = new RemoteState(address);
    remotes.push(reader);
    const rec = new EventRecorder(reader.watchKind(Thing.kind(), { bootstrapBookmark: true }));
    recorders.push(rec);
    await rec.next({ timeoutMs: 10_000 });
    const big = 'x'.repeat(8 * 1024);
    const total = 300; // ≈ 2.4 MiB of events: far past the stalled stream's windows and its 256 KiB budget
    for (let i = 0; i < total; i++) await state.create(Thing.create(`r${String(i).padStart(3, '0')}`, { value: big }));
    await rec.waitForCount(1 + total, { timeoutMs: 30_000 });
    const metric = async () => (await registry.getSingleMetricAsString('cosi_api_calls_total')).includes('method="Watch",code="RESOURCE_EXHAUSTED"} 1');
    for (const deadline = Date.now() + 20_000; !(await metric()); ) {
      if (Date.now() > deadline) throw new Error('the stalled watch was not cut');
      await new Promise((r) => setTimeout(r, 50));
    }
    // The reader got everything, in order.
    expect((rec.received.slice(1) as StateEvent[]).map((e) => (e.type === 'created' ? e.resource.metadata.id : e.type))).toEqual(
      Array.from({ length: total }, (_, i) => `r${String(i).padStart(3, '0')}`),
    );
    // When the stalled client reads again it finds the status after what was already queued.
    call.on('data', () => undefined);
    call.resume();
    for (const deadline = Date.now() + 20_000; stalledStatus === undefined; ) {
      if (Date.now() > deadline) throw new Error('the stalled stream did not end');
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(stalledStatus).toBe(status.RESOURCE_EXHAUSTED);
    stalled.close();
  });
});
