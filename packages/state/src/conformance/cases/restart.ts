import { expect } from 'vitest';
import type { StateEvent } from '../../state.ts';
import { conformanceCase } from '../conformance-case.ts';
import { describeEvents } from '../describe-event.ts';
import type { EventRecorder } from '../event-recorder.ts';
import { bookmarkOf, expectErroredThenComplete } from '../expect-events.ts';
import { Path } from '../fixture.ts';
import type { PathSpec } from '../fixture.ts';
import type { StateConformanceOptions } from '../options.ts';

const expectInvalidBookmark = (rec: EventRecorder<StateEvent>, what: string) => expectErroredThenComplete(rec, 'InvalidBookmark', what);

const withoutBookmark = (events: readonly StateEvent[]) => describeEvents(events, { bookmark: false });

/** Case 26: persistent stores survive a restart, bookmarks included. */
export function restartCases(options: StateConformanceOptions): void {
  conformanceCase(
    options,
    '26. restart: metadata, specs, versions and bookmarks survive reopen',
    async (ctx) => {
      const { namespace, kind, ptr } = ctx;
      const first = ctx.state;
      await first.create(
        Path.create('p1', { value: 'one' }, { namespace, labels: { l: '1' }, annotations: { note: 'kept' } }),
        { owner: 'ctrl' },
      );
      await first.addFinalizer(ptr('p1'), 'f1', 'f2');
      expect(await first.teardown(ptr('p1'), { owner: 'ctrl' })).toBe(false);
      await first.create(Path.create('p2', { value: 'two' }, { namespace }));
      await first.create(Path.create('p3', { value: 'three' }, { namespace }));
      for (const value of ['3a', '3b', '3c']) await first.modify<PathSpec>(ptr('p3'), (d) => void (d.spec.value = value));

      const watch = ctx.record(first.watchKind(kind, { bootstrapBookmark: true }));
      const noop = await watch.next();
      await first.modify<PathSpec>(ptr('p2'), (d) => void (d.spec.value = 'two-2'));
      const [e1] = await watch.take(1);
      watch.unsubscribe();
      // written while no watcher runs
      await first.modify<PathSpec>(ptr('p3'), (d) => void (d.spec.value = '3d'));
      await first.create(Path.create('p4', { value: 'four' }, { namespace }));
      const before = await first.list(kind);

      const second = await ctx.reopen(first);
      const after = await second.list(kind);
      expect(after).toEqual(before);
      expect(after.map((r) => [r.metadata.created.getTime(), r.metadata.updated.getTime()])).toEqual(
        before.map((r) => [r.metadata.created.getTime(), r.metadata.updated.getTime()]),
      );

      const p2 = await second.modify<PathSpec>(ptr('p2'), (d) => void (d.spec.value = 'two-3'));
      expect(p2.metadata.version).toBe((before.find((r) => r.metadata.id === 'p2')?.metadata.version ?? 0) + 1);
      await second.destroy(ptr('p4'));

      const fromE1 = ctx.record(second.watchKind(kind, { startFromBookmark: bookmarkOf(e1) }));
      const fromNoop = ctx.record(second.watchKind(kind, { startFromBookmark: bookmarkOf(noop) }));
      const laterThanE1 = await fromE1.take(4);
      expect(laterThanE1.map((e) => (e.type === 'errored' ? 'errored' : `${e.type} ${e.resource.metadata.id} v${e.resource.metadata.version}`))).toEqual([
        'updated p3 v5',
        'created p4 v1',
        `updated p2 v${p2.metadata.version}`,
        'destroyed p4 v1',
      ]);
      for (const e of laterThanE1) expect(e.type !== 'errored' && e.bookmark).toBeInstanceOf(Uint8Array);
      const laterThanNoop = await fromNoop.take(5);
      expect(withoutBookmark(laterThanNoop)).toEqual(withoutBookmark([e1 as StateEvent, ...laterThanE1]));
      expect(describeEvents(laterThanNoop.slice(1))).toEqual(describeEvents(laterThanE1));

      await second.create(Path.create('p5', { value: 'five' }, { namespace }));
      const [liveA] = await fromE1.take(1);
      expect(liveA).toMatchObject({ type: 'created', resource: { metadata: { id: 'p5', version: 1 } } });
      expect(describeEvents(await fromNoop.take(1))).toEqual(describeEvents([liveA as StateEvent]));

      const other = await ctx.openAnother();
      if (other !== second) {
        await expectInvalidBookmark(
          ctx.record(other.watchKind(kind, { startFromBookmark: bookmarkOf(e1) })),
          'bookmark of another store',
        );
      }
      if (options.compact) {
        await options.compact(second);
        await expectInvalidBookmark(
          ctx.record(second.watchKind(kind, { startFromBookmark: bookmarkOf(noop) })),
          'compacted bookmark',
        );
      }
    },
    { persistent: true },
  );
}
