import { describe, it, expect } from 'vitest';
import { setImmediate as tick } from 'node:timers/promises';
import { Registry } from 'prom-client';
import type { Pointer } from '@cosi-ts/resource';
import { InMemoryState } from '@cosi-ts/state';
import { Runtime } from './runtime.ts';
import type { QController } from './controller.ts';
import { RequeueError } from './errors.ts';
import { FakeClock } from './fake-clock.ts';
import { eventually } from './conformance/eventually.ts';
import { Ints, type IntSpec } from './conformance/types.ts';

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await tick();
}

function q(reconcile: QController['reconcile'], extra: Partial<QController> = {}): QController {
  return { name: 'Q', inputs: [{ namespace: 'ints', type: Ints, kind: 'primary' }], outputs: [], reconcile, ...extra };
}

async function metric(reg: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = await reg.getSingleMetric(name)!.get();
  return m.values.filter((v) => Object.entries(labels).every(([k, x]) => String(v.labels[k]) === x)).reduce((a, v) => a + v.value, 0);
}

describe('QController queue semantics (§8)', () => {
  it('retries a failing key after its own backoff, runs it now on a new event, and grows the backoff until a success', async () => {
    const state = new InMemoryState();
    const clock = new FakeClock();
    const rt = new Runtime(state, { clock, backoff: { random: () => 0.5 } });
    const runs: number[] = [];
    rt.register(
      q(async (ctx, ptr) => {
        const v = (await ctx.get<IntSpec>(ptr)).spec.value;
        runs.push(v);
        if (v % 2 === 1) throw new Error('odd');
      }),
    );
    await state.create(Ints.create('k', { value: 1 }));
    const ac = new AbortController();
    const running = rt.run(ac.signal);
    await eventually(() => expect(runs).toEqual([1]));
    await eventually(() => expect(clock.pending).toBe(1));
    clock.advance(499);
    await settle();
    expect(runs).toEqual([1]);
    clock.advance(1); // 500 ms: the first retry
    await eventually(() => expect(runs).toEqual([1, 1]));
    await eventually(() => expect(clock.pending).toBe(1)); // now 750 ms away
    await state.modify<IntSpec>(Ints.pointer('k'), (d) => {
      d.spec.value = 3; // a new event: due now, no fake time passes
    });
    await eventually(() => expect(runs).toEqual([1, 1, 3]));
    clock.advance(1124);
    await settle();
    expect(runs).toEqual([1, 1, 3]); // the backoff grew to 1125 ms despite the event
    clock.advance(1);
    await eventually(() => expect(runs).toEqual([1, 1, 3, 3]));
    await state.modify<IntSpec>(Ints.pointer('k'), (d) => {
      d.spec.value = 4;
    });
    await eventually(() => expect(runs).toEqual([1, 1, 3, 3, 4])); // success clears the key's backoff
    await state.modify<IntSpec>(Ints.pointer('k'), (d) => {
      d.spec.value = 5;
    });
    await eventually(() => expect(runs).toEqual([1, 1, 3, 3, 4, 5]));
    await eventually(() => expect(clock.pending).toBe(1));
    clock.advance(500); // back at the initial interval
    await eventually(() => expect(runs).toEqual([1, 1, 3, 3, 4, 5, 5]));
    ac.abort();
    await running;
  });

  it('requeueAfter runs again after ms without an error; RequeueError counts one and retries after ms', async () => {
    const state = new InMemoryState();
    const clock = new FakeClock();
    const metrics = new Registry();
    const rt = new Runtime(state, { clock, metrics });
    const runs: string[] = [];
    rt.register(
      q(async (_ctx, ptr) => {
        runs.push(ptr.id);
        if (ptr.id === 'soft') return { requeueAfter: 2000 };
        throw new RequeueError(new Error('not yet'), 3000);
      }),
    );
    await state.create(Ints.create('soft', { value: 0 }));
    await state.create(Ints.create('hard', { value: 0 }));
    const ac = new AbortController();
    const running = rt.run(ac.signal);
    await eventually(() => expect(runs.sort()).toEqual(['hard', 'soft']));
    clock.advance(1999);
    await settle();
    expect(runs).toHaveLength(2);
    clock.advance(1);
    await eventually(() => expect(runs.filter((r) => r === 'soft')).toHaveLength(2));
    expect(runs.filter((r) => r === 'hard')).toHaveLength(1);
    clock.advance(1000);
    await eventually(() => expect(runs.filter((r) => r === 'hard')).toHaveLength(2));
    expect(await metric(metrics, 'cosi_controller_reconcile_errors_total')).toBe(2);
    expect(await metric(metrics, 'cosi_controller_reconcile_total', { result: 'requeue' })).toBe(4);
    ac.abort();
    await running;
  });

  it('runs up to `concurrency` keys at once', async () => {
    const state = new InMemoryState();
    for (let i = 0; i < 10; i++) await state.create(Ints.create(`k${i}`, { value: i }));
    const rt = new Runtime(state);
    let active = 0;
    let max = 0;
    const done: string[] = [];
    const gates: (() => void)[] = [];
    rt.register(
      q(
        async (_ctx, ptr) => {
          active++;
          max = Math.max(max, active);
          await new Promise<void>((resolve) => gates.push(resolve));
          active--;
          done.push(ptr.id);
        },
        { concurrency: 3 },
      ),
    );
    const ac = new AbortController();
    const running = rt.run(ac.signal);
    while (done.length < 10) {
      await eventually(() => expect(gates.length).toBeGreaterThan(0));
      await settle();
      expect(active).toBeLessThanOrEqual(3);
      gates.shift()!();
      await settle();
    }
    expect(max).toBe(3);
    expect(done).toEqual(['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7', 'k8', 'k9']); // FIFO among equals
    ac.abort();
    await running;
  });

  it('restarts a failing runHook with backoff, reset once it ran over 60 s', async () => {
    const clock = new FakeClock();
    const metrics = new Registry();
    const rt = new Runtime(new InMemoryState(), { clock, metrics, backoff: { random: () => 0.5 } });
    let calls = 0;
    let release: (() => void) | undefined;
    rt.register(
      q(async () => {}, {
        async runHook() {
          calls++;
          if (calls === 3) {
            await new Promise<void>((resolve) => (release = resolve)); // a long, healthy run
          }
          throw new Error(`hook ${calls}`);
        },
      }),
    );
    const ac = new AbortController();
    const running = rt.run(ac.signal);
    await eventually(() => expect(clock.pending).toBe(1));
    clock.advance(500);
    await eventually(() => expect(calls).toBe(2));
    await eventually(() => expect(clock.pending).toBe(1));
    clock.advance(750);
    await eventually(() => expect(release).toBeDefined());
    clock.advance(61_000);
    release!();
    await eventually(() => expect(clock.pending).toBe(1));
    clock.advance(499);
    await settle();
    expect(calls).toBe(3);
    clock.advance(1); // 500 ms again: the long run reset the backoff
    await eventually(() => expect(calls).toBe(4));
    expect(await metric(metrics, 'cosi_controller_restarts_total', { controller: 'Q' })).toBeGreaterThanOrEqual(3);
    ac.abort();
    await running;
  });

  it('shuts down in order: no new jobs, running jobs aborted and awaited, runHook awaited, then shutdownHook once', async () => {
    const state = new InMemoryState();
    await state.create(Ints.create('busy', { value: 0 }));
    const log: string[] = [];
    const rt = new Runtime(state);
    const started: Pointer[] = [];
    rt.register(
      q(
        async (ctx, ptr) => {
          started.push(ptr);
          await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
          await tick();
          log.push(`job ${ptr.id} done`);
        },
        {
          async runHook(ctx) {
            await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
            await tick();
            log.push('runHook done');
          },
          shutdownHook() {
            log.push('shutdownHook');
          },
        },
      ),
    );
    const ac = new AbortController();
    const running = rt.run(ac.signal);
    await eventually(() => expect(started).toHaveLength(1));
    ac.abort();
    await state.create(Ints.create('late', { value: 0 })); // after shutdown started: never dispatched
    await running;
    expect([...log].sort()).toEqual(['job busy done', 'runHook done', 'shutdownHook']);
    expect(log[log.length - 1]).toBe('shutdownHook');
    expect(started.map((p) => p.id)).toEqual(['busy']);
  });
});

describe('QController bad delays', () => {
  it('treats a NaN or negative requeue delay as an error retried with backoff, never as a queue-order bug', async () => {
    const state = new InMemoryState();
    const clock = new FakeClock();
    const metrics = new Registry();
    const rt = new Runtime(state, { clock, metrics, backoff: { random: () => 0.5 } });
    const runs: string[] = [];
    rt.register(
      q(async (_ctx, ptr) => {
        runs.push(ptr.id);
        if (ptr.id === 'nan') return { requeueAfter: Number.NaN };
        if (ptr.id === 'neg') throw new RequeueError(new Error('x'), -5);
      }),
    );
    for (const id of ['nan', 'neg', 'ok']) await state.create(Ints.create(id, { value: 0 }));
    const ac = new AbortController();
    const running = rt.run(ac.signal);
    await eventually(() => expect([...runs].sort()).toEqual(['nan', 'neg', 'ok']));
    await eventually(async () => expect(await metric(metrics, 'cosi_controller_reconcile_total', { result: 'error' })).toBe(2));
    clock.advance(500); // both retried after the key backoff
    await eventually(() => expect(runs.filter((r) => r !== 'ok')).toHaveLength(4));
    await state.create(Ints.create('later', { value: 0 })); // the queue still orders and runs new keys
    await eventually(() => expect(runs).toContain('later'));
    ac.abort();
    await running;
  });
});
