import { describe, it, expect } from 'vitest';
import { Counter, Gauge, Histogram, Registry, register as globalRegistry } from 'prom-client';
import { InMemoryState } from '@cosi-ts/state';
import { Runtime } from './runtime.ts';
import { eventually } from './conformance/eventually.ts';
import { Ints, Strs, type IntSpec } from './conformance/types.ts';

type MetricClass = typeof Counter | typeof Gauge | typeof Histogram;

/** specs/controllers.md §9: name → type and labels. */
const TABLE: [string, MetricClass, string[]][] = [
  ['cosi_controller_wakeups_total', Counter, ['controller']],
  ['cosi_controller_reconcile_total', Counter, ['controller', 'result']],
  ['cosi_controller_reconcile_errors_total', Counter, ['controller']],
  ['cosi_controller_reconcile_time_seconds', Histogram, ['controller']],
  ['cosi_controller_restarts_total', Counter, ['controller']],
  ['cosi_controller_reads_total', Counter, ['controller', 'cached']],
  ['cosi_controller_writes_total', Counter, ['controller']],
  ['cosi_controller_active_workers', Gauge, ['controller']],
  ['cosi_workqueue_depth', Gauge, ['controller']],
  ['cosi_workqueue_adds_total', Counter, ['controller']],
  ['cosi_workqueue_retries_total', Counter, ['controller']],
  ['cosi_runtime_cached_resources', Gauge, ['namespace', 'type']],
  ['cosi_runtime_watch_resyncs_total', Counter, ['namespace', 'type']],
];

async function sample(reg: Registry, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const m = await reg.getSingleMetric(name)?.get();
  return m?.values.find((v) => Object.entries(labels).every(([k, x]) => String(v.labels[k]) === x))?.value;
}

describe('metrics (§9)', () => {
  it('registers every metric of the table with its type and labels, on the given registry only', () => {
    const reg = new Registry();
    const rt = new Runtime(new InMemoryState(), { metrics: reg });
    expect(rt.metrics).toBe(reg);
    for (const [name, cls, labels] of TABLE) {
      const m = reg.getSingleMetric(name);
      expect(m, name).toBeInstanceOf(cls);
      expect([...(m as unknown as { labelNames: string[] }).labelNames].sort(), name).toEqual([...labels].sort());
    }
    expect(reg.getMetricsAsArray().map((m) => m.name).sort()).toEqual(TABLE.map(([n]) => n).sort());
    expect(globalRegistry.getMetricsAsArray().filter((m) => m.name.startsWith('cosi_'))).toEqual([]);
    // Without options.metrics: a private registry, and two runtimes may share one registry.
    expect(new Runtime(new InMemoryState()).metrics).not.toBe(reg);
    expect(() => new Runtime(new InMemoryState(), { metrics: reg })).not.toThrow();
  });

  it('labels by controller and counts Controller passes and Q jobs by result', async () => {
    const state = new InMemoryState();
    const reg = new Registry();
    const rt = new Runtime(state, { metrics: reg, backoff: { initialMs: 60_000 } });
    let passes = 0;
    rt.register({
      name: 'Loop',
      inputs: [{ namespace: 'ints', type: Ints, kind: 'weak' }],
      outputs: [],
      async run(ctx) {
        for await (const _ of ctx.events()) {
          await ctx.list(Ints.kind());
          await ctx.get(Ints.pointer('x'), { uncached: true });
          passes++;
        }
      },
    });
    rt.register({
      name: 'Q',
      inputs: [{ namespace: 'ints', type: Ints, kind: 'primary' }],
      outputs: [{ type: Strs, kind: 'exclusive' }],
      async reconcile(ctx, ptr) {
        const v = (await ctx.get<IntSpec>(ptr)).spec.value;
        if (v < 0) throw new Error('negative');
        await ctx.modify(Strs.create(ptr.id, { value: '' }, { namespace: 'strs' }), (d) => {
          d.spec = { value: String(v) };
        });
      },
    });
    await state.create(Ints.create('x', { value: 1 }));
    await state.create(Ints.create('neg', { value: -1 }));
    const ac = new AbortController();
    const running = rt.run(ac.signal);
    await eventually(async () => {
      expect(passes).toBeGreaterThanOrEqual(1);
      expect(await sample(reg, 'cosi_controller_reconcile_total', { controller: 'Q', result: 'success' })).toBe(1);
      expect(await sample(reg, 'cosi_controller_reconcile_total', { controller: 'Q', result: 'error' })).toBe(1);
    });
    await eventually(async () => expect(await sample(reg, 'cosi_controller_reconcile_total', { controller: 'Loop', result: 'success' })).toBe(1));
    expect(await sample(reg, 'cosi_controller_reconcile_errors_total', { controller: 'Q' })).toBe(1);
    expect(await sample(reg, 'cosi_workqueue_retries_total', { controller: 'Q' })).toBe(1);
    expect(await sample(reg, 'cosi_workqueue_adds_total', { controller: 'Q' })).toBe(3); // x, neg, neg's retry
    expect(await sample(reg, 'cosi_workqueue_depth', { controller: 'Q' })).toBe(1); // neg waits 60 s
    expect(await sample(reg, 'cosi_controller_active_workers', { controller: 'Q' })).toBe(0);
    expect(await sample(reg, 'cosi_controller_reads_total', { controller: 'Loop', cached: 'true' })).toBe(1);
    expect(await sample(reg, 'cosi_controller_reads_total', { controller: 'Loop', cached: 'false' })).toBe(1);
    expect(await sample(reg, 'cosi_controller_writes_total', { controller: 'Q' })).toBe(1);
    expect(await sample(reg, 'cosi_runtime_cached_resources', { namespace: 'ints', type: Ints.type })).toBe(2);
    const hist = await reg.getSingleMetric('cosi_controller_reconcile_time_seconds')!.get();
    const counts = hist.values.filter((v) => (v as { metricName?: string }).metricName?.endsWith('_count'));
    expect(counts.find((v) => v.labels['controller'] === 'Q')?.value).toBe(2);
    expect(counts.find((v) => v.labels['controller'] === 'Loop')?.value).toBe(1);
    ac.abort();
    await running;
  });
});
