import { expect } from 'vitest';
import { isTombstone } from '@cosi-ts/resource';
import type { StateEvent } from '../../state.ts';
import { conformanceCase } from '../conformance-case.ts';
import { bookmarkHex, describeEvents } from '../describe-event.ts';
import { Path, changed } from '../fixture.ts';
import type { PathSpec } from '../fixture.ts';
import type { StateConformanceOptions } from '../options.ts';
import { bookmarkOf } from '../expect-events.ts';


/** Cases 12–14: watching one resource. */
export function singleWatchCases(options: StateConformanceOptions): void {
  conformanceCase(options, '12. single watch: initial state, then every change of that id, all bookmarked', async (ctx) => {
    const { state, namespace, ptr } = ctx;
    const watch = ctx.record(state.watch(ptr('s')));
    const initial = await watch.next();
    expect(initial.type).toBe('destroyed');
    if (initial.type !== 'destroyed') return;
    expect(isTombstone(initial.resource)).toBe(true);
    expect(initial.resource.metadata).toMatchObject({ namespace, type: Path.type, id: 's', version: 0 });

    await state.create(Path.create('s', { value: 's' }, { namespace }));
    await state.create(Path.create('other', { value: 'o' }, { namespace }));
    expect(await state.teardown(ptr('s'))).toBe(true);
    await state.addFinalizer(ptr('s'), 'f');
    await state.removeFinalizer(ptr('s'), 'f');
    await state.destroy(ptr('s'));

    const events = await watch.take(5);
    expect(events[0]).toMatchObject({ type: 'created', resource: { metadata: { id: 's', version: 1, phase: 'running' }, spec: { value: 's' } } });
    expect(events[1]).toMatchObject({
      type: 'updated',
      resource: { metadata: { version: 2, phase: 'tearingDown' } },
      old: { metadata: { version: 1, phase: 'running' } },
    });
    expect(events[2]).toMatchObject({
      type: 'updated',
      resource: { metadata: { version: 3, finalizers: ['f'] } },
      old: { metadata: { version: 2, finalizers: [] } },
    });
    expect(events[3]).toMatchObject({
      type: 'updated',
      resource: { metadata: { version: 4, finalizers: [] } },
      old: { metadata: { version: 3, finalizers: ['f'] } },
    });
    expect(events[4]).toMatchObject({ type: 'destroyed', resource: { metadata: { id: 's', version: 4, phase: 'tearingDown' } } });
    const all = [initial, ...events];
    for (const e of all) expect(bookmarkOf(e)).toBeInstanceOf(Uint8Array);
    // every event is a different point of the history
    expect(new Set(all.map((e) => bookmarkHex(bookmarkOf(e)))).size).toBe(all.length);
  });

  conformanceCase(
    options,
    '13. single tail: the last n events of that id, no initial event, then live',
    async (ctx) => {
      const { state, namespace, ptr } = ctx;
      const t1 = await state.create(Path.create('t', { value: '1' }, { namespace }));
      await state.create(Path.create('u', { value: '1' }, { namespace }));
      let t = t1;
      for (const value of ['2', '3', '4']) {
        t = await state.update(changed(t, { spec: { value } }));
        await state.modify<PathSpec>(ptr('u'), (d) => void (d.spec.value = value));
      }
      const short = ctx.record(state.watch(ptr('t'), { tailEvents: 2 }));
      const all = ctx.record(state.watch(ptr('t'), { tailEvents: 100 }));
      const tail2 = await short.take(2);
      expect(tail2).toMatchObject([
        { type: 'updated', resource: { metadata: { version: 3 }, spec: { value: '3' } }, old: { metadata: { version: 2 } } },
        { type: 'updated', resource: { metadata: { version: 4 }, spec: { value: '4' } }, old: { metadata: { version: 3 } } },
      ]);
      const tail100 = await all.take(4);
      expect(tail100.map((e) => (e.type === 'errored' ? 'errored' : `${e.type} ${e.resource.metadata.id} v${e.resource.metadata.version}`))).toEqual([
        'created t v1',
        'updated t v2',
        'updated t v3',
        'updated t v4',
      ]);
      expect(describeEvents(tail100.slice(2))).toEqual(describeEvents(tail2));
      for (const e of [...tail2, ...tail100]) bookmarkOf(e);

      await state.update(changed(t, { spec: { value: '5' } }));
      const [live] = await short.take(1);
      expect(live).toMatchObject({ type: 'updated', resource: { metadata: { version: 5 } } });
      expect(describeEvents(await all.take(1))).toEqual(describeEvents([live as StateEvent]));

      await state.destroy(ptr('t'));
      const after = ctx.record(state.watch(ptr('t'), { tailEvents: 1 }));
      expect(await after.next()).toMatchObject({ type: 'destroyed', resource: { metadata: { id: 't', version: 5 } } });
    },
    { tail: true },
  );

  conformanceCase(options, '13. watch options: tailEvents with startFromBookmark, bootstrapContents with either → TypeError', async (ctx) => {
    const { state, kind, ptr } = ctx;
    const first = await ctx.record(state.watchKind(kind, { bootstrapBookmark: true })).next();
    const bookmark = bookmarkOf(first);
    expect(() => state.watch(ptr('x'), { tailEvents: 1, startFromBookmark: bookmark })).toThrow(TypeError);
    expect(() => state.watchKind(kind, { tailEvents: 1, startFromBookmark: bookmark })).toThrow(TypeError);
    expect(() => state.watchKindAggregated(kind, { tailEvents: 1, startFromBookmark: bookmark })).toThrow(TypeError);
    expect(() => state.watchKind(kind, { bootstrapContents: true, tailEvents: 1 })).toThrow(TypeError);
    expect(() => state.watchKind(kind, { bootstrapContents: true, startFromBookmark: bookmark })).toThrow(TypeError);
    expect(() => state.watchKindAggregated(kind, { bootstrapContents: true, startFromBookmark: bookmark })).toThrow(TypeError);
  });

  conformanceCase(options, '14. single bookmarks: resuming from each event gives exactly the later ones, then live', async (ctx) => {
    const { state, namespace, ptr } = ctx;
    const p = ptr('b');
    const watch = ctx.record(state.watch(p));
    const initial = await watch.next();
    const v1 = await state.create(Path.create('b', { value: '1' }, { namespace }));
    await state.update(changed(v1, { spec: { value: '2' } }));
    await state.create(Path.create('other', { value: 'o' }, { namespace }));
    await state.teardown(p);
    await state.destroy(p);
    await state.create(Path.create('b', { value: 'reborn' }, { namespace }));
    const events = [initial, ...(await watch.take(5))];
    expect(events.map((e) => e.type)).toEqual(['destroyed', 'created', 'updated', 'updated', 'destroyed', 'created']);

    const resumed = events.map((e) => ctx.record(state.watch(p, { startFromBookmark: bookmarkOf(e) })));
    for (const [i, r] of resumed.entries()) {
      const later = events.slice(i + 1);
      expect(describeEvents(await r.take(later.length)), `resumed from event ${i}`).toEqual(describeEvents(later));
    }
    await state.modify<PathSpec>(p, (d) => void (d.spec.value = 'live'));
    const live = await watch.next();
    expect(live).toMatchObject({ type: 'updated', resource: { metadata: { version: 2 }, spec: { value: 'live' } } });
    for (const [i, r] of resumed.entries()) {
      expect(describeEvents([await r.next()]), `live event after resuming from event ${i}`).toEqual(describeEvents([live]));
    }
  });
}
