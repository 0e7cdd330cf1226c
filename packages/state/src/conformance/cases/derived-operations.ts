import { expect } from 'vitest';
import { conformanceCase } from '../conformance-case.ts';
import { expectNotFound, expectStateError, rejectionOf } from '../expect-rejection.ts';
import { Path } from '../fixture.ts';
import type { PathSpec } from '../fixture.ts';
import type { StateConformanceOptions } from '../options.ts';
import { abortedWithin, within } from '../within.ts';
import { isNotFound } from '../../errors.ts';

/** Bound on calls that wait for several events of their own (teardownAndDestroy). */
const MULTI_EVENT_TIMEOUT_MS = 5000;

/** Cases 20–22: watchFor, signalWithTeardown, teardownAndDestroy. */
export function derivedOperationCases(options: StateConformanceOptions): void {
  conformanceCase(options, '20. watchFor: created, finalizersEmpty, tearingDown, destroyed; abort rejects', async ({ state, namespace, ptr }) => {
    const p = ptr('w');
    const created = state.watchFor(p, { eventTypes: ['created'] });
    await state.create(Path.create('w', { value: 'w' }, { namespace }));
    expect(await within(created, 'watchFor created')).toMatchObject({ type: 'created', resource: { metadata: { version: 1 } } });

    await state.addFinalizer(p, 'f');
    const empty = state.watchFor(p, { finalizersEmpty: true });
    await state.removeFinalizer(p, 'f');
    expect(await within(empty, 'watchFor finalizersEmpty')).toMatchObject({
      type: 'updated',
      resource: { metadata: { version: 3, finalizers: [] } },
    });

    const predicate = state.watchFor(p, { predicate: (e) => e.type === 'updated' && (e.resource.spec as PathSpec).value === 'p' });
    await state.modify<PathSpec>(p, (d) => void (d.spec.value = 'p'));
    expect(await within(predicate, 'watchFor predicate')).toMatchObject({ resource: { metadata: { version: 4 }, spec: { value: 'p' } } });

    await state.addFinalizer(p, 'g');
    const tearing = state.watchFor(p, { phases: ['tearingDown'] });
    expect(await state.teardown(p)).toBe(false);
    expect(await within(tearing, 'watchFor tearingDown')).toMatchObject({ resource: { metadata: { version: 6, phase: 'tearingDown' } } });

    const destroyed = state.watchFor(p, { eventTypes: ['destroyed'] });
    await state.removeFinalizer(p, 'g');
    await state.destroy(p);
    expect(await within(destroyed, 'watchFor destroyed')).toMatchObject({ type: 'destroyed', resource: { metadata: { id: 'w' } } });

    // finalizersEmpty never matches destroyed, not even the initial tombstone
    const emptyAgain = state.watchFor(p, { finalizersEmpty: true });
    await state.create(Path.create('w', { value: 'again' }, { namespace }));
    expect(await within(emptyAgain, 'watchFor finalizersEmpty after destroy')).toMatchObject({
      type: 'created',
      resource: { metadata: { version: 1 }, spec: { value: 'again' } },
    });

    const abort = new AbortController();
    const aborted = state.watchFor(p, { eventTypes: ['destroyed'], signal: abort.signal });
    abort.abort();
    await within(rejectionOf(() => aborted), 'watchFor after abort');
    await within(
      rejectionOf(() => state.watchFor(p, { eventTypes: ['destroyed'], signal: AbortSignal.abort() })),
      'watchFor with an aborted signal',
    );
  });

  conformanceCase(options, '21. signalWithTeardown: aborts for absent, destroy, teardown, parent abort', async (ctx) => {
    const { state, namespace, kind, ptr } = ctx;
    await abortedWithin(await within(state.signalWithTeardown(ptr('absent')), 'signalWithTeardown (absent)'), 'absent resource');

    await state.create(Path.create('live', { value: 'x' }, { namespace }));
    const events = ctx.record(state.watchKind(kind, { bootstrapBookmark: true }));
    await events.next();
    const live = await within(state.signalWithTeardown(ptr('live')), 'signalWithTeardown');
    expect(live.aborted).toBe(false);
    await state.modify<PathSpec>(ptr('live'), (d) => void (d.spec.value = 'y'));
    await state.addFinalizer(ptr('live'), 'f');
    await events.take(2);
    expect(live.aborted, 'updates of a running resource do not abort').toBe(false);
    expect(await state.teardown(ptr('live'))).toBe(false);
    await abortedWithin(live, 'teardown');
    await abortedWithin(await within(state.signalWithTeardown(ptr('live')), 'signalWithTeardown (tearing down)'), 'already tearing down');

    await state.create(Path.create('gone', { value: 'x' }, { namespace }));
    const gone = await within(state.signalWithTeardown(ptr('gone')), 'signalWithTeardown');
    expect(gone.aborted).toBe(false);
    await state.destroy(ptr('gone'));
    await abortedWithin(gone, 'destroy');

    await state.create(Path.create('parent', { value: 'x' }, { namespace }));
    const parent = new AbortController();
    const child = await within(state.signalWithTeardown(ptr('parent'), { signal: parent.signal }), 'signalWithTeardown');
    expect(child.aborted).toBe(false);
    parent.abort();
    await abortedWithin(child, 'parent abort');
  });

  conformanceCase(options, '22. teardownAndDestroy: waits for finalizers to go, then destroys', async ({ state, namespace, ptr }) => {
    const p = ptr('td');
    await state.create(Path.create('td', { value: 'x' }, { namespace }), { owner: 'ctrl' });
    await state.addFinalizer(p, 'f');
    const helper = state.watchFor(p, { phases: ['tearingDown'] }).then(() => state.removeFinalizer(p, 'f'));
    await within(state.teardownAndDestroy(p, { owner: 'ctrl' }), 'teardownAndDestroy', MULTI_EVENT_TIMEOUT_MS);
    await within(helper, 'finalizer removal');
    await expectNotFound(() => state.get(p), p);

    await expectNotFound(() => state.teardownAndDestroy(ptr('missing')), ptr('missing'));

    await state.create(Path.create('ready', { value: 'x' }, { namespace }));
    await within(state.teardownAndDestroy(ptr('ready')), 'teardownAndDestroy (no finalizers)');
    await expectNotFound(() => state.get(ptr('ready')), ptr('ready'));

    await state.create(Path.create('owned', { value: 'x' }, { namespace }), { owner: 'ctrl' });
    await expectStateError(() => state.teardownAndDestroy(ptr('owned')), 'OwnerConflict');

    // someone else finishes the job: still resolves
    const o = ptr('other');
    await state.create(Path.create('other', { value: 'x' }, { namespace }));
    await state.addFinalizer(o, 'f');
    const others = state.watchFor(o, { phases: ['tearingDown'] }).then(async () => {
      await state.removeFinalizer(o, 'f');
      await state.destroy(o).catch((e: unknown) => {
        if (!isNotFound(e)) throw e;
      });
    });
    await within(state.teardownAndDestroy(o), 'teardownAndDestroy racing another destroyer', MULTI_EVENT_TIMEOUT_MS);
    await within(others, 'the other destroyer');
    await expectNotFound(() => state.get(o), o);
  });
}
