import { describe, expect, it } from 'vitest';
import { defineResourceType } from '@cosi-ts/resource';
import { InMemoryState } from './in-memory-state.ts';
import { isNotFound, isOwnerConflict, isPhaseConflict } from './errors.ts';
import type { StateEvent } from './state.ts';
import { wrapCore } from './wrap-core.ts';

interface Spec {
  readonly n: number;
}
const Things = defineResourceType<Spec>({ type: 'Things.test.cosi.dev', defaultNamespace: 'default' });
const ptr = Things.pointer('a');

/** A State built by wrapCore over the in-memory primitives only, as other backends will be. */
function open() {
  const backend = new InMemoryState();
  const events: StateEvent[] = [];
  backend.watchKind(Things.kind()).subscribe((e) => events.push(e));
  const { get, list, create, update, destroy, watch, watchKind, watchKindAggregated } = backend;
  const core = { get, list, create, update, destroy, watch, watchKind, watchKindAggregated };
  for (const k of Object.keys(core) as (keyof typeof core)[]) (core as Record<string, unknown>)[k] = core[k].bind(backend);
  return { state: wrapCore(core), events };
}

const settle = () => new Promise<void>((r) => setImmediate(r));

describe('wrapCore updateWithConflicts', () => {
  it('writes the recipe result, leaves the caller copy alone and skips no-op results', async () => {
    const { state, events } = open();
    const original = await state.create(Things.create('a', { n: 1 }));
    const next = await state.updateWithConflicts<Spec>(ptr, (d) => {
      d.spec = { n: 2 };
    });
    expect(next.spec.n).toBe(2);
    expect(next.metadata.version).toBe(2);
    expect(original.spec.n).toBe(1);
    const same = await state.updateWithConflicts<Spec>(ptr, (d) => {
      d.spec = { n: 2 };
    });
    expect(same).toBe(next);
    await settle();
    expect(events.map((e) => e.type)).toEqual(['created', 'updated']);
  });

  it('rejects with the recipe error itself and writes nothing', async () => {
    const { state } = open();
    await state.create(Things.create('a', { n: 1 }));
    const boom = new Error('boom');
    await expect(
      state.updateWithConflicts(ptr, () => {
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect((await state.get(ptr)).metadata.version).toBe(1);
  });

  it('checks owner before phase before the recipe, and retries version conflicts', async () => {
    const { state } = open();
    await state.create(Things.create('a', { n: 0 }), { owner: 'me' });
    await expect(state.updateWithConflicts(ptr, () => {}, { owner: 'you' })).rejects.toSatisfy(isOwnerConflict);
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let i = 0; i < 50; i++) {
          await state.updateWithConflicts<Spec>(
            ptr,
            async (d) => {
              await Promise.resolve();
              d.spec = { n: d.spec.n + 1 };
            },
            { owner: 'me' },
          );
        }
      }),
    );
    const final = await state.get<Spec>(ptr);
    expect(final.spec.n).toBe(400);
    expect(final.metadata.version).toBe(401);
    await state.teardown(ptr, { owner: 'me' });
    await expect(state.updateWithConflicts(ptr, () => {}, { owner: 'me' })).rejects.toSatisfy(isPhaseConflict);
  });
});

describe('wrapCore modify', () => {
  it('creates from a template once, even when two callers race', async () => {
    const { state } = open();
    const template = Things.create('a', { n: 0 });
    const bump = (d: { spec: Spec }) => {
      d.spec = { n: 7 };
    };
    const [x, y] = await Promise.all([state.modify(template, bump), state.modify(template, bump)]);
    expect(x.spec.n).toBe(7);
    expect(y.spec.n).toBe(7);
    expect((await state.get(ptr)).metadata).toMatchObject({ version: 1, owner: '' });
  });

  it('rejects a pointer to an absent resource, a changed id, and a no-op with the wrong owner', async () => {
    const { state } = open();
    await expect(state.modify(ptr, () => {})).rejects.toSatisfy(isNotFound);
    await state.create(Things.create('a', { n: 0 }), { owner: 'me' });
    await expect(
      state.modify(ptr, (d) => {
        (d.metadata as { id: string }).id = 'b';
      }, { owner: 'me' }),
    ).rejects.toThrow(TypeError);
    await expect(state.modify(ptr, () => {}, { owner: 'you' })).rejects.toSatisfy(isOwnerConflict);
  });
});

describe('wrapCore per-resource queue', () => {
  it('runs n concurrent modifies of one resource n times, not n(n+1)/2', async () => {
    const { state } = open();
    await state.create(Things.create('a', { n: 0 }));
    let runs = 0;
    await Promise.all(
      Array.from({ length: 200 }, () =>
        state.modify<Spec>(ptr, (d) => {
          runs++;
          d.spec = { n: d.spec.n + 1 };
        }),
      ),
    );
    expect(runs).toBe(200);
    expect((await state.get<Spec>(ptr)).spec.n).toBe(200);
  });

  it('a queued call whose signal aborts rejects without running; the queue goes on; other ids do not wait', async () => {
    const { state } = open();
    await state.create(Things.create('a', { n: 0 }));
    await state.create(Things.create('b', { n: 0 }));
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const first = state.modify<Spec>(ptr, async (d) => {
      await gate;
      d.spec = { n: 1 };
    });
    const ac = new AbortController();
    let ranAborted = false;
    const aborted = state.modify<Spec>(ptr, () => void (ranAborted = true), { signal: ac.signal });
    const third = state.addFinalizer(ptr, 'x');
    // Another resource is not held up by the busy one.
    expect((await state.modify<Spec>(Things.pointer('b'), (d) => void (d.spec = { n: 5 }))).spec.n).toBe(5);
    ac.abort(new Error('gave up'));
    await expect(aborted).rejects.toThrow('gave up');
    release();
    expect((await first).spec.n).toBe(1);
    expect((await third).metadata.finalizers).toEqual(['x']);
    expect(ranAborted).toBe(false);
  });
});

describe('wrapCore finalizers and teardown', () => {
  it('adds and removes finalizers without an owner, writing only on change; options may trail', async () => {
    const { state, events } = open();
    await state.create(Things.create('a', { n: 0 }), { owner: 'me' });
    const ac = new AbortController();
    expect((await state.addFinalizer(ptr, 'x', 'y', { signal: ac.signal })).metadata.finalizers).toEqual(['x', 'y']);
    expect((await state.addFinalizer(ptr, 'x')).metadata.version).toBe(2);
    expect((await state.removeFinalizer(ptr, 'z')).metadata.version).toBe(2);
    expect(await state.teardown(ptr, { owner: 'me' })).toBe(false);
    expect(await state.teardown(ptr, { owner: 'me' })).toBe(false);
    expect((await state.removeFinalizer(ptr, 'x', 'y')).metadata).toMatchObject({ version: 4, finalizers: [] });
    expect(await state.teardown(ptr, { owner: 'me' })).toBe(true);
    await expect(state.teardown(ptr)).rejects.toSatisfy(isOwnerConflict);
    await settle();
    expect(events.map((e) => e.type)).toEqual(['created', 'updated', 'updated', 'updated']);
  });

  it('teardownAndDestroy waits for another task to drop its finalizer', async () => {
    const { state } = open();
    await state.create(Things.create('a', { n: 0 }));
    await state.addFinalizer(ptr, 'other');
    const helper = state.watchFor(ptr, { phases: ['tearingDown'] }).then(() => state.removeFinalizer(ptr, 'other'));
    await state.teardownAndDestroy(ptr);
    await helper;
    await expect(state.get(ptr)).rejects.toSatisfy(isNotFound);
    await expect(state.teardownAndDestroy(ptr)).rejects.toSatisfy(isNotFound);
  });
});

describe('wrapCore watchFor and signalWithTeardown', () => {
  it('watchFor resolves on the first matching event and rejects on abort', async () => {
    const { state } = open();
    const created = state.watchFor(ptr, { eventTypes: ['created'] });
    await state.create(Things.create('a', { n: 0 }));
    expect((await created).type).toBe('created');
    const empty = await state.watchFor(ptr, { finalizersEmpty: true });
    expect(empty.type).toBe('created');
    const ac = new AbortController();
    const never = state.watchFor(ptr, { eventTypes: ['destroyed'], signal: ac.signal });
    ac.abort(new Error('stop'));
    await expect(never).rejects.toThrow('stop');
  });

  it('signalWithTeardown aborts on absence, teardown and parent abort, and stays live otherwise', async () => {
    const { state } = open();
    expect((await state.signalWithTeardown(ptr)).aborted).toBe(true);
    await state.create(Things.create('a', { n: 0 }));
    const parent = new AbortController();
    const live = await state.signalWithTeardown(ptr, { signal: parent.signal });
    const other = await state.signalWithTeardown(ptr);
    expect(live.aborted || other.aborted).toBe(false);
    parent.abort();
    expect(live.aborted).toBe(true);
    await state.teardown(ptr);
    await settle();
    expect(other.aborted).toBe(true);
  });
});
