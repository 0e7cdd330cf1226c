import { describe, it, expect } from 'vitest';
import { InMemoryState } from '@cosi-ts/state';
import { Registry } from 'prom-client';
import type { Pointer } from '@cosi-ts/resource';
import { Runtime } from './runtime.ts';
import { TerminalError } from './errors.ts';
import { FakeClock } from './fake-clock.ts';
import { eventually } from './conformance/eventually.ts';
import { Ints, Strs, type IntSpec } from './conformance/types.ts';

async function metric(reg: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const m = await reg.getSingleMetric(name)?.get();
  return (m?.values ?? [])
    .filter((v) => Object.entries(labels).every(([k, x]) => String(v.labels[k]) === x))
    .reduce((a, v) => a + v.value, 0);
}

describe('QController', () => {
  it('waits for the next event after a TerminalError', async () => {
    const state = new InMemoryState();
    const metrics = new Registry();
    const clock = new FakeClock(); // a scheduled retry would show as a pending timer
    const rt = new Runtime(state, { metrics, clock });
    const seen: number[] = [];
    rt.register({
      name: 'Terminal',
      inputs: [{ namespace: 'ints', type: Ints, kind: 'primary' }],
      outputs: [],
      async reconcile(ctx, ptr) {
        const v = (await ctx.get<IntSpec>(ptr)).spec.value;
        seen.push(v);
        if (v === 1) throw new TerminalError('one is terminal');
      },
    });
    await state.create(Ints.create('x', { value: 1 }));
    const ac = new AbortController();
    const running = rt.run(ac.signal);
    await eventually(async () => expect(await metric(metrics, 'cosi_controller_reconcile_total', { result: 'terminal' })).toBe(1));
    expect(clock.pending).toBe(0);
    expect(seen).toEqual([1]);
    await state.modify<IntSpec>(Ints.pointer('x'), (d) => {
      d.spec.value = 2;
    });
    await eventually(() => expect(seen).toEqual([1, 2]));
    expect(await metric(metrics, 'cosi_controller_reconcile_errors_total', {})).toBe(1);
    ac.abort();
    await running;
  });

  it('fails a map job whose pointer no primary input covers, and maps others to reconciles', async () => {
    const state = new InMemoryState();
    const metrics = new Registry();
    const rt = new Runtime(state, { metrics, backoff: { initialMs: 60_000 } });
    const reconciled: string[] = [];
    rt.register({
      name: 'Mapper',
      inputs: [
        { namespace: 'ints', type: Ints, kind: 'primary' },
        { namespace: 'strs', type: Strs, kind: 'mapped' },
      ],
      outputs: [],
      async reconcile(_ctx, ptr) {
        reconciled.push(ptr.id);
      },
      mapInput(_ctx, md): Pointer[] {
        return md.id === 'bad' ? [Strs.pointer('bad', 'strs')] : [Ints.pointer(`from-${md.id}`)];
      },
    });
    const ac = new AbortController();
    const running = rt.run(ac.signal);
    await state.create(Strs.create('bad', { value: '' }));
    await state.create(Strs.create('good', { value: '' }));
    await eventually(() => expect(reconciled).toEqual(['from-good']));
    expect(await metric(metrics, 'cosi_controller_reconcile_total', { controller: 'Mapper', result: 'error' })).toBe(1);
    ac.abort();
    await running;
  });
});
