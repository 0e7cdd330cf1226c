import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { isTombstone, label } from '@cosi-ts/resource';
import type { Resource } from '@cosi-ts/resource';
import type { Observable } from 'rxjs';
import type { Bookmark, State, StateEvent, WatchKindOptions } from '../../state.ts';
import { conformanceCase } from '../conformance-case.ts';
import type { CaseContext } from '../conformance-case.ts';
import { bookmarkHex, describeEvent, describeEvents } from '../describe-event.ts';
import type { EventRecorder } from '../event-recorder.ts';
import { Counter, Path, changed } from '../fixture.ts';
import type { PathSpec } from '../fixture.ts';
import { flattenBatches } from '../flatten-batches.ts';
import { bookmarkOf, expectErroredThenComplete } from '../expect-events.ts';
import type { StateConformanceOptions } from '../options.ts';

/** Writes between waits for watchers, so a store keeping 64 events never overruns a live watcher. */
export const WRITE_BURST = 16;

const plain = (type: 'created' | 'destroyed', resource: Resource): string =>
  describeEvent({ type, resource }, { bookmark: false });
const updated = (resource: Resource, old: Resource): string => describeEvent({ type: 'updated', resource, old }, { bookmark: false });
const idOf = (e: StateEvent): string => (e.type === 'errored' ? '(errored)' : e.resource.metadata.id);


/** A live watchKind that is known to be established: its `noop` was received. */
async function liveWatcher(ctx: CaseContext, state: State, opts: WatchKindOptions = {}): Promise<{ rec: EventRecorder<StateEvent>; noop: StateEvent }> {
  const rec = ctx.record(state.watchKind(ctx.kind, { ...opts, bootstrapBookmark: true }));
  const noop = await rec.next();
  expect(noop.type).toBe('noop');
  return { rec, noop };
}

const expectInvalidBookmark = (rec: EventRecorder<StateEvent>, what: string) => expectErroredThenComplete(rec, 'InvalidBookmark', what);

/** Cases 15–19: watching a kind. */
export function kindWatchCases(options: StateConformanceOptions): void {
  conformanceCase(options, '15. watchKind: live events, bootstrap, aggregated alike', async (ctx) => {
    const { state, namespace, kind, ptr } = ctx;
    await state.create(Path.create('pre', { value: 'pre' }, { namespace }));
    const live = ctx.record(state.watchKind(kind));
    const aggregated = ctx.record(state.watchKindAggregated(kind));
    const creating = state.create(Path.create('a', { value: '1' }, { namespace }));
    // §5.3: delivery is never inside the writer's call
    expect(live.pending, 'no event delivered during the write call').toHaveLength(0);
    const a1 = await creating;
    const a2 = await state.update(changed(a1, { spec: { value: '2' } }));
    await state.destroy(ptr('a'));
    const seen = await live.take(3);
    expect(describeEvents(seen, { bookmark: false })).toEqual([plain('created', a1), updated(a2, a1), plain('destroyed', a2)]);
    for (const e of seen) bookmarkOf(e);
    const batches: (readonly StateEvent[])[] = [];
    while (batches.flat().length < 3) {
      const batch = await aggregated.next();
      expect(batch.length).toBeGreaterThan(0);
      batches.push(batch);
    }
    expect(describeEvents(batches.flat())).toEqual(describeEvents(seen));

    await state.create(Path.create('c', { value: 'c' }, { namespace }));
    await state.create(Path.create('b', { value: 'b' }, { namespace }));
    const listed = await state.list(kind);
    const boot = ctx.record(state.watchKind(kind, { bootstrapContents: true }));
    const bootAggregated = ctx.record(state.watchKindAggregated(kind, { bootstrapContents: true }));
    const bootEvents = await boot.take(4);
    expect(describeEvents(bootEvents.slice(0, 3), { bookmark: false })).toEqual(listed.map((r) => plain('created', r)));
    expect(listed.map((r) => r.metadata.id)).toEqual(['b', 'c', 'pre']);
    for (const e of bootEvents.slice(0, 3)) expect(e.type !== 'errored' && e.bookmark, 'bootstrap events carry no bookmark').toBeUndefined();
    const bootstrapped = bootEvents[3];
    expect(bootstrapped?.type).toBe('bootstrapped');
    if (bootstrapped?.type !== 'bootstrapped') return;
    expect(isTombstone(bootstrapped.resource)).toBe(true);
    expect(bootstrapped.resource.metadata).toMatchObject({ namespace, type: Path.type, id: '', version: 0 });
    bookmarkOf(bootstrapped);
    // the whole bootstrap is one batch
    const firstBatch = await bootAggregated.next();
    expect(describeEvents(firstBatch)).toEqual(describeEvents(bootEvents));

    const b2 = await state.modify<PathSpec>(ptr('b'), (d) => void (d.spec.value = 'b2'));
    const [liveB] = await boot.take(1);
    expect(describeEvents([liveB as StateEvent], { bookmark: false })).toEqual([updated(b2, listed[0] as Resource)]);
    bookmarkOf(liveB as StateEvent);
    expect(describeEvents(await bootAggregated.next())).toEqual(describeEvents([liveB as StateEvent]));
    const liveRest = await live.take(3); // created c, created b, updated b
    expect(describeEvents(liveRest.slice(2))).toEqual(describeEvents([liveB as StateEvent]));
  });

  conformanceCase(
    options,
    '16. kind tail: tail 1000 replays the suffix a live watcher saw (clamped), then live',
    async (ctx) => {
      const { state, namespace } = ctx;
      const { rec: live } = await liveWatcher(ctx, state);
      const total = 1100;
      const present = new Map<string, Resource<PathSpec>>();
      for (let i = 0; i < total; i++) {
        const id = `t${String(i % 20).padStart(2, '0')}`;
        const current = present.get(id);
        const labels = { parity: i % 20 % 2 === 0 ? 'even' : 'odd' };
        if (current === undefined) present.set(id, await state.create(Path.create(id, { value: `${i}` }, { namespace, labels })));
        else if (i % 7 === 0) {
          await state.destroy(current.metadata);
          present.delete(id);
        } else present.set(id, await state.update(changed(current, { spec: { value: `${i}` } })));
        if ((i + 1) % WRITE_BURST === 0) await live.waitForCount(1 + i + 1);
      }
      await live.waitForCount(1 + total);
      const history = live.received.slice(1, 1 + total);

      const tail = ctx.record(state.watchKind(ctx.kind, { tailEvents: 1000 }));
      const tailEven = ctx.record(state.watchKind(ctx.kind, { tailEvents: 10, labels: [[label.equal('parity', 'even')]] }));
      const marker = await state.create(Path.create('zz-marker', { value: 'm' }, { namespace, labels: { parity: 'even' } }));
      const isMarker = (e: StateEvent) => e.type === 'created' && e.resource.metadata.id === marker.metadata.id;
      const replay = await tail.takeUntil(isMarker, { max: 1001 });
      const k = replay.length - 1;
      expect(k, 'tail replays at least one event').toBeGreaterThan(0);
      expect(k, 'tail replays at most 1000 events').toBeLessThanOrEqual(1000);
      expect(describeEvents(replay.slice(0, k))).toEqual(describeEvents(history.slice(total - k)));
      await live.waitForCount(1 + total + 1);
      const liveMarker = live.received[1 + total] as StateEvent;
      expect(describeEvents(replay.slice(k))).toEqual(describeEvents([liveMarker]));

      // filtered after selection: of the last 10 events, those of even ids
      const evenReplay = await tailEven.takeUntil(isMarker, { max: 11 });
      const expected = history.slice(total - 10).filter((e) => e.type !== 'errored' && e.resource.metadata.labels['parity'] === 'even');
      expect(describeEvents(evenReplay)).toEqual(describeEvents([...expected, liveMarker]));
    },
    { tail: true },
  );

  conformanceCase(
    options,
    '16. kind tail without tail support: errored(Unsupported), then complete',
    async (ctx) => {
      const rec = ctx.record(ctx.state.watchKind(ctx.kind, { tailEvents: 5 }));
      await expectErroredThenComplete(rec, 'Unsupported', 'watchKind with tailEvents');
    },
    { noTail: true },
  );

  conformanceCase(options, '17. filtered watchKind: Equal, Exists, OR; relabel in/out become created/destroyed', async (ctx) => {
    const { state, namespace, kind, ptr } = ctx;
    const d1 = await state.create(Path.create('d', { value: 'd' }, { namespace }));
    await state.create(Path.create('c', { value: 'c' }, { namespace, labels: { tier: 'x' } }));
    const b1 = await state.create(Path.create('b', { value: 'b' }, { namespace, labels: { env: 'dev' } }));
    const a1 = await state.create(Path.create('a', { value: 'a' }, { namespace, labels: { env: 'prod' } }));
    const watch = (labels: WatchKindOptions['labels']) =>
      ctx.record(state.watchKind(kind, { bootstrapContents: true, ...(labels ? { labels } : {}) }));
    const eq = watch([[label.equal('env', 'prod')]]);
    const ex = watch([[label.exists('env')]]);
    const or = watch([[label.equal('env', 'prod')], [label.equal('env', 'dev')]]);
    const bootstrapped = expect.stringMatching(/^bootstrapped \(kind\) v0 /);
    expect(describeEvents(await eq.take(2), { bookmark: false })).toEqual([plain('created', a1), bootstrapped]);
    expect(describeEvents(await ex.take(3), { bookmark: false })).toEqual([plain('created', a1), plain('created', b1), bootstrapped]);
    expect(describeEvents(await or.take(3), { bookmark: false })).toEqual([plain('created', a1), plain('created', b1), bootstrapped]);

    const write = (id: string, recipe: (d: { spec: { value: string }; metadata: { labels: Record<string, string> } }) => void) =>
      state.modify<PathSpec>(ptr(id), recipe);
    const d2 = await write('d', (x) => void (x.metadata.labels['env'] = 'prod')); // in for all three
    const a2 = await write('a', (x) => void (x.metadata.labels['env'] = 'dev')); // out of eq only
    await write('c', (x) => void (x.spec.value = 'c2')); // matches nothing: dropped
    const b2 = await write('b', (x) => void (x.spec.value = 'b2'));
    const d3 = await write('d', (x) => void (x.spec.value = 'd3'));
    const d4 = await write('d', (x) => void delete x.metadata.labels['env']); // out of all three
    const a3 = await write('a', (x) => void (x.metadata.labels['env'] = 'prod'));
    expect(d1.metadata.version).toBe(1);

    const expectations: [EventRecorder<StateEvent>, string[]][] = [
      [eq, [plain('created', d2), plain('destroyed', a2), updated(d3, d2), plain('destroyed', d4), plain('created', a3)]],
      [ex, [plain('created', d2), updated(a2, a1), updated(b2, b1), updated(d3, d2), plain('destroyed', d4), updated(a3, a2)]],
      [or, [plain('created', d2), updated(a2, a1), updated(b2, b1), updated(d3, d2), plain('destroyed', d4), updated(a3, a2)]],
    ];
    for (const [rec, expected] of expectations) {
      const got = await rec.take(expected.length);
      expect(describeEvents(got, { bookmark: false })).toEqual(expected);
      for (const e of got) bookmarkOf(e);
    }
  });

  conformanceCase(options, '18. kind bookmarks: from bootstrapped/noop on, resumable exactly in every watch shape', async (ctx) => {
    const { state, namespace, kind, ptr } = ctx;
    await state.create(Path.create('x1', { value: 'x1' }, { namespace, labels: { sel: 'yes' } }));
    await state.create(Path.create('x2', { value: 'x2' }, { namespace }));
    const shapes = [false, true].flatMap((aggregated) =>
      [false, true].flatMap((bootstrapContents) => [false, true].map((bootstrapBookmark) => ({ aggregated, bootstrapContents, bootstrapBookmark }))),
    );
    const watchers = shapes.map((shape) => {
      const opts = { bootstrapContents: shape.bootstrapContents, bootstrapBookmark: shape.bootstrapBookmark };
      const source: Observable<StateEvent> = shape.aggregated
        ? flattenBatches(state.watchKindAggregated(kind, opts))
        : state.watchKind(kind, opts);
      return { shape, rec: ctx.record(source), name: JSON.stringify(shape) };
    });
    const positions: Bookmark[] = [];
    for (const w of watchers) {
      if (w.shape.bootstrapContents) {
        const boot = await w.rec.take(3);
        expect(boot.map((e) => `${e.type} ${idOf(e)}`), w.name).toEqual(['created x1', 'created x2', 'bootstrapped ']);
        expect(boot.slice(0, 2).map((e) => e.type !== 'errored' && e.bookmark), `${w.name}: no bookmark before bootstrapped`).toEqual([undefined, undefined]);
        positions.push(bookmarkOf(boot[2] as StateEvent));
      } else if (w.shape.bootstrapBookmark) {
        const noop = await w.rec.next();
        expect(noop.type, w.name).toBe('noop');
        positions.push(bookmarkOf(noop));
      }
    }

    const a1 = await state.create(Path.create('a', { value: 'a1' }, { namespace, labels: { sel: 'yes' } }));
    await state.update(changed(a1, { spec: { value: 'a2' } }));
    await state.create(Path.create('b', { value: 'b1' }, { namespace }));
    await state.teardown(ptr('a'));
    await state.destroy(ptr('a'));
    await state.modify<PathSpec>(ptr('b'), (d) => void (d.spec.value = 'b2'));
    await state.modify<PathSpec>(ptr('x1'), (d) => void (d.spec.value = 'x1-2'));
    const liveEvents = await watchers[0]!.rec.take(7);
    for (const w of watchers.slice(1)) expect(describeEvents(await w.rec.take(7)), w.name).toEqual(describeEvents(liveEvents));

    const points = [
      ...positions.map((bookmark) => ({ bookmark, later: liveEvents })),
      ...liveEvents.map((e, i) => ({ bookmark: bookmarkOf(e), later: liveEvents.slice(i + 1) })),
    ];
    const selected = (e: StateEvent) => e.type !== 'errored' && e.resource.metadata.labels['sel'] === 'yes';
    const ofId = (id: string) => (e: StateEvent) => idOf(e) === id;
    const resumes = points.flatMap(({ bookmark, later }) => {
      const from = { startFromBookmark: bookmark };
      const at = bookmarkHex(bookmark);
      return [
        { name: `watchKind from ${at}`, rec: ctx.record(state.watchKind(kind, from)), later, filter: () => true },
        { name: `aggregated from ${at}`, rec: ctx.record(flattenBatches(state.watchKindAggregated(kind, from))), later, filter: () => true },
        { name: `filtered from ${at}`, rec: ctx.record(state.watchKind(kind, { ...from, labels: [[label.exists('sel')]] })), later, filter: selected },
        { name: `single a from ${at}`, rec: ctx.record(state.watch(ptr('a'), from)), later, filter: ofId('a') },
        { name: `single b from ${at}`, rec: ctx.record(state.watch(ptr('b'), from)), later, filter: ofId('b') },
      ];
    });
    for (const r of resumes) {
      const expected = r.later.filter(r.filter);
      expect(describeEvents(await r.rec.take(expected.length)), r.name).toEqual(describeEvents(expected));
    }
    await state.create(Path.create('a', { value: 'again' }, { namespace, labels: { sel: 'yes' } }));
    await state.modify<PathSpec>(ptr('b'), (d) => void (d.spec.value = 'b3'));
    const newEvents = await watchers[0]!.rec.take(2);
    for (const r of resumes) {
      const expected = newEvents.filter(r.filter);
      expect(describeEvents(await r.rec.take(expected.length)), `${r.name}, then live`).toEqual(describeEvents(expected));
    }
    // the single and filtered watches saw nothing else in between: the next live event is the next one
    await state.modify<PathSpec>(ptr('a'), (d) => void (d.spec.value = 'last'));
    const [last] = await watchers[0]!.rec.take(1);
    for (const r of resumes.filter((x) => x.filter(last as StateEvent))) {
      expect(describeEvents([await r.rec.next()]), `${r.name}, last`).toEqual(describeEvents([last as StateEvent]));
    }
  });

  conformanceCase(options, '19. invalid bookmark: garbage, foreign store, other kind, too old', async (ctx) => {
    const { state, namespace, kind, ptr } = ctx;
    await state.create(Path.create('a', { value: 'a' }, { namespace }));
    const { noop } = await liveWatcher(ctx, state);
    const own = bookmarkOf(noop);

    const garbage = [new Uint8Array([0xde, 0xad, 0xbe, 0xef]), new Uint8Array(randomBytes(32))];
    for (const bookmark of garbage) {
      const at = { startFromBookmark: bookmark };
      await expectInvalidBookmark(ctx.record(state.watchKind(kind, at)), `garbage ${bookmarkHex(bookmark)} on watchKind`);
      await expectInvalidBookmark(ctx.record(state.watch(ptr('a'), at)), `garbage on watch`);
      await expectInvalidBookmark(ctx.record(flattenBatches(state.watchKindAggregated(kind, at))), `garbage on aggregated`);
    }

    // another kind: same type in another namespace, another type in this namespace
    const otherNamespace = Path.kind(`${namespace}-other`);
    await state.create(Path.create('a', { value: 'a' }, { namespace: otherNamespace.namespace }));
    await expectInvalidBookmark(ctx.record(state.watchKind(otherNamespace, { startFromBookmark: own })), 'bookmark of another namespace');
    await state.create(Counter.create('a', { value: 1 }, { namespace }));
    await expectInvalidBookmark(
      ctx.record(state.watchKind(Counter.kind(namespace), { startFromBookmark: own })),
      'bookmark of another type',
    );
    await expectInvalidBookmark(ctx.record(state.watch(Counter.pointer('a', namespace), { startFromBookmark: own })), 'bookmark of another type, single');

    const other = await ctx.openAnother();
    if (other !== state) {
      await other.create(Path.create('a', { value: 'a' }, { namespace }));
      const { noop: foreignNoop } = await liveWatcher(ctx, other);
      await expectInvalidBookmark(ctx.record(state.watchKind(kind, { startFromBookmark: bookmarkOf(foreignNoop) })), 'bookmark of another store');
      await expectInvalidBookmark(ctx.record(other.watchKind(kind, { startFromBookmark: own })), 'bookmark of another store (reverse)');
    }

    if (options.smallHistory) {
      const small = await ctx.smallHistory(10, 5);
      const first = await small.create(Path.create('s', { value: '0' }, { namespace }));
      const { rec, noop: start } = await liveWatcher(ctx, small);
      let current = first;
      const seen: StateEvent[] = [];
      for (let i = 1; i <= 20; i++) {
        current = await small.update(changed(current, { spec: { value: `${i}` } }));
        seen.push(await rec.next());
      }
      await expectInvalidBookmark(ctx.record(small.watchKind(kind, { startFromBookmark: bookmarkOf(start) })), 'bookmark older than the history');
      await expectInvalidBookmark(ctx.record(small.watch(ptr('s'), { startFromBookmark: bookmarkOf(start) })), 'too old, single');
      // within the resume window: still exact
      const recent = ctx.record(small.watchKind(kind, { startFromBookmark: bookmarkOf(seen[16] as StateEvent) }));
      expect(describeEvents(await recent.take(3))).toEqual(describeEvents(seen.slice(17)));
    }
  });
}
