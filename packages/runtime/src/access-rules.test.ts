import { describe, it, expect } from 'vitest';
import { InMemoryState, isNotFound, isOwnerConflict } from '@cosi-ts/state';
import { Runtime } from './runtime.ts';
import type { ControllerContext, QContext } from './controller-context.ts';
import type { Input, QInput } from './controller.ts';
import { AccessError } from './errors.ts';
import { eventually } from './conformance/eventually.ts';
import { Ints, Sentences, Strs } from './conformance/types.ts';

/** Runs `body` once inside a Controller with these inputs and a Strs output; resolves with its result. */
async function inController<T>(state: InMemoryState, inputs: Input[], body: (ctx: ControllerContext) => Promise<T>): Promise<T> {
  const rt = new Runtime(state, { backoff: { initialMs: 60_000 } });
  let result: { ok: T } | { err: unknown } | undefined;
  rt.register({
    name: 'Ctl',
    inputs,
    outputs: [{ type: Strs, kind: 'shared' }],
    async run(ctx) {
      try {
        result = { ok: await body(ctx) };
      } catch (e) {
        result = { err: e };
      }
    },
  });
  const ac = new AbortController();
  const running = rt.run(ac.signal);
  await eventually(() => expect(result).toBeDefined());
  ac.abort();
  await running;
  if (result && 'err' in result) throw result.err;
  return (result as { ok: T }).ok;
}

/** Same for a QController (reconcile of the first primary resource). */
async function inQ<T>(state: InMemoryState, inputs: QInput[], body: (ctx: QContext) => Promise<T>): Promise<T> {
  const rt = new Runtime(state, { backoff: { initialMs: 60_000 } });
  let result: { ok: T } | { err: unknown } | undefined;
  rt.register({
    name: 'Q',
    inputs,
    outputs: [],
    async reconcile(ctx) {
      if (result) return;
      try {
        result = { ok: await body(ctx) };
      } catch (e) {
        result = { err: e };
      }
    },
  });
  const ac = new AbortController();
  const running = rt.run(ac.signal);
  await eventually(() => expect(result).toBeDefined());
  ac.abort();
  await running;
  if (result && 'err' in result) throw result.err;
  return (result as { ok: T }).ok;
}

const denied = (op: string, what: RegExp) => (e: unknown) =>
  e instanceof AccessError && e.code === 'AccessDenied' && e.operation === op && what.test(e.message) && e.message.includes('"Ctl"');

describe('access rules (§2)', () => {
  it('reads: an input covering it, or the type of an output in any namespace', async () => {
    const state = new InMemoryState();
    await state.create(Strs.create('s', { value: 'v' }, { namespace: 'anywhere' }));
    await state.create(Ints.create('i', { value: 1 }));
    const got = await inController(state, [], async (ctx) => (await ctx.get(Strs.pointer('s', 'anywhere'))).metadata.id);
    expect(got).toBe('s');
    await expect(inController(state, [], (ctx) => ctx.get(Ints.pointer('i')))).rejects.toSatisfy(denied('get', /ints\/Ints.test.cosi.dev\/i/));
    await expect(inController(state, [], (ctx) => ctx.list(Ints.kind()))).rejects.toSatisfy(denied('list', /kind ints\/Ints/));
    await expect(inController(state, [], (ctx) => ctx.watchFor(Ints.pointer('i')))).rejects.toSatisfy(denied('watchFor', /Ints/));
    await expect(inController(state, [], (ctx) => ctx.signalWithTeardown(Ints.pointer('i')))).rejects.toSatisfy(
      denied('signalWithTeardown', /Ints/),
    );
    const inOtherNs = [{ namespace: 'other', type: Ints, kind: 'weak' } as const];
    await expect(inController(state, inOtherNs, (ctx) => ctx.get(Ints.pointer('i')))).rejects.toSatisfy(denied('get', /Ints/));
  });

  it('writes: the type is an output; the owner is the controller unless destroy/teardown name one', async () => {
    const state = new InMemoryState();
    const created = await inController(state, [], (ctx) => ctx.create(Strs.create('mine', { value: '' }, { namespace: 'x' })));
    expect(created.metadata.owner).toBe('Ctl');
    await expect(inController(state, [], (ctx) => ctx.create(Sentences.create('no', { value: '' })))).rejects.toSatisfy(
      denied('create', /writes need the type among the controller's outputs/),
    );
    await expect(inController(state, [], (ctx) => ctx.destroy(Ints.pointer('no')))).rejects.toSatisfy(denied('destroy', /Ints/));
    await state.create(Strs.create('theirs', { value: '' }, { namespace: 'x' }), { owner: 'Other' });
    await expect(inController(state, [], (ctx) => ctx.teardown(Strs.pointer('theirs', 'x')))).rejects.toSatisfy(isOwnerConflict);
    expect(await inController(state, [], (ctx) => ctx.teardown(Strs.pointer('theirs', 'x'), { owner: 'Other' }))).toBe(true);
    await inController(state, [], (ctx) => ctx.destroy(Strs.pointer('theirs', 'x'), { owner: 'Other' }));
    await expect(state.get(Strs.pointer('theirs', 'x'))).rejects.toSatisfy(isNotFound);
  });

  it('finalizers: strong, primary or mapped inputs only; removeFinalizer resolves when the resource is gone', async () => {
    const state = new InMemoryState();
    await state.create(Ints.create('i', { value: 1 }));
    const strong = [{ namespace: 'ints', type: Ints, kind: 'strong' } as const];
    expect((await inController(state, strong, (ctx) => ctx.addFinalizer(Ints.pointer('i'), 'f'))).metadata.finalizers).toEqual(['f']);
    expect(await inController(state, strong, (ctx) => ctx.removeFinalizer(Ints.pointer('gone'), 'f'))).toBeUndefined();
    for (const kind of ['weak', 'destroyReady'] as const) {
      await expect(inController(state, [{ namespace: 'ints', type: Ints, kind }], (ctx) => ctx.addFinalizer(Ints.pointer('i'), 'g'))).rejects.toSatisfy(
        denied('addFinalizer', /'strong'/),
      );
    }
    // An output type is readable but not finalizable.
    await state.create(Strs.create('s', { value: '' }, { namespace: 'x' }));
    await expect(inController(state, [], (ctx) => ctx.removeFinalizer(Strs.pointer('s', 'x'), 'f'))).rejects.toSatisfy(
      denied('removeFinalizer', /Strs/),
    );
    await state.create(Strs.create('m', { value: '' }));
    const q = await inQ(
      state,
      [
        { namespace: 'ints', type: Ints, kind: 'primary' },
        { namespace: 'strs', type: Strs, kind: 'mapped' },
        { namespace: 'sentences', type: Sentences, kind: 'mappedDestroyReady' },
      ],
      async (ctx) => {
        await ctx.addFinalizer(Ints.pointer('i'), 'q');
        await ctx.addFinalizer(Strs.pointer('m'), 'q');
        return ctx.addFinalizer(Sentences.pointer('z'), 'q').catch((e: unknown) => e);
      },
    );
    expect(q).toBeInstanceOf(AccessError);
    expect((await state.get(Ints.pointer('i'))).metadata.finalizers).toEqual(['f', 'q']);
    expect((await state.get(Strs.pointer('m'))).metadata.finalizers).toEqual(['q']);
  });
});

describe('ctx.signal (§3.3)', () => {
  it('rejects reads and writes once the controller is stopping', async () => {
    const state = new InMemoryState();
    await state.create(Ints.create('i', { value: 1 }));
    const outcomes: string[] = [];
    const rt = new Runtime(state);
    rt.register({
      name: 'Late',
      inputs: [{ namespace: 'ints', type: Ints, kind: 'weak' }],
      outputs: [{ type: Strs, kind: 'exclusive' }],
      async run(ctx) {
        await ctx.get(Ints.pointer('i')); // the cache is up
        await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }));
        for (const op of [
          () => ctx.get(Ints.pointer('i')),
          () => ctx.list(Ints.kind()),
          () => ctx.create(Strs.create('s', { value: '' })),
          () => ctx.watchFor(Ints.pointer('i'), { eventTypes: ['destroyed'] }),
        ]) {
          outcomes.push(await op().then(() => 'resolved', () => 'rejected'));
        }
      },
    });
    const ac = new AbortController();
    const running = rt.run(ac.signal);
    await eventually(async () => expect((await rt.metrics.getSingleMetric('cosi_controller_reads_total')!.get()).values.length).toBeGreaterThan(0));
    ac.abort();
    await running;
    expect(outcomes).toEqual(['rejected', 'rejected', 'rejected', 'rejected']);
    await expect(state.get(Strs.pointer('s'))).rejects.toSatisfy(isNotFound);
  });
});
