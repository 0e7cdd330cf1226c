import { describe, expect, it } from 'vitest';
import type { Observable } from 'rxjs';
import { defineResourceType, label } from '@cosi-ts/resource';
import type { Resource } from '@cosi-ts/resource';
import { InMemoryState } from './in-memory-state.ts';
import { decodeBookmark, encodeBookmark } from './bookmark.ts';
import {
  ConflictError,
  InvalidBookmarkError,
  NotFoundError,
  OverrunError,
  OwnerConflictError,
  PhaseConflictError,
  UnsupportedError,
  isConflict,
  isInvalidBookmark,
  isNotFound,
  isOverrun,
  isOwnerConflict,
  isPhaseConflict,
  isStateError,
  isUnsupported,
} from './errors.ts';
import type { Bookmark, StateEvent } from './state.ts';

// Rules of specs/state.md that the conformance suite states only in passing: check order of create
// and destroy (§4), bookmark validity at the head and at the reach edge (§6.3, §6.4), the live overrun
// bound (§6.4), filter synthesis on every old/new combination (§5.7) and error fields and guards (§7).

interface Spec {
  readonly n: number;
}
const Things = defineResourceType<Spec>({ type: 'Things.audit.cosi.dev', defaultNamespace: 'default' });
const kind = Things.kind();
const ptr = Things.pointer;

function record<T>(obs: Observable<T>) {
  const values: T[] = [];
  let completed = false;
  const sub = obs.subscribe({ next: (v) => values.push(v), complete: () => (completed = true) });
  return { values, sub, completed: () => completed };
}
const settle = () => new Promise<void>((r) => setImmediate(r));
const brief = (e: StateEvent) =>
  e.type === 'errored' ? `errored:${e.error.name}` : `${e.type}:${e.resource.metadata.id}@${e.resource.metadata.version}`;

async function failure(call: () => unknown): Promise<unknown> {
  try {
    await call();
  } catch (e) {
    return e;
  }
  throw new Error('expected the call to fail');
}

async function noopBookmark(state: InMemoryState): Promise<Bookmark> {
  const rec = record(state.watchKind(kind, { bootstrapBookmark: true }));
  await settle();
  rec.sub.unsubscribe();
  const e = rec.values[0];
  if (e?.type !== 'noop') throw new Error('no noop');
  return e.bookmark;
}

/** `n` writes inside one synchronous run: no delivery can happen between them. */
function burst(state: InMemoryState, n: number, prefix: string): Promise<unknown> {
  const writes: Promise<unknown>[] = [];
  for (let i = 0; i < n; i++) writes.push(state.create(Things.create(`${prefix}${String(i).padStart(3, '0')}`, { n: i })));
  return Promise.all(writes);
}

describe('§4 check order of create and destroy', () => {
  it('create: phase, then owner, then exists — also when the id exists', async () => {
    const state = new InMemoryState();
    await state.create(Things.create('a', { n: 1 }), { owner: 'ctrl' });
    const all = await failure(() => state.create(Things.create('a', { n: 2 }, { owner: 'x', phase: 'tearingDown' }), { owner: 'ctrl' }));
    expect(isPhaseConflict(all)).toBe(true);
    const ownerAndExists = await failure(() => state.create(Things.create('a', { n: 2 }, { owner: 'x' }), { owner: 'ctrl' }));
    expect(isOwnerConflict(ownerAndExists)).toBe(true);
    expect(ownerAndExists).toMatchObject({ expectedOwner: 'ctrl', actualOwner: 'x' });
    const exists = await failure(() => state.create(Things.create('a', { n: 2 }), { owner: 'ctrl' }));
    expect(exists).toBeInstanceOf(ConflictError);
    expect(exists).toMatchObject({ code: 'Conflict', reason: 'exists', ptr: ptr('a') });
  });

  it('destroy: NotFound before owner, owner before finalizers; phase ignored', async () => {
    const state = new InMemoryState();
    expect(isNotFound(await failure(() => state.destroy(ptr('a'), { owner: 'wrong' })))).toBe(true);
    await state.create(Things.create('a', { n: 1 }), { owner: 'ctrl' });
    await state.addFinalizer(ptr('a'), 'f');
    expect(isOwnerConflict(await failure(() => state.destroy(ptr('a'))))).toBe(true);
    expect(await failure(() => state.destroy(ptr('a'), { owner: 'ctrl' }))).toMatchObject({ code: 'Conflict', reason: 'finalizers' });
    await state.removeFinalizer(ptr('a'), 'f');
    // running, never torn down: destroy ignores the phase
    await state.destroy(ptr('a'), { owner: 'ctrl' });
    expect(await state.list(kind)).toEqual([]);
  });

  it('updateWithConflicts: owner before phase before the recipe', async () => {
    const state = new InMemoryState();
    await state.create(Things.create('a', { n: 1 }), { owner: 'ctrl' });
    await state.teardown(ptr('a'), { owner: 'ctrl' });
    let ran = 0;
    const recipe = () => void ran++;
    expect(isOwnerConflict(await failure(() => state.updateWithConflicts(ptr('a'), recipe, { owner: 'x' })))).toBe(true);
    expect(await failure(() => state.updateWithConflicts(ptr('a'), recipe, { owner: 'ctrl' }))).toMatchObject({
      code: 'PhaseConflict',
      expectedPhase: 'running',
      actualPhase: 'tearingDown',
    });
    expect(ran).toBe(0);
  });
});

describe('§6.3/§6.4 bookmark validity and reach', () => {
  it('a bookmark ahead of the head is invalid; the head itself resumes with nothing', async () => {
    const state = new InMemoryState();
    const head = await noopBookmark(state);
    const decoded = decodeBookmark(head)!;
    const ahead = encodeBookmark({ ...decoded, position: decoded.position + 1 });
    const bad = record(state.watchKind(kind, { startFromBookmark: ahead }));
    const good = record(state.watchKind(kind, { startFromBookmark: head }));
    await settle();
    expect(bad.values.map(brief)).toEqual(['errored:InvalidBookmarkError']);
    expect(bad.completed()).toBe(true);
    expect(good.values).toEqual([]);
    await state.create(Things.create('a', { n: 1 }));
    await settle();
    expect(good.values.map(brief)).toEqual(['created:a@1']);
    bad.sub.unsubscribe();
    good.sub.unsubscribe();
  });

  it('resume and tail reach back exactly capacity − gap events', async () => {
    const capacity = 10;
    const gap = 3;
    const state = new InMemoryState({ historyCapacity: capacity, historyGap: gap });
    const start = await noopBookmark(state);
    await burst(state, capacity - gap, 'x');
    // exactly at the reach: valid, every event after it
    const edge = record(state.watchKind(kind, { startFromBookmark: start }));
    await settle();
    expect(edge.values).toHaveLength(capacity - gap);
    expect(edge.values.every((e) => e.type === 'created')).toBe(true);
    await state.create(Things.create('y', { n: 0 }));
    await settle();
    // one beyond the reach: invalid, although the ring still holds the events after it
    const beyond = record(state.watchKind(kind, { startFromBookmark: start }));
    const tail = record(state.watchKind(kind, { tailEvents: 1000 }));
    const single = record(state.watch(ptr('x000'), { tailEvents: 1000 }));
    await settle();
    expect(beyond.values.map(brief)).toEqual(['errored:InvalidBookmarkError']);
    expect(tail.values.map(brief)).toEqual([
      ...Array.from({ length: capacity - gap - 1 }, (_, i) => `created:x${String(i + 1).padStart(3, '0')}@1`),
      'created:y@1',
    ]);
    // x000 was written 8 events ago: outside the reach of a tail
    expect(single.values).toEqual([]);
    for (const r of [edge, beyond, tail, single]) r.sub.unsubscribe();
  });

  it('a live watcher overruns only past the full capacity, not at capacity − gap', async () => {
    const capacity = 8;
    const state = new InMemoryState({ historyCapacity: capacity, historyGap: 5 });
    const atCapacity = record(state.watchKind(kind));
    await settle();
    await burst(state, capacity, 'a');
    await settle();
    expect(atCapacity.values).toHaveLength(capacity);
    expect(atCapacity.values.every((e) => e.type === 'created')).toBe(true);
    const past = record(state.watchKind(kind));
    await settle();
    await burst(state, capacity + 1, 'b');
    await settle();
    expect(past.values.map(brief)).toEqual(['errored:OverrunError']);
    expect(past.completed()).toBe(true);
    const error = (past.values[0] as unknown as { error: OverrunError }).error;
    expect(error).toMatchObject({ code: 'Overrun', namespace: 'default', type: Things.type });
    expect(error.message).toMatch(/default\/Things\.audit\.cosi\.dev/);
    atCapacity.sub.unsubscribe();
  });
});

describe('§5.7 filters on every old/new combination', () => {
  it('yes/yes updated with old, yes/no destroyed, no/yes created, no/no dropped; all bookmarked', async () => {
    const state = new InMemoryState();
    const seen = record(state.watchKind(kind, { labels: [[label.equal('app', 'x')]] }));
    const all = record(state.watchKind(kind));
    await settle();
    const a = await state.create(Things.create('a', { n: 0 }, { labels: { app: 'y' } }));
    const a2 = await state.update({ metadata: { ...a.metadata, labels: { app: 'y', other: '1' } }, spec: a.spec }); // no/no
    const a3 = await state.update({ metadata: { ...a2.metadata, labels: { app: 'x' } }, spec: a2.spec }); // no/yes
    const a4 = await state.update({ metadata: a3.metadata, spec: { n: 4 } }); // yes/yes
    await state.update({ metadata: { ...a4.metadata, labels: {} }, spec: a4.spec }); // yes/no
    await state.destroy(ptr('a')); // not matching: dropped
    await settle();
    expect(seen.values.map(brief)).toEqual(['created:a@3', 'updated:a@4', 'destroyed:a@5']);
    const [created, updated, destroyed] = seen.values as [StateEvent, StateEvent, StateEvent];
    expect('old' in created).toBe(false);
    expect('old' in destroyed).toBe(false);
    expect(updated.type === 'updated' && updated.old.metadata.version).toBe(3);
    // the synthetic destroyed carries the new resource (labels gone), and every event its position
    expect(destroyed.type === 'destroyed' && destroyed.resource.metadata.labels).toEqual({});
    const positions = (es: StateEvent[]) => es.map((e) => (e.type === 'errored' ? undefined : e.bookmark?.join()));
    expect(positions(seen.values)).toEqual(positions(all.values.slice(2, 5)));
    seen.sub.unsubscribe();
    all.sub.unsubscribe();
  });
});

describe('§7 errors: fields, brand, guards', () => {
  const p = { namespace: 'ns', type: 'Things.audit.cosi.dev', id: 'x' };
  const errors = [
    new NotFoundError(p),
    new ConflictError(p, 'version', undefined, { expectedVersion: 1, actualVersion: 2 }),
    new OwnerConflictError(p, 'a', 'b'),
    new PhaseConflictError(p, 'running', 'tearingDown'),
    new InvalidBookmarkError(),
    new UnsupportedError('tailEvents'),
    new OverrunError('ns', 'Things.audit.cosi.dev'),
  ];

  it('carries the code, the fields of the table and a message naming the resource', () => {
    const [notFound, conflict, owner, phase, bookmark, unsupported, overrun] = errors;
    expect(notFound).toMatchObject({ code: 'NotFound', ptr: p });
    expect(conflict).toMatchObject({ code: 'Conflict', ptr: p, reason: 'version', expectedVersion: 1, actualVersion: 2 });
    expect(owner).toMatchObject({ code: 'OwnerConflict', ptr: p, expectedOwner: 'a', actualOwner: 'b' });
    expect(phase).toMatchObject({ code: 'PhaseConflict', ptr: p, expectedPhase: 'running', actualPhase: 'tearingDown' });
    expect(bookmark).toMatchObject({ code: 'InvalidBookmark' });
    expect(unsupported).toMatchObject({ code: 'Unsupported', feature: 'tailEvents' });
    expect(overrun).toMatchObject({ code: 'Overrun', namespace: 'ns', type: 'Things.audit.cosi.dev' });
    for (const e of [notFound, conflict, owner, phase]) expect(e!.message).toContain('ns/Things.audit.cosi.dev/x');
    expect(owner).toBeInstanceOf(ConflictError);
    expect(phase).toBeInstanceOf(ConflictError);
    for (const e of errors) expect(isStateError(e)).toBe(true);
  });

  it('guards: one true per class (isConflict for all three conflicts), kind filters, never throwing', () => {
    const guards = { isNotFound, isConflict, isOwnerConflict, isPhaseConflict, isInvalidBookmark, isUnsupported, isOverrun };
    const table = errors.map((e) => Object.entries(guards).filter(([, g]) => g(e)).map(([n]) => n));
    expect(table).toEqual([
      ['isNotFound'],
      ['isConflict'],
      ['isConflict', 'isOwnerConflict'],
      ['isConflict', 'isPhaseConflict'],
      ['isInvalidBookmark'],
      ['isUnsupported'],
      ['isOverrun'],
    ]);
    expect(isConflict(errors[1], { namespace: 'ns', type: 'Things.audit.cosi.dev' })).toBe(true);
    expect(isConflict(errors[1], { namespace: 'other' })).toBe(false);
    expect(isNotFound(errors[0], { type: 'Others.audit.cosi.dev' })).toBe(false);
    // a copy from a duplicate package: same brand and code, another class
    const copy = Object.assign(new Error('x'), { [Symbol.for('cosi-ts.StateError')]: true, code: 'NotFound', ptr: p });
    expect(isNotFound(copy)).toBe(true);
    expect(isNotFound({ code: 'NotFound' })).toBe(false);
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error('hostile');
        },
      },
    );
    for (const g of Object.values(guards)) {
      for (const v of [undefined, null, 0, 'NotFound', hostile, new Error('plain')]) expect(g(v)).toBe(false);
    }
  });

  it('a version conflict from the store carries both versions', async () => {
    const state = new InMemoryState();
    const a = await state.create(Things.create('a', { n: 1 }));
    const e = await failure(() => state.update({ metadata: { ...a.metadata, version: 5 }, spec: a.spec } as Resource<Spec>));
    expect(e).toMatchObject({ code: 'Conflict', reason: 'version', expectedVersion: 5, actualVersion: 1, ptr: ptr('a') });
  });
});

describe('§4 signal on every async operation', () => {
  it('an aborted signal rejects with its reason and writes nothing', async () => {
    const state = new InMemoryState();
    const a = await state.create(Things.create('a', { n: 1 }));
    const controller = new AbortController();
    const reason = new Error('stop');
    controller.abort(reason);
    const signal = controller.signal;
    const calls: (() => Promise<unknown>)[] = [
      () => state.get(ptr('a'), { signal }),
      () => state.list(kind, { signal }),
      () => state.create(Things.create('b', { n: 1 }), { signal }),
      () => state.update(a, { signal }),
      () => state.destroy(ptr('a'), { signal }),
      () => state.teardown(ptr('a'), { signal }),
      () => state.addFinalizer(ptr('a'), 'f', { signal }),
      () => state.updateWithConflicts<Spec>(ptr('a'), (d) => void (d.spec.n = 2), { signal }),
      () => state.modify(Things.create('c', { n: 1 }), () => {}, { signal }),
      () => state.watchFor(ptr('a'), { signal }),
    ];
    for (const call of calls) expect(await failure(call)).toBe(reason);
    expect((await state.list(kind)).map((r) => `${r.metadata.id}@${r.metadata.version}`)).toEqual(['a@1']);
    const watch = record(state.watchKind(kind, { signal, bootstrapContents: true }));
    expect(watch.completed()).toBe(true);
    expect(watch.values).toEqual([]);
  });
});
