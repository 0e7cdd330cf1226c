import { describe, expect, it } from 'vitest';
import { firstValueFrom, take, timeout, toArray } from 'rxjs';
import type { Observable } from 'rxjs';
import { MAX_ID_QUERY_LENGTH, MAX_SPEC_DEPTH, defineResourceType, isSpecTooDeep, formatPointer, isInvalidIdQuery, label } from '@cosi-ts/resource';
import type { Resource } from '@cosi-ts/resource';
import { InMemoryState } from './in-memory-state.ts';
import { isConflict, isInvalidBookmark, isNotFound, isOverrun, isOwnerConflict, isPhaseConflict } from './errors.ts';
import type { Bookmark, StateEvent } from './state.ts';

interface Spec {
  readonly n: number;
}
const Things = defineResourceType<Spec>({ type: 'Things.test.cosi.dev', defaultNamespace: 'default' });
const kind = Things.kind();
const other = Things.kind('other');

/** The first `n` values, or a TimeoutError after a second. */
const first = <T>(obs: Observable<T>, n: number): Promise<T[]> =>
  firstValueFrom(obs.pipe(take(n), timeout(1000), toArray()));

/** Everything the observable emits (and whether it completed), recorded synchronously. */
function record<T>(obs: Observable<T>) {
  const values: T[] = [];
  let completed = false;
  const sub = obs.subscribe({ next: (v) => values.push(v), complete: () => (completed = true) });
  return { values, sub, completed: () => completed };
}

/** Lets queued microtasks (the watch delivery) run. */
const settle = () => new Promise<void>((r) => setImmediate(r));

const summary = (e: StateEvent) =>
  e.type === 'errored' ? `errored:${e.error.name}` : `${e.type}:${e.resource.metadata.id}@${e.resource.metadata.version}`;

describe('InMemoryState options', () => {
  it('rejects a capacity below 2 and a gap outside [0, capacity)', () => {
    expect(() => new InMemoryState({ historyCapacity: 1 })).toThrow(TypeError);
    expect(() => new InMemoryState({ historyCapacity: 4, historyGap: 4 })).toThrow(TypeError);
    expect(() => new InMemoryState({ historyGap: -1 })).toThrow(TypeError);
    expect(() => new InMemoryState({ historyCapacity: 2, historyGap: 1 })).not.toThrow();
  });
});

describe('InMemoryState core operations', () => {
  it('stores frozen copies with versions, owner and clock times, leaving inputs untouched', async () => {
    let t = 1000;
    const state = new InMemoryState({ now: () => new Date(t) });
    const input = Things.create('a', { n: 1 }, { labels: { x: '1' } });
    const created = await state.create(input, { owner: 'ctrl' });
    expect(input.metadata.version).toBe(0);
    expect(created.metadata).toMatchObject({ version: 1, owner: 'ctrl', phase: 'running' });
    expect(created.metadata.created.getTime()).toBe(1000);
    expect(Object.isFrozen(created) && Object.isFrozen(created.metadata) && Object.isFrozen(created.spec)).toBe(true);
    t = 2000;
    const updated = await state.update(
      { metadata: { ...created.metadata }, spec: { n: 2 } },
      { owner: 'ctrl' },
    );
    expect(updated.metadata.version).toBe(2);
    expect(updated.metadata.created.getTime()).toBe(1000);
    expect(updated.metadata.updated.getTime()).toBe(2000);
    expect(Object.isFrozen(updated.spec)).toBe(true);
    expect(await state.get(Things.pointer('a'))).toBe(updated);
  });

  it('checks create, update and destroy in the order of the spec', async () => {
    const state = new InMemoryState();
    const r = await state.create(Things.create('a', { n: 1 }), { owner: 'o' });
    await expect(state.create(Things.create('a', { n: 1 }), { owner: 'o' })).rejects.toSatisfy(
      (e: unknown) => isConflict(e) && (e as { reason: string }).reason === 'exists',
    );
    await expect(state.create(Things.create('b', { n: 1 }, { owner: 'x' }), { owner: 'o' })).rejects.toSatisfy(isOwnerConflict);
    await expect(state.create(Things.create('b', { n: 1 }, { phase: 'tearingDown' }))).rejects.toSatisfy(isPhaseConflict);
    // Wrong owner wins over a stale version.
    const stale = { metadata: { ...r.metadata, version: 7 }, spec: r.spec };
    await expect(state.update(stale, { owner: 'x' })).rejects.toSatisfy(isOwnerConflict);
    await expect(state.update(stale, { owner: 'o' })).rejects.toSatisfy(
      (e: unknown) => isConflict(e) && (e as { reason: string }).reason === 'version',
    );
    const down = await state.update({ metadata: { ...r.metadata, phase: 'tearingDown' }, spec: r.spec }, { owner: 'o' });
    await expect(state.update(down, { owner: 'o' })).rejects.toSatisfy(isPhaseConflict);
    await expect(
      state.update({ metadata: { ...down.metadata, phase: 'running' }, spec: r.spec }, { owner: 'o', expectedPhase: 'any' }),
    ).rejects.toSatisfy(isPhaseConflict);
    await expect(state.destroy(Things.pointer('a'))).rejects.toSatisfy(isOwnerConflict);
    await state.destroy(Things.pointer('a'), { owner: 'o' });
    await expect(state.get(Things.pointer('a'))).rejects.toSatisfy(isNotFound);
    expect((await state.create(Things.create('a', { n: 1 }))).metadata.version).toBe(1);
  });

  it('lists sorted by id with label and id filters', async () => {
    const state = new InMemoryState();
    for (const id of ['c', 'a', 'b', 'B']) await state.create(Things.create(id, { n: 0 }, { labels: { l: id } }));
    expect((await state.list(kind)).map((r) => r.metadata.id)).toEqual(['B', 'a', 'b', 'c']);
    expect((await state.list(kind, { labels: [[label.in('l', ['a', 'c'])]] })).map((r) => r.metadata.id)).toEqual(['a', 'c']);
    expect((await state.list(kind, { idQuery: { regexp: '^[ab]$' } })).map((r) => r.metadata.id)).toEqual(['a', 'b']);
    expect(await state.list(other)).toEqual([]);
    await state.create(Things.create('d', { n: 0 }));
    await state.create(Things.create('e', { n: 0 }));
    await state.destroy(Things.pointer('e'));
    await state.destroy(Things.pointer('a'));
    await state.create(Things.create('A', { n: 0 }));
    expect((await state.list(kind)).map((r) => r.metadata.id)).toEqual(['A', 'B', 'b', 'c', 'd']);
    await expect(state.list(kind, { labels: [[{ key: 'l', op: 'in', values: [] }]] })).rejects.toThrow(TypeError);
  });
});

describe('InMemoryState ID queries from clients', () => {
  it('matches a catastrophic-backtracking pattern in linear time, in list and watchKind alike', async () => {
    const state = new InMemoryState();
    const ids = Array.from({ length: 5 }, (_, i) => `${'a'.repeat(28 + i)}!`);
    for (const id of ids) await state.create(Things.create(id, { n: 0 }));
    await state.create(Things.create('aaa', { n: 0 }));
    // A backtracking engine spends minutes on each of the five long ids (2^28 steps and more).
    expect((await state.list(kind, { idQuery: { regexp: '^(a+)+$' } })).map((r) => r.metadata.id)).toEqual(['aaa']);
    const seen: string[] = [];
    const sub = state.watchKind(kind, { bootstrapContents: true, idQuery: { regexp: '^(a+)+$' } }).subscribe((e) => {
      if (e.type !== 'errored') seen.push(`${e.type} ${e.resource.metadata.id}`);
    });
    await new Promise<void>((r) => setImmediate(r));
    sub.unsubscribe();
    expect(seen).toEqual(['created aaa', 'bootstrapped ']);
  }, 20_000);

  it('refuses an over-long pattern with the typed error naming the limit and the kind', async () => {
    const state = new InMemoryState();
    const e: unknown = await state.list(kind, { idQuery: { regexp: 'a'.repeat(MAX_ID_QUERY_LENGTH + 1) } }).catch((x: unknown) => x);
    expect(isInvalidIdQuery(e)).toBe(true);
    expect(e).toBeInstanceOf(TypeError);
    expect((e as Error).message).toContain(formatPointer(kind));
    expect((e as Error).message).toContain(`at most ${MAX_ID_QUERY_LENGTH} characters`);
    expect(() => state.watchKind(kind, { idQuery: { regexp: '(a)\\1' } })).toThrow(/RE2 syntax/);
  });
});

describe('InMemoryState deeply nested specs', () => {
  it('refuses a 100,000-level spec on every write with a TypeError naming MAX_SPEC_DEPTH; nothing is written', async () => {
    const deep = (): Spec => {
      let v: unknown = {};
      for (let i = 0; i < 100_000; i++) v = { a: v };
      return v as Spec;
    };
    const state = new InMemoryState();
    const current = await state.create(Things.create('a', { n: 1 }));
    const tooDeep = (e: unknown) => isSpecTooDeep(e) && e instanceof TypeError && e.message.includes(`MAX_SPEC_DEPTH = ${MAX_SPEC_DEPTH}`);
    const hand = (spec: Spec, id = 'b') => ({ metadata: { ...current.metadata, id, version: 0 }, spec });
    await expect(state.create(hand(deep()))).rejects.toSatisfy(tooDeep);
    await expect(state.update({ metadata: current.metadata, spec: deep() })).rejects.toSatisfy(tooDeep);
    await expect(state.modify<Spec>(Things.pointer('a'), (d) => void (d.spec = deep()))).rejects.toSatisfy(tooDeep);
    await expect(state.modify<Spec>(hand({ n: 0 }, 'c'), (d) => void (d.spec = deep()))).rejects.toSatisfy(tooDeep);
    await expect(state.updateWithConflicts<Spec>(Things.pointer('a'), (d) => void (d.spec = deep()))).rejects.toSatisfy(tooDeep);
    expect((await state.list(kind)).map((r) => `${r.metadata.id} v${r.metadata.version}`)).toEqual(['a v1']);
  });
});

describe('InMemoryState watches', () => {
  it('never delivers inside the writer call, and delivers before the writer resumes', async () => {
    const state = new InMemoryState();
    const rec = record(state.watchKind(kind));
    const pending = state.create(Things.create('a', { n: 1 }));
    expect(rec.values).toEqual([]);
    await pending;
    expect(rec.values.map(summary)).toEqual(['created:a@1']);
    rec.sub.unsubscribe();
  });

  it('delivers writes made by a watcher callback once, in write order, to every watcher', async () => {
    const state = new InMemoryState();
    const writer = state.watchKind(kind).subscribe((e) => {
      const n = e.type === 'created' ? Number(e.resource.metadata.id.slice(1)) : 99;
      if (n < 3) void state.create(Things.create(`x${n + 1}`, { n: n + 1 }));
    });
    const early = record(state.watchKind(kind));
    await state.create(Things.create('x0', { n: 0 }));
    const late = record(state.watchKind(kind, { bootstrapContents: true }));
    await settle();
    expect(early.values.map(summary)).toEqual(['created:x0@1', 'created:x1@1', 'created:x2@1', 'created:x3@1']);
    const replay = new Set(late.values.filter((e) => e.type === 'created').map((e) => e.type !== 'errored' && e.resource.metadata.id));
    expect([...replay].sort()).toEqual(['x0', 'x1', 'x2', 'x3']);
    expect(late.values.filter((e) => e.type === 'created')).toHaveLength(4);
    writer.unsubscribe();
    early.sub.unsubscribe();
    late.sub.unsubscribe();
  });

  it('single watch: initial state with a bookmark, then live events of that id only', async () => {
    const state = new InMemoryState();
    const events = first(state.watch(Things.pointer('a')), 3);
    await settle();
    await state.create(Things.create('b', { n: 1 }));
    const a = await state.create(Things.create('a', { n: 1 }));
    await state.update(a);
    const got = await events;
    expect(got.map(summary)).toEqual(['destroyed:a@0', 'created:a@1', 'updated:a@2']);
    expect(got.every((e) => e.type !== 'errored' && e.bookmark instanceof Uint8Array)).toBe(true);
  });

  it('many single watches each see exactly the events of their id, as a kind watch shows them', async () => {
    const state = new InMemoryState({ historyCapacity: 64, historyGap: 8 });
    const all = record(state.watchKind(kind));
    const ids = Array.from({ length: 20 }, (_, i) => `s${i}`);
    const singles = ids.map((id) => record(state.watch(Things.pointer(id))));
    const current = new Map<string, Resource<Spec>>();
    for (let i = 0; i < 200; i++) {
      const id = ids[(i * 7) % 13]!; // only some ids are ever written
      const r = current.get(id);
      const write = r === undefined ? state.create(Things.create(id, { n: i })) : state.update({ metadata: r.metadata, spec: { n: i } });
      current.set(id, await write);
      if (i % 50 === 0) await settle();
    }
    // A late single watch with a tail catches up, then joins the index.
    const tail = record(state.watch(Things.pointer(ids[0]!), { tailEvents: 3 }));
    await state.update({ metadata: current.get(ids[0]!)!.metadata, spec: { n: -1 } });
    await settle();
    for (const [i, id] of ids.entries()) {
      const expected = all.values.filter((e) => e.type !== 'errored' && e.resource.metadata.id === id).map(summary);
      expect(singles[i]!.values.slice(1).map(summary), id).toEqual(expected);
    }
    const zero = all.values.filter((e) => e.type !== 'errored' && e.resource.metadata.id === ids[0]).map(summary);
    expect(tail.values.map(summary)).toEqual(zero.slice(-4));
    for (const r of [all, tail, ...singles]) r.sub.unsubscribe();
  });

  it('single watch tail: the last n events of the id, no initial event', async () => {
    const state = new InMemoryState();
    let a = await state.create(Things.create('a', { n: 1 }));
    await state.create(Things.create('b', { n: 1 }));
    a = await state.update(a);
    await state.update(a);
    const got = await first(state.watch(Things.pointer('a'), { tailEvents: 2 }), 2);
    expect(got.map(summary)).toEqual(['updated:a@2', 'updated:a@3']);
    expect(() => state.watch(Things.pointer('a'), { tailEvents: 1, startFromBookmark: new Uint8Array() })).toThrow(TypeError);
  });

  it('watchKind bootstrap: sorted created without bookmarks, bootstrapped with one, then live', async () => {
    const state = new InMemoryState();
    await state.create(Things.create('b', { n: 1 }));
    await state.create(Things.create('a', { n: 1 }));
    const events = first(state.watchKind(kind, { bootstrapContents: true }), 4);
    await settle();
    await state.create(Things.create('c', { n: 1 }));
    const got = await events;
    expect(got.map((e) => e.type)).toEqual(['created', 'created', 'bootstrapped', 'created']);
    expect(got.map((e) => (e.type === 'errored' ? '' : e.resource.metadata.id))).toEqual(['a', 'b', '', 'c']);
    expect(got.map((e) => e.type !== 'errored' && e.bookmark !== undefined)).toEqual([false, false, true, true]);
    expect(() => state.watchKind(kind, { bootstrapContents: true, tailEvents: 1 })).toThrow(TypeError);
  });

  it('aggregated: bootstrap in one batch, bookmark noop alone, live batches non-empty', async () => {
    const state = new InMemoryState();
    await state.create(Things.create('a', { n: 1 }));
    const boot = record(state.watchKindAggregated(kind, { bootstrapContents: true }));
    const noop = record(state.watchKindAggregated(kind, { bootstrapBookmark: true }));
    await settle();
    expect(boot.values.map((b) => b.map((e) => e.type))).toEqual([['created', 'bootstrapped']]);
    expect(noop.values.map((b) => b.map((e) => e.type))).toEqual([['noop']]);
    void state.create(Things.create('b', { n: 1 }));
    void state.create(Things.create('c', { n: 1 }));
    await state.create(Things.create('d', { n: 1 }));
    await settle();
    expect(boot.values.slice(1).flat().map(summary)).toEqual(['created:b@1', 'created:c@1', 'created:d@1']);
    expect(boot.values.every((b) => b.length > 0)).toBe(true);
    boot.sub.unsubscribe();
    noop.sub.unsubscribe();
  });

  it('filtered watchKind: relabel in is created, out is destroyed, both without old', async () => {
    const state = new InMemoryState();
    const rec = record(state.watchKind(kind, { labels: [[label.equal('app', 'x')]] }));
    let r = await state.create(Things.create('a', { n: 1 }));
    r = await state.update({ metadata: { ...r.metadata, labels: { app: 'x' } }, spec: r.spec });
    r = await state.update({ metadata: r.metadata, spec: { n: 2 } });
    await state.update({ metadata: { ...r.metadata, labels: {} }, spec: r.spec });
    await state.destroy(Things.pointer('a'));
    await settle();
    expect(rec.values.map(summary)).toEqual(['created:a@2', 'updated:a@3', 'destroyed:a@4']);
    expect(rec.values.map((e) => 'old' in e)).toEqual([false, true, false]);
    rec.sub.unsubscribe();
  });

  it('tracks unsubscribe and abort: complete on abort, nothing after unsubscribe', async () => {
    const state = new InMemoryState();
    const ac = new AbortController();
    const aborted = record(state.watchKind(kind, { signal: ac.signal }));
    const dropped = record(state.watchKind(kind));
    dropped.sub.unsubscribe();
    ac.abort();
    expect(aborted.completed()).toBe(true);
    await state.create(Things.create('a', { n: 1 }));
    await settle();
    expect(aborted.values).toEqual([]);
    expect(dropped.values).toEqual([]);
  });
});

describe('InMemoryState bookmarks', () => {
  it('resumes exactly after any event, on kind and single watches', async () => {
    const state = new InMemoryState();
    const seen = record(state.watchKind(kind));
    const a = await state.create(Things.create('a', { n: 1 }));
    await state.create(Things.create('b', { n: 1 }));
    await state.update(a);
    await state.destroy(Things.pointer('b'));
    await settle();
    const all = seen.values.map(summary);
    for (let i = 0; i < seen.values.length; i++) {
      const bookmark = (seen.values[i] as { bookmark: Bookmark }).bookmark;
      const rest = all.slice(i + 1);
      if (rest.length > 0) expect((await first(state.watchKind(kind, { startFromBookmark: bookmark }), rest.length)).map(summary)).toEqual(rest);
    }
    const firstBookmark = (seen.values[0] as { bookmark: Bookmark }).bookmark;
    expect((await first(state.watch(Things.pointer('a'), { startFromBookmark: firstBookmark }), 1)).map(summary)).toEqual(['updated:a@2']);
    seen.sub.unsubscribe();
  });

  it('reports garbage, foreign, other-kind and too-old bookmarks once, then completes', async () => {
    const state = new InMemoryState({ historyCapacity: 4, historyGap: 1 });
    const elsewhere = new InMemoryState();
    const bm = async (s: InMemoryState, k = kind) =>
      ((await first(s.watchKind(k, { bootstrapBookmark: true }), 1))[0] as { bookmark: Bookmark }).bookmark;
    const old = await bm(state);
    for (let i = 0; i < 4; i++) await state.create(Things.create(`x${i}`, { n: i }));
    const cases: Bookmark[] = [new Uint8Array([1, 2, 3]), await bm(elsewhere), await bm(state, other), old];
    for (const b of cases) {
      const rec = record(state.watchKind(kind, { startFromBookmark: b }));
      await settle();
      expect(rec.values.length).toBe(1);
      expect(rec.values[0]?.type === 'errored' && isInvalidBookmark(rec.values[0].error)).toBe(true);
      expect(rec.completed()).toBe(true);
    }
  });
});

describe('InMemoryState overrun', () => {
  it('fails live, single and resumed watches once when the ring wraps past them', async () => {
    const state = new InMemoryState({ historyCapacity: 4, historyGap: 1 });
    const a = await state.create(Things.create('a', { n: 0 }));
    const recs = [record(state.watchKind(kind)), record(state.watch(Things.pointer('a'))), record(state.watchKind(kind, { tailEvents: 1 }))];
    await settle();
    // Writes run synchronously inside each call: no delivery can happen between them.
    let v = a;
    for (let i = 0; i < 6; i++) {
      v = { metadata: { ...v.metadata, version: v.metadata.version + 1 }, spec: { n: i } } as Resource<Spec>;
      void state.update({ metadata: { ...v.metadata, version: v.metadata.version - 1 }, spec: v.spec });
    }
    await settle();
    for (const rec of recs) {
      const last = rec.values.at(-1);
      expect(last?.type === 'errored' && isOverrun(last.error)).toBe(true);
      expect(rec.completed()).toBe(true);
    }
  });

  it('resyncs a bootstrapped watch with the view diff, ids ascending, then bootstrapped', async () => {
    let t = 0;
    const state = new InMemoryState({ historyCapacity: 4, historyGap: 1, now: () => new Date(++t) });
    for (const id of ['a', 'b', 'c', 'd']) await state.create(Things.create(id, { n: 0 }));
    const rec = record(state.watchKind(kind, { bootstrapContents: true }));
    const agg = record(state.watchKindAggregated(kind, { bootstrapContents: true }));
    await settle();
    const booted = rec.values.length;
    agg.values.length = 0;
    // Six synchronous writes: a gone, b changed, c re-created, e and f new, d untouched.
    const b = await state.get<Spec>(Things.pointer('b'));
    void state.destroy(Things.pointer('a'));
    void state.update({ metadata: b.metadata, spec: { n: 1 } });
    void state.destroy(Things.pointer('c'));
    void state.create(Things.create('c', { n: 0 }));
    void state.create(Things.create('e', { n: 0 }));
    void state.create(Things.create('f', { n: 0 }));
    await settle();
    const resync = rec.values.slice(booted).map((e) => (e.type === 'errored' ? 'errored' : `${e.type}:${e.resource.metadata.id}`));
    expect(resync).toEqual(['destroyed:a', 'updated:b', 'destroyed:c', 'created:c', 'created:e', 'created:f', 'bootstrapped:']);
    expect(rec.values.slice(booted, -1).every((e) => e.type !== 'errored' && e.bookmark === undefined)).toBe(true);
    expect(agg.values.map((batch) => batch.length)).toEqual([7]);
    await state.create(Things.create('g', { n: 0 }));
    await settle();
    // Replaying everything the watcher saw gives exactly what list() returns.
    const view = new Map<string, unknown>();
    for (const e of rec.values) {
      if (e.type === 'created' || e.type === 'updated') view.set(e.resource.metadata.id, e.resource);
      if (e.type === 'destroyed') view.delete(e.resource.metadata.id);
    }
    const listed = await state.list(kind);
    expect([...view.keys()].sort()).toEqual(listed.map((r) => r.metadata.id));
    expect(listed.every((r) => view.get(r.metadata.id) === r)).toBe(true);
    expect(rec.completed()).toBe(false);
    rec.sub.unsubscribe();
    agg.sub.unsubscribe();
  });
});
