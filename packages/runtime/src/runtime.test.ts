import { describe, it, expect } from 'vitest';
import { Observable, Subject, of } from 'rxjs';
import { setImmediate as tick } from 'node:timers/promises';
import { Registry } from 'prom-client';
import { withMetadata } from '@cosi-ts/resource';
import { InMemoryState, isNotFound } from '@cosi-ts/state';
import { Runtime } from './runtime.ts';
import type { Controller, Input } from './controller.ts';
import { eventually } from './conformance/eventually.ts';
import { Ints, Sentences, Strs, type IntSpec, type StrSpec } from './conformance/types.ts';
import { transform } from './transform.ts';
import { AccessError, DependencyError } from './errors.ts';

const intToStr = (): Controller => ({
  name: 'IntToStr',
  inputs: [
    { namespace: 'ints', type: Ints, kind: 'strong' },
    { namespace: 'strs', type: Strs, kind: 'destroyReady' },
  ],
  outputs: [{ type: Strs, kind: 'exclusive' }],
  async run(ctx) {
    for await (const _ of ctx.events()) {
      const ints = await ctx.list<IntSpec>(Ints.kind('ints'));
      for (const i of ints) {
        const out = Strs.pointer(i.metadata.id, 'strs');
        if (i.metadata.phase === 'running') {
          if (!i.metadata.finalizers.includes(ctx.name)) await ctx.addFinalizer(i.metadata, ctx.name);
          await ctx.modify<StrSpec>(Strs.create(i.metadata.id, { value: '' }, { namespace: 'strs' }), (d) => {
            d.spec = { value: String(i.spec.value) };
          });
        } else {
          try {
            if (await ctx.teardown(out)) {
              await ctx.destroy(out);
              await ctx.removeFinalizer(i.metadata, ctx.name);
            }
          } catch (e) {
            if (!isNotFound(e)) throw e;
            await ctx.removeFinalizer(i.metadata, ctx.name);
          }
        }
      }
    }
  },
});

describe('Runtime', () => {
  it('runs an IntToStr controller end to end and shuts down', async () => {
    const state = new InMemoryState();
    const rt = new Runtime(state);
    rt.register(intToStr());
    await state.create(Ints.create('one', { value: 1 }));
    const ac = new AbortController();
    const running = rt.run(ac.signal);
    await state.create(Ints.create('two', { value: 2 }));
    await eventually(async () => {
      expect((await state.get<StrSpec>(Strs.pointer('one', 'strs'))).spec.value).toBe('1');
      expect((await state.get<StrSpec>(Strs.pointer('two', 'strs'))).spec.value).toBe('2');
    });
    expect(await state.teardown(Ints.pointer('two'))).toBe(false);
    await state.watchFor(Ints.pointer('two'), { finalizersEmpty: true, signal: AbortSignal.timeout(5000) });
    await expect(state.get(Strs.pointer('two', 'strs'))).rejects.toSatisfy(isNotFound);
    await state.destroy(Ints.pointer('two'));
    ac.abort();
    await running;
  });

  it('refuses conflicting registrations with a DependencyError and registers nothing', () => {
    const rt = new Runtime(new InMemoryState());
    rt.register(intToStr());
    expect(() => rt.register(intToStr())).toThrow(/already registered/);
    expect(() => rt.register({ ...intToStr(), name: '' })).toThrow(DependencyError);
    expect(() => rt.register({ ...intToStr(), name: 'Other' })).toThrow(/exclusive/);
  });

  it('rejects a write to an undeclared output with an AccessError naming controller, resource and rule', async () => {
    const state = new InMemoryState();
    const rt = new Runtime(state, { backoff: { initialMs: 60_000 } });
    const seen: unknown[] = [];
    rt.register({
      name: 'Bad',
      inputs: [],
      outputs: [],
      async run(ctx) {
        for await (const _ of ctx.events()) {
          try {
            await ctx.create(Ints.create('x', { value: 1 }));
          } catch (e) {
            seen.push(e);
          }
        }
      },
    });
    const ac = new AbortController();
    const running = rt.run(ac.signal);
    await eventually(() => expect(seen).toHaveLength(1));
    const e = seen[0] as AccessError;
    expect(e).toBeInstanceOf(AccessError);
    expect(e.code).toBe('AccessDenied');
    expect(e.message).toMatch(/"Bad".*ints\/Ints.test.cosi.dev\/x.*outputs/);
    ac.abort();
    await running;
  });
});

describe('Runtime watches and lifecycle', () => {
  const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

  it('leaves no timer, watch or subscription behind after shutdown', async () => {
    const before = timers();
    const state = new InMemoryState();
    let subscribed = 0;
    const counting = new Proxy(state, {
      get(t, p, r) {
        const v: unknown = Reflect.get(t, p, r);
        if (p === 'watchKindAggregated') {
          return (...args: Parameters<InMemoryState['watchKindAggregated']>) =>
            new Observable<unknown>((sub) => {
              subscribed++;
              const s = t.watchKindAggregated(...args).subscribe(sub);
              return () => {
                subscribed--;
                s.unsubscribe();
              };
            });
        }
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
      },
    }) as InMemoryState;
    const rt = new Runtime(counting, { backoff: { initialMs: 60_000 } });
    rt.register(intToStr());
    rt.register({
      name: 'Crasher',
      inputs: [{ namespace: 'ints', type: Ints, kind: 'weak' }],
      outputs: [],
      run: () => Promise.reject(new Error('always')), // leaves a 60 s restart timer pending at shutdown
    });
    await state.create(Ints.create('one', { value: 1 }));
    const ac = new AbortController();
    const running = rt.run(ac.signal);
    await eventually(async () => expect((await state.get<StrSpec>(Strs.pointer('one', 'strs'))).spec.value).toBe('1'));
    expect(subscribed).toBe(2);
    ac.abort();
    await running;
    expect(subscribed).toBe(0);
    expect(timers()).toBe(before);
  });

  it('leaves no timer or subscription behind with retries, pipelines, hooks and rate-limited writes pending', async () => {
    const before = timers();
    const state = new InMemoryState();
    let pipelines = 0;
    const rt = new Runtime(state, { backoff: { initialMs: 60_000 }, changeRateLimit: { perSecond: 0.001, burst: 1 } });
    rt.register(
      transform<IntSpec, StrSpec>({
        name: 'Pipes',
        input: { type: Ints, namespace: 'ints' },
        output: { type: Strs, namespace: 'strs' },
        pipeline: (in$) =>
          new Observable<{ spec: StrSpec }>((sub) => {
            pipelines++;
            const s = in$.subscribe((i) => (i.spec.value < 0 ? sub.error(new Error('negative')) : sub.next({ spec: { value: String(i.spec.value) } })));
            return () => {
              pipelines--;
              s.unsubscribe();
            };
          }),
      }),
    );
    let hookWaiting = false;
    let jobs = 0;
    rt.register({
      name: 'Queue',
      inputs: [{ namespace: 'ints', type: Ints, kind: 'primary' }],
      outputs: [{ type: Sentences, kind: 'exclusive' }],
      async reconcile(_ctx, ptr) {
        jobs++;
        if (ptr.id === 'neg') throw new Error('retried in 60 s');
        return { requeueAfter: 60_000 };
      },
      async runHook(ctx) {
        hookWaiting = true;
        // One token in all and ~1000 s per token: at least one of these writes waits on the limiter.
        await ctx.modify(Sentences.create('hook', { value: '' }, { namespace: 's' }), () => {});
        await ctx.modify(Sentences.create('hook2', { value: '' }, { namespace: 's' }), () => {});
      },
    });
    await state.create(Ints.create('one', { value: 1 }));
    await state.create(Ints.create('neg', { value: -1 }));
    const ac = new AbortController();
    const running = rt.run(ac.signal);
    await eventually(() => {
      expect(jobs).toBe(2);
      expect(hookWaiting).toBe(true);
      expect(pipelines).toBe(1); // 'one' subscribed; 'neg' errored and waits 60 s to resubscribe
      // the per-id pipeline retry, the queue's timer (per-key retry and requeueAfter), the rate limiter
      expect(timers()).toBeGreaterThanOrEqual(before + 3);
    });
    ac.abort();
    await running;
    expect(pipelines).toBe(0);
    expect(timers()).toBe(before);
  });

  it('wakes a controller once at start: bootstrap events do not trigger', async () => {
    const state = new InMemoryState();
    for (let i = 0; i < 20; i++) await state.create(Ints.create(`i${i}`, { value: i }));
    const registry = new Registry();
    const rt = new Runtime(state, { metrics: registry });
    const seen: number[] = [];
    rt.register({
      name: 'Once',
      inputs: [{ namespace: 'ints', type: Ints, kind: 'weak' }],
      outputs: [],
      async run(ctx) {
        for await (const _ of ctx.events()) seen.push((await ctx.list(Ints.kind())).length);
      },
    });
    const ac = new AbortController();
    const running = rt.run(ac.signal);
    await eventually(() => expect(seen).toEqual([20]));
    for (let i = 0; i < 5; i++) await tick();
    expect(seen).toEqual([20]);
    const wakeups = await registry.getSingleMetric('cosi_controller_wakeups_total')!.get();
    expect(wakeups.values.map((v) => v.value)).toEqual([1]);
    await state.create(Ints.create('live', { value: 0 })); // a live event does
    await eventually(() => expect(seen).toEqual([20, 21]));
    ac.abort();
    await running;
  });

  it('re-syncs the cache after an overrun and re-establishes an errored watch', async () => {
    const state = new InMemoryState();
    let failures = 1;
    const flaky = new Proxy(state, {
      get(t, p, r) {
        const v: unknown = Reflect.get(t, p, r);
        if (p === 'watchKindAggregated') {
          return (...args: Parameters<InMemoryState['watchKindAggregated']>) =>
            failures-- > 0 ? of([{ type: 'errored', error: new Error('connection lost') }]) : t.watchKindAggregated(...args);
        }
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
      },
    }) as InMemoryState;
    const registry = new Registry();
    const rt = new Runtime(flaky, { metrics: registry, backoff: { initialMs: 10 } });
    rt.register(intToStr());
    await state.create(Ints.create('one', { value: 1 }));
    const ac = new AbortController();
    const running = rt.run(ac.signal);
    await eventually(async () => expect((await state.get<StrSpec>(Strs.pointer('one', 'strs'))).spec.value).toBe('1'));
    ac.abort();
    await running;
  });

  it('feeds an overrun resync to the cache and counts it', async () => {
    const state = new InMemoryState({ historyCapacity: 10, historyGap: 5 });
    const registry = new Registry();
    const rt = new Runtime(state, { metrics: registry });
    rt.register(intToStr());
    const ac = new AbortController();
    const running = rt.run(ac.signal);
    for (let k = 0; k < 3; k++) await state.create(Ints.create(`i${k}`, { value: 0 }));
    await eventually(async () => expect(await state.list(Strs.kind('strs'))).toHaveLength(3));
    await eventually(async () => {
      for (const r of await state.list(Ints.kind())) expect(r.metadata.finalizers).toEqual(['IntToStr']);
    });
    const cur = await state.list<IntSpec>(Ints.kind());
    await Promise.all(
      Array.from({ length: 60 }, (_, k) => {
        const r = cur[k % 3]!;
        return state.update({ metadata: withMetadata(r, { version: r.metadata.version + Math.floor(k / 3) }).metadata, spec: { value: k } });
      }),
    );
    await eventually(async () => {
      const strs = await state.list<StrSpec>(Strs.kind('strs'));
      expect(strs.map((s) => s.spec.value)).toEqual(['57', '58', '59']);
    });
    const resyncs = await registry.getSingleMetric('cosi_runtime_watch_resyncs_total')!.get();
    expect(resyncs.values.reduce((a, v) => a + v.value, 0)).toBeGreaterThan(0);
    ac.abort();
    await running;
  });

  it('refuses a second concurrent events() loop, cleanupOutputs without a round, and bad updateInputs', async () => {
    const state = new InMemoryState();
    const rt = new Runtime(state, { backoff: { initialMs: 60_000 } });
    const errors: unknown[] = [];
    rt.register({
      name: 'Misuser',
      inputs: [],
      outputs: [{ type: Strs, kind: 'exclusive' }],
      async run(ctx) {
        const first = ctx.events()[Symbol.asyncIterator]();
        await first.next();
        for (const attempt of [
          async () => ctx.events()[Symbol.asyncIterator](),
          () => ctx.cleanupOutputs(Strs.kind('strs')),
          () => ctx.updateInputs([{ namespace: 'ints', type: Ints, kind: 'primary' as never }]),
        ]) {
          try {
            await attempt();
          } catch (e) {
            errors.push(e);
          }
        }
        await first.return?.();
        await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
      },
    });
    const ac = new AbortController();
    const running = rt.run(ac.signal);
    await eventually(() => expect(errors).toHaveLength(3));
    expect(String(errors[0])).toMatch(/already being iterated/);
    expect(String(errors[1])).toMatch(/startTrackingOutputs/);
    expect(errors[2]).toBeInstanceOf(DependencyError);
    expect(rt.graph().edges.filter((e) => e.controller === 'Misuser').map((e) => e.kind)).toEqual(['outputExclusive']);
    ac.abort();
    await running;
    await expect(rt.run(new AbortController().signal)).rejects.toThrow(/only once/);
  });

  it('explains how to fix a registration that cannot work', () => {
    const rt = new Runtime(new InMemoryState());
    const noop = async () => {};
    expect(() => rt.register({ name: 'NoNs', inputs: [{ namespace: '', type: Ints, kind: 'weak' }], outputs: [], run: noop })).toThrow(
      /could never be read.*add `namespace`/,
    );
    expect(() => rt.register({ name: 'BadOut', inputs: [], outputs: [{ type: Ints, kind: 'mine' as never }], run: noop })).toThrow(
      /use 'exclusive'/,
    );
    expect(() => rt.register({ name: 'Nothing', inputs: [], outputs: [] } as never)).toThrow(/neither run\(ctx\)/);
  });
});

describe('id-scoped inputs', () => {
  it('list only their id and refuse reads of other ids', async () => {
    const state = new InMemoryState();
    const rt = new Runtime(state, { backoff: { initialMs: 60_000 } });
    const passes: string[][] = [];
    const errors: unknown[] = [];
    rt.register({
      name: 'Scoped',
      inputs: [{ namespace: 'ints', type: Ints, id: 'mine', kind: 'weak' }],
      outputs: [],
      async run(ctx) {
        for await (const _ of ctx.events()) {
          passes.push((await ctx.list(Ints.kind())).map((r) => r.metadata.id));
          await ctx.get(Ints.pointer('other')).catch((e: unknown) => errors.push(e));
        }
      },
    });
    await state.create(Ints.create('mine', { value: 1 }));
    await state.create(Ints.create('other', { value: 2 }));
    const ac = new AbortController();
    const running = rt.run(ac.signal);
    await eventually(() => expect(passes).toEqual([['mine']]));
    expect(errors[0]).toBeInstanceOf(AccessError);
    ac.abort();
    await running;
  });
});

describe('updateInputs (§3.5)', () => {
  it('replaces the inputs, opens and closes watches by difference, and queues a reconcile when it adds one', async () => {
    const state = new InMemoryState();
    const live = new Map<string, number>();
    const counting = new Proxy(state, {
      get(t, p, r) {
        const v: unknown = Reflect.get(t, p, r);
        if (p === 'watchKindAggregated') {
          return (...args: Parameters<InMemoryState['watchKindAggregated']>) =>
            new Observable<unknown>((sub) => {
              const k = args[0].namespace;
              live.set(k, (live.get(k) ?? 0) + 1);
              const s = t.watchKindAggregated(...args).subscribe(sub);
              return () => {
                live.set(k, live.get(k)! - 1);
                s.unsubscribe();
              };
            });
        }
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
      },
    }) as InMemoryState;
    const rt = new Runtime(counting);
    const passes: string[][] = [];
    const step = new Subject<Input[]>();
    rt.register({
      name: 'Mover',
      inputs: [{ namespace: 'a', type: Ints, kind: 'weak' }],
      outputs: [],
      async run(ctx) {
        const sub = step.subscribe((inputs) => void ctx.updateInputs(inputs));
        try {
          for await (const _ of ctx.events()) {
            const ns = rt.graph().edges.filter((e) => e.kind === 'inputWeak').map((e) => e.namespace!);
            passes.push(ns);
          }
        } finally {
          sub.unsubscribe();
        }
      },
    });
    const ac = new AbortController();
    const running = rt.run(ac.signal);
    await eventually(() => expect(passes).toEqual([['a']]));
    expect(Object.fromEntries(live)).toEqual({ a: 1 });
    step.next([{ namespace: 'b', type: Ints, kind: 'weak' }]); // adds b, drops a
    await eventually(() => expect(passes).toEqual([['a'], ['b']]));
    expect(Object.fromEntries(live)).toEqual({ a: 0, b: 1 });
    await state.create(Ints.create('x', { value: 1 }, { namespace: 'a' })); // no longer an input: no pass
    for (let i = 0; i < 3; i++) await tick();
    expect(passes).toHaveLength(2);
    await state.create(Ints.create('y', { value: 1 }, { namespace: 'b' }));
    await eventually(() => expect(passes).toHaveLength(3));
    step.next([]); // only removes: no reconcile queued
    await eventually(() => expect(live.get('b')).toBe(0));
    await state.create(Ints.create('z', { value: 1 }, { namespace: 'b' }));
    for (let i = 0; i < 3; i++) await tick();
    expect(passes).toHaveLength(3);
    ac.abort();
    await running;
  });
});

