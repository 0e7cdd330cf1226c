import { Client, Metadata, credentials, status } from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineResourceType } from '@cosi-ts/resource';
import { InMemoryState, isConflict, isInvalidBookmark, isNotFound, isOwnerConflict, isPhaseConflict } from '@cosi-ts/state';
import { isUnauthorized } from './api-errors.ts';
import { EventType } from './gen/cosi/resource/resource.ts';
import { GetRequest, UpdateRequest, WatchRequest, WatchResponse, CreateRequest } from './gen/cosi/resource/state.ts';
import { stateMethodPath } from './raw-state-service.ts';
import { StateServer } from './state-server.ts';
import { errorFromStatus } from './status-mapping.ts';
import type { StateMethod } from './status-mapping.ts';
import { resourceToWire } from './wire-codec.ts';

const Thing = defineResourceType<{ v: number }>({ type: 'Things.test.cosi.dev', defaultNamespace: 'test' });
const identity = (b: Buffer) => b;

describe('status codes on the wire (spec §4) and semantics a foreign client sees (spec §3)', () => {
  const state = new InMemoryState();
  const server = new StateServer(state);
  let client: Client;

  const unary = (method: StateMethod, body: Uint8Array) =>
    new Promise<{ code: status; trailer: unknown }>((resolve) =>
      client.makeUnaryRequest(stateMethodPath(method), identity, identity, Buffer.from(body), new Metadata(), {}, (e: ServiceError | null) =>
        resolve({ code: e?.code ?? status.OK, trailer: e?.metadata.get('cosi-ts-error')[0] }),
      ),
    );
  const watch = (req: WatchRequest, count: number) =>
    new Promise<{ responses: WatchResponse[]; code: status | undefined }>((resolve) => {
      const responses: WatchResponse[] = [];
      const call = client.makeServerStreamRequest(stateMethodPath('Watch'), identity, identity, Buffer.from(WatchRequest.encode(req).finish()), new Metadata());
      call.on('data', (b: Buffer) => {
        responses.push(WatchResponse.decode(b));
        if (responses.length === count) {
          call.cancel();
          resolve({ responses, code: undefined });
        }
      });
      call.on('error', (e: ServiceError) => resolve({ responses, code: e.code }));
    });

  beforeAll(async () => {
    const { address } = await server.listen('127.0.0.1:0');
    client = new Client(address, credentials.createInsecure());
    await state.create(Thing.create('a', { v: 1 }), { owner: 'ctrl' });
    await state.create(Thing.create('down', { v: 1 }));
    await state.teardown(Thing.pointer('down'));
  });
  afterAll(async () => {
    client.close();
    await server.close();
  });

  it('maps state errors to the COSI codes', async () => {
    const a = await state.get<{ v: number }>(Thing.pointer('a'));
    const down = await state.get<{ v: number }>(Thing.pointer('down'));
    const upd = (r: typeof a, owner: string, phase?: string) =>
      UpdateRequest.encode({ newResource: resourceToWire(r), options: { owner, ...(phase ? { expectedPhase: phase } : {}) } }).finish();
    expect(await unary('Get', GetRequest.encode({ namespace: 'test', type: Thing.type, id: 'none', options: {} }).finish())).toEqual({ code: status.NOT_FOUND, trailer: 'NotFound' });
    expect((await unary('Create', CreateRequest.encode({ resource: resourceToWire(Thing.create('a', { v: 2 })), options: { owner: '' } }).finish())).code).toBe(status.ALREADY_EXISTS);
    expect(await unary('Update', upd(a, 'someone-else'))).toEqual({ code: status.PERMISSION_DENIED, trailer: 'OwnerConflict' });
    expect((await unary('Update', upd({ ...a, metadata: { ...a.metadata, version: 7 } }, 'ctrl'))).code).toBe(status.FAILED_PRECONDITION);
    expect((await unary('Update', upd(down, '', 'running'))).code).toBe(status.INVALID_ARGUMENT);
    // Without expected_phase: any phase (spec §3.4).
    expect((await unary('Update', upd(down, ''))).code).toBe(status.OK);
  });

  it('watch: empty first response, api_version 0 drops BOOTSTRAPPED, id + bootstrap is UNIMPLEMENTED, bad bookmark FAILED_PRECONDITION', async () => {
    const base = { namespace: 'test', type: Thing.type, apiVersion: 1 };
    const opts = { bootstrapContents: true, tailEvents: 0, labelQuery: [], idQuery: undefined, aggregated: true, bootstrapBookmark: false };
    const v1 = await watch({ ...base, options: opts }, 2);
    expect(v1.responses[0]?.event).toEqual([]);
    expect(v1.responses[1]?.event.map((e) => e.eventType)).toEqual([EventType.CREATED, EventType.CREATED, EventType.BOOTSTRAPPED]);
    expect(v1.responses[1]?.event[0]?.resource?.spec?.yamlSpec).not.toBe('');
    const v0 = await watch({ ...base, apiVersion: 0, options: opts }, 2);
    expect(v0.responses[1]?.event.map((e) => e.eventType)).toEqual([EventType.CREATED, EventType.CREATED]);
    expect((await watch({ ...base, id: 'a', options: opts }, 5)).code).toBe(status.UNIMPLEMENTED);
    const bad = await watch({ ...base, options: { ...opts, bootstrapContents: false, startFromBookmark: Buffer.from([1, 2, 3]) } }, 5);
    expect(bad.code).toBe(status.FAILED_PRECONDITION);
  });

  it('a status without our trailers (a Go COSI server) maps back by code', () => {
    const ptr = Thing.pointer('x');
    const st = (code: status, details = 'x') => ({ code, details, metadata: new Metadata(), message: details, name: 'Error' }) as ServiceError;
    expect(isNotFound(errorFromStatus('Get', st(status.NOT_FOUND), ptr))).toBe(true);
    expect(isConflict(errorFromStatus('Create', st(status.ALREADY_EXISTS), ptr))).toBe(true);
    expect(isOwnerConflict(errorFromStatus('Update', st(status.PERMISSION_DENIED, 'owner differs'), ptr))).toBe(true);
    expect(isUnauthorized(errorFromStatus('Update', st(status.PERMISSION_DENIED, 'not authorized: reader'), ptr))).toBe(true);
    expect(isPhaseConflict(errorFromStatus('Update', st(status.INVALID_ARGUMENT), ptr))).toBe(true);
    expect(isInvalidBookmark(errorFromStatus('Watch', st(status.FAILED_PRECONDITION), ptr))).toBe(true);
    expect(isConflict(errorFromStatus('Destroy', st(status.FAILED_PRECONDITION), ptr))).toBe(true);
  });
});
