import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineResourceType } from '@cosi-ts/resource';
import type { Resource } from '@cosi-ts/resource';
import type { StateEvent } from '@cosi-ts/state';
import { EventRecorder, bookmarkOf, expectErroredThenComplete } from '@cosi-ts/state/conformance';
import { EtcdState } from './etcd-state.ts';
import { EtcdCluster, compactEtcd, etcdForTests, retryTransient } from './testing/index.ts';

const binary = etcdForTests();
const Counter = defineResourceType<{ value: number }>({ type: 'Counters.faults.cosi.dev', defaultNamespace: 'faults' });
/** Waits through a failover are bounded, but generous: elections and reconnect backoff take seconds under load. */
const SLOW = { timeoutMs: 30_000 };

const versions = (events: readonly StateEvent[]) => events.map((e) => (e.type === 'errored' ? `errored ${e.error.message}` : e.resource.metadata.version));
const increment = (state: EtcdState, id: string) =>
  retryTransient(() => state.updateWithConflicts<{ value: number }>(Counter.pointer(id), (d) => void (d.spec.value += 1)));

describe.skipIf(binary === undefined)('EtcdState faults on a 3-member etcd cluster', () => {
  let cluster: EtcdCluster | undefined;
  const states: EtcdState[] = [];
  const open = (endpoints = cluster!.allEndpoints) => {
    const s = new EtcdState({ endpoints, prefix, callTimeoutMs: 3000 });
    states.push(s);
    return s;
  };
  let prefix = '';
  beforeAll(async () => {
    cluster = await EtcdCluster.start({ binary: binary!, members: 3 });
  }, 60_000);
  afterAll(async () => {
    for (const s of states) await s.close();
    await cluster?.stop();
  });

  it('one member stopped: writes and watches go on; it rejoins', async () => {
    prefix = `/faults-${randomUUID()}/`;
    const writer = open();
    const reader = open();
    await writer.create(Counter.create('one', { value: 0 }));
    const watch = new EventRecorder(reader.watch(Counter.pointer('one')));
    expect(versions([await watch.next(SLOW)])).toEqual([1]);
    for (let i = 0; i < 10; i++) await increment(writer, 'one');
    const leader = await cluster!.leader();
    const follower = cluster!.members.find((m) => m.name !== leader)!.name;
    await cluster!.stopMember(follower);
    for (let i = 0; i < 10; i++) await increment(writer, 'one');
    const final = await retryTransient(() => reader.get<{ value: number }>(Counter.pointer('one')));
    const seen = await watch.take(final.metadata.version - 1, SLOW);
    // every version once, in order: no event lost or repeated across the member loss
    expect(versions(seen)).toEqual(Array.from({ length: final.metadata.version - 1 }, (_, i) => i + 2));
    await cluster!.startMember(follower);
    await increment(writer, 'one');
    expect(versions([await watch.next(SLOW)])).toEqual([final.metadata.version + 1]);
    watch.unsubscribe();
  }, 120_000);

  it('leader stopped: live watchers go on and a watch resumed from an earlier bookmark gets exactly the later events; it restarts', async () => {
    prefix = `/faults-${randomUUID()}/`;
    const writer = open();
    const reader = open();
    await writer.create(Counter.create('two', { value: 0 }));
    const live = new EventRecorder(reader.watchKind(Counter.kind(), { bootstrapContents: true }));
    await live.takeUntil((e) => e.type === 'bootstrapped', SLOW);
    for (let i = 0; i < 5; i++) await increment(writer, 'two');
    const before = await live.take(5, SLOW);
    const bookmark = bookmarkOf(before.at(-1)!);

    const leader = await cluster!.leader();
    await cluster!.stopMember(leader);
    for (let i = 0; i < 10; i++) await increment(writer, 'two');
    const final = await retryTransient(() => reader.get<{ value: number }>(Counter.pointer('two')));
    const after = await live.take(final.metadata.version - 6, SLOW);
    expect(versions(after)).toEqual(Array.from({ length: final.metadata.version - 6 }, (_, i) => i + 7));

    const resumed = new EventRecorder(reader.watchKind(Counter.kind(), { startFromBookmark: bookmark }));
    const replay = await resumed.take(after.length, SLOW);
    expect(versions(replay)).toEqual(versions(after));
    expect(replay.map((e) => e.type !== 'errored' && (e.resource as Resource<{ value: number }>).spec.value)).toEqual(
      after.map((e) => e.type !== 'errored' && (e.resource as Resource<{ value: number }>).spec.value),
    );

    await cluster!.startMember(leader);
    await increment(writer, 'two');
    const [l] = await live.take(1, SLOW);
    const [r] = await resumed.take(1, SLOW);
    expect(versions([l!, r!])).toEqual([final.metadata.version + 1, final.metadata.version + 1]);
    live.unsubscribe();
    resumed.unsubscribe();
  }, 120_000);

  it('history compacted while a watcher was cut off: a bootstrapped watchKind resyncs by itself, a plain one gets Overrun', async () => {
    prefix = `/faults-${randomUUID()}/`;
    const [a, ...rest] = cluster!.members;
    const others = rest.map((m) => m.clientUrl);
    const writer = open(others);
    const cutOff = open([a!.clientUrl]); // this client can only reach member a
    for (const id of ['gone', 'kept', 'changed']) await writer.create(Counter.create(id, { value: 0 }));
    const boot = new EventRecorder(cutOff.watchKind(Counter.kind(), { bootstrapContents: true }));
    const plain = new EventRecorder(cutOff.watchKind(Counter.kind(), { bootstrapBookmark: true }));
    expect((await boot.takeUntil((e) => e.type === 'bootstrapped', SLOW)).length).toBe(4);
    await plain.next(SLOW);

    await cluster!.stopMember(a!.name);
    await retryTransient(() => writer.destroy(Counter.pointer('gone')));
    await increment(writer, 'changed');
    await retryTransient(() => writer.create(Counter.create('new', { value: 7 })));
    await compactEtcd(others);
    await cluster!.startMember(a!.name);

    const resync = await boot.takeUntil((e) => e.type === 'bootstrapped', SLOW);
    expect(resync.map((e) => (e.type === 'errored' ? 'errored' : `${e.type} ${e.resource.metadata.id} v${e.resource.metadata.version}`))).toEqual([
      'updated changed v2',
      'destroyed gone v1',
      'created new v1',
      'bootstrapped  v0',
    ]);
    await plain.waitForCount(2, SLOW);
    await expectErroredThenComplete(plain, 'Overrun', 'plain watch across compaction');
    // live again after the resync
    await increment(writer, 'kept');
    expect(versions([await boot.next(SLOW)])).toEqual([2]);
    boot.unsubscribe();
  }, 120_000);
});
