import { describe, it, expect } from 'vitest';
import { Observable, ReplaySubject, Subject, merge, takeUntil, map, endWith, delayWhen } from 'rxjs';
import { setImmediate as tick } from 'node:timers/promises';
import { Registry } from 'prom-client';
import { InMemoryState, isNotFound, type State, type StateEvent } from '@cosi-ts/state';
import { Runtime } from './runtime.ts';
import { eventually } from './conformance/eventually.ts';
import { delayedWatches } from './conformance/fixture.ts';
import { intToStr } from './conformance/controllers.ts';
import { Ints, Strs, type IntSpec, type StrSpec } from './conformance/types.ts';

describe('read cache', () => {
  it('shows a controller its own teardown and destroy before the delayed watch does', async () => {
    const state = delayedWatches(new InMemoryState(), 200);
    const rt = new Runtime(state);
    const seen: string[] = [];
    rt.register({
      name: 'Writer',
      inputs: [{ namespace: 'strs', type: Strs, kind: 'weak' }],
      outputs: [{ type: Strs, kind: 'exclusive' }],
      async run(ctx) {
        const ptr = Strs.pointer('a', 'strs');
        const phase = async () => {
          try {
            return (await ctx.get(ptr)).metadata.phase;
          } catch (e) {
            if (isNotFound(e)) return 'absent';
            throw e;
          }
        };
        const listed = async () => (await ctx.list(Strs.kind('strs'))).map((r) => `${r.metadata.id}:${r.metadata.phase}`).join(',');
        await ctx.create(Strs.create('a', { value: 'x' }, { namespace: 'strs' }));
        seen.push(`${await phase()} [${await listed()}]`);
        await ctx.teardown(ptr);
        seen.push(`${await phase()} [${await listed()}]`);
        await ctx.destroy(ptr);
        seen.push(`${await phase()} [${await listed()}]`);
        await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
      },
    });
    const ac = new AbortController();
    const running = rt.run(ac.signal);
    await eventually(() => expect(seen).toHaveLength(3));
    expect(seen).toEqual(['running [a:running]', 'tearingDown [a:tearingDown]', 'absent []']);
    ac.abort();
    await running;
  });

  it('re-establishes an errored watch and feeds the missed difference to cache and triggers', async () => {
    const inner = new InMemoryState();
    const breakWatch = new Subject<void>();
    let subscriptions = 0;
    const flaky = new Proxy(inner, {
      get(t, p, r) {
        const v: unknown = Reflect.get(t, p, r);
        if (p === 'watchKindAggregated') {
          return (...args: Parameters<State['watchKindAggregated']>) => {
            const real = t.watchKindAggregated(...args);
            if (args[0].type !== Ints.type || subscriptions++ > 0) return real;
            // The first Ints watch dies on demand, like a lost remote connection.
            const errored: readonly StateEvent[] = [{ type: 'errored', error: new Error('connection lost') }];
            return merge(real.pipe(takeUntil(breakWatch)), breakWatch.pipe(map(() => errored))).pipe(
              takeUntil(breakWatch.pipe(endWith(null))),
            ) as Observable<readonly StateEvent[]>;
          };
        }
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
      },
    }) as State;
    const metrics = new Registry();
    const rt = new Runtime(flaky, { metrics, backoff: { initialMs: 50, jitter: 0 } });
    rt.register(intToStr('ints', 'strs'));
    await inner.create(Ints.create('before', { value: 1 }));
    const ac = new AbortController();
    const running = rt.run(ac.signal);
    const str = (id: string) => inner.get<StrSpec>(Strs.pointer(id, 'strs')).then((r) => r.spec.value);
    await eventually(async () => expect(await str('before')).toBe('1'));
    breakWatch.next();
    await inner.create(Ints.create('during', { value: 2 })); // while the watch is down
    await eventually(async () => expect(await str('during')).toBe('2'));
    const resyncs = await metrics.getSingleMetric('cosi_runtime_watch_resyncs_total')!.get();
    expect(resyncs.values.find((v) => v.labels['type'] === Ints.type)?.value).toBe(1);
    ac.abort();
    await running;
  });

  it('makes cached reads wait for the first bootstrap, and gives up when the signal aborts', async () => {
    const inner = new InMemoryState();
    const gate = new ReplaySubject<void>(1);
    const gated = new Proxy(inner, {
      get(t, p, r) {
        const v: unknown = Reflect.get(t, p, r);
        if (p === 'watchKindAggregated') {
          return (...args: Parameters<State['watchKindAggregated']>) => t.watchKindAggregated(...args).pipe(delayWhen(() => gate));
        }
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
      },
    }) as State;
    await inner.create(Ints.create('x', { value: 1 }));
    const listed: string[][] = [];
    const failures: unknown[] = [];
    let started = 0;
    const rt = new Runtime(gated);
    rt.register({
      name: 'Reader',
      inputs: [{ namespace: 'ints', type: Ints, kind: 'weak' }],
      outputs: [],
      async run(ctx) {
        for await (const _ of ctx.events()) {
          started++;
          try {
            listed.push((await ctx.list(Ints.kind())).map((r) => r.metadata.id));
          } catch (e) {
            failures.push(e);
            throw e;
          }
        }
      },
    });
    const ac = new AbortController();
    const running = rt.run(ac.signal);
    await eventually(() => expect(started).toBe(1));
    for (let i = 0; i < 5; i++) await tick();
    expect(listed).toEqual([]); // still waiting: an empty answer would be a lie
    gate.next();
    await eventually(() => expect(listed).toEqual([['x']]));
    ac.abort();
    await running;

    // A watch that never bootstraps: the pending read ends with the shutdown signal.
    const never = new Proxy(inner, {
      get(t, p, r) {
        const v: unknown = Reflect.get(t, p, r);
        if (p === 'watchKindAggregated') return () => new Observable<never>(() => {});
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
      },
    }) as State;
    const rt2 = new Runtime(never);
    started = 0;
    rt2.register({
      name: 'Reader',
      inputs: [{ namespace: 'ints', type: Ints, kind: 'weak' }],
      outputs: [],
      async run(ctx) {
        for await (const _ of ctx.events()) {
          started++;
          await ctx.list(Ints.kind()).catch((e: unknown) => failures.push(e));
        }
      },
    });
    const ac2 = new AbortController();
    const running2 = rt2.run(ac2.signal);
    await eventually(() => expect(started).toBe(1));
    ac2.abort();
    await running2;
    expect(failures).toHaveLength(1);
  });

  it('adds a finalizer to an input its cache holds stale without losing the newer write', async () => {
    const inner = new InMemoryState();
    const ptr = Ints.pointer('a');
    await inner.create(Ints.create('a', { value: 1 }));
    const rt = new Runtime(delayedWatches(inner, 200));
    const results: { value: number; finalizers: readonly string[] }[] = [];
    rt.register({
      name: 'Holder',
      inputs: [{ namespace: 'ints', type: Ints, kind: 'strong' }],
      outputs: [],
      async run(ctx) {
        expect((await ctx.get<IntSpec>(ptr)).spec.value).toBe(1);
        // A newer version the cache sees only 200 ms later.
        await inner.modify<IntSpec>(ptr, (d) => {
          d.spec = { value: 2 };
        });
        const r = await ctx.addFinalizer(ptr, 'Holder');
        results.push({ value: (r.spec as IntSpec).value, finalizers: r.metadata.finalizers });
        await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
      },
    });
    const ac = new AbortController();
    const running = rt.run(ac.signal);
    await eventually(() => expect(results).toHaveLength(1));
    expect(results[0]).toEqual({ value: 2, finalizers: ['Holder'] });
    const stored = await inner.get<IntSpec>(ptr);
    expect({ value: stored.spec.value, finalizers: stored.metadata.finalizers }).toEqual({ value: 2, finalizers: ['Holder'] });
    ac.abort();
    await running;
  });
});
