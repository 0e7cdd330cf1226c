import { describe, it, expect } from 'vitest';
import { setImmediate as tick } from 'node:timers/promises';
import { Registry } from 'prom-client';
import { InMemoryState } from '@cosi-ts/state';
import { Runtime } from './runtime.ts';
import type { ControllerContext } from './controller-context.ts';
import { FakeClock } from './fake-clock.ts';
import { eventually } from './conformance/eventually.ts';
import { Ints, Strs } from './conformance/types.ts';

async function restarts(reg: Registry, controller: string): Promise<number> {
  const m = await reg.getSingleMetric('cosi_controller_restarts_total')!.get();
  return m.values.find((v) => v.labels['controller'] === controller)?.value ?? 0;
}

/**
 * A runtime on a fake clock with a jitter-free backoff (random 0.5 → delay = interval), running one
 * controller whose `run` is `body`; `runs` counts its calls.
 */
function crashing(body: (ctx: ControllerContext, run: number) => Promise<void>) {
  const clock = new FakeClock();
  const metrics = new Registry();
  const rt = new Runtime(new InMemoryState(), { clock, metrics, backoff: { random: () => 0.5 } });
  const counter = { runs: 0 };
  rt.register({
    name: 'Crashy',
    inputs: [],
    outputs: [{ type: Strs, kind: 'exclusive' }],
    run: (ctx) => body(ctx, ++counter.runs),
  });
  const ac = new AbortController();
  const running = rt.run(ac.signal);
  /** Waits for the restart timer, checks it fires after exactly `ms` (not 1 ms earlier). */
  const expectRestartAfter = async (ms: number) => {
    await eventually(() => expect(clock.pending).toBe(1));
    const before = counter.runs;
    clock.advance(ms - 1);
    await tick();
    await tick();
    expect(counter.runs, `no restart before ${ms} ms`).toBe(before);
    clock.advance(1);
    await eventually(() => expect(counter.runs).toBe(before + 1));
  };
  return { rt, clock, metrics, counter, ac, running, expectRestartAfter };
}

describe('crash handling (§5)', () => {
  it('restarts after 500 ms, then ×1.5; resetRestartBackoff() returns to 500 ms; shutdown interrupts the wait', async () => {
    const h = crashing(async (ctx, run) => {
      if (run === 3) ctx.resetRestartBackoff();
      throw new Error(`crash ${run}`);
    });
    await h.expectRestartAfter(500);
    await h.expectRestartAfter(750);
    await h.expectRestartAfter(500); // run 3 reset the backoff
    await h.expectRestartAfter(750);
    await eventually(() => expect(h.clock.pending).toBe(1)); // run 5 crashed and waits
    expect(await restarts(h.metrics, 'Crashy')).toBe(5);
    h.ac.abort();
    await h.running; // no fake time passes: the abort alone ended the wait
    expect(h.clock.pending).toBe(0);
    expect(h.counter.runs).toBe(5);
  });

  it('cleanupOutputs() resets the restart backoff', async () => {
    const h = crashing(async (ctx) => {
      ctx.startTrackingOutputs();
      await ctx.cleanupOutputs(Strs.kind('strs'));
      throw new Error('crash after a clean round');
    });
    await h.expectRestartAfter(500);
    await h.expectRestartAfter(500);
    h.ac.abort();
    await h.running;
  });

  it('wraps a synchronous non-Error throw as a crash', async () => {
    const clock = new FakeClock();
    const metrics = new Registry();
    const rt = new Runtime(new InMemoryState(), { clock, metrics, backoff: { random: () => 0.5 } });
    rt.register({
      name: 'Thrower',
      inputs: [],
      outputs: [],
      run: () => {
        throw 'a string';
      },
    });
    const ac = new AbortController();
    const running = rt.run(ac.signal);
    await eventually(async () => expect(await restarts(metrics, 'Thrower')).toBe(1));
    expect(clock.pending).toBe(1);
    ac.abort();
    await running;
  });

  it('never restarts a run() that resolved while the runtime is running', async () => {
    const state = new InMemoryState();
    const clock = new FakeClock();
    const metrics = new Registry();
    const rt = new Runtime(state, { clock, metrics });
    let runs = 0;
    let ctxRef: ControllerContext | undefined;
    rt.register({
      name: 'Quitter',
      inputs: [{ namespace: 'ints', type: Ints, kind: 'weak' }],
      outputs: [],
      run: async (ctx) => {
        runs++;
        ctxRef = ctx;
      },
    });
    const ac = new AbortController();
    const running = rt.run(ac.signal);
    await eventually(() => expect(runs).toBe(1));
    await state.create(Ints.create('x', { value: 1 }));
    ctxRef!.queueReconcile();
    clock.advance(3_600_000);
    await tick();
    await tick();
    expect(runs).toBe(1);
    expect(await restarts(metrics, 'Quitter')).toBe(0);
    ac.abort();
    await running;
  });

  it('treats every outcome of run() during shutdown as a clean exit', async () => {
    const metrics = new Registry();
    const rt = new Runtime(new InMemoryState(), { metrics });
    rt.register({
      name: 'FailsOnShutdown',
      inputs: [],
      outputs: [],
      run: (ctx) =>
        new Promise((_resolve, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('interrupted')), { once: true })),
    });
    const ac = new AbortController();
    const running = rt.run(ac.signal);
    await tick();
    ac.abort();
    await expect(running).resolves.toBeUndefined();
    expect(await restarts(metrics, 'FailsOnShutdown')).toBe(0);
  });

  it('keeps the other controllers working while one crashes over and over', async () => {
    const state = new InMemoryState();
    const metrics = new Registry();
    const rt = new Runtime(state, { metrics, backoff: { initialMs: 5, maxMs: 10 } });
    rt.register({ name: 'Panics', inputs: [{ namespace: 'ints', type: Ints, kind: 'weak' }], outputs: [], run: () => Promise.reject(new Error('panic')) });
    const seen: number[] = [];
    rt.register({
      name: 'Healthy',
      inputs: [{ namespace: 'ints', type: Ints, kind: 'weak' }],
      outputs: [],
      async run(ctx) {
        for await (const _ of ctx.events()) seen.push((await ctx.list(Ints.kind())).length);
      },
    });
    const ac = new AbortController();
    const running = rt.run(ac.signal);
    for (let i = 1; i <= 3; i++) {
      await state.create(Ints.create(`i${i}`, { value: i }));
      await eventually(() => expect(seen[seen.length - 1]).toBe(i));
    }
    await eventually(async () => expect(await restarts(metrics, 'Panics')).toBeGreaterThanOrEqual(2));
    expect(await restarts(metrics, 'Healthy')).toBe(0);
    ac.abort();
    await running;
  });

  it('keeps one context per controller across restarts, dynamic inputs included (§3.1)', async () => {
    const contexts = new Set<ControllerContext>();
    const h = crashing(async (ctx, run) => {
      contexts.add(ctx);
      if (run === 1) await ctx.updateInputs([{ namespace: 'dyn', type: Ints, kind: 'weak' }]);
      throw new Error('crash');
    });
    await h.expectRestartAfter(500);
    await h.expectRestartAfter(750);
    expect(contexts.size).toBe(1);
    expect(h.rt.graph().edges.map((e) => `${e.kind} ${e.namespace ?? ''}`)).toEqual(['inputWeak dyn', 'outputExclusive ']);
    h.ac.abort();
    await h.running;
  });
});

