import { expect } from 'vitest';
import type { StateEvent } from '../../state.ts';
import { conformanceCase } from '../conformance-case.ts';
import { expectNotFound, expectStateError, expectTypeError, rejectionOf } from '../expect-rejection.ts';
import { Path, changed, isDeepFrozen, thawed } from '../fixture.ts';
import type { PathSpec } from '../fixture.ts';
import { describeResource } from '../describe-event.ts';
import type { StateConformanceOptions } from '../options.ts';
import { isNotFound } from '../../errors.ts';

const typeAndVersion = (e: StateEvent) =>
  e.type === 'errored' ? `errored ${e.error.message}` : `${e.type} ${e.resource.metadata.id} v${e.resource.metadata.version}`;

/** Cases 1–9: plain writes, versions, owners, phases, finalizers, and their races. */
export function writeCases(options: StateConformanceOptions): void {
  conformanceCase(options, '1. CRUD: get, list, create, teardown, destroy, re-create', async ({ state, namespace, kind, ptr }) => {
    await expectNotFound(() => state.get(ptr('a')), ptr('a'));
    expect(await state.list(kind)).toEqual([]);

    // plain string order: upper case before lower case, '1' before '2' whatever follows
    for (const id of ['b', 'a2', 'B', 'a10']) await state.create(Path.create(id, { value: id }, { namespace }));
    expect((await state.list(kind)).map((r) => r.metadata.id)).toEqual(['B', 'a10', 'a2', 'b']);

    const created = await state.create(Path.create('c', { value: 'c' }, { namespace, labels: { l: '1' }, annotations: { n: 'x' } }));
    expect(created.metadata).toMatchObject({
      namespace,
      type: Path.type,
      id: 'c',
      version: 1,
      owner: '',
      phase: 'running',
      finalizers: [],
      labels: { l: '1' },
      annotations: { n: 'x' },
    });
    expect(created.spec).toEqual({ value: 'c' });
    expect(created.metadata.created).toBeInstanceOf(Date);
    expect(created.metadata.updated.getTime()).toBe(created.metadata.created.getTime());

    const got = await state.get<PathSpec>(ptr('c'));
    expect(describeResource(got)).toBe(describeResource(created));
    expect(got.metadata.created.getTime()).toBe(created.metadata.created.getTime());
    expect(got.metadata.updated.getTime()).toBe(created.metadata.updated.getTime());

    await expectStateError(() => state.create(Path.create('c', { value: 'again' }, { namespace })), 'Conflict', {
      reason: 'exists',
    });
    expect((await state.get<PathSpec>(ptr('c'))).spec).toEqual({ value: 'c' });

    expect(await state.teardown(ptr('c'))).toBe(true);
    expect((await state.get(ptr('c'))).metadata).toMatchObject({ phase: 'tearingDown', version: 2 });
    await state.destroy(ptr('c'));
    await expectNotFound(() => state.get(ptr('c')), ptr('c'));
    await expectNotFound(() => state.teardown(ptr('c')), ptr('c'));
    await expectNotFound(() => state.destroy(ptr('c')), ptr('c'));
    expect((await state.list(kind)).map((r) => r.metadata.id)).toEqual(['B', 'a10', 'a2', 'b']);

    const again = await state.create(Path.create('c', { value: 'reborn' }, { namespace }));
    expect(again.metadata).toMatchObject({ version: 1, phase: 'running' });
    expect(again.spec).toEqual({ value: 'reborn' });
  });

  conformanceCase(options, '2. versions: +1 per write, no-ops write nothing, inputs untouched, results frozen', async (ctx) => {
    const { state, namespace, kind, ptr } = ctx;
    const events = ctx.record(state.watchKind(kind, { bootstrapBookmark: true }));
    expect((await events.next()).type).toBe('noop');

    const input = thawed(Path.create('v', { value: 'one' }, { namespace, labels: { a: '1' } }));
    const inputBefore = structuredClone(input);
    const v1 = await state.create(input);
    expect(input).toEqual(inputBefore);
    expect(v1.metadata.version).toBe(1);
    expect(isDeepFrozen(v1)).toBe(true);

    const update = thawed(changed(v1, { spec: { value: 'two' } }));
    const updateBefore = structuredClone(update);
    const v2 = await state.update(update);
    expect(update).toEqual(updateBefore);
    expect(v2.metadata.version).toBe(2);
    expect(v2.spec).toEqual({ value: 'two' });
    expect(v2.metadata.created.getTime()).toBe(v1.metadata.created.getTime());
    expect(v2.metadata.updated.getTime()).toBeGreaterThanOrEqual(v1.metadata.updated.getTime());
    expect(isDeepFrozen(v2)).toBe(true);

    // no-ops: the recipe's result equals the stored resource
    const same = await state.modify<PathSpec>(ptr('v'), (d) => {
      d.spec.value = 'two';
      d.metadata.labels['a'] = '1';
    });
    expect(same.metadata.version).toBe(2);
    expect(same.metadata.updated.getTime()).toBe(v2.metadata.updated.getTime());
    expect((await state.updateWithConflicts<PathSpec>(ptr('v'), () => {})).metadata.version).toBe(2);

    const v3 = await state.addFinalizer(ptr('v'), 'f');
    expect(v3.metadata).toMatchObject({ version: 3, finalizers: ['f'] });
    expect(isDeepFrozen(v3)).toBe(true);
    const v4 = await state.removeFinalizer(ptr('v'), 'f');
    expect(v4.metadata).toMatchObject({ version: 4, finalizers: [] });
    expect(await state.teardown(ptr('v'))).toBe(true);
    const v5 = await state.get<PathSpec>(ptr('v'));
    expect(v5.metadata).toMatchObject({ version: 5, phase: 'tearingDown' });
    expect(isDeepFrozen(v5)).toBe(true);

    // plain update always writes, even when nothing changed
    const v6 = await state.update(v5, { expectedPhase: 'tearingDown' });
    expect(v6.metadata.version).toBe(6);
    expect(v5.metadata.version).toBe(5);

    const seen = await events.take(6);
    expect(seen.map(typeAndVersion)).toEqual([
      'created v v1',
      'updated v v2',
      'updated v v3',
      'updated v v4',
      'updated v v5',
      'updated v v6',
    ]);
  });

  conformanceCase(options, '2. bad input: malformed resources, pointers and options are TypeErrors naming the resource; nothing written', async (ctx) => {
    const { state, namespace, kind, ptr } = ctx;
    const events = ctx.record(state.watchKind(kind, { bootstrapBookmark: true }));
    expect((await events.next()).type).toBe('noop');
    const a = await state.create(Path.create('a', { value: 'a' }, { namespace }));
    const md = a.metadata as unknown as Record<string, unknown>;
    const bad = (patch: Record<string, unknown>, spec: unknown = { value: 'x' }) =>
      ({ metadata: { ...md, version: 0, ...patch }, spec }) as unknown as typeof a;
    class Box {
      constructor(readonly v: number) {}
    }
    const calls: [string, () => unknown][] = [
      ['empty id', () => state.create(bad({ id: '' }))],
      ['non-string namespace', () => state.create(bad({ id: 'b', namespace: 1 }))],
      ['negative version', () => state.update(bad({ version: -1 }))],
      ['fractional version', () => state.update(bad({ version: 1.5 }))],
      ['unknown phase', () => state.create(bad({ id: 'b', phase: 'paused' }))],
      ['duplicate finalizers', () => state.create(bad({ id: 'b', finalizers: ['f', 'f'] }))],
      ['non-string label', () => state.create(bad({ id: 'b', labels: { l: 1 } }))],
      ['function in spec', () => state.create(bad({ id: 'b' }, { value: () => 1 }))],
      ['class instance in spec', () => state.create(bad({ id: 'b' }, { value: new Box(1) }))],
      ['BigInt in spec', () => state.create(bad({ id: 'b' }, { value: 1n }))],
      ['Tombstone', () => state.create({ metadata: bad({ id: 'b' }).metadata, spec: undefined } as never)],
      ['empty id on get', () => state.get(ptr(''))],
      ['bad owner option', () => state.update(a, { owner: 7 as never })],
      ['bad expectedPhase', () => state.update(a, { expectedPhase: 'later' as never })],
      ['non-string finalizer', () => state.addFinalizer(ptr('a'), 3 as never)],
      ['negative tailEvents', () => state.watchKind(kind, { tailEvents: -1 })],
    ];
    for (const [name, call] of calls) {
      const error = await rejectionOf(call).catch((e: unknown) => e);
      expect(error instanceof TypeError, `${name}: ${String(error)}`).toBe(true);
      expect((error as Error).message, name).toMatch(/Paths\.conformance\.cosi\.dev/);
    }
    expect((await state.list(kind)).map((r) => `${r.metadata.id}@${r.metadata.version}`)).toEqual(['a@1']);
    await state.destroy(ptr('a'));
    const seen = await events.take(2);
    expect(seen.map(typeAndVersion)).toEqual(['created a v1', 'destroyed a v1']);
  });

  conformanceCase(options, '3. update: checks in order NotFound, owner, version, phase', async ({ state, namespace, ptr }) => {
    await expectNotFound(() => state.update(Path.create('u', { value: 'x' }, { namespace }), { owner: 'ctrl' }), ptr('u'));

    const v1 = await state.create(Path.create('u', { value: '1' }, { namespace }), { owner: 'ctrl' });
    expect(v1.metadata.owner).toBe('ctrl');
    // wrong owner and a stale version: the owner is checked first
    await expectStateError(
      () => state.update(changed(v1, { metadata: { version: 0 }, spec: { value: 'x' } }), { owner: 'other' }),
      'OwnerConflict',
      { expectedOwner: 'other', actualOwner: 'ctrl' },
    );
    await expectStateError(
      () => state.update(changed(v1, { metadata: { version: 0 }, spec: { value: 'x' } }), { owner: 'ctrl' }),
      'Conflict',
      { reason: 'version' },
    );
    await expectStateError(
      () => state.update(changed(v1, { metadata: { version: 2 }, spec: { value: 'x' } }), { owner: 'ctrl' }),
      'Conflict',
      { reason: 'version' },
    );
    const v2 = await state.update(changed(v1, { spec: { value: '2' } }), { owner: 'ctrl' });
    expect(v2.metadata).toMatchObject({ version: 2, owner: 'ctrl' });

    expect(await state.teardown(ptr('u'), { owner: 'ctrl' })).toBe(true);
    const v3 = await state.get<PathSpec>(ptr('u'));
    expect(v3.metadata).toMatchObject({ version: 3, phase: 'tearingDown' });
    // a stale version is reported before the phase
    await expectStateError(() => state.update(changed(v2, { spec: { value: 'x' } }), { owner: 'ctrl' }), 'Conflict', {
      reason: 'version',
    });
    await expectStateError(() => state.update(changed(v3, { spec: { value: 'x' } }), { owner: 'ctrl' }), 'PhaseConflict', {
      expectedPhase: 'running',
      actualPhase: 'tearingDown',
    });
    const v4 = await state.update(changed(v3, { spec: { value: '4' } }), { owner: 'ctrl', expectedPhase: 'tearingDown' });
    expect(v4.metadata).toMatchObject({ version: 4, phase: 'tearingDown' });
    const v5 = await state.update(changed(v4, { spec: { value: '5' } }), { owner: 'ctrl', expectedPhase: 'any' });
    expect(v5.metadata).toMatchObject({ version: 5, phase: 'tearingDown' });
    expect(v5.spec).toEqual({ value: '5' });

    // tearingDown is terminal
    for (const expectedPhase of ['tearingDown', 'any'] as const) {
      await expectStateError(
        () => state.update(changed(v5, { metadata: { phase: 'running' } }), { owner: 'ctrl', expectedPhase }),
        'PhaseConflict',
      );
    }
    expect((await state.get(ptr('u'))).metadata).toMatchObject({ version: 5, phase: 'tearingDown' });
  });

  conformanceCase(options, '4. owners: writes need the owner, finalizer edits do not', async ({ state, namespace, ptr }) => {
    const r = await state.create(Path.create('o', { value: '1' }, { namespace }), { owner: 'ctrl' });
    const p = ptr('o');
    const wrongOwners = [{}, { owner: '' }, { owner: 'other' }];
    const ownerConflict = (opts: { owner?: string }) => ({ expectedOwner: opts.owner ?? '', actualOwner: 'ctrl' });
    for (const opts of wrongOwners) {
      await expectStateError(() => state.update(changed(r, { spec: { value: '2' } }), opts), 'OwnerConflict', ownerConflict(opts));
      await expectStateError(() => state.teardown(p, opts), 'OwnerConflict', ownerConflict(opts));
      await expectStateError(() => state.destroy(p, opts), 'OwnerConflict', ownerConflict(opts));
      await expectStateError(
        () => state.modify<PathSpec>(p, (d) => void (d.spec.value = '2'), opts),
        'OwnerConflict',
        ownerConflict(opts),
      );
      await expectStateError(
        () => state.updateWithConflicts<PathSpec>(p, (d) => void (d.spec.value = '2'), opts),
        'OwnerConflict',
        ownerConflict(opts),
      );
    }
    expect((await state.get(p)).metadata).toMatchObject({ version: 1, phase: 'running' });

    // create: a resource naming an owner must be created by that owner
    await expectStateError(
      () => state.create(Path.create('o2', { value: '1' }, { namespace, owner: 'x' }), { owner: 'y' }),
      'OwnerConflict',
    );
    await expectStateError(() => state.create(Path.create('o2', { value: '1' }, { namespace, owner: 'x' })), 'OwnerConflict');
    const o2 = await state.create(Path.create('o2', { value: '1' }, { namespace, owner: 'x' }), { owner: 'x' });
    expect(o2.metadata.owner).toBe('x');

    expect((await state.addFinalizer(p, 'f')).metadata.finalizers).toEqual(['f']);
    expect(await state.teardown(p, { owner: 'ctrl' })).toBe(false);
    // tearing down changes nothing about ownership
    for (const opts of wrongOwners) {
      await expectStateError(() => state.teardown(p, opts), 'OwnerConflict');
      await expectStateError(
        () => state.update(changed(r, { metadata: { version: 3, phase: 'tearingDown' } }), { ...opts, expectedPhase: 'any' }),
        'OwnerConflict',
      );
      await expectStateError(() => state.destroy(p, opts), 'OwnerConflict');
      await expectStateError(
        () => state.modify<PathSpec>(p, (d) => void (d.spec.value = '3'), { ...opts, expectedPhase: 'any' }),
        'OwnerConflict',
      );
    }
    expect((await state.removeFinalizer(p, 'f')).metadata.finalizers).toEqual([]);
    expect(await state.teardown(p, { owner: 'ctrl' })).toBe(true);
    await state.destroy(p, { owner: 'ctrl' });
    await expectNotFound(() => state.get(p), p);
  });

  conformanceCase(options, '5. updateWithConflicts: returns the change, recipe errors reject as themselves', async ({ state, namespace, ptr }) => {
    const p = ptr('w');
    await expectNotFound(() => state.updateWithConflicts<PathSpec>(p, (d) => void (d.spec.value = 'x')), p);
    await state.create(Path.create('w', { value: 'old' }, { namespace, labels: { keep: '1' } }));
    const before = await state.get<PathSpec>(p);
    const after = await state.updateWithConflicts<PathSpec>(p, (d) => {
      d.spec.value = 'new';
      d.metadata.labels['added'] = 'yes';
      d.metadata.annotations['note'] = 'n';
    });
    expect(after.spec).toEqual({ value: 'new' });
    expect(after.metadata).toMatchObject({ version: 2, labels: { keep: '1', added: 'yes' }, annotations: { note: 'n' } });
    expect(isDeepFrozen(after)).toBe(true);
    expect(before.spec).toEqual({ value: 'old' });
    expect(before.metadata).toMatchObject({ version: 1, labels: { keep: '1' } });
    expect(before.metadata.labels).not.toHaveProperty('added');

    const boom = new Error('boom');
    expect(
      await rejectionOf(() =>
        state.updateWithConflicts<PathSpec>(p, (d) => {
          d.spec.value = 'lost';
          throw boom;
        }),
      ),
    ).toBe(boom);
    const asyncBoom = new Error('async boom');
    expect(
      await rejectionOf(() =>
        state.updateWithConflicts<PathSpec>(p, async (d) => {
          d.spec.value = 'lost';
          await Promise.resolve();
          throw asyncBoom;
        }),
      ),
    ).toBe(asyncBoom);
    const stored = await state.get<PathSpec>(p);
    expect(stored.metadata.version).toBe(2);
    expect(stored.spec).toEqual({ value: 'new' });

    const viaAsync = await state.updateWithConflicts<PathSpec>(p, async (d) => {
      await Promise.resolve();
      d.spec.value = 'async';
    });
    expect(viaAsync.metadata.version).toBe(3);
    expect(viaAsync.spec).toEqual({ value: 'async' });
  });

  conformanceCase(options, '6. modify: create from template, update, phase, id, races, owner on no-op', async ({ state, namespace, ptr }) => {
    const template = Path.create('m', { value: 'template' }, { namespace, labels: { drop: '1', keep: '1' } });
    const made = await state.modify(template, (d) => void (d.spec.value = 'made'));
    expect(made.metadata).toMatchObject({ version: 1, owner: '', phase: 'running', labels: { drop: '1', keep: '1' } });
    expect(made.spec).toEqual({ value: 'made' });
    expect(template.metadata.version).toBe(0);

    const dropped = await state.modify<PathSpec>(ptr('m'), (d) => {
      delete d.metadata.labels['drop'];
    });
    expect(dropped.metadata.version).toBe(2);
    expect(dropped.metadata.labels).toEqual({ keep: '1' });

    // a template of a present resource updates it: the recipe runs on the stored resource
    const again = await state.modify(template, (d) => void (d.spec.value = 'again'));
    expect(again.metadata.version).toBe(3);
    expect(again.metadata.labels).toEqual({ keep: '1' });

    expect(await state.teardown(ptr('m'))).toBe(true);
    await expectStateError(() => state.modify<PathSpec>(ptr('m'), (d) => void (d.spec.value = 'x')), 'PhaseConflict');
    const any = await state.modify<PathSpec>(ptr('m'), (d) => void (d.spec.value = 'any'), { expectedPhase: 'any' });
    expect(any.metadata).toMatchObject({ version: 5, phase: 'tearingDown' });

    await expectNotFound(() => state.modify<PathSpec>(ptr('absent'), (d) => void (d.spec.value = 'x')), ptr('absent'));

    await expectTypeError(() =>
      state.modify<PathSpec>(
        ptr('m'),
        (d) => {
          d.metadata.id = 'elsewhere';
        },
        { expectedPhase: 'any' },
      ),
    );
    await expectTypeError(() =>
      state.modify<PathSpec>(
        ptr('m'),
        (d) => {
          d.metadata.owner = 'thief';
        },
        { expectedPhase: 'any' },
      ),
    );
    expect((await state.get(ptr('m'))).metadata).toMatchObject({ version: 5, owner: '' });
    await expectNotFound(() => state.get(ptr('elsewhere')), ptr('elsewhere'));

    // both racers succeed: the loser of the create continues as an update
    const racer = Path.create('race', { value: 'r' }, { namespace });
    const results = await Promise.all([
      state.modify(racer, (d) => void (d.metadata.labels['x'] = '1')),
      state.modify(racer, (d) => void (d.metadata.labels['y'] = '1')),
    ]);
    expect(results.map((r) => r.metadata.version).sort()).toEqual([1, 2]);
    const raced = await state.get(ptr('race'));
    expect(raced.metadata).toMatchObject({ version: 2, labels: { x: '1', y: '1' } });

    const owned = await state.modify(Path.create('owned', { value: 'o' }, { namespace }), () => {}, { owner: 'ctrl' });
    expect(owned.metadata).toMatchObject({ version: 1, owner: 'ctrl' });
    await expectStateError(() => state.modify<PathSpec>(ptr('owned'), () => {}, { owner: 'other' }), 'OwnerConflict');
    await expectStateError(() => state.modify<PathSpec>(ptr('owned'), () => {}), 'OwnerConflict');
  });

  conformanceCase(options, '7. finalizers: block destroy, teardown reports them, edits are sets', async (ctx) => {
    const { state, namespace, kind, ptr } = ctx;
    const p = ptr('f');
    await expectNotFound(() => state.addFinalizer(p, 'x'), p);
    await expectNotFound(() => state.removeFinalizer(p, 'x'), p);
    const events = ctx.record(state.watchKind(kind, { bootstrapBookmark: true }));
    expect((await events.next()).type).toBe('noop');

    await state.create(Path.create('f', { value: 'f' }, { namespace }));
    const added = await state.addFinalizer(p, 'b-fin', 'a-fin');
    expect(added.metadata).toMatchObject({ version: 2, finalizers: ['b-fin', 'a-fin'] });
    // duplicate add and absent remove write nothing
    expect((await state.addFinalizer(p, 'a-fin')).metadata).toMatchObject({ version: 2, finalizers: ['b-fin', 'a-fin'] });
    expect((await state.removeFinalizer(p, 'nope')).metadata).toMatchObject({ version: 2, finalizers: ['b-fin', 'a-fin'] });

    await expectStateError(() => state.destroy(p), 'Conflict', { reason: 'finalizers' });
    expect(await state.teardown(p)).toBe(false);
    expect((await state.get(p)).metadata).toMatchObject({ version: 3, phase: 'tearingDown' });
    expect(await state.teardown(p)).toBe(false);
    expect((await state.get(p)).metadata).toMatchObject({ version: 3, phase: 'tearingDown' });
    await expectStateError(() => state.destroy(p), 'Conflict', { reason: 'finalizers' });

    expect((await state.removeFinalizer(p, 'a-fin', 'b-fin')).metadata).toMatchObject({ version: 4, finalizers: [] });
    expect(await state.teardown(p)).toBe(true);
    expect((await state.get(p)).metadata.version).toBe(4);
    await state.destroy(p);
    await expectNotFound(() => state.get(p), p);

    const seen = await events.take(5);
    expect(seen.map(typeAndVersion)).toEqual(['created f v1', 'updated f v2', 'updated f v3', 'updated f v4', 'destroyed f v4']);
  });

  conformanceCase(options, '8. concurrent finalizers: adds A…H and removes A B C leave exactly D…H', async ({ state, namespace, ptr }) => {
    const all = ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H'];
    for (let round = 0; round < 5; round++) {
      const p = ptr(`fin-${round}`);
      await state.create(Path.create(p.id, { value: 'x' }, { namespace }));
      await Promise.all(all.map((f) => state.addFinalizer(p, f)));
      expect([...(await state.get(p)).metadata.finalizers].sort()).toEqual(all);
      await Promise.all(['A', 'B', 'C'].map((f) => state.removeFinalizer(p, f)));
      // present ones again: no writes
      await Promise.all(['D', 'E', 'F', 'G', 'H'].map((f) => state.addFinalizer(p, f)));
      const final = await state.get(p);
      expect([...final.metadata.finalizers].sort()).toEqual(['D', 'E', 'F', 'G', 'H']);
      expect(final.metadata.version).toBe(1 + 8 + 3);
    }
  });

  conformanceCase(options, '9. parallel destroy: one success, nine NotFound', async ({ state, namespace, ptr }) => {
    await state.create(Path.create('d', { value: 'x' }, { namespace }));
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => state.destroy(ptr('d'))));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    expect(failures).toHaveLength(9);
    expect(failures.every((e) => isNotFound(e))).toBe(true);
    await expectNotFound(() => state.get(ptr('d')), ptr('d'));
  });
}
