import { expect } from 'vitest';
import { label, resourceEquals } from '@cosi-ts/resource';
import type { Resource } from '@cosi-ts/resource';
import type { Observable } from 'rxjs';
import type { ListOptions, State, StateEvent } from '../../state.ts';
import { conformanceCase } from '../conformance-case.ts';
import type { CaseContext } from '../conformance-case.ts';
import { describeEvent, describeEvents, describeResource } from '../describe-event.ts';
import type { EventRecorder } from '../event-recorder.ts';
import { Path, changed } from '../fixture.ts';
import type { PathSpec } from '../fixture.ts';
import type { StateConformanceOptions } from '../options.ts';
import { expectErroredThenComplete } from '../expect-events.ts';

type View = Map<string, Resource>;

function applyEvent(view: View, e: StateEvent): void {
  if (e.type === 'created' || e.type === 'updated') view.set(e.resource.metadata.id, e.resource);
  else if (e.type === 'destroyed') view.delete(e.resource.metadata.id);
}

/** §6.6: what a resync from `view` to `head` must emit, before its `bootstrapped`. */
function expectedResync(view: View, head: readonly Resource[]): string[] {
  const current = new Map(head.map((r) => [r.metadata.id, r]));
  const ids = [...new Set([...view.keys(), ...current.keys()])].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const out: string[] = [];
  const d = (e: StateEvent) => describeEvent(e, { bookmark: false });
  for (const id of ids) {
    const was = view.get(id);
    const now = current.get(id);
    if (was && !now) out.push(d({ type: 'destroyed', resource: was }));
    else if (!was && now) out.push(d({ type: 'created', resource: now }));
    else if (was && now) {
      if (was.metadata.created.getTime() !== now.metadata.created.getTime()) {
        out.push(d({ type: 'destroyed', resource: was }), d({ type: 'created', resource: now }));
      } else if (!resourceEquals(was, now)) out.push(d({ type: 'updated', resource: now, old: was }));
    }
  }
  return out;
}

const describeView = (view: View) => [...view.values()].map(describeResource).sort();

/** Cases 24–25: watchers that fall behind a small history. */
export function overrunCases(options: StateConformanceOptions): void {
  conformanceCase(
    options,
    '24. overrun resync: bootstrap watchers get the diff, bootstrapped, then live; their view equals list()',
    async (ctx: CaseContext) => {
      const { namespace, kind, ptr } = ctx;
      const state: State = await ctx.smallHistory(10, 5);
      const initial: Record<string, Record<string, string>> = {
        a: { sel: 'yes' },
        b: { sel: 'yes' },
        c: {},
        d: { sel: 'yes' },
        gone: { sel: 'yes' },
        re: { sel: 'yes' },
      };
      const stored = new Map<string, Resource<PathSpec>>();
      for (const [id, labels] of Object.entries(initial)) {
        stored.set(id, await state.create(Path.create(id, { value: `${id}-1` }, { namespace, labels })));
      }
      const filter: ListOptions = { labels: [[label.equal('sel', 'yes')]] };
      const watchers: { name: string; list: ListOptions; rec: EventRecorder<StateEvent>; batches?: EventRecorder<readonly StateEvent[]> }[] = [
        { name: 'plain', list: {}, rec: ctx.record(state.watchKind(kind, { bootstrapContents: true })) },
        { name: 'filtered', list: filter, rec: ctx.record(state.watchKind(kind, { bootstrapContents: true, ...filter })) },
      ];
      const batches = ctx.record(state.watchKindAggregated(kind, { bootstrapContents: true }));
      const views = new Map<string, View>();
      for (const w of watchers) {
        const boot = await w.rec.takeUntil((e) => e.type === 'bootstrapped', { max: 10 });
        const view: View = new Map();
        for (const e of boot) applyEvent(view, e);
        views.set(w.name, view);
      }
      const aggregatedBoot = await batches.next();
      expect(aggregatedBoot.at(-1)?.type).toBe('bootstrapped');
      const aggregatedView: View = new Map();
      for (const e of aggregatedBoot) applyEvent(aggregatedView, e);

      // one synchronous burst: nothing yields to the event loop until every write was issued
      const s = (id: string) => stored.get(id) as Resource<PathSpec>;
      const writes: Promise<unknown>[] = [];
      for (let v = 1; v <= 4; v++) writes.push(state.update(changed(s('a'), { metadata: { version: v }, spec: { value: `a-${v + 1}` } })));
      writes.push(state.update(changed(s('b'), { metadata: { labels: { sel: 'no' } } })));
      writes.push(state.update(changed(s('c'), { metadata: { labels: { sel: 'yes' } } })));
      writes.push(state.destroy(ptr('gone')));
      writes.push(state.destroy(ptr('re')));
      writes.push(state.create(Path.create('re', { value: 're-2' }, { namespace, labels: { sel: 'yes' } })));
      writes.push(state.create(Path.create('new', { value: 'new' }, { namespace, labels: { sel: 'yes' } })));
      for (let i = 0; i < 4; i++) writes.push(state.create(Path.create(`f${i}`, { value: 'f' }, { namespace, labels: { sel: 'yes' } })));
      expect(writes.length).toBeGreaterThan(10);
      await Promise.all(writes);

      const all = [...watchers, { name: 'aggregated', list: {}, rec: undefined }];
      for (const w of all) {
        const view = w.rec ? (views.get(w.name) as View) : aggregatedView;
        const head = await state.list(kind, w.list);
        const expected = [...expectedResync(view, head), expect.stringMatching(/^bootstrapped \(kind\) v0 /)];
        const got = w.rec ? await w.rec.takeUntil((e) => e.type === 'bootstrapped', { max: 100 }) : await batches.next();
        expect(describeEvents(got, { bookmark: false }), `${w.name}: resync`).toEqual(expected);
        const last = got.at(-1);
        expect(last?.type === 'bootstrapped' && last.bookmark, `${w.name}: bootstrapped carries a bookmark`).toBeInstanceOf(Uint8Array);
        for (const e of got) applyEvent(view, e);
        expect(describeView(view), `${w.name}: view equals list()`).toEqual(head.map(describeResource).sort());
      }

      const d1 = s('d');
      const d2 = await state.update(changed(d1, { spec: { value: 'd-2' } }));
      const live = describeEvent({ type: 'updated', resource: d2, old: d1 }, { bookmark: false });
      for (const w of watchers) {
        const e = await w.rec.next();
        expect(describeEvent(e, { bookmark: false }), `${w.name}: live after resync`).toBe(live);
        applyEvent(views.get(w.name) as View, e);
        expect(describeView(views.get(w.name) as View)).toEqual((await state.list(kind, w.list)).map(describeResource).sort());
      }
      expect(describeEvents(await batches.next(), { bookmark: false }), 'aggregated: live after resync').toEqual([live]);
    },
    { smallHistory: true },
  );

  conformanceCase(
    options,
    '25. overrun fatal: single, live, tail and resumed watches get one errored(Overrun), then complete',
    async (ctx: CaseContext) => {
      const { namespace, kind, ptr } = ctx;
      const state: State = await ctx.smallHistory(10, 5);
      let a = await state.create(Path.create('a', { value: '0' }, { namespace }));
      const watches: { name: string; rec: EventRecorder<StateEvent> }[] = [];
      const add = async (name: string, source: Observable<StateEvent>, skip: number) => {
        const rec = ctx.record(source);
        const first = await rec.take(skip);
        watches.push({ name, rec });
        return first;
      };
      await add('single', state.watch(ptr('a')), 1);
      await add('live', state.watchKind(kind), 0);
      const [noop] = await add('live with bootstrapBookmark', state.watchKind(kind, { bootstrapBookmark: true }), 1);
      const bookmark = noop?.type === 'noop' ? noop.bookmark : undefined;
      if (!bookmark) throw new Error('watchKind with bootstrapBookmark sent no noop first');
      await add('resumed kind', state.watchKind(kind, { startFromBookmark: bookmark }), 0);
      await add('resumed single', state.watch(ptr('a'), { startFromBookmark: bookmark }), 0);
      if (options.capabilities.tail) {
        await add('tail kind', state.watchKind(kind, { tailEvents: 1 }), 1);
        await add('tail single', state.watch(ptr('a'), { tailEvents: 1 }), 1);
      }
      const batches = ctx.record(state.watchKindAggregated(kind, { bootstrapBookmark: true }));
      await batches.next();

      const writes: Promise<unknown>[] = [];
      for (let v = 1; v <= 12; v++) writes.push(state.update(changed(a, { metadata: { version: v }, spec: { value: `${v}` } })));
      writes.push(state.create(Path.create('b', { value: 'b' }, { namespace })));
      await Promise.all(writes);
      a = await state.get(ptr('a'));
      expect(a.metadata.version).toBe(13);

      for (const { name, rec } of watches) {
        const error = await expectErroredThenComplete(rec, 'Overrun', name);
        expect(error, name).toMatchObject({ namespace, type: Path.type });
      }
      expect(describeEvents(await batches.next()), 'aggregated').toEqual(['errored Overrun']);
      await batches.expectComplete();
    },
    { smallHistory: true },
  );
}
